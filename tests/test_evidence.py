"""Every piece of evidence points at a passage of the right document that names the fact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import RDF

from omskg.build import BuiltGraph
from omskg.cli import main
from omskg.evidence import verify_evidence
from omskg.prefixes import OA, OMS


def test_evidence_holds_against_the_sources(built: BuiltGraph, sources_dir: Path) -> None:
    check = verify_evidence(built, sources_dir)
    assert check.documents == 2
    assert check.evidence >= 200
    assert check.problems == ()


def test_every_statement_has_evidence(built: BuiltGraph) -> None:
    graph = built.graph
    statements = set(graph.subjects(RDF.type, OMS.Statement))
    assert len(statements) >= 200
    assert all(graph.value(s, OMS.hasEvidence) is not None for s in statements)


def test_facts_of_both_documents_have_two_pieces_of_evidence(built: BuiltGraph) -> None:
    graph = built.graph
    both = [
        s
        for s in graph.subjects(RDF.type, OMS.Statement)
        if len({graph.value(e, OA.hasSource) for e in graph.objects(s, OMS.hasEvidence)}) == 2
    ]
    assert len(both) >= 5


def test_cli_verify_evidence(sources_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify-evidence", str(sources_dir)]) == 0
    assert "all hold" in capsys.readouterr().out


def test_cli_verify_evidence_detects_a_changed_document(
    sources_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "sources"
    shutil.copytree(sources_dir, copy)
    target = copy / "004_e4a9b8b095247317.txt"
    target.write_text(
        target.read_text(encoding="utf-8").replace("clonazepam", "clonazepan"), encoding="utf-8"
    )
    assert main(["verify-evidence", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "004_e4a9b8b095247317.txt: SHA-256" in out and "differs from the recorded digest" in out


def test_span_that_names_nothing_is_reported(built: BuiltGraph, sources_dir: Path) -> None:
    graph = built.graph
    statement = next(iter(sorted(graph.subjects(RDF.type, OMS.Statement))))
    evidence = graph.value(statement, OMS.hasEvidence)
    selector = graph.value(evidence, OA.hasSelector)
    copy = type(built)(graph=graph.__class__(), origins=built.origins)
    copy.graph += graph
    from rdflib import XSD, Literal

    copy.graph.set((selector, OA.start, Literal(0, datatype=XSD.nonNegativeInteger)))
    copy.graph.set((selector, OA.end, Literal(1, datatype=XSD.nonNegativeInteger)))
    check = verify_evidence(copy, sources_dir)
    assert any("names none of" in p for p in check.problems)
