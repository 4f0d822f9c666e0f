"""Serialise the built graph into ``dist/``: every RDF syntax, JSON-LD views and reports.

Every output is deterministic (sorted), so that two builds of the same data give
byte-identical files and data changes show as reviewable diffs. Literals keep the
lexical form the data gave them (see :mod:`omskg.rdfio`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Node

from omskg.curation.build import MAPPING_PREDICATES, BuiltGraph
from omskg.curation.evidence import selector_triples
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
    """Turtle with the project's prefixes: triples sorted by subject, then ``rdf:type`` and
    ``rdfs:label`` before the other predicates, then objects (:func:`term_key`).

    Written by pyoxigraph's serializer (see :func:`_written_by_oxigraph`)."""
    graph = _labelled(checked_iris(graph))
    return _written_by_oxigraph([(*triple, None) for triple in _ordered(graph)], graph, ox.RdfFormat.TURTLE)


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
        triples = [
            (statement, OMS.hasEvidence, evidence),
            *graph.triples((evidence, None, None)),
            *selector_triples(graph, evidence),
        ]
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
    """TriG of :func:`by_document`: the default graph, then one block per document's evidence in
    the order of the graph names, each ordered as :func:`to_turtle`. A blank node in two blocks
    keeps one label, so it stays one node."""
    labelled = _labelled(checked_iris(graph))  # graph names are made of document IRIs
    dataset = by_document(labelled)
    named = sorted((g for g in dataset.graphs() if g.identifier != DATASET_DEFAULT_GRAPH_ID), key=str)
    quads: list[Quad] = [(*triple, None) for triple in _ordered(dataset.default_graph)]
    for part in named:
        quads += [(*triple, part.identifier) for triple in _ordered(part)]
    return _written_by_oxigraph(quads, labelled, ox.RdfFormat.TRIG)


Quad = tuple[Node, Node, Node, Node | None]
# rdflib reads the Turtle shorthand of these datatypes back in a canonical form (007 as "7",
# .5 as "0.5"); pyoxigraph writes the shorthand for every lexical form that fits it.
_REWRITTEN_SHORTHAND = {
    XSD.integer: re.compile(r"0|-?[1-9][0-9]*"),
    XSD.decimal: re.compile(r"-?[0-9]+\.[0-9]+"),
}
_PREDICATE_RANK: dict[Node, int] = {RDF.type: 0, RDFS.label: 1}


def _written_by_oxigraph(quads: list[Quad], graph: Graph, syntax: ox.RdfFormat) -> str:
    """Turtle (no graph names) or TriG of ``quads``, in their order, through pyoxigraph's
    serializer with the prefixes the graph's IRIs use.

    Left to pyoxigraph: escaping, prefixed names, grouping by subject and predicate. Written
    here, on lines of their own after the rest, in full N-Triples form (which is also Turtle
    and TriG): the few statements, none in the curated data, that would not read back byte
    for byte in rdflib, the reader most of our users have (:func:`_written_in_full`)."""
    full = {index for index, quad in enumerate(quads) if _written_in_full(quad)}
    shorthand = [_ox_quad(quad) for index, quad in enumerate(quads) if index not in full]
    text = (ox.serialize(shorthand, format=syntax, prefixes=_used_prefixes(graph)) or b"").decode("utf-8")
    return _prefix_lines_sorted(text) + "".join(_full_statement(quads[index]) for index in sorted(full))


def _prefix_lines_sorted(text: str) -> str:
    """``text`` with the ``@prefix`` lines pyoxigraph writes first in sorted order (pyoxigraph
    keeps them in an order of its own). No other line starts so: pyoxigraph escapes line
    breaks inside literals."""
    lines = text.split("\n")
    head = next((i for i, line in enumerate(lines) if not line.startswith("@prefix ")), len(lines))
    return "".join(sorted(f"{line}\n" for line in lines[:head])) + "\n".join(lines[head:])


def _written_in_full(quad: Quad) -> bool:
    """True for a statement with a literal pyoxigraph would write otherwise than rdflib reads it
    back (:func:`_literal_needs_full_form`) or an IRI ending in a dot, which pyoxigraph writes
    as a prefixed name ending in ``\\.``: Turtle, but rdflib cannot read it."""
    iris = (str(t.datatype if isinstance(t, Literal) else t) for t in quad if t is not None)
    return _literal_needs_full_form(quad[2]) or any(iri.endswith(".") for iri in iris)


def _literal_needs_full_form(term: Node) -> bool:
    """True for a literal that pyoxigraph would write in a form that does not read back byte for
    byte: a language tag pyoxigraph lower-cases or refuses (see :func:`_oxigraph_keeps_tag`),
    or an integer or decimal whose shorthand rdflib reads back rewritten."""
    if not isinstance(term, Literal):
        return False
    if term.language:
        return not _oxigraph_keeps_tag(term.language)
    lexical = str(term)
    if term.datatype not in _REWRITTEN_SHORTHAND or not re.fullmatch(r"[+-]?[0-9]*\.?[0-9]+", lexical):
        return False  # pyoxigraph writes no shorthand for it
    canonical = _REWRITTEN_SHORTHAND[term.datatype].fullmatch(lexical)
    return canonical is None or (term.datatype == XSD.decimal and str(Decimal(lexical)) != lexical)


def _oxigraph_keeps_tag(tag: str) -> bool:
    """True when pyoxigraph takes ``tag`` as it is: it lower-cases tags (the project keeps them
    as the data gives them) and refuses tags that fit Turtle's grammar but not BCP 47 (``a``).
    """
    try:
        return ox.Literal("", language=tag).language == tag
    except ValueError:
        return False


def _full_statement(quad: Quad) -> str:
    s, p, o, name = quad
    triple = f"{_ox_term(s)} {_ox_term(p)} {_full_literal(o)} ."
    return f"{triple}\n" if name is None else f"{_ox_term(name)} {{ {triple} }}\n"


def _full_literal(term: Node) -> str:
    """N-Triples form of a literal, the language tag as given."""
    if isinstance(term, Literal) and term.language:
        return f"{ox.Literal(str(term))}@{term.language}"
    return str(_ox_term(term))


def _ox_quad(quad: Quad) -> ox.Quad:
    s, p, o, name = quad
    graph_name = ox.DefaultGraph() if name is None else _ox_term(name)
    return ox.Quad(_ox_term(s), _ox_term(p), _ox_term(o), graph_name)  # type: ignore[arg-type]


def _ox_term(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if not isinstance(term, Literal):
        return ox.NamedNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    datatype = ox.NamedNode(str(term.datatype)) if term.datatype else None
    return ox.Literal(str(term), datatype=datatype)


def _used_prefixes(graph: Graph) -> dict[str, str]:
    """The project's prefixes whose URI prefix begins an IRI of ``graph`` (pyoxigraph picks the
    longest that fits each IRI; the others are declared, unused)."""
    iris = {
        str(n.datatype if isinstance(n, Literal) else n) for n in {*graph.all_nodes(), *graph.predicates()}
    }
    starts = {iri[: len(uri)] for iri in iris for uri in load_prefix_map().uri_prefixes.values()}
    return {prefix: uri for prefix, uri in sorted(load_prefix_map().uri_prefixes.items()) if uri in starts}


def _ordered(graph: Graph) -> list[tuple[Node, Node, Node]]:
    def key(triple: tuple[Node, Node, Node]) -> tuple[object, ...]:
        s, p, o = triple
        return term_key(s), _PREDICATE_RANK.get(p, 2), str(p), term_key(o)

    return sorted(graph, key=key)


def _labelled(graph: Graph) -> Graph:
    """``graph`` when it has no blank node; else a copy whose blank nodes are labelled from the
    graph's shape (rdflib's canonical labelling, renumbered), so that the labels, and so the
    order and bytes of the output, are the same on every run."""
    if not any(isinstance(node, BNode) for node in graph.all_nodes()):
        return graph
    canonical = list(to_canonical_graph(graph))
    numbers = {
        node: BNode(f"b{i}")
        for i, node in enumerate(sorted({n for t in canonical for n in t if isinstance(n, BNode)}, key=str))
    }
    copy = Graph()
    for s, p, o in canonical:
        copy.add((numbers.get(s, s), p, numbers.get(o, o)))  # type: ignore[call-overload]
    return copy


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
