"""Serialise the built graph into ``dist/``: every RDF syntax, JSON-LD views and reports.

Every output is deterministic (sorted), so that two builds of the same data give
byte-identical files and data changes show as reviewable diffs. Literals keep the
lexical form the data gave them (see :mod:`omskg.rdfio`).
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Node

from omskg.build import MAPPING_PREDICATES, BuiltGraph
from omskg.dataset import describe_dataset, validate_description
from omskg.errors import OmsError
from omskg.fileio import write_files_atomically
from omskg.jsonld_export import context_document, framed_files, to_jsonld
from omskg.kgx_export import kgx_files
from omskg.ontology import curated_entities
from omskg.prefixes import OA, OMS, OMSG, load_prefix_map
from omskg.schemaorg import schemaorg_files
from omskg.sssom_export import sssom_files

GRAPH_NAME = "omskg"
# The longest tail of an IRI that is an XML NCName (letters, digits, '_', '-', '.'; not
# starting with a digit, '-' or '.'): the local part of an RDF/XML property element.
_NCNAME_END = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*$")
DESCRIPTION = f"{GRAPH_NAME}.dataset.ttl"


def to_ntriples(graph: Graph) -> str:
    """N-Triples, one triple a line, lines sorted."""
    return _sorted_lines(graph.serialize(format="nt", encoding="utf-8").decode("utf-8"))


def to_turtle(graph: Graph) -> str:
    """Turtle with the project's prefixes, subjects and predicates in sorted order."""
    copy = load_prefix_map().bind(Graph())
    copy += graph
    return copy.serialize(format="longturtle")


def evidence_graph_name(document: URIRef) -> URIRef:
    """The named graph holding the evidence drawn from one source document.

    >>> evidence_graph_name(URIRef("https://w3id.org/omskg/entity/gale-oms"))
    rdflib.term.URIRef('https://w3id.org/omskg/graph/evidence/gale-oms')
    """
    local = (load_prefix_map().compress(str(document)) or str(document)).split(":", 1)[-1]
    return OMSG[f"evidence/{local}"]


def by_document(graph: Graph) -> Dataset:
    """Split the graph into a dataset: the evidence of each source document in a named graph of
    its own (the evidence nodes, their selectors and the ``oms:hasEvidence`` links), everything
    else in the default graph. The union of all graphs is ``graph``."""
    dataset = Dataset()
    load_prefix_map().bind(dataset)
    placed: set[tuple[Node, Node, Node]] = set()
    for statement, _, evidence in sorted(graph.triples((None, OMS.hasEvidence, None))):
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
    for triple in sorted(graph):
        if triple not in placed:
            default.add(triple)
    return dataset


def to_nquads(graph: Graph) -> str:
    """N-Quads of :func:`by_document`, lines sorted."""
    return _sorted_lines(by_document(graph).serialize(format="nquads", encoding="utf-8").decode("utf-8"))


def to_trig(graph: Graph) -> str:
    """TriG of :func:`by_document`: the default graph, then one block per document's evidence,
    each block written by the (deterministic) Turtle serializer; rdflib's own TriG writer
    orders subjects and graphs by hash, which changes from run to run."""
    dataset = by_document(graph)
    named = sorted((g for g in dataset.graphs() if g.identifier != DATASET_DEFAULT_GRAPH_ID), key=str)
    header: set[str] = set()
    blocks = []
    for name, part in [("", dataset.default_graph), *((f"<{g.identifier}> ", g) for g in named)]:
        prefixes, body = _split_prefixes(to_turtle(part))
        header.update(prefixes)
        indented = "".join(f"    {line}\n" if line else "\n" for line in body)
        blocks.append(f"{name}{{\n{indented}}}\n")
    return "".join(sorted(header)) + "\n" + "\n".join(blocks)


def _split_prefixes(turtle: str) -> tuple[list[str], list[str]]:
    lines = turtle.strip("\n").splitlines()
    prefixes = [f"{line}\n" for line in lines if line.startswith("PREFIX ")]
    body = [line for line in lines if not line.startswith("PREFIX ")]
    while body and not body[0]:
        body.pop(0)
    return prefixes, body


def to_rdfxml(graph: Graph) -> str:
    """RDF/XML, one ``rdf:Description`` per subject, subjects and properties sorted.

    Written here rather than by rdflib, whose RDF/XML comes out in hash order. RDF/XML
    can only write a predicate whose IRI ends in an XML name; any other predicate raises
    :class:`OmsError` naming it, rather than being dropped or mangled.
    """
    prefixes = load_prefix_map()
    used: dict[str, str] = {}
    body = []
    for subject in sorted(set(graph.subjects()), key=str):
        if not isinstance(subject, URIRef):
            raise OmsError(f"RDF/XML export expects IRIs as subjects, got {subject!r}")
        body.append(f"  <rdf:Description rdf:about={quoteattr(str(subject))}>")
        for predicate, obj in sorted(
            graph.predicate_objects(subject), key=lambda po: (str(po[0]), po[1].n3())
        ):
            body.append("    " + _xml_property(_qname(str(predicate), prefixes.uri_prefixes, used), obj))
        body.append("  </rdf:Description>")
    used.setdefault("rdf", str(RDF))
    spaces = "".join(f"\n   xmlns:{p}={quoteattr(u)}" for p, u in sorted(used.items()))
    head = f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{spaces}>'
    return "\n".join([head, *body, "</rdf:RDF>"]) + "\n"


def _qname(iri: str, known: dict[str, str], used: dict[str, str]) -> str:
    """``prefix:local`` for a predicate IRI, the local part an XML NCName."""
    match = _NCNAME_END.search(iri)
    if match is None:
        raise OmsError(f"RDF/XML cannot express predicate <{iri}>: its IRI does not end in an XML name")
    namespace, local = iri[: match.start()], match.group(0)
    prefix = next((p for p, u in sorted(known.items()) if u == namespace), None)
    if prefix is None:
        prefix = next((p for p, u in used.items() if u == namespace), f"ns{len(used) + 1}")
    used[prefix] = namespace
    return f"{prefix}:{local}"


def _xml_property(name: str, obj: Node) -> str:
    if isinstance(obj, URIRef):
        return f"<{name} rdf:resource={quoteattr(str(obj))}/>"
    if not isinstance(obj, Literal):
        raise OmsError(f"RDF/XML export expects IRIs or literals as objects, got {obj!r}")
    if obj.language:
        attribute = f" xml:lang={quoteattr(obj.language)}"
    elif obj.datatype:
        attribute = f" rdf:datatype={quoteattr(str(obj.datatype))}"
    else:
        attribute = ""
    return f"<{name}{attribute}>{escape(str(obj))}</{name}>"


def _sorted_lines(text: str) -> str:
    return "".join(f"{line}\n" for line in sorted(set(text.splitlines())) if line.strip())


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
            prefixes.compress(str(entity)) or str(entity),
            str(graph.value(entity, RDFS.label) or ""),
            prefixes.compress(str(cls)) or str(cls),
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
    reports on the linked dataset), into ``out_dir`` atomically; return sizes in bytes."""
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
