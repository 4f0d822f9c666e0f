"""What the web pages show, read from the built graph: one :class:`EntityPage` per IRI,
search by label or synonym, the list of conditions.

The module knows nothing of HTTP or HTML; :mod:`omskg.web.server` renders what it returns.
Every IRI under the project's base (``https://w3id.org/omskg/``) is linked to its local
page (``/entity/oms``); other IRIs link out to their own vocabularies.

>>> from omskg.curation.build import build_graph
>>> site = Site(build_graph().graph)
>>> page = site.page("https://w3id.org/omskg/entity/clonazepam")
>>> page.label, page.curie
('clonazepam', 'omse:clonazepam')
>>> [hit.label for hit in site.search("clonaz")]
['clonazepam']
>>> [hit.label for hit in site.suggest("clonazepan")]
['clonazepam']
"""

from __future__ import annotations

import difflib
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from omskg.curation.evidence import normalise, offsets
from omskg.hpo_files import hpo_term_names
from omskg.prefixes import IAO, OA, OBOINOWL, OMS, OMSE, load_prefix_map
from omskg.release.schemaorg import conditions
from omskg.web.sections import ITSELF, NAMED_BY, Placed, arrange

BASE = "https://w3id.org/omskg/"
_XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
DEFINITION = IAO["0000115"]
SYNONYMS = {
    OBOINOWL.hasExactSynonym: "exact",
    OBOINOWL.hasRelatedSynonym: "related",
    OBOINOWL.hasBroadSynonym: "broad",
    OBOINOWL.hasNarrowSynonym: "narrow",
    SKOS.altLabel: "alternative",
    SKOS.hiddenLabel: "spelling seen in a source",
}
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
# Shown in their own sections, so left out of the table of other properties.
_SHOWN = {RDF.type, RDFS.label, DEFINITION, *SYNONYMS, *MAPPINGS}
_STATEMENT_PARTS = {RDF.type, RDF.subject, RDF.predicate, RDF.object, OMS.hasEvidence, OMS.curationNote}
# A statement's parts with hedges of their own (docs/data-model.md), shown written out.
_CLAUSE_LINKS = {OMS.hasEffect, OMS.hasRestriction}
_NAMES = (RDFS.label, DCTERMS.title, *SYNONYMS)
# Names for the reused terms the graph states without a label of its own.
_KNOWN_LABELS: dict[Node, str] = {
    DEFINITION: "definition",
    RDFS.label: "label",
    DCTERMS.title: "title",
    SKOS.exactMatch: "exact match",
    SKOS.closeMatch: "close match",
    SKOS.broadMatch: "broad match",
    SKOS.narrowMatch: "narrow match",
    SKOS.relatedMatch: "related match",
    **{prop: f"{kind} synonym" for prop, kind in SYNONYMS.items() if prop.startswith(str(OBOINOWL))},
    SKOS.hiddenLabel: "spelling seen in a source",
}


def local_path(iri: str) -> str | None:
    """The path of ``iri`` on this server, or None when it lies outside the project's base.

    >>> local_path("https://w3id.org/omskg/entity/oms")
    '/entity/oms'
    >>> local_path("http://purl.obolibrary.org/obo/HP_0001336") is None
    True
    """
    return "/" + iri[len(BASE) :] if iri.startswith(BASE) and len(iri) > len(BASE) else None


@dataclass(frozen=True)
class Link:
    """A node as shown: its text, where a click goes, its CURIE and whether it leaves the site."""

    text: str
    href: str | None = None
    curie: str | None = None
    external: bool = False
    kind: str = ""


@dataclass(frozen=True)
class Evidence:
    """Where a statement is said: the document, the span (code points, end exclusive) and,
    when the document is at hand with the recorded digest, the passage itself."""

    iri: Link
    document: Link
    start: int
    end: int
    code: Link | None
    passage: str | None


@dataclass(frozen=True)
class Qualifier:
    name: Link
    values: tuple[Link, ...]


@dataclass(frozen=True)
class StatementView:
    """A reified statement: subject, relation, object, qualifiers, curator's note, evidence."""

    iri: Link
    anchor: str
    subject: Link
    predicate: Link
    object: Link
    qualifiers: tuple[Qualifier, ...]
    note: str | None
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Section:
    """A part of an entity's page: its anchor, heading and statements; ``show_subject`` when
    the statements are about other things (they name the entity)."""

    id: str
    title: str
    statements: tuple[StatementView, ...]
    show_subject: bool = False


@dataclass(frozen=True)
class PropertyValues:
    predicate: Link
    values: tuple[Link, ...]


@dataclass(frozen=True)
class Neighbour:
    """A node next to the page's entity in the graph view, and the relation joining them."""

    node: Link
    relation: str
    outgoing: bool


@dataclass(frozen=True)
class EntityPage:
    """Everything the page of one IRI shows."""

    iri: str
    curie: str | None
    label: str
    types: tuple[Link, ...]
    definition: str | None
    synonyms: tuple[tuple[str, str], ...]
    mappings: tuple[tuple[str, Link], ...]
    sections: tuple[Section, ...]
    properties: tuple[PropertyValues, ...]
    incoming: tuple[PropertyValues, ...]
    neighbours: tuple[Neighbour, ...]
    citation: str | None = None


@dataclass(frozen=True)
class Hit:
    """A search result: the entity, its label, the name that matched and the kind of match."""

    link: Link
    label: str
    matched: str
    rank: int


@dataclass
class Site:
    """The built graph with the indexes the pages need, and optionally the source documents.

    ``sources`` is a folder holding the source documents; a document is used only when
    its SHA-256 digest is the one the graph records, so passages match their offsets.
    """

    graph: Graph
    sources: Path | None = None
    _about: dict[Node, list[URIRef]] = field(default_factory=dict, init=False, repr=False)
    _naming: dict[Node, list[URIRef]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        about: defaultdict[Node, list[URIRef]] = defaultdict(list)
        naming: defaultdict[Node, list[URIRef]] = defaultdict(list)
        qualifiers = self._qualifiers
        for statement in self.graph.subjects(RDF.type, OMS.Statement):
            if not isinstance(statement, URIRef):
                continue
            for prop, value in self.graph.predicate_objects(statement):
                if prop == RDF.subject:
                    about[value].append(statement)
                elif prop == RDF.object or prop in qualifiers:
                    naming[value].append(statement)
        self._about = {k: sorted(set(v)) for k, v in about.items()}
        self._naming = {k: sorted(set(v)) for k, v in naming.items()}

    # -- names and links -------------------------------------------------------

    @cached_property
    def _labels(self) -> dict[Node, str]:
        labels: dict[Node, str] = {}
        for prop in (DCTERMS.title, RDFS.label):  # a label wins over a title
            for subject, value in self.graph.subject_objects(prop):
                labels[subject] = str(value)
        return labels

    @cached_property
    def _kinds(self) -> dict[Node, str]:
        kinds: dict[Node, str] = {}
        for subject, cls in sorted(self.graph.subject_objects(RDF.type)):
            kinds.setdefault(subject, self.label(cls) if isinstance(cls, URIRef) else "")
        return kinds

    def curie(self, iri: str) -> str | None:
        return load_prefix_map().compress(iri)

    def label(self, node: Node) -> str:
        """The node's label (or title), else its CURIE, else the IRI."""
        if node in self._labels:
            return self._labels[node]
        if node in _KNOWN_LABELS:
            return _KNOWN_LABELS[node]
        if isinstance(node, URIRef):
            curie = self.curie(str(node))
            name = hpo_term_names().get(curie or "") if (curie or "").startswith("HP:") else None
            return _reader_case(name) if name else curie or str(node)
        return str(node)

    def link(self, node: Node) -> Link:
        """How ``node`` is shown: IRIs link to their page here or out, a term of another
        vocabulary by its name and code ("obligate (HP:0040280)"); literals are text."""
        if isinstance(node, URIRef):
            iri = str(node)
            here = local_path(iri)
            text, curie = self.label(node), self.curie(iri)
            if here is None and curie and text != curie:
                text = f"{text} ({curie})"
            return Link(text, here or iri, curie, here is None, self._kinds.get(node, ""))
        if isinstance(node, Literal):
            return Link(_literal_text(node))
        return Link(self._blank_text(node))

    def _blank_text(self, node: Node, depth: int = 0) -> str:
        """A blank node written out in brackets, Turtle-like: ``[path subject; min count 1]``."""
        if depth > 3:
            return "[…]"
        parts = []
        for prop, value in sorted(self.graph.predicate_objects(node), key=_text_pair):
            shown = self._blank_text(value, depth + 1) if isinstance(value, BNode) else self.link(value).text
            parts.append(f"{self.label(prop)} {shown}")
        return "[" + "; ".join(parts) + "]"

    def exists(self, iri: str) -> bool:
        """True when the graph says anything with ``iri`` as subject or object."""
        node = URIRef(iri)
        return (node, None, None) in self.graph or (None, None, node) in self.graph

    # -- pages ---------------------------------------------------------------------

    def page(self, iri: str) -> EntityPage | None:
        """The page of ``iri``, or None when the graph does not know it."""
        if not self.exists(iri):
            return None
        node = URIRef(iri)
        g = self.graph
        return EntityPage(
            iri=iri,
            curie=self.curie(iri),
            label=self.label(node),
            types=tuple(self.link(t) for t in _sorted_values(g.objects(node, RDF.type))),
            definition=_first(g.objects(node, DEFINITION)),
            synonyms=tuple(
                (kind, str(value))
                for prop, kind in SYNONYMS.items()
                for value in sorted(g.objects(node, prop), key=lambda v: (str(v).lower(), str(v)))
            ),
            mappings=tuple(
                (self.label(prop), self.link(target))
                for prop in MAPPINGS
                for target in _sorted_values(g.objects(node, prop))
            ),
            sections=self._sections(node),
            properties=self._outgoing(node),
            incoming=self._incoming(node),
            neighbours=self._neighbours(node),
            citation=_first(g.objects(node, DCTERMS.bibliographicCitation)),
        )

    def _sections(self, node: URIRef) -> tuple[Section, ...]:
        """The statements about ``node`` and those naming it, in the sections of
        :mod:`omskg.web.sections`; a statement's own page shows it first."""
        g = self.graph
        placed = [
            (statement, self._placed(statement, names_entity=False))
            for statement in self._about.get(node, [])
        ] + [
            (
                statement,
                self._placed(statement, names_entity=True, as_object=g.value(statement, RDF.object) == node),
            )
            for statement in self._naming.get(node, [])
        ]
        arranged = [
            Section(kind.id, kind.title, tuple(self.statement(s) for s in statements), kind in NAMED_BY)
            for kind, statements in arrange(placed, g.objects(node, RDF.type))  # type: ignore[arg-type]
        ]
        if (node, RDF.type, OMS.Statement) in g:
            arranged.insert(0, Section(ITSELF.id, ITSELF.title, (self.statement(node),), True))
        return tuple(arranged)

    def _placed(self, statement: URIRef, *, names_entity: bool, as_object: bool = True) -> Placed:
        """Where ``statement`` goes on a page; ``as_object`` False when it names the page's
        entity in a qualifier only (the relation then is not the entity's)."""
        g = self.graph
        line = g.value(statement, OMS.treatmentLine)
        parts = (g.value(statement, RDF.subject), g.value(statement, RDF.object))
        return Placed(
            relation=g.value(statement, RDF.predicate) if as_object else None,  # type: ignore[arg-type]
            names_entity=names_entity,
            line=line if isinstance(line, URIRef) else None,
            key=(*(self.label(p).lower() for p in parts if p is not None), str(statement)),
        )

    @cached_property
    def _conditions(self) -> frozenset[URIRef]:
        return frozenset(conditions(self.graph))

    def statement(self, node: URIRef) -> StatementView:
        """The view of one reified statement."""
        g = self.graph
        qualifiers = [
            Qualifier(
                self.link(prop),
                tuple(
                    self.part(v) if prop in _CLAUSE_LINKS else self.link(v)
                    for v in _sorted_values(g.objects(node, prop))
                ),
            )
            for prop in _sorted_values(set(g.predicates(node)) - _STATEMENT_PARTS)
        ]
        return StatementView(
            iri=self.link(node),
            anchor="st-" + str(node).rsplit("/", 1)[-1],
            subject=self.link(g.value(node, RDF.subject)),  # type: ignore[arg-type]
            predicate=self.link(g.value(node, RDF.predicate)),  # type: ignore[arg-type]
            object=self.link(g.value(node, RDF.object)),  # type: ignore[arg-type]
            qualifiers=tuple(qualifiers),
            note=_first(g.objects(node, OMS.curationNote)),
            evidence=tuple(self.evidence(e) for e in _sorted_values(g.objects(node, OMS.hasEvidence))),
        )

    def part(self, node: Node) -> Link:
        """A statement's effect or restriction written out with its own hedge.

        For example ``speed of benefit rapid; quantifier often``.
        """
        shown = self.link(node)
        parts = [
            f"{self.label(prop)} {self.link(value).text}"
            for prop, value in sorted(self.graph.predicate_objects(node), key=_text_pair)
            if prop != RDF.type
        ]
        return Link("; ".join(parts), shown.href, shown.curie, shown.external, shown.kind)

    def evidence(self, node: Node) -> Evidence:
        """Document, span, evidence code and (when the document is at hand) the passage."""
        g = self.graph
        document = g.value(node, OA.hasSource)
        start, end = offsets(g, node) or (0, 0)
        code = g.value(node, OMS.evidenceCode)
        text = self._texts.get(document) if document is not None else None
        return Evidence(
            iri=self.link(node),
            document=self.link(document) if document is not None else Link("(no document)"),
            start=start,
            end=end,
            code=self.link(code) if code is not None else None,
            passage=text[start:end] if text is not None else None,
        )

    @cached_property
    def _texts(self) -> dict[Node, str]:
        """The source documents found in ``sources`` with the digest the graph records."""
        texts: dict[Node, str] = {}
        if self.sources is None:
            return texts
        for document in self.graph.subjects(RDF.type, OMS.SourceDocument):
            path = self.sources / str(self.graph.value(document, OMS.fileName))
            if not path.is_file():
                continue
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() == str(self.graph.value(document, OMS.sha256)):
                texts[document] = data.decode("utf-8")
        return texts

    @property
    def documents_at_hand(self) -> int:
        return len(self._texts)

    @cached_property
    def _qualifiers(self) -> frozenset[Node]:
        found = self.graph.transitive_subjects(RDFS.subPropertyOf, OMS.qualifier)
        return frozenset(p for p in found if p is not None)

    def _outgoing(self, node: URIRef) -> tuple[PropertyValues, ...]:
        """The node's other properties; a statement's parts are left out (its block shows them)."""
        g = self.graph
        skip: set[Node] = set(_SHOWN)
        if (node, RDF.type, OMS.Statement) in g:
            skip |= _STATEMENT_PARTS | self._qualifiers
        return tuple(
            PropertyValues(self.link(p), tuple(self.link(v) for v in _sorted_values(g.objects(node, p))))
            for p in _sorted_values(set(g.predicates(node)) - skip)
        )

    def _incoming(self, node: URIRef) -> tuple[PropertyValues, ...]:
        """Triples pointing at ``node``, statements' own parts left out (they have a section)."""
        by_predicate: defaultdict[Node, list[Node]] = defaultdict(list)
        statement_parts = self._qualifiers | {RDF.subject, RDF.object, RDF.predicate}
        for subject, prop in self.graph.subject_predicates(node):
            if prop not in statement_parts:
                by_predicate[prop].append(subject)
        return tuple(
            PropertyValues(self.link(p), tuple(self.link(s) for s in _sorted_values(set(subjects))))
            for p, subjects in sorted(by_predicate.items(), key=lambda item: str(item[0]))
        )

    def _neighbours(self, node: URIRef) -> tuple[Neighbour, ...]:
        """Entities (``omse:``) joined to ``node`` by a plain triple either way, types aside."""
        g = self.graph
        seen: dict[Node, Neighbour] = {}
        for prop, value in sorted(g.predicate_objects(node), key=_text_pair):
            if str(value).startswith(OMSE) and prop not in _SHOWN and value != node:
                seen.setdefault(value, Neighbour(self.link(value), self.label(prop), True))
        for subject, prop in sorted(g.subject_predicates(node), key=_text_pair):
            if str(subject).startswith(OMSE) and prop not in _SHOWN and subject != node:
                seen.setdefault(subject, Neighbour(self.link(subject), self.label(prop), False))
        return tuple(seen.values())

    # -- search and lists ----------------------------------------------------------

    @cached_property
    def _names(self) -> list[tuple[str, str, URIRef]]:
        """(normalised name, name, entity) for every label, title and synonym of an entity."""
        names: list[tuple[str, str, URIRef]] = []
        statements = set(self.graph.subjects(RDF.type, OMS.Statement))
        for prop in _NAMES:
            for subject, value in self.graph.subject_objects(prop):
                if isinstance(subject, URIRef) and subject not in statements and isinstance(value, Literal):
                    names.append((normalise(str(value)).strip(), str(value), subject))
        return sorted(names)

    def search(self, text: str, *, limit: int = 50) -> list[Hit]:
        """Entities whose label, title or synonym contains ``text`` (case and punctuation
        ignored): exact matches first, then names starting with it, then the rest."""
        wanted = normalise(text).strip()
        if not wanted:
            return []
        best: dict[URIRef, Hit] = {}
        for name, shown, entity in self._names:
            if wanted not in name:
                continue
            rank = 0 if name == wanted else 1 if name.startswith(wanted) else 2
            hit = Hit(self.link(entity), self.label(entity), shown, rank)
            if entity not in best or rank < best[entity].rank:
                best[entity] = hit
        return sorted(best.values(), key=lambda h: (h.rank, h.label.lower(), h.link.href or ""))[:limit]

    def suggest(self, text: str, *, limit: int = 10) -> list[Hit]:
        """What :meth:`search` finds, else the entities with a name spelt close to ``text``
        (a typing slip: ``clonazepan`` suggests clonazepam)."""
        hits = self.search(text, limit=limit)
        if hits:
            return hits
        by_name = {name: (shown, entity) for name, shown, entity in reversed(self._names)}
        close = difflib.get_close_matches(normalise(text).strip(), list(by_name), n=limit, cutoff=0.75)
        found: dict[URIRef, Hit] = {}
        for name in close:
            shown, entity = by_name[name]
            found.setdefault(entity, Hit(self.link(entity), self.label(entity), shown, 3))
        return list(found.values())

    def condition_links(self) -> list[tuple[Link, int]]:
        """Each condition, and each clinical finding that statements are about (myoclonus), with
        the number of statements about it or naming it, most described first."""
        findings = {n for n in self._about if (n, RDF.type, OMS.ClinicalFinding) in self.graph}
        counted = [
            (self.link(c), len({*self._about.get(c, []), *self._naming.get(c, [])}))
            for c in self._conditions | findings
        ]
        return sorted(counted, key=lambda pair: (-pair[1], pair[0].text.lower()))

    def describe(self, iri: str) -> Graph:
        """The symmetric concise bounded description of ``iri``: every triple with it as
        subject or object, and the blank nodes below those (none in the built graph)."""
        node = URIRef(iri)
        description = Graph()
        load_prefix_map().bind(description)
        for triple in self.graph.triples((node, None, None)):
            description.add(triple)
            _add_blank_closure(self.graph, triple[2], description)
        for triple in self.graph.triples((None, None, node)):
            description.add(triple)
        return description


def _add_blank_closure(graph: Graph, node: Node, into: Graph) -> None:
    if isinstance(node, BNode):
        for triple in graph.triples((node, None, None)):
            if triple not in into:
                into.add(triple)
                _add_blank_closure(graph, triple[2], into)


def _text_pair(pair: tuple[Node, Node]) -> tuple[str, str]:
    return str(pair[0]), str(pair[1])


def _reader_case(name: str) -> str:
    """An HPO name as running text: "Adult onset" -> "adult onset" (not "HIV" -> "hIV")."""
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def _first(values: Iterable[Node]) -> str | None:
    ordered = sorted(str(v) for v in values)
    return ordered[0] if ordered else None


def _sorted_values(values: Iterable[Node]) -> list[Node]:
    """IRIs first, then literals, each in text order."""
    return sorted(values, key=lambda v: (not isinstance(v, URIRef), str(v)))


def _literal_text(literal: Literal) -> str:
    """The literal as a reader says it: numbers, dates and years as written, a boolean as yes
    or no, a duration in words (``P140D``: 20 weeks); any other datatype named after the
    text (``… (xsd:anyURI)``).

    >>> pairs = (("P140D", "duration"), ("PT3360H", "duration"), ("P1Y6M", "duration"),
    ...          ("false", "boolean"), ("3603", "nonNegativeInteger"))
    >>> [_literal_text(Literal(v, datatype=XSD[t])) for v, t in pairs]
    ['20 weeks', '20 weeks', '1 year 6 months', 'no', '3603']
    """
    if literal.language or literal.datatype in (None, _XSD_STRING):
        return str(literal)
    kind = str(literal.datatype).removeprefix(str(XSD))
    if kind == "boolean" and literal.value is not None:
        return "yes" if literal.value else "no"
    if kind == "duration" and literal.value is not None:
        return _duration_words(literal.value)
    if kind in _AS_WRITTEN:
        return str(literal)
    return f"{literal} ({load_prefix_map().curie(str(literal.datatype))})"


_AS_WRITTEN = {
    "integer", "nonNegativeInteger", "positiveInteger", "decimal", "double", "float", "date", "dateTime",
    "gYear", "gYearMonth",
}  # fmt: skip


def _duration_words(value: object) -> str:
    """``timedelta(days=140)`` as "20 weeks"; an ``isodate.Duration`` in years and months too."""
    years, months = int(getattr(value, "years", 0)), int(getattr(value, "months", 0))
    delta = getattr(value, "tdelta", value)
    seconds = int(delta.total_seconds()) if isinstance(delta, timedelta) else 0
    days, rest = divmod(seconds, 86_400)
    hours = rest // 3600
    weeks = days // 7 if days and days % 7 == 0 else 0
    parts = [
        (years, "year"),
        (months, "month"),
        (weeks, "week"),
        (0 if weeks else days, "day"),
        (hours, "hour"),
    ]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words) or "no time"
