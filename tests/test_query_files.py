"""Every query file is a standalone SPARQL query: it declares its own prefixes, generated from
ontology/prefixes.csv (``make query-prefixes``), so that Jena, Oxigraph, Virtuoso or a SPARQL
editor read it as it is (docs/queries.md)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib.plugins.sparql import prepareQuery

from omskg.errors import OmsError
from omskg.query import QUERY_FOLDERS, NamedQuery, declared_prefixes, list_queries, standalone_text
from omskg.remote_store import prefix_header

QUERIES = [q for folder in QUERY_FOLDERS for q in list_queries(folder=folder)]


def test_there_are_query_files() -> None:
    assert len(QUERIES) >= 33


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_the_file_declares_the_prefixes_it_uses_and_no_other(query: NamedQuery) -> None:
    assert query.text == standalone_text(query.text), f"{query.path}: run `make query-prefixes`"
    assert declared_prefixes(query.text), query.name
    assert prefix_header(query.text) == ""


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_the_file_parses_with_no_prefix_given(query: NamedQuery) -> None:
    ox.Store().query(query.text)  # raises SyntaxError on an undeclared prefix
    prepareQuery(query.text)


def test_a_stale_declaration_is_rewritten() -> None:
    stale = (
        "#+ summary: What?\nPREFIX oms: <http://example.org/old/>\nPREFIX skos: <x:y>\n"
        "SELECT ?x { ?x a oms:Condition }\n"
    )
    assert standalone_text(stale) == (
        "#+ summary: What?\nPREFIX oms: <https://w3id.org/omskg/vocab/>\nSELECT ?x { ?x a oms:Condition }\n"
    )


def test_names_in_strings_iris_and_comments_are_no_prefixes() -> None:
    text = 'SELECT ?x { ?x <http://a/b:c> "skos:x" } # owl:Class\n'
    assert standalone_text(text) == text


def test_a_prefix_outside_the_map_is_named() -> None:
    with pytest.raises(OmsError, match=r"q\.rq: prefix\(es\) wd: not in ontology/prefixes\.csv"):
        standalone_text("SELECT ?x { ?x a wd:Q5 }", source="q.rq")
