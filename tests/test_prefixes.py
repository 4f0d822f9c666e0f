"""One prefix map serves everything: no Turtle or SPARQL file uses an undeclared prefix,
the identifier shape carries the pattern derived from the table, and every external term
of the alignments was checked in a real vocabulary file."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from rdflib import Graph, URIRef

from omskg.curation.validate import load_shapes
from omskg.prefixes import identifier_iri_pattern, load_prefix_map

W3C = ("rdf:", "rdfs:", "owl:", "xsd:", "skos:", "sh:")


def _turtle_files(root: Path) -> list[Path]:
    return sorted(root.glob("ontology/**/*.ttl"))


def test_turtle_prefixes_agree_with_the_table(root: Path) -> None:
    table = load_prefix_map().uri_prefixes
    for path in _turtle_files(root) + sorted(root.glob("tests/shapes/**/*.ttl")):
        for prefix, uri in re.findall(r"@prefix\s+([\w-]*):\s*<([^>]+)>", path.read_text()):
            assert table.get(prefix) == uri, f"{path}: @prefix {prefix}: <{uri}> not in prefixes.csv"


def test_queries_use_only_declared_prefixes(root: Path) -> None:
    table = load_prefix_map().uri_prefixes
    for path in sorted(root.glob("queries/**/*.rq")):
        body = "\n".join(x for x in path.read_text().splitlines() if not x.lstrip().startswith("#"))
        body = re.sub(r"<[^>]*>|\"[^\"]*\"", "", body)
        used = set(re.findall(r"(?<![\w?$])([A-Za-z][\w-]*):[\w]", body))
        assert used <= set(table), f"{path}: undeclared prefixes {sorted(used - set(table))}"


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
