"""Check the evidence of every statement against the source documents themselves.

For each source document: the file is present and its SHA-256 digest is the one
recorded. For each piece of evidence: the offsets fall inside the document and
the passage names the statement's subject, object or a qualifier entity by its
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
    """Counts of what was checked and the problems found, one line each."""

    documents: int
    evidence: int
    problems: tuple[str, ...]

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
    problems: list[str] = []
    for doc in sorted(graph.subjects(RDF.type, OMS.SourceDocument), key=str):
        name = str(graph.value(doc, OMS.fileName))
        path = sources_dir / name
        if not path.is_file():
            problems.append(
                f"{path}: source document missing (needed for {load_prefix_map().curie(str(doc))})"
            )
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != str(graph.value(doc, OMS.sha256)):
            problems.append(
                f"{path}: SHA-256 {digest} differs from the recorded digest; "
                "offsets refer to another version of the text"
            )
            continue
        texts[doc] = data.decode("utf-8")
    count = 0
    for statement in sorted(graph.subjects(RDF.type, OMS.Statement), key=str):
        names = _names(graph, statement)
        for evidence in sorted(graph.objects(statement, OMS.hasEvidence), key=str):
            count += 1
            source = graph.value(evidence, OA.hasSource)
            if source is None or source not in texts:
                continue
            problem = _check_span(graph, evidence, texts[source], names)
            if problem:
                problems.append(
                    f"{built.origin(statement) or load_prefix_map().curie(str(statement))}: {problem}"
                )
    return EvidenceCheck(len(texts), count, tuple(problems))


def _check_span(graph: Graph, evidence: Node, text: str, names: list[str]) -> str | None:
    selector = graph.value(evidence, OA.hasSelector)
    start = graph.value(selector, OA.start)
    end = graph.value(selector, OA.end)
    try:
        first, last = int(str(start)), int(str(end))
    except (TypeError, ValueError):
        return f"evidence {load_prefix_map().curie(str(evidence))} has no usable offsets"
    if not 0 <= first < last <= len(text):
        return f"offsets {first}-{last} fall outside the document (0-{len(text)})"
    if not mentions(text[first:last], names):
        return (
            f"passage {first}-{last} names none of: {', '.join(sorted(set(names))[:6])}; "
            "widen the span or add the wording as a synonym"
        )
    return None


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
