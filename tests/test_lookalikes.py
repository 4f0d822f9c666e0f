"""Look-alike diseases: Resnik scores computed by hand on a small graph, the query and the Python
ranking agreeing on the real HPO data, and the rankings for OMS and for myoclonus."""

from __future__ import annotations

import csv
import io
import math

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from omskg import cli
from omskg.errors import OmsError
from omskg.linked.agreement import sort_joined
from omskg.linked.hpo import information_content
from omskg.linked.lookalikes import (
    Hierarchy,
    rank_lookalikes,
    read_hierarchy,
)
from omskg.linked.reports import linked_report_files
from omskg.linked.store import CORE, HPO, run_store_query
from omskg.paths import project_root
from omskg.query import cell, format_table, read_query

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("release")]  # one worker builds the release

LOOKALIKES = read_query(project_root() / "queries" / "linked" / "lookalikes.rq")
HP = "http://purl.obolibrary.org/obo/HP_"
EX = "http://example.org/"

# A fragment of HPO (real terms; each subClassOf link holds in hp.obo, directly or through terms
# left out here) and four made-up diseases. Information content is -ln(share of the 4 diseases
# annotated with the term or a narrower one): ln 4 = 1.386294, ln 2 = 0.693147, ln 4/3 = 0.287682.
FIXTURE_HPO = """
@prefix HP: <http://purl.obolibrary.org/obo/HP_> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix oms: <https://w3id.org/omskg/vocab/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/> .
HP:0000118 rdfs:label "Phenotypic abnormality" ; oms:informationContent "0.000000"^^xsd:double .
HP:0000707 rdfs:subClassOf HP:0000118 ; rdfs:label "Abnormality of the nervous system" ;
  oms:informationContent "0.287682"^^xsd:double .
HP:0004305 rdfs:subClassOf HP:0000707 ; rdfs:label "Involuntary movements" ;
  oms:informationContent "0.287682"^^xsd:double .
HP:0001336 rdfs:subClassOf HP:0004305 ; rdfs:label "Myoclonus" ;
  oms:informationContent "0.693147"^^xsd:double .
HP:0001337 rdfs:subClassOf HP:0004305 ; rdfs:label "Tremor" ;
  oms:informationContent "1.386294"^^xsd:double .
HP:0000478 rdfs:subClassOf HP:0000118 ; rdfs:label "Abnormality of the eye" ;
  oms:informationContent "0.287682"^^xsd:double .
HP:0000496 rdfs:subClassOf HP:0000478 ; rdfs:label "Abnormality of eye movement" ;
  oms:informationContent "0.287682"^^xsd:double .
HP:0000570 rdfs:subClassOf HP:0000496 ; rdfs:label "Abnormal saccadic eye movements" ;
  oms:informationContent "0.693147"^^xsd:double .
HP:0010543 rdfs:subClassOf HP:0000496 ; rdfs:label "Opsoclonus" ;
  oms:informationContent "1.386294"^^xsd:double .
ex:d1 rdfs:label "disease one" ; oms:hasPhenotype HP:0010543, HP:0001336 .
ex:d2 rdfs:label "disease two" ; oms:hasPhenotype HP:0001337, HP:0000570 .
ex:d3 rdfs:label "disease three" ; oms:hasPhenotype HP:0001336 .
ex:d4 rdfs:label "disease four" ; oms:hasPhenotype HP:0000570 .
"""
# Our condition: three findings whose HPO terms hold for them; the relatedMatch is no part of
# the profile. Its own record is d1.
FIXTURE_CORE = """
@prefix HP: <http://purl.obolibrary.org/obo/HP_> .
@prefix oms: <https://w3id.org/omskg/vocab/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ex: <http://example.org/> .
ex:condition oms:hasPhenotype ex:f1, ex:f2, ex:f3, ex:f4 ; skos:exactMatch ex:d1 .
ex:f1 skos:exactMatch HP:0010543 .
ex:f2 skos:closeMatch HP:0001336 .
ex:f3 skos:broadMatch HP:0000570 .
ex:f4 skos:relatedMatch HP:0001337 .
"""


@pytest.fixture(scope="module")
def small() -> ox.Store:
    store = ox.Store()
    store.load(FIXTURE_HPO, ox.RdfFormat.TURTLE, to_graph=HPO)
    store.load(FIXTURE_CORE, ox.RdfFormat.TURTLE, to_graph=CORE)
    return store


def test_fixture_information_content_follows_the_definition(small: ox.Store) -> None:
    hierarchy = read_hierarchy(small)
    curie = {iri: "HP:" + iri.removeprefix(HP) for iri in hierarchy.information_content}
    parents = {curie[t]: [curie[p] for p in ps] for t, ps in hierarchy.parents.items()}
    annotated = {d: {curie[t] for t in terms} for d, terms in hierarchy.annotations.items()}
    computed = information_content(parents, annotated)
    assert {curie[t]: ic for t, ic in hierarchy.information_content.items()} == pytest.approx(
        computed, abs=1e-6
    )


def test_scores_by_hand(small: ox.Store) -> None:
    """Profile: opsoclonus, myoclonus, abnormal saccadic eye movements (not tremor: relatedMatch).
    Disease two (tremor, abnormal saccadic eye movements): opsoclonus shares at best abnormality
    of eye movement (0.287682; abnormality of the eye has the same IC, the larger IRI wins),
    myoclonus involuntary movements (0.287682), saccadic movements itself (0.693147):
    (0.287682 + 0.287682 + 0.693147) / 3 = 0.422837. The other way, tremor's best is 0.287682 and
    saccadic movements' 0.693147, mean 0.4904145; BMA = (0.422837 + 0.4904145) / 2 = 0.45662575."""
    result = rank_lookalikes(small, EX + "condition")
    assert result.profile == (HP + "0000570", HP + "0001336", HP + "0010543")
    assert [(item.rank, item.disease) for item in result.ranked] == [
        (1, EX + "d2"),
        (2, EX + "d4"),
        (3, EX + "d3"),
    ]
    two, four, three = result.ranked
    assert two.score == pytest.approx(0.422837, abs=1e-12)
    assert two.bma == pytest.approx(0.45662575, abs=1e-12)
    assert four.score == pytest.approx((0.287682 + 0.693147) / 3, abs=1e-12)
    assert three.score == pytest.approx(0.693147 / 3, abs=1e-12)
    assert {(f.ours, f.mica) for f in two.shared} == {
        (HP + "0010543", HP + "0000496"),
        (HP + "0001336", HP + "0004305"),
        (HP + "0000570", HP + "0000570"),
    }
    (own,) = result.own
    assert (own.disease, own.rank, own.label) == (EX + "d1", 1, "disease one")
    assert own.score == pytest.approx((1.386294 + 0.693147 + 0.287682) / 3, abs=1e-12)
    assert result.candidates == 3


def test_having_keeps_only_diseases_with_the_term(small: ox.Store) -> None:
    result = rank_lookalikes(small, EX + "condition", having="HP:0001336")
    assert [item.disease for item in result.ranked] == [EX + "d3"]
    assert [(r.disease, r.rank) for r in result.own] == [(EX + "d1", 1)]


def test_query_gives_the_hand_scores(small: ox.Store) -> None:
    table = run_store_query(
        small, LOOKALIKES, {"_condition_iri": EX + "condition", "_having_iri": "HP:0000118"}
    )
    rows = [[cell(v) for v in row] for row in sort_joined(table, {"shared": "; "}).rows]
    assert rows == [
        [
            EX + "d2",
            "disease two",
            "0.4228",
            "Abnormal saccadic eye movements (HP:0000570); Abnormality of eye movement (HP:0000496); "
            "Involuntary movements (HP:0004305)",
        ],
        [
            EX + "d4",
            "disease four",
            "0.3269",
            "Abnormal saccadic eye movements (HP:0000570); Abnormality of eye movement (HP:0000496)",
        ],
        [EX + "d3", "disease three", "0.231", "Myoclonus (HP:0001336)"],
    ]


@pytest.fixture(scope="module")
def hierarchy(linked_store: ox.Store) -> Hierarchy:
    return read_hierarchy(linked_store)


def _query_top(store: ox.Store, condition: str, having: str) -> list[tuple[str, float, frozenset[str]]]:
    table = run_store_query(store, LOOKALIKES, {"_condition_iri": condition, "_having_iri": having})
    return [(cell(d), float(cell(s)), frozenset(cell(f).split("; "))) for d, _, s, f in table.rows]


def _python_top(result) -> list[tuple[str, float, frozenset[str]]]:  # type: ignore[no-untyped-def]
    return [
        (
            cell_of(item.disease),
            math.floor(item.score * 10_000 + 0.5) / 10_000,
            frozenset(f"{result.labels[f.mica]} ({cell_of(f.mica)})" for f in item.shared),
        )
        for item in result.ranked
    ]


def cell_of(iri: str) -> str:
    return cell(URIRef(iri))


OMS_TOP5 = [
    ("ORPHA:282166", 2.7172),  # inherited Creutzfeldt-Jakob disease
    ("OMIM:620747", 2.6403),  # neurodevelopmental disorder with early-onset parkinsonism
    ("OMIM:607483", 2.6139),  # thiamine metabolism dysfunction syndrome 2
    ("ORPHA:221074", 2.608),  # Marchiafava-Bignami disease
    ("ORPHA:646", 2.5798),  # Niemann-Pick disease type C
]
MYOCLONUS_TOP5 = [  # five-way tie, ordered by IRI as both rankings do
    ("ORPHA:561854", 2.6816),  # FOXG1 syndrome
    ("ORPHA:72", 2.6816),  # Angelman syndrome
    ("ORPHA:98794", 2.6816),  # Angelman syndrome due to maternal 15q11q13 deletion
    ("OMIM:117360", 2.6816),  # spinocerebellar ataxia 29
    ("OMIM:618241", 2.6816),  # mitochondrial complex I deficiency, nuclear type 19
]


@pytest.mark.parametrize(
    ("condition", "having", "top5"),
    [("omse:oms", None, OMS_TOP5), ("omse:myoclonus", "HP:0001336", MYOCLONUS_TOP5)],
    ids=["oms", "myoclonus"],
)
def test_query_and_python_rank_alike(
    linked_store: ox.Store,
    hierarchy: Hierarchy,
    condition: str,
    having: str | None,
    top5: list[tuple[str, float]],
) -> None:
    result = rank_lookalikes(linked_store, condition, having=having, top=20, hierarchy=hierarchy)
    python = _python_top(result)
    assert python == _query_top(linked_store, condition, having or "HP:0000118")
    assert [(disease, score) for disease, score, _ in python[:5]] == top5


def test_own_record_would_rank_97th(linked_store: ox.Store, hierarchy: Hierarchy) -> None:
    """Our OMS profile leans on common findings (anxiety, lethargy, malaise, tremor...) that Orphanet
    does not list for ORPHA:1183, so neurological diseases with long profiles score higher."""
    result = rank_lookalikes(linked_store, hierarchy=hierarchy)
    (own,) = result.own
    assert (own.disease, own.rank, round(own.score or 0, 4)) == (
        "http://www.orpha.net/ORDO/Orphanet_1183",
        97,
        2.0093,
    )
    assert result.candidates == 12678
    assert "ORPHA:1183" not in {cell_of(item.disease) for item in result.ranked}
    myoclonus = rank_lookalikes(linked_store, "omse:myoclonus", having="HP:0001336", hierarchy=hierarchy)
    assert myoclonus.own == ()


def test_expected_answer(linked_store: ox.Store, request: pytest.FixtureRequest) -> None:
    answer = format_table(
        sort_joined(run_store_query(linked_store, LOOKALIKES, LOOKALIKES.example), {"shared": "; "}), "csv"
    )
    path = LOOKALIKES.path.with_suffix(".csv")
    if request.config.getoption("--update-expected"):
        path.write_text(answer, encoding="utf-8")
    assert LOOKALIKES.summary.endswith("?")
    assert set(LOOKALIKES.example) == set(LOOKALIKES.parameters)
    assert answer == path.read_text(encoding="utf-8")


def test_refusals(linked_store: ox.Store, hierarchy: Hierarchy) -> None:
    with pytest.raises(OmsError, match=r"^omse:neuroblastoma: no phenotype of it maps to HPO"):
        rank_lookalikes(linked_store, "omse:neuroblastoma", hierarchy=hierarchy)
    with pytest.raises(OmsError, match=r"^omse:oms: not an HPO term annotated to any disease"):
        rank_lookalikes(linked_store, having="omse:oms", hierarchy=hierarchy)
    with pytest.raises(OmsError, match=r"^top must be at least 1, got 0$"):
        rank_lookalikes(linked_store, top=0, hierarchy=hierarchy)


def test_report_files(linked_store: ox.Store) -> None:
    files = linked_report_files(linked_store, top=5)
    tsv, text = files["omskg.lookalikes.tsv"], files["omskg.lookalikes.md"]
    rows = list(csv.reader(io.StringIO(tsv), delimiter="\t"))
    assert rows[0] == ["condition", "having", "rank", "disease", "label", "score", "bma", "shared"]
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows[1:]] == [
        ("omse:oms", "HP:0000118", str(i), d, f"{s:.4f}") for i, (d, s) in enumerate(OMS_TOP5, 1)
    ] + [
        ("omse:myoclonus", "HP:0001336", str(i), d, f"{s:.4f}") for i, (d, s) in enumerate(MYOCLONUS_TOP5, 1)
    ]
    assert "| 1 | ORPHA:282166 | Inherited Creutzfeldt-Jakob disease | 2.7172 |" in text
    assert "## omse:myoclonus, among diseases with HP:0001336" in text
    assert (
        "Left out ORPHA:1183 (Opsoclonus-myoclonus syndrome), the condition's own record: it would rank 97"
        in text
    )


def test_cli_lookalikes(
    linked_store: ox.Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_linked_store", lambda args: linked_store)
    argv = ["lookalikes", "--condition", "omse:myoclonus", "--having", "HP:0001336", "--top", "3"]
    assert cli.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["rank", "disease", "label", "score", "bma", "shared"]
    assert lines[2].startswith("1     ORPHA:561854  FOXG1 syndrome")
    assert "2.6816" in lines[2] and "Myoclonus (HP:0001336)" in lines[2]
    assert lines[5:] == ["(3 rows)", "omse:myoclonus is an exact match of no annotated disease record"]
    with pytest.raises(SystemExit) as refused:  # argparse names the option
        cli.main(["lookalikes", "--top", "0"])
    assert refused.value.code == 2
