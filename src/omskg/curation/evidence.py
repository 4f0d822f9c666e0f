"""Check the evidence of every statement against the source documents themselves.

For each source document: the file is present, and either its SHA-256 digest is the one
recorded, or it is another copy of the same document (other line breaks and spaces, a
paragraph more) in which each passage is found again by its quote
(:mod:`omskg.curation.anchoring`). For each piece of evidence: the passage is found (at
its offsets in our copy, where its quote must match too; by the quote in another copy,
reporting where), and it names the statement's subject, object or a qualifier entity by its
label, a synonym or a recorded spelling.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, Graph, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from omskg.curation.anchoring import Placement, Quote, at_position, place
from omskg.curation.build import BuiltGraph
from omskg.prefixes import OA, OBOINOWL, OMS, load_prefix_map

NAME_PROPERTIES = (
    RDFS.label,
    DCTERMS.title,
    OBOINOWL.hasExactSynonym,
    OBOINOWL.hasRelatedSynonym,
    SKOS.hiddenLabel,
)


@dataclass(frozen=True)
class EvidenceCheck:
    """Counts of what was checked and the problems found, one line each; ``copies`` names the
    documents that are not our copy byte for byte, and ``moved`` says where each passage was
    found in them when its offsets differ from ours."""

    documents: int
    evidence: int
    problems: tuple[str, ...]
    copies: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def normalise(text: str) -> str:
    """Lower case, every run of non-alphanumeric characters one space, padded with spaces.

    >>> normalise("Opsoclonus-Myoclonus (OMS)")
    ' opsoclonus myoclonus oms '
    """
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def mentions(passage: str, names: list[str]) -> bool:
    """True when ``passage`` contains one of ``names`` as whole words (a plural ending allowed).

    >>> mentions("tumors of the lung", ["tumor"])
    True
    >>> mentions("humorous", ["tumor"])
    False
    """
    text = normalise(passage)
    return any(
        re.search(re.escape(normalise(name).rstrip()) + r"(s|es)? ", text)
        for name in names
        if normalise(name).strip()
    )


def verify_evidence(built: BuiltGraph, sources_dir: Path) -> EvidenceCheck:
    """Verify every evidence of ``built`` against the documents in ``sources_dir``."""
    graph = built.graph
    texts: dict[Node, str] = {}
    copies: list[str] = []
    copied: set[Node] = set()
    problems: list[str] = []
    for doc in sorted(graph.subjects(RDF.type, OMS.SourceDocument), key=str):
        name = str(graph.value(doc, OMS.fileName))
        path = sources_dir / name
        if not path.is_file():
            title = graph.value(doc, DCTERMS.title)
            problems.append(
                f"{path}: no copy of {load_prefix_map().curie(str(doc))} ({title}) here; save your copy "
                f"of it in {sources_dir} under the name {name}"
            )
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != str(graph.value(doc, OMS.sha256)):
            copied.add(doc)
            copies.append(
                f"{path}: SHA-256 {digest} differs from the recorded digest; "
                "finding each passage by its quote"
            )
        try:
            texts[doc] = data.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})")
    count = 0
    moved: list[str] = []
    for statement in sorted(graph.subjects(RDF.type, OMS.Statement), key=str):
        names = _names(graph, statement)
        where = built.origin(statement) or load_prefix_map().curie(str(statement))
        for evidence in sorted(graph.objects(statement, OMS.hasEvidence), key=str):
            count += 1
            source = graph.value(evidence, OA.hasSource)
            if source is None or source not in texts:
                continue
            found, problem = _check_span(graph, evidence, texts[source], names, copy=source in copied)
            if problem:
                problems.append(f"{where}: {problem}")
            elif found is not None and found.how == "quote":
                moved.append(f"{where}: {_span(graph, evidence)} found at {found.start}-{found.end}")
    return EvidenceCheck(len(texts), count, tuple(problems), tuple(copies), tuple(moved))


def offsets(graph: Graph, evidence: Node) -> tuple[int, int] | None:
    """The start and end of a piece of evidence, read from its ``TextPositionSelector``; None
    when it has none or its offsets are not integers."""
    for selector in graph.objects(evidence, OA.hasSelector):
        if (selector, RDF.type, OA.TextPositionSelector) in graph:
            try:
                return int(str(graph.value(selector, OA.start))), int(str(graph.value(selector, OA.end)))
            except ValueError:
                return None
    return None


def selector_triples(graph: Graph, evidence: Node) -> list[tuple[Node, Node, Node]]:
    """Every triple of the selectors of a piece of evidence: its position, its quote and the
    quote's two text quotes (what goes with the evidence when it is moved or framed)."""
    triples: list[tuple[Node, Node, Node]] = []
    for selector in graph.objects(evidence, OA.hasSelector):
        triples += graph.triples((selector, None, None))
        for prop in (OA.hasStartSelector, OA.hasEndSelector):
            for part in graph.objects(selector, prop):
                triples += graph.triples((part, None, None))
    return triples


def quote(graph: Graph, evidence: Node) -> Quote | None:
    """The quote of a piece of evidence, read from its ``RangeSelector``, or None."""
    for selector in graph.objects(evidence, OA.hasSelector):
        if (selector, RDF.type, OA.RangeSelector) in graph:
            first = graph.value(selector, OA.hasStartSelector)
            last = graph.value(selector, OA.hasEndSelector)
            return Quote(
                *(
                    str(graph.value(node, prop) or "")
                    for node, prop in (
                        (first, OA.prefix),
                        (first, OA.exact),
                        (last, OA.exact),
                        (last, OA.suffix),
                    )
                )
            )
    return None


def _span(graph: Graph, evidence: Node) -> str:
    source = graph.value(evidence, OA.hasSource)
    span = offsets(graph, evidence)
    where = f"{span[0]}-{span[1]}" if span else "?"
    return f"{load_prefix_map().curie(str(source))} {where}"


def _check_span(
    graph: Graph, evidence: Node, text: str, names: list[str], *, copy: bool
) -> tuple[Placement | None, str | None]:
    """Where the passage is (our copy: at its offsets; another copy: by its quote) and what is
    wrong with it, if anything."""
    span = offsets(graph, evidence)
    if span is None:
        return None, f"evidence {load_prefix_map().curie(str(evidence))} has no usable offsets"
    first, last = span
    quoted = quote(graph, evidence)
    if not copy:
        if not 0 <= first < last <= len(text):
            return None, f"offsets {first}-{last} fall outside the document (0-{len(text)})"
        if quoted is not None and not at_position(text, first, last, quoted):
            return None, f"the quote of {first}-{last} does not match the passage there; write it again"
        found = Placement(first, last, "position")
    elif quoted is None:
        return None, f"{_span(graph, evidence)} has no quote to find it by in another copy"
    else:
        found = place(text, first, last, quoted)
        if found.start is None or found.end is None:
            return found, f"{_span(graph, evidence)} not placed: {found.missing} are not in this copy"
    if not mentions(text[found.start : found.end], names):
        return found, (
            f"passage {found.start}-{found.end} names none of: {', '.join(sorted(set(names))[:6])}; "
            "widen the span or add the wording as a synonym"
        )
    return found, None


def _names(graph: Graph, statement: Node) -> list[str]:
    """Labels, synonyms and spellings of the subject, object and qualifier values."""
    terms = [graph.value(statement, RDF.subject), graph.value(statement, RDF.object)]
    for prop, value in graph.predicate_objects(statement):
        if (prop, RDFS.subPropertyOf, OMS.qualifier) in graph:
            terms.append(value)
    return [
        str(name)
        for term in terms
        if isinstance(term, URIRef)
        for prop in NAME_PROPERTIES
        for name in graph.objects(term, prop)
    ]
