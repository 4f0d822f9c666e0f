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

from omskg.build import BuiltGraph
from omskg.cli import main
from omskg.errors import OmsError
from omskg.paths import project_root
from omskg.query import find_query, format_table, list_queries, run_query

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


def test_parameters_are_bound_not_pasted(built: BuiltGraph) -> None:
    query = find_query("where-is-it-written")
    clean = run_query(built.graph, query, query.example)
    assert clean.rows
    for hostile in ["omse:oms> } ; DROP ALL ; #", 'omse:oms"', "omse:oms\\u0022", "omse:o\nms"]:
        with pytest.raises(OmsError):
            run_query(built.graph, query, {**query.example, "_subject_iri": hostile})
    size = len(built.graph)
    literal = find_query("where-is-it-written")
    assert literal.parameters == ("_subject_iri", "_object_iri")
    assert len(built.graph) == size


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
