"""Compare two releases: which statements were added, removed or changed, in human terms
and as RDF.

Statement IRIs are a hash of subject, predicate, object and qualifiers, so a fact
keeps its IRI from release to release. Two statements with the same subject,
predicate and object but different IRIs are the same fact with changed
qualifiers; the same IRI with different evidence or notes is a fact whose
support changed. The RDF form is the exact triple difference: a TriG dataset
with the triples only in the old release in one named graph and those only in
the new release in another.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import zip_longest

from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from omskg.curation.evidence import offsets
from omskg.curation.ontology import curated_entities
from omskg.prefixes import OA, OMS, OMSG, load_prefix_map

REMOVED_GRAPH = OMSG["diff/removed"]
ADDED_GRAPH = OMSG["diff/added"]
_STRUCTURE = {RDF.type, RDF.subject, RDF.predicate, RDF.object, OMS.hasEvidence, OMS.curationNote}
_CLAUSE_LINKS = {OMS.hasEffect, OMS.hasRestriction}


@dataclass(frozen=True)
class StatementView:
    """A statement as a reader sees it: the fact, its qualifiers, its evidence and note."""

    iri: URIRef
    fact: tuple[Node, Node, Node]
    qualifiers: frozenset[tuple[Node, Node]]
    evidence: frozenset[tuple[str, int, int]]
    notes: frozenset[str]


@dataclass
class ReleaseDiff:
    """What changed between two releases."""

    added: list[StatementView] = field(default_factory=list)
    removed: list[StatementView] = field(default_factory=list)
    changed: list[tuple[StatementView, StatementView]] = field(default_factory=list)
    entities_added: list[URIRef] = field(default_factory=list)
    entities_removed: list[URIRef] = field(default_factory=list)
    triples_removed: Graph = field(default_factory=Graph)
    triples_added: Graph = field(default_factory=Graph)

    @property
    def empty(self) -> bool:
        """True when the two releases hold the same triples."""
        return not self.triples_added and not self.triples_removed

    def as_dataset(self) -> Dataset:
        """The triple difference as a dataset of two named graphs (removed, added)."""
        dataset = Dataset()
        load_prefix_map().bind(dataset)
        for name, triples in ((REMOVED_GRAPH, self.triples_removed), (ADDED_GRAPH, self.triples_added)):
            target = dataset.graph(name)
            for triple in sorted(triples):
                target.add(triple)
        return dataset


def statements(graph: Graph) -> dict[URIRef, StatementView]:
    """Every ``oms:Statement`` of ``graph`` as a :class:`StatementView`, by IRI."""
    views = {}
    for node in graph.subjects(RDF.type, OMS.Statement):
        if not isinstance(node, URIRef):
            continue
        subject, predicate, obj = (graph.value(node, p) for p in (RDF.subject, RDF.predicate, RDF.object))
        if subject is None or predicate is None or obj is None:
            continue
        qualifiers = frozenset(
            (p, _part(graph, o) if p in _CLAUSE_LINKS else o)
            for p, o in graph.predicate_objects(node)
            if p not in _STRUCTURE
        )
        views[node] = StatementView(
            node,
            (subject, predicate, obj),
            qualifiers,
            frozenset(_evidence(graph, e) for e in graph.objects(node, OMS.hasEvidence)),
            frozenset(str(n) for n in graph.objects(node, OMS.curationNote)),
        )
    return views


def _part(graph: Graph, node: Node) -> Literal:
    """An effect or restriction as one text of its CURIE-named properties and values, so that a
    change inside it reads as a change of the statement, not of an opaque node."""
    prefixes = load_prefix_map()

    def name(term: Node) -> str:
        return prefixes.curie(str(term)) if isinstance(term, URIRef) else str(term)

    return Literal(
        ", ".join(sorted(f"{name(p)} {name(o)}" for p, o in graph.predicate_objects(node) if p != RDF.type))
    )


def _evidence(graph: Graph, evidence: Node) -> tuple[str, int, int]:
    source = graph.value(evidence, OA.hasSource)
    start, end = offsets(graph, evidence) or (-1, -1)
    local = load_prefix_map().curie(str(source))
    return local.split(":", 1)[-1], start, end


def diff_releases(old: Graph, new: Graph) -> ReleaseDiff:
    """Compare two releases' graphs."""
    result = ReleaseDiff()
    result.triples_removed = _difference(old, new)
    result.triples_added = _difference(new, old)
    before, after = statements(old), statements(new)
    by_fact_old, by_fact_new = _by_fact(before, set(after)), _by_fact(after, set(before))
    for fact in sorted(set(by_fact_old) | set(by_fact_new)):
        olds, news = by_fact_old.get(fact, []), by_fact_new.get(fact, [])
        for was, now in zip_longest(olds, news):
            if was is None:
                result.added.append(now)
            elif now is None:
                result.removed.append(was)
            else:
                result.changed.append((was, now))
    for iri in sorted(set(before) & set(after)):
        if before[iri] != after[iri]:
            result.changed.append((before[iri], after[iri]))
    old_entities, new_entities = set(curated_entities(old)), set(curated_entities(new))
    result.entities_added = sorted(new_entities - old_entities)
    result.entities_removed = sorted(old_entities - new_entities)
    return result


def _difference(left: Graph, right: Graph) -> Graph:
    out = Graph()
    for triple in left:
        if triple not in right:
            out.add(triple)
    return out


Fact = tuple[Node, Node, Node]


def _by_fact(views: dict[URIRef, StatementView], other: set[URIRef]) -> dict[Fact, list[StatementView]]:
    """Statements whose IRI the other release lacks, grouped by their fact, sorted by IRI."""
    groups: dict[Fact, list[StatementView]] = defaultdict(list)
    for iri in sorted(set(views) - other):
        groups[views[iri].fact].append(views[iri])
    return groups


class Describer:
    """Labels for IRIs, taken from the new release first, then the old one."""

    def __init__(self, *graphs: Graph) -> None:
        self.graphs = graphs
        self.prefixes = load_prefix_map()

    def name(self, term: Node) -> str:
        if isinstance(term, Literal):
            return f'"{term}"'
        for graph in self.graphs:
            label = graph.value(term, RDFS.label)
            if label is not None:
                return str(label)
        return self.prefixes.curie(str(term))

    def fact(self, view: StatementView) -> str:
        subject, predicate, obj = (self.name(t) for t in view.fact)
        return f"{subject} | {predicate} | {obj}"

    def details(self, view: StatementView) -> str:
        qualifiers = sorted(f"{self.name(p)}: {self.name(o)}" for p, o in view.qualifiers)
        evidence = sorted(f"{doc} {start}-{end}" for doc, start, end in view.evidence)
        parts = [f"[{'; '.join(qualifiers)}]"] if qualifiers else []
        return " ".join([*parts, f"({', '.join(evidence)})"])

    def change(self, was: StatementView, now: StatementView) -> list[str]:
        lines = [f"~ {self.fact(now)}"]
        for label, old, new in (
            ("qualifier", self._qualifiers(was), self._qualifiers(now)),
            (
                "evidence",
                {f"{d} {s}-{e}" for d, s, e in was.evidence},
                {f"{d} {s}-{e}" for d, s, e in now.evidence},
            ),
            ("note", set(was.notes), set(now.notes)),
        ):
            lines += [f"    - {label} {item}" for item in sorted(old - new)]
            lines += [f"    + {label} {item}" for item in sorted(new - old)]
        return lines

    def _qualifiers(self, view: StatementView) -> set[str]:
        return {f"{self.name(p)}: {self.name(o)}" for p, o in view.qualifiers}


def report(diff: ReleaseDiff, old: Graph, new: Graph) -> list[str]:
    """The difference in human terms: one line per statement, details indented."""
    describe = Describer(new, old)
    lines = [
        f"statements: {len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed; "
        f"entities: {len(diff.entities_added)} added, {len(diff.entities_removed)} removed; "
        f"triples: {len(diff.triples_added)} added, {len(diff.triples_removed)} removed"
    ]
    lines += [f"+ {describe.fact(v)} {describe.details(v)}" for v in _ordered(describe, diff.added)]
    lines += [f"- {describe.fact(v)} {describe.details(v)}" for v in _ordered(describe, diff.removed)]
    for was, now in sorted(diff.changed, key=lambda pair: describe.fact(pair[1])):
        lines += describe.change(was, now)
    lines += [
        f"+ entity {describe.name(e)} ({describe.prefixes.compress(str(e))})" for e in diff.entities_added
    ]
    lines += [
        f"- entity {describe.name(e)} ({describe.prefixes.compress(str(e))})" for e in diff.entities_removed
    ]
    return lines


def _ordered(describe: Describer, views: list[StatementView]) -> list[StatementView]:
    return sorted(views, key=lambda v: (describe.fact(v), str(v.iri)))
