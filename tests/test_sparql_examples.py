"""The questions published as SPARQL examples (``omskg.sparql-examples.ttl``, and the named graph
of the same name in the store): one per query file, each runnable as it is, checked by
``ontology/shapes/sparql-examples-shapes.ttl``, whose shapes each have conforming and broken
examples in ``tests/shapes/examples/``."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Literal
from rdflib.namespace import SH

from omskg.curation.build import BuiltGraph
from omskg.curation.validate import validate
from omskg.errors import OmsError
from omskg.linked.store import core_store, run_store_query
from omskg.query import QUERY_FOLDERS, example_text, find_query, list_queries
from omskg.release import sparql_examples as module
from omskg.release.sparql_examples import (
    ENDPOINT,
    EXAMPLES,
    SCHEMA_HTTPS,
    checked_sparql_examples,
    load_examples_shapes,
    sparql_examples,
)
from shape_examples import assert_fails_as_expected

EXAMPLE_FILES = Path(__file__).parent / "shapes" / "examples"
SHAPES = load_examples_shapes()
SHAPE_IDS = sorted(str(s).rsplit("/", 1)[1] for s in SHAPES.subjects(RDF.type, SH.NodeShape))
QUERIES = [q for folder in QUERY_FOLDERS for q in list_queries(folder=folder)]


def test_one_example_per_query_file_with_its_question_text_and_keywords() -> None:
    graph = checked_sparql_examples()
    examples = sorted(graph.subjects(RDF.type, SH.SPARQLExecutable))
    assert len(examples) == len(QUERIES) >= 33
    for query in QUERIES:
        node = EXAMPLES[query.name]
        assert graph.value(node, RDFS.comment) == Literal(query.summary, lang="en")
        assert graph.value(node, SH.select) == Literal(example_text(query))
        assert graph.value(node, SCHEMA_HTTPS.target) == ENDPOINT
        assert {str(k) for k in graph.objects(node, SCHEMA_HTTPS.keywords)} == set(query.tags)


def test_a_published_question_gives_the_expected_answer_as_it_stands(built: BuiltGraph) -> None:
    """The text in ``sh:select`` (example values written in) runs with no parameter and no prefix."""
    graph = sparql_examples()
    query = find_query("first-choice-drug")
    text = str(graph.value(EXAMPLES[query.name], SH.select))
    answer = core_store(built).query(text, use_default_graph_as_union=True)
    assert isinstance(answer, ox.QuerySolutions)
    rows = {tuple(str(term.value) for term in row) for row in answer}
    expected = run_store_query(core_store(built), query, query.example)
    assert rows == {tuple(str(t) for t in row) for row in expected.rows} != set()


def test_the_examples_conform() -> None:
    report = validate(sparql_examples(), shapes=SHAPES)
    assert report.findings == (), report.text()


def test_a_broken_example_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Graph:
        graph = sparql_examples()
        graph.remove((EXAMPLES["01-oms-symptoms"], SCHEMA_HTTPS.target, None))
        return graph

    monkeypatch.setattr(module, "sparql_examples", broken)
    with pytest.raises(OmsError, match=r"01-oms-symptoms.*must name the endpoint it runs on"):
        checked_sparql_examples()


def test_a_query_that_does_not_stand_alone_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def unprefixed() -> Graph:
        graph = sparql_examples()
        node = EXAMPLES["01-oms-symptoms"]
        text = str(graph.value(node, SH.select))
        graph.set((node, SH.select, Literal(re.sub(r"(?m)^PREFIX oms:.*\n", "", text))))
        return graph

    monkeypatch.setattr(module, "sparql_examples", unprefixed)
    with pytest.raises(OmsError, match=r"01-oms-symptoms: sh:select is not standalone SPARQL"):
        checked_sparql_examples()


# ---------------------------------------------------------------- shape examples


def _examples(kind: str) -> list[Path]:
    return sorted((EXAMPLE_FILES / kind).glob("E*.ttl"))


def _graph(path: Path | None) -> Graph:
    graph = Graph().parse(EXAMPLE_FILES / "base.ttl", format="turtle")
    if path is not None:
        graph.parse(path, format="turtle")
    return graph


def test_every_examples_shape_has_both_examples() -> None:
    assert len(SHAPE_IDS) == 2
    for kind in ("valid", "invalid"):
        covered = {p.name[:3] for p in _examples(kind)}
        assert [s for s in SHAPE_IDS if s[:3] not in covered] == [], kind


def test_base_conforms() -> None:
    report = validate(_graph(None), shapes=SHAPES)
    assert report.findings == (), report.text()


@pytest.mark.parametrize("path", _examples("valid"), ids=lambda p: p.stem)
def test_valid_example_conforms(path: Path) -> None:
    report = validate(_graph(path), shapes=SHAPES)
    assert report.findings == (), report.text()


@pytest.mark.parametrize("path", _examples("invalid"), ids=lambda p: p.stem)
def test_invalid_example_fails_as_expected(path: Path) -> None:
    assert_fails_as_expected(path, validate(_graph(path), shapes=SHAPES))
