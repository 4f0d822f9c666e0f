"""Serialise the built graph into ``dist/``: every RDF syntax, JSON-LD views and reports.

Every output is deterministic (sorted), so that two builds of the same data give
byte-identical files and data changes show as reviewable diffs. Literals keep the
lexical form the data gave them (see :mod:`omskg.rdfio`).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Collection, Mapping
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from rdflib import RDF, RDFS, XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.serializers.longturtle import LongTurtleSerializer
from rdflib.term import Node

from omskg.curation.build import MAPPING_PREDICATES, BuiltGraph
from omskg.curation.ontology import curated_entities
from omskg.errors import OmsError
from omskg.fileio import write_files_atomically
from omskg.prefixes import OA, OMS, OMSG, load_prefix_map
from omskg.release.hcls import describe_dataset, validate_description
from omskg.release.jsonld import (
    checked_iris,
    context_document,
    framed_files,
    term_key,
    to_jsonld,
    triple_key,
)
from omskg.release.kgx import kgx_files
from omskg.release.schemaorg import schemaorg_files
from omskg.release.sssom import sssom_files

GRAPH_NAME = "omskg"
# The longest tail of an IRI that is an XML NCName (letters, digits, '_', '-', '.'; not
# starting with a digit, '-' or '.'): the local part of an RDF/XML property element.
_NCNAME_END = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*$")
# RDF/XML's own names, current and withdrawn, which cannot be property elements (rdf:li is
# read as rdf:_1, rdf:_2...).
_RDFXML_SYNTAX = {
    f"{RDF}{name}"
    for name in [
        *("RDF", "Description", "ID", "about", "parseType", "resource", "nodeID", "datatype", "li"),
        *("bagID", "aboutEach", "aboutEachPrefix"),
    ]
}
# Characters XML 1.0 cannot hold, not even as a character reference.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
DESCRIPTION = f"{GRAPH_NAME}.dataset.ttl"


def to_ntriples(graph: Graph) -> str:
    """N-Triples, one triple a line, lines sorted."""
    return _sorted_lines(checked_iris(graph).serialize(format="nt", encoding="utf-8").decode("utf-8"))


def to_turtle(graph: Graph) -> str:
    """Turtle with the project's prefixes, subjects, predicates and objects in sorted order."""
    return _turtle(graph, labelled=())


def _turtle(graph: Graph, labelled: Collection[BNode]) -> str:
    """Turtle that writes the blank nodes in ``labelled`` by label, never as ``[ ]``."""
    copy = load_prefix_map().bind(Graph())
    copy += checked_iris(graph)
    stream = io.BytesIO()
    _TurtleWriter(copy, labelled).serialize(stream, encoding="utf-8")
    return stream.getvalue().decode("utf-8")


class _TurtleWriter(LongTurtleSerializer):
    """rdflib's long Turtle, but objects sorted by :func:`term_key` (rdflib's own sort raises on
    some literals), the number and boolean shorthand only where it reads back unchanged, every
    other literal on one line (a line break inside a triple-quoted one would take the indent
    of a TriG block), lists written as ``( )`` only when that keeps every triple (see
    :meth:`isValidList`), and only the prefixes bound beforehand: rdflib can make one up after
    the PREFIX lines are written, and then uses it undeclared."""

    def __init__(self, store: Graph, labelled: Collection[BNode]) -> None:
        super().__init__(store)  # type: ignore[no-untyped-call]
        self.labelled = frozenset(labelled)

    def get_pname(self, uri: Node, gen_prefix: bool = True) -> str | None:
        pname = super().get_pname(uri, gen_prefix=False)  # type: ignore[no-untyped-call]
        return None if pname is None else str(pname)

    def s_squared(self, subject: Node) -> bool:
        return subject not in self.labelled and bool(super().s_squared(subject))  # type: ignore[no-untyped-call]

    def p_squared(self, node: Node, position: int) -> bool:
        return node not in self.labelled and bool(super().p_squared(node, position))  # type: ignore[no-untyped-call]

    def isValidList(self, node: Node) -> bool:
        """True when ``node`` heads a list that ``( ... )`` writes whole: blank nodes, each with
        one rdf:first, one rdf:rest and nothing else, each but the head named only by the
        rdf:rest before it, ending in rdf:nil. rdflib accepts any two properties (and drops
        the others), and loops forever on a cycle."""
        seen: set[Node] = set()
        item: Node | None = node
        while item != RDF.nil:
            if not isinstance(item, BNode) or item in seen or item in self.labelled:
                return False
            properties = sorted((p for p, _ in self.store.predicate_objects(item)), key=str)
            if properties != [RDF.first, RDF.rest] or (seen and self._references[item] != 1):
                return False
            seen.add(item)
            item = self.store.value(item, RDF.rest)
        return True

    def sortProperties(self, properties: Mapping[Node, list[Node]]) -> list[Node]:
        for objects in properties.values():
            objects.sort(key=term_key)
        first = [p for p in self.predicateOrder if p in properties]
        return first + sorted((p for p in properties if p not in first), key=str)

    def label(self, node: Node, position: int) -> str:
        if not isinstance(node, Literal) or _shorthand_reads_back(node):
            return str(super().label(node, position))  # type: ignore[no-untyped-call]
        text = str(node).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        if node.language:
            return f'"{text}"@{node.language}'
        if node.datatype:
            prefixed = self.get_pname(node.datatype)
            return f'"{text}"^^{prefixed or node.datatype.n3()}'
        return f'"{text}"'


def _shorthand_reads_back(literal: Literal) -> bool:
    """True when rdflib reads Turtle's shorthand of ``literal`` (``7``, ``1.50``, ``true``) back as
    the same lexical form. It reads ``007`` as ``"7"``, and writes ``"1E0"^^xsd:double`` as ``1e+00``."""
    lexical = str(literal)
    if literal.datatype == XSD.integer:
        return re.fullmatch(r"0|-?[1-9][0-9]*", lexical) is not None
    if literal.datatype == XSD.decimal:
        return re.fullmatch(r"-?[0-9]+\.[0-9]+", lexical) is not None and str(Decimal(lexical)) == lexical
    return literal.datatype == XSD.boolean and lexical in ("true", "false")


def evidence_graph_name(document: URIRef) -> URIRef:
    """The named graph holding the evidence drawn from one source document.

    >>> evidence_graph_name(URIRef("https://w3id.org/omskg/entity/gale-oms"))
    rdflib.term.URIRef('https://w3id.org/omskg/graph/evidence/gale-oms')
    """
    local = (load_prefix_map().curie(str(document))).split(":", 1)[-1]
    return OMSG[f"evidence/{local}"]


def by_document(graph: Graph) -> Dataset:
    """Split the graph into a dataset: the evidence of each source document in a named graph of
    its own (the evidence nodes, their selectors and the ``oms:hasEvidence`` links), everything
    else in the default graph. The union of all graphs is ``graph``."""
    dataset = Dataset()
    load_prefix_map().bind(dataset)
    placed: set[tuple[Node, Node, Node]] = set()
    for statement, _, evidence in sorted(graph.triples((None, OMS.hasEvidence, None)), key=triple_key):
        document = graph.value(evidence, OA.hasSource)
        if not isinstance(document, URIRef):
            raise OmsError(f"evidence {evidence} names no source document")
        named = dataset.graph(evidence_graph_name(document))
        triples = [(statement, OMS.hasEvidence, evidence), *graph.triples((evidence, None, None))]
        for selector in graph.objects(evidence, OA.hasSelector):
            triples += graph.triples((selector, None, None))
        for triple in triples:
            named.add(triple)
            placed.add(triple)
    default = dataset.default_graph
    for triple in sorted(graph, key=triple_key):
        if triple not in placed:
            default.add(triple)
    return dataset


def to_nquads(graph: Graph) -> str:
    """N-Quads of :func:`by_document`, lines sorted."""
    dataset = by_document(checked_iris(graph))
    return _sorted_lines(dataset.serialize(format="nquads", encoding="utf-8").decode("utf-8"))


def to_trig(graph: Graph) -> str:
    """TriG of :func:`by_document`: the default graph, then one block per document's evidence,
    each block written by the (deterministic) Turtle serializer; rdflib's own TriG writer
    orders subjects and graphs by hash, which changes from run to run."""
    dataset = by_document(checked_iris(graph))  # graph names are made of document IRIs
    named = sorted((g for g in dataset.graphs() if g.identifier != DATASET_DEFAULT_GRAPH_ID), key=str)
    parts = [("", dataset.default_graph), *((f"<{g.identifier}> ", g) for g in named)]
    # A blank node in two blocks must carry its label in both, or it would become two nodes.
    blocks_of = Counter(node for _, part in parts for node in part.all_nodes() if isinstance(node, BNode))
    shared = {node for node, count in blocks_of.items() if count > 1}
    header: set[str] = set()
    blocks = []
    for name, part in parts:
        prefixes, body = _split_prefixes(_turtle(part, shared))
        header.update(prefixes)
        indented = "".join(f"    {line}\n" if line else "\n" for line in body)
        blocks.append(f"{name}{{\n{indented}}}\n")
    return "".join(sorted(header)) + "\n" + "\n".join(blocks)


def _split_prefixes(turtle: str) -> tuple[list[str], list[str]]:
    """The PREFIX lines heading ``turtle``, and the lines after them, split at line feeds only
    (U+2028 or a form feed inside a literal ends no line)."""
    lines = turtle.strip("\n").split("\n")
    head = 0
    while head < len(lines) and lines[head].startswith("PREFIX "):
        head += 1
    body = lines[head:]
    while body and not body[0]:
        body.pop(0)
    return [f"{line}\n" for line in lines[:head]], body


def to_rdfxml(graph: Graph) -> str:
    """RDF/XML, one ``rdf:Description`` per subject, subjects and properties sorted.

    Written here rather than by rdflib, whose RDF/XML comes out in hash order. Blank nodes
    become ``rdf:nodeID`` ``b0``, ``b1``... in the order of their labels. RDF/XML can only
    write a predicate whose IRI ends in an XML name, and no character that XML 1.0 lacks
    (most C0 controls, U+FFFE, U+FFFF); a graph with either raises :class:`OmsError` naming
    it, rather than being dropped or mangled.
    """
    prefixes = load_prefix_map()
    used: dict[str, str] = {}
    blank = sorted({node for node in checked_iris(graph).all_nodes() if isinstance(node, BNode)}, key=str)
    node_ids = {node: f"b{number}" for number, node in enumerate(blank)}
    body = []
    for subject in sorted(set(graph.subjects()), key=str):
        if not isinstance(subject, URIRef | BNode):
            raise OmsError(f"RDF/XML export expects IRIs or blank nodes as subjects, got {subject!r}")
        lines = [f"  <rdf:Description {_xml_node(subject, 'rdf:about', node_ids)}>"]
        for predicate, obj in sorted(
            graph.predicate_objects(subject), key=lambda po: (str(po[0]), po[1].n3())
        ):
            name = _qname(str(predicate), prefixes.uri_prefixes, used)
            lines.append("    " + _xml_property(name, obj, node_ids))
        lines.append("  </rdf:Description>")
        unwritable = _NOT_XML.search("".join(lines))
        if unwritable:
            raise OmsError(
                f"RDF/XML cannot carry U+{ord(unwritable.group()):04X} (in the triples of {subject.n3()}): "
                "XML 1.0 has no such character; use Turtle, N-Triples or JSON-LD"
            )
        body += lines
    used.setdefault("rdf", str(RDF))
    spaces = "".join(f"\n   xmlns:{p}={quoteattr(u)}" for p, u in sorted(used.items()))
    head = f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{spaces}>'
    return "\n".join([head, *body, "</rdf:RDF>"]) + "\n"


def _qname(iri: str, known: dict[str, str], used: dict[str, str]) -> str:
    """``prefix:local`` for a predicate IRI, the local part an XML NCName."""
    match = _NCNAME_END.search(iri)
    if match is None:
        raise OmsError(f"RDF/XML cannot express predicate <{iri}>: its IRI does not end in an XML name")
    if iri in _RDFXML_SYNTAX:
        raise OmsError(f"RDF/XML cannot express predicate <{iri}>: RDF/XML reads that name as syntax")
    namespace, local = iri[: match.start()], match.group(0)
    prefix = next((p for p, u in sorted(known.items()) if u == namespace), None)
    if prefix is None:
        prefix = next((p for p, u in used.items() if u == namespace), f"ns{len(used) + 1}")
    used[prefix] = namespace
    return f"{prefix}:{local}"


def _xml_node(node: URIRef | BNode, attribute: str, node_ids: dict[BNode, str]) -> str:
    """``attribute="IRI"`` for an IRI, ``rdf:nodeID="b0"`` for a blank node."""
    if isinstance(node, BNode):
        return f"rdf:nodeID={quoteattr(node_ids[node])}"
    return f"{attribute}={quoteattr(str(node))}"


def _xml_property(name: str, obj: Node, node_ids: dict[BNode, str]) -> str:
    if isinstance(obj, URIRef | BNode):
        return f"<{name} {_xml_node(obj, 'rdf:resource', node_ids)}/>"
    if not isinstance(obj, Literal):
        raise OmsError(f"RDF/XML export expects IRIs, blank nodes or literals as objects, got {obj!r}")
    if obj.language:
        attribute = f" xml:lang={quoteattr(obj.language)}"
    elif obj.datatype:
        attribute = f" rdf:datatype={quoteattr(str(obj.datatype))}"
    else:
        attribute = ""
    # &#13;: an XML parser reads a raw carriage return as a line feed
    return f"<{name}{attribute}>{escape(str(obj), {chr(13): '&#13;'})}</{name}>"


def _sorted_lines(text: str) -> str:
    # split("\n"), not splitlines(): U+2028, U+0085 or a form feed inside a literal ends no line
    return "".join(f"{line}\n" for line in sorted(set(text.split("\n"))) if line.strip())


RDF_EXPORTS = {
    f"{GRAPH_NAME}.ttl": to_turtle,
    f"{GRAPH_NAME}.nt": to_ntriples,
    f"{GRAPH_NAME}.nq": to_nquads,
    f"{GRAPH_NAME}.trig": to_trig,
    f"{GRAPH_NAME}.rdf": to_rdfxml,
    f"{GRAPH_NAME}.jsonld": to_jsonld,
}


def unmapped_report(graph: Graph) -> str:
    """TSV of curated entities without any mapping to an external vocabulary, with the reason."""
    prefixes = load_prefix_map()
    rows = [
        (
            prefixes.curie(str(entity)),
            str(graph.value(entity, RDFS.label) or ""),
            prefixes.curie(str(cls)),
            str(graph.value(entity, OMS.unmappedReason) or "no reason recorded"),
        )
        for entity, cls in curated_entities(graph).items()
        if not is_mapped(graph, entity)
    ]
    header = "entity\tlabel\ttype\treason\n"
    return header + "".join("\t".join(row) + "\n" for row in sorted(rows))


def is_mapped(graph: Graph, entity: URIRef) -> bool:
    """True when ``entity`` has at least one SKOS mapping to an external term."""
    return any(graph.value(entity, p) is not None for p in MAPPING_PREDICATES.values())


def release_description(graph: Graph, texts: dict[str, str]) -> str:
    """The HCLS dataset description of a release made of ``texts``, checked by its shapes."""
    description = describe_dataset(graph, {name: text.encode("utf-8") for name, text in texts.items()})
    report = validate_description(description)
    if not report.conforms:
        raise OmsError(f"the release description breaks the HCLS shapes:\n{report.text()}")
    return to_turtle(description)


def write_dist(
    built: BuiltGraph, out_dir: Path, *, validation_text: str, extra: dict[str, str] | None = None
) -> dict[Path, int]:
    """Write every export of ``built``, and the ``extra`` files (name -> text, such as the
    reports on the linked dataset), into ``out_dir``; return sizes in bytes.

    No file is replaced until all are written, but files of an earlier release that this
    one does not write stay; ``omskg build`` therefore writes into a new folder and swaps
    the whole release in (:func:`omskg.fileio.replaced_folder`).
    """
    graph = built.graph
    texts = {name: export(graph) for name, export in RDF_EXPORTS.items()}
    texts[f"{GRAPH_NAME}.context.jsonld"] = context_document()
    texts.update(framed_files(graph))
    texts.update(kgx_files(graph))
    texts.update(sssom_files(graph))
    texts.update(schemaorg_files(graph))
    texts["unmapped.tsv"] = unmapped_report(graph)
    texts["validation.txt"] = validation_text + "\n"
    texts.update(extra or {})
    texts[DESCRIPTION] = release_description(graph, texts)
    files = {out_dir / name: text for name, text in texts.items()}
    write_files_atomically(files)
    return {path: len(text.encode("utf-8")) for path, text in files.items()}
