"""Entity pages in a reader's order (docs/serving.md, "Pages"): the sections of OMS, clonazepam
and myoclonus, treatments in their order of use, and every relation of the data placed in a
section of its own rather than in "Other statements"."""

from __future__ import annotations

import pytest
from rdflib import RDF, URIRef

from omskg.curation.build import BuiltGraph
from omskg.prefixes import OMS, OMSE
from omskg.web.pages import Site
from omskg.web.sections import NAMED_BY, OTHER, SECTIONS, section_of


@pytest.fixture(scope="module")
def site(built: BuiltGraph) -> Site:
    return Site(built.graph)


def titles(site: Site, name: str) -> list[tuple[str, int]]:
    page = site.page(str(OMSE[name]))
    assert page is not None
    return [(section.title, len(section.statements)) for section in page.sections]


def test_a_condition_reads_from_summary_to_references(site: Site) -> None:
    assert titles(site, "oms") == [
        ("Summary", 5),
        ("Who it affects", 10),
        ("Symptoms and signs", 28),
        ("Causes and triggers", 27),
        ("Diagnosis", 6),
        ("Care team", 6),
        ("Treatment", 16),
        ("Course", 6),
        ("Prognosis and relapse", 22),
        ("Kinds of it", 1),
        ("Described and researched by", 4),
    ]


def test_a_drug_is_read_from_what_it_treats(site: Site) -> None:
    assert titles(site, "clonazepam") == [
        ("Summary", 1),
        ("Treats", 3),
        ("Adverse effects", 2),
        ("Named in statements about other things", 2),  # as the alternative to valproate
    ]


def test_a_finding_with_statements_of_its_own(site: Site) -> None:
    assert [title for title, _ in titles(site, "myoclonus")] == [
        "Summary",
        "Symptoms and signs",
        "Causes and triggers",
        "Diagnosis",
        "Treatment",
        "Course",
        "A sign or symptom of",
        "Used in diagnosing",
        "Kinds of it",
        "Described and researched by",
        "Named in statements about other things",
    ]


def test_treatments_come_in_their_order_of_use(site: Site) -> None:
    page = site.page(str(OMSE["myoclonus"]))
    assert page is not None
    (treatment,) = [s for s in page.sections if s.id == "treatment"]
    lines = [
        next((v.text for q in st.qualifiers if q.name.text == "treatment line" for v in q.values), None)
        for st in treatment.statements
    ]
    assert lines[:3] == ["first choice", "main approach", "alternative"]
    assert set(lines[3:]) == {None}
    assert treatment.statements[0].object.text == "clonazepam"


def test_every_relation_of_the_data_has_its_section(built: BuiltGraph) -> None:
    graph = built.graph
    relations = {graph.value(s, RDF.predicate) for s in graph.subjects(RDF.type, OMS.Statement)}
    assert len(relations) > 30
    unplaced = sorted(str(r) for r in relations if section_of(r, names_entity=False) is OTHER)  # type: ignore[arg-type]
    assert unplaced == []


def test_a_relation_without_a_section_is_caught() -> None:
    made_up = URIRef(OMS + "hasFavouriteColour")
    assert section_of(made_up, names_entity=False) is OTHER
    assert section_of(made_up, names_entity=True) is NAMED_BY[-1]


def test_no_relation_is_in_two_sections() -> None:
    for kinds in (SECTIONS, NAMED_BY):
        placed = [relation for kind in kinds for relation in kind.relations]
        assert len(placed) == len(set(placed))
