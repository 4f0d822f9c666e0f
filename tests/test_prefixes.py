"""One prefix map serves everything: no Turtle or SPARQL file uses an undeclared prefix,
the identifier shape carries the pattern derived from the table, and every external term
of the alignments was checked in a real vocabulary file."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from omskg.curation.validate import load_shapes
from omskg.errors import OmsError
from omskg.prefixes import identifier_iri_pattern, load_prefix_map, read_prefix_table

W3C = ("rdf:", "rdfs:", "owl:", "xsd:", "skos:", "sh:")


def _turtle_files(root: Path) -> list[Path]:
    return sorted(root.glob("ontology/**/*.ttl"))


def test_turtle_prefixes_agree_with_the_table(root: Path) -> None:
    table = load_prefix_map().uri_prefixes
    for path in _turtle_files(root) + sorted(root.glob("tests/shapes/**/*.ttl")):
        for prefix, uri in re.findall(r"@prefix\s+([\w-]*):\s*<([^>]+)>", path.read_text()):
            assert table.get(prefix) == uri, f"{path}: @prefix {prefix}: <{uri}> not in prefixes.csv"


def test_identifier_shape_pattern_is_derived_from_the_table(root: Path) -> None:
    shapes = load_shapes(root)
    patterns = {str(o) for o in shapes.objects(None, URIRef("http://www.w3.org/ns/shacl#pattern"))}
    assert identifier_iri_pattern(load_prefix_map()) in patterns, (
        "S06 pattern is stale: paste identifier_iri_pattern(load_prefix_map()) into the shape"
    )


def test_alignment_targets_were_verified(root: Path) -> None:
    prefixes = load_prefix_map()
    with (root / "ontology/terms/external_terms.tsv").open(encoding="utf-8") as handle:
        verified = {row["curie"] for row in csv.DictReader(handle, delimiter="\t")}
    graph = Graph().parse(root / "ontology/alignments.ttl")
    used = {prefixes.compress(str(o)) for o in graph.objects() if isinstance(o, URIRef)}
    external = {c for c in used if c and not c.startswith(("oms", *W3C))}
    assert len(external) > 40
    assert external <= verified, f"unverified alignment targets: {sorted(external - verified)}"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("1hp,http://example.org/,,,vocabulary", "prefix '1hp' cannot be declared"),
        ("hp.,http://example.org/,,,vocabulary", "prefix 'hp.' cannot be declared"),
        ("xmlns2,http://example.org/,,,vocabulary", "prefix 'xmlns2' cannot be declared"),
        ("ok,example.org/,,,vocabulary", "URI prefix 'example.org/' of 'ok' is not an absolute IRI"),
    ],
)
def test_a_prefix_no_syntax_can_declare_is_refused(row: str, message: str, tmp_path: Path) -> None:
    """pyoxigraph writes any prefix name it is given, so the table is checked where it is read."""
    table = tmp_path / "prefixes.csv"
    table.write_text(f"prefix,uri_prefix,bioregistry,pattern,kind\n{row}\n", encoding="utf-8")
    with pytest.raises(OmsError, match=f"{re.escape(str(table))}: .*{re.escape(message)}"):
        read_prefix_table(table)
