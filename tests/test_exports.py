"""Exports are deterministic and parse back to the same graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from omskg.build import BuiltGraph, build_graph
from omskg.cli import main
from omskg.export import to_jsonld, to_ntriples, to_turtle

FORMATS = {"turtle": to_turtle, "nt": to_ntriples, "json-ld": to_jsonld}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_round_trips(built: BuiltGraph, fmt: str) -> None:
    text = FORMATS[fmt](built.graph)
    back = Graph().parse(data=text, format=fmt)
    assert len(back) == len(built.graph)
    assert isomorphic(back, built.graph)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_is_deterministic(built: BuiltGraph, root: Path, fmt: str) -> None:
    again = build_graph(root)
    assert FORMATS[fmt](again.graph) == FORMATS[fmt](built.graph)


def test_build_writes_dist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dist"
    assert main(["build", "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["omskg.jsonld", "omskg.nt", "omskg.ttl", "unmapped.tsv", "validation.txt"]
    assert "conforms: 0 violation(s)" in (out / "validation.txt").read_text()
    lines = (out / "omskg.nt").read_text().splitlines()
    assert lines == sorted(lines)
    unmapped = (out / "unmapped.tsv").read_text().splitlines()
    assert unmapped[0] == "entity\tlabel\ttype\treason"
    assert all("no reason recorded" not in line for line in unmapped)
    assert "[4/4] done" in capsys.readouterr().err


def test_statement_iris_depend_on_content_only(built: BuiltGraph) -> None:
    """The same fact gets the same IRI whatever the order of records."""
    from rdflib import RDF

    from omskg.prefixes import OMS

    nodes = set(built.graph.subjects(RDF.type, OMS.Statement))
    assert all(len(str(n).rsplit("/", 1)[1]) == 16 for n in nodes)
    assert built.statements == len(nodes)
