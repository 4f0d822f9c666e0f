"""Every competency question in queries/cq runs and gives exactly the expected answer
kept beside it in queries/cq/NN-slug.csv (compared as row multisets).

Expected answers were checked by hand against the sources; regenerate them only on
purpose with ``pytest tests/test_queries.py --update-expected`` and review the diff.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, Literal

from omskg.cli import main
from omskg.curation.build import BuiltGraph
from omskg.errors import OmsError
from omskg.paths import project_root
from omskg.prefixes import OBOINOWL, OMSE
from omskg.query import cell, find_query, format_table, list_queries, run_query
from omskg.release.rdf_writers import to_ntriples

QUERIES = list_queries(project_root())


def _rows(text: str) -> tuple[list[str], Counter[tuple[str, ...]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], Counter(tuple(r) for r in rows[1:])


def test_every_question_has_an_expected_answer_and_vice_versa() -> None:
    assert len(QUERIES) >= 10
    names = {q.name for q in QUERIES}
    files = {p.stem for p in (project_root() / "queries" / "cq").glob("*.csv")}
    assert names == files
    for query in QUERIES:
        assert query.summary.endswith("?"), f"{query.name}: summary must state the question"
        assert set(query.example) == set(query.parameters), f"{query.name}: example values"


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_question_answer(query, built: BuiltGraph, request: pytest.FixtureRequest) -> None:  # type: ignore[no-untyped-def]
    answer = format_table(run_query(built.graph, query, query.example), "csv")
    path = query.path.with_suffix(".csv")
    if request.config.getoption("--update-expected"):
        path.write_text(answer, encoding="utf-8")
    columns, rows = _rows(answer)
    expected_columns, expected_rows = _rows(path.read_text(encoding="utf-8"))
    assert columns == expected_columns
    assert rows == expected_rows
    assert rows, "a competency question with an empty answer tests nothing"


HOSTILE = [
    '"',
    "'",
    "\\",
    "\\u0022",
    "\\u003E",
    ">",
    "\n",
    "} ; DROP ALL ; #",
    '" } ; DROP ALL ; #',
    "> } ; DROP ALL ; #",
    '""" ) } INSERT DATA { <x:a> <x:b> <x:c> } #',
]
IRI_PARAMETERS = [(q, p) for q in QUERIES for p in q.parameters if p.endswith("_iri")]


def _fingerprint(graph: Graph) -> tuple[int, str]:
    return len(graph), to_ntriples(graph)


@pytest.fixture(scope="module")
def fingerprint(built: BuiltGraph) -> tuple[int, str]:
    return _fingerprint(built.graph)


@pytest.mark.parametrize(("query", "parameter"), IRI_PARAMETERS, ids=lambda x: getattr(x, "name", x))
def test_hostile_iri_values_are_refused_and_change_nothing(  # type: ignore[no-untyped-def]
    query, parameter, built: BuiltGraph, fingerprint: tuple[int, str]
) -> None:
    """An IRI parameter glued to quotes, escapes, brackets, newlines or an update is either
    refused before anything runs or, where the result is still a well-formed IRI (a quote is
    allowed in IRIs), bound as data: it answers like any IRI absent from the graph."""
    clean = query.example[parameter]
    absent = run_query(built.graph, query, {**query.example, parameter: "omse:no-such-entity"})
    for hostile in HOSTILE:
        try:
            table = run_query(built.graph, query, {**query.example, parameter: clean + hostile})
        except OmsError as exc:
            assert "needs an IRI or CURIE" in str(exc)
        else:
            assert table == absent, f"{clean + hostile!r} was not bound as one IRI"
    assert _fingerprint(built.graph) == fingerprint


def test_hostile_text_is_data(built: BuiltGraph) -> None:
    """A literal parameter full of SPARQL syntax matches exactly what a clean value would: an
    entity carrying that very text as a synonym is found, and nothing else happens."""
    query = find_query("find-by-name")
    assert query.parameters == ("_text",)
    graph = Graph()
    graph += built.graph
    for index, hostile in enumerate(HOSTILE):
        graph.add(
            (OMSE.clonazepam, OBOINOWL.hasExactSynonym, Literal(f"clonazepam{hostile}#{index}", lang="en"))
        )
    before = _fingerprint(graph)
    for index, hostile in enumerate(HOSTILE):
        table = run_query(graph, query, {"_text": f"azepam{hostile}#{index}"})
        assert [(cell(r[0]), str(r[3])) for r in table.rows] == [
            ("omse:clonazepam", f"clonazepam{hostile}#{index}")
        ]
    assert _fingerprint(graph) == before


def test_unknown_and_missing_parameters_are_refused(built: BuiltGraph) -> None:
    query = find_query("first-choice-drug")
    with pytest.raises(OmsError, match="needed"):
        run_query(built.graph, query, {})
    with pytest.raises(OmsError, match="unknown parameter"):
        run_query(built.graph, query, {**query.example, "_nope": "x"})


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_cli_query_formats(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["query", "first-choice-drug", "--param", "_condition_iri=omse:myoclonus", "--format", fmt]) == 0
    )
    out = capsys.readouterr().out
    expected = {
        "table": "omse:clonazepam",
        "csv": "omse:clonazepam,clonazepam",
        "json": "https://w3id.org/omskg/entity/clonazepam",
    }[fmt]
    assert expected in out


def test_cli_query_rejects_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "no-such-question"]) == 2
    assert "no query named" in capsys.readouterr().err


def test_cli_runs_a_query_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "rarity.rq"
    query.write_text(
        "#+ summary: How rare is the syndrome, per document?\n"
        "SELECT ?rarity ?doc WHERE { ?st rdf:subject omse:oms ; rdf:predicate oms:hasRarity ;"
        " rdf:object ?rarity ; oms:hasEvidence/oa:hasSource ?doc }\n",
        encoding="utf-8",
    )
    assert main(["query", str(query), "--format", "csv"]) == 0
    rows = sorted(capsys.readouterr().out.splitlines()[1:])
    assert rows == ["oms:RareCondition,omse:ninds-oms-myoclonus", "oms:VeryRareCondition,omse:gale-oms"]
