"""The curation rules of docs/data-model.md, applied to all data, each with the
counter-example it must catch (the records of release 0.4.0 that broke it, cut down)."""

from __future__ import annotations

import re
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import RDF

from omskg.curation.build import BuiltGraph, build_graph
from omskg.curation.records import Statement, load_curated
from omskg.errors import DataError
from omskg.prefixes import IAO, OMS, OMSE

INFERENCE_CODES = {"ECO:0000305", "ECO:0000306"}
INFERENCE_WORDS = re.compile(r"\b(implied|inferred|background knowledge|curator inference)\b", re.I)
# Age words and the only HPO onset terms whose age range is the word's (docs/data-model.md, rule 6).
ONSETS_OF_AGE_GROUPS = {
    "infants": {"HP:0003593"},
    "adults": {"HP:0003581"},
    "children": set(),
    "children-under-two": set(),
}


def _statements(root: Path, data_dir: Path | None = None) -> list[Statement]:
    return load_curated(data_dir or root / "data", root=root).statements


def _data_with(tmp_path: Path, root: Path, name: str, yaml_text: str) -> Path:
    """A copy of the data folder with one more statement file."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(root / "data", data)
    (data / "statements" / name).write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    return data


def _words(st: Statement) -> tuple[str | None, str | None]:
    quantifier = st.qualifiers.get("quantifier", [None])[0]
    group = st.qualifiers.get("groupQuantifier", [None])[0]
    return quantifier, group


def list_problems(statements: list[Statement]) -> list[str]:
    """Lists (records of one subject and relation citing the same passages) whose members carry a
    word of share unevenly: rule 2 of docs/data-model.md."""
    lists: dict[tuple[str, str, str, frozenset[tuple[str, int, int]]], list[Statement]] = defaultdict(list)
    for st in statements:
        spans = frozenset((e.source, e.start, e.end) for e in st.evidence)
        lists[(st.file, st.subject, st.predicate, spans)].append(st)
    problems = []
    for (file, subject, predicate, _), members in lists.items():
        if len({repr(m.object) for m in members}) < 2:
            continue
        words = [_words(m) for m in members]
        groups = {g for _, g in words if g}
        if len(groups) > 1:
            problems.append(f"{file}: {subject} {predicate}: different group words {sorted(groups)}")
        elif groups:
            (group,) = groups
            uneven = [m.object for m, (q, g) in zip(members, words, strict=True) if g != group and q != group]
            if uneven:
                problems.append(f"{file}: {subject} {predicate}: {uneven} lack the group word {group}")
        elif len({q for q, _ in words}) > 1:
            problems.append(f"{file}: {subject} {predicate}: share on some members only: {words}")
    return problems


def test_group_words_are_applied_the_same_way_in_every_list(root: Path) -> None:
    statements = _statements(root)
    assert len(statements) > 200
    assert list_problems(statements) == []


def test_a_class_word_missing_on_its_examples_is_caught(tmp_path: Path, root: Path) -> None:
    """0.4.0: "many" on viral illness, nothing on the viruses named as its examples."""
    data = _data_with(
        tmp_path,
        root,
        "zz-list.yaml",
        """\
        - subject: oms
          predicate: hasTrigger
          object: viral-infection
          qualifiers: {quantifier: Many}
          evidence: [{source: gale-oms, start: 600, end: 700}]
        - subject: oms
          predicate: hasTrigger
          object: influenza
          evidence: [{source: gale-oms, start: 600, end: 700}]
        """,
    )
    problems = list_problems(_statements(root, data))
    assert [p.split("statements/", 1)[1] for p in problems] == [
        "zz-list.yaml: oms hasTrigger: share on some members only: [('Many', None), (None, None)]"
    ]


def inference_problems(statements: list[Statement]) -> list[str]:
    """Notes that call a fact implied, inferred or background knowledge while its evidence says
    the document states it: rule 3."""
    return [
        f"{st.file}:{st.line}: {st.subject} {st.predicate} {st.object}"
        for st in statements
        if st.note
        and INFERENCE_WORDS.search(st.note)
        and any(e.code not in INFERENCE_CODES for e in st.evidence)
    ]


def test_inferences_are_coded_as_the_curators(root: Path) -> None:
    statements = _statements(root)
    coded = [st for st in statements if any(e.code in INFERENCE_CODES for e in st.evidence)]
    assert len(coded) >= 9, "the curators' own definitions and background facts are coded"
    assert inference_problems(statements) == []


def test_an_inference_cited_as_the_documents_is_caught(tmp_path: Path, root: Path) -> None:
    """0.4.0: the St. Louis encephalitis virus, named only through the disease, cited as stated."""
    data = _data_with(
        tmp_path,
        root,
        "zz-inferred.yaml",
        """\
        - subject: st-louis-encephalitis
          predicate: hasCausalAgent
          object: st-louis-encephalitis-virus
          evidence: [{source: gale-oms, start: 665, end: 836}]
          note: The source names the disease only; its causal virus is implied by the name.
        """,
    )
    problems = inference_problems(_statements(root, data))
    assert [p.split("statements/", 1)[1] for p in problems] == [
        "zz-inferred.yaml:1: st-louis-encephalitis hasCausalAgent st-louis-encephalitis-virus"
    ]


def test_effect_qualifiers_are_refused_on_the_statement(tmp_path: Path, root: Path) -> None:
    """0.4.0: "often" of a rapid improvement read as a quantifier of the whole treatment."""
    data = _data_with(
        tmp_path,
        root,
        "zz-effect.yaml",
        """\
        - subject: oms
          predicate: hasTreatment
          object: plasmapheresis
          qualifiers: {benefitOnset: Rapid, quantifier: Often}
          evidence: [{source: gale-oms, start: 4351, end: 4871}]
        """,
    )
    with pytest.raises(DataError) as caught:
        build_graph(root, data_dir=data)
    assert "data/statements/zz-effect.yaml:1: 'benefitOnset': describes the treatment's effect" in str(
        caught.value
    )


def test_a_copy_without_qualifiers_is_refused_naming_both_records(tmp_path: Path, root: Path) -> None:
    """0.4.0: an unqualified "medication triggers OMS" beside the qualified "rarely" record."""
    data = _data_with(
        tmp_path,
        root,
        "zz-copy.yaml",
        """\
        - subject: oms
          predicate: hasTrigger
          object: medication
          evidence: [{source: gale-oms, start: 1396, end: 1581}]
        """,
    )
    with pytest.raises(DataError) as caught:
        build_graph(root, data_dir=data)
    message = str(caught.value)
    assert re.search(
        r"zz-copy\.yaml:1: 'oms hasTrigger medication': repeats the fact of \S*gale-oms\.yaml:\d+", message
    )


def test_prognostic_factors_never_have_outcomes(built: BuiltGraph) -> None:
    """Rule 6: a factor's plain triple must not read "the factor leads to the outcome"."""
    graph = built.graph
    factors = set(graph.subjects(RDF.type, OMS.PrognosticFactor))
    links = list(graph.subject_objects(OMS.isPrognosticFactorFor))
    assert len(links) >= 6
    assert [(s, o) for s, o in graph.subject_objects(OMS.hasOutcome) if s in factors] == []


def test_age_words_carry_only_onsets_of_their_own_range(root: Path) -> None:
    """Rule 6: "children" is not HPO childhood onset (1 to 5 years)."""
    checked = 0
    for st in _statements(root):
        groups = [v for v in [st.object, *st.qualifiers.get("population", [])] if v in ONSETS_OF_AGE_GROUPS]
        for group in groups:
            checked += 1
            wrong = set(st.qualifiers.get("onset", [])) - ONSETS_OF_AGE_GROUPS[group]
            assert not wrong, f"{st.file}:{st.line}: {group} with onset {sorted(wrong)}"
    assert checked >= 20


def test_classifications_hold_for_every_case(root: Path) -> None:
    """Rule 6: a kind that holds only under a condition is given to a subtype, not the whole."""
    hedged = [
        f"{st.file}:{st.line}"
        for st in _statements(root)
        if st.predicate == "isKindOf" and set(st.qualifiers) & {"applicableWhen", "quantifier", "population"}
    ]
    assert hedged == []


def test_the_wrong_statements_of_the_first_review_are_gone(built: BuiltGraph) -> None:
    """The four statements a curator found wrong in 0.4.0, as they now stand."""
    graph = built.graph
    assert (OMSE["neural-crest-cell"], OMS.isKindOf, OMSE.neuron) not in graph
    for treatment in ("therapeutic-apheresis", "immunoadsorption"):
        (statement,) = [
            s
            for s in graph.subjects(RDF.object, OMSE[treatment])
            if graph.value(s, RDF.predicate) == OMS.hasTreatment
        ]
        assert graph.value(statement, OMS.quantifier) is None
        restriction = graph.value(statement, OMS.hasRestriction)
        assert graph.value(restriction, OMS.population) == OMSE.adults
        assert graph.value(restriction, OMS.quantifier) == OMS.Generally
        speeds = {graph.value(e, OMS.quantifier) for e in graph.objects(statement, OMS.hasEffect)}
        assert OMS.Often in speeds
    definition = str(graph.value(OMSE.epilepsy, IAO["0000115"]))
    assert "unprovoked" not in definition and "electrical activity" in definition


def test_examples_run_against_all_curated_lists(root: Path) -> None:
    """The list rule sees the lists it is meant for (a guard against a key that matches nothing)."""
    statements = _statements(root)
    grouped = [st for st in statements if "groupQuantifier" in st.qualifiers]
    assert len(grouped) >= 20
    assert {st.object for st in grouped} >= {"influenza", "lung-neoplasm", "phenytoin", "relapse"}
