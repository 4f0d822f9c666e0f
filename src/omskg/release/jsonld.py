"""JSON-LD exports: the whole graph compacted with the project's context, and one framed
document per condition.

The ``@context`` is the prefix map (``ontology/prefixes.csv``) plus the hand-written
term definitions of ``ontology/context.jsonld``: readable keys (``label``,
``hasPhenotype``, ``exactMatch``), IRI and datatype coercions, ``@language: en``
as the default. No remote context is referenced or fetched: PyLD runs with a
document loader that refuses every URL.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from omskg.curation.evidence import selector_triples
from omskg.curation.ontology import curated_entities
from omskg.errors import OmsError
from omskg.paths import project_root
from omskg.prefixes import OMS, load_prefix_map

JsonObject = dict[str, Any]
# JSON-LD 1.1 uses a term as a prefix only if its IRI ends in one of these (or "@prefix": true).
_GEN_DELIMS = tuple("/#:?[]@")
# Characters no IRI may hold (IRIREF in N-Triples and Turtle), and the scheme an IRI in RDF
# starts with; rdflib's readers let in both relative IRIs and some of these characters.
_NOT_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def refuse_remote(url: str, options: object = None) -> Any:
    """PyLD document loader that never fetches: every remote context or document is an error."""
    raise jsonld.JsonLdError(
        f"remote document {url} refused: the project loads no context over the network",
        "jsonld.LoadDocumentError",
        code="loading document failed",
    )


PYLD_OPTIONS: JsonObject = {"documentLoader": refuse_remote, "processingMode": "json-ld-1.1"}


@cache
def load_context(root: Path | None = None) -> JsonObject:
    """The full ``@context``: prefix definitions from the prefix map, then the hand-written terms."""
    path = (root or project_root()) / "ontology" / "context.jsonld"
    try:
        terms = json.loads(path.read_text(encoding="utf-8"))["@context"]
    except (OSError, ValueError, KeyError) as exc:
        raise OmsError(f"{path}: not a JSON-LD context document ({exc})") from None
    context: JsonObject = {}
    for prefix, uri in load_prefix_map(root).uri_prefixes.items():
        context[prefix] = uri if uri.endswith(_GEN_DELIMS) else {"@id": uri, "@prefix": True}
    clash = sorted(set(context) & set(terms))
    if clash:
        raise OmsError(f"{path}: terms {', '.join(clash)} are also prefixes in ontology/prefixes.csv")
    context.update(terms)
    return context


def checked_iris(graph: Graph) -> Graph:
    """Return ``graph`` once every IRI in it is found writable, else raise :class:`OmsError`
    naming the first that is not: rdflib's readers take in relative IRIs and IRIs with a space
    or a ``{``, which no RDF syntax can write and JSON-LD readers drop."""
    for node in sorted({*graph.all_nodes(), *graph.predicates()}, key=term_key):
        iri = node.datatype if isinstance(node, Literal) else node
        if not isinstance(iri, URIRef):
            continue
        bad = _NOT_IRI.search(iri)
        if bad or not _SCHEME.match(iri):
            flaw = f"no IRI may hold {bad.group()!r}" if bad else "it is relative (no scheme such as https:)"
            shown = json.dumps(str(iri), ensure_ascii=False)[1:-1]  # a line break must not split the error
            raise OmsError(f"cannot write the IRI <{shown}>: {flaw}; correct it where the data comes from")
    return graph


def term_key(term: Node) -> tuple[str, str, str, str]:
    """A total, deterministic sort key of an RDF term: its kind, text, language and datatype.

    rdflib orders literals by value, which is no total order (NaN) and raises when it
    compares a decimal with a NaN float."""
    language = term.language if isinstance(term, Literal) else None
    datatype = term.datatype if isinstance(term, Literal) else None
    return type(term).__name__, str(term), language or "", datatype or ""


def triple_key(triple: tuple[Node, Node, Node]) -> tuple[tuple[str, str, str, str], ...]:
    """:func:`term_key` of each term of ``triple``."""
    return tuple(term_key(term) for term in triple)


def expanded(graph: Graph) -> list[JsonObject]:
    """The graph as expanded JSON-LD (what ``fromRdf`` gives), built directly from the triples."""
    nodes: dict[str, JsonObject] = {}
    for s, p, o in sorted(graph, key=triple_key):
        node = nodes.setdefault(_node_id(s), {"@id": _node_id(s)})
        if p == RDF.type and isinstance(o, URIRef):
            node.setdefault("@type", []).append(str(o))
        else:
            node.setdefault(str(p), []).append(_value(o))
    return [nodes[key] for key in sorted(nodes)]


def _node_id(term: Node) -> str:
    """An IRI, or a blank node's label as JSON-LD writes it (``_:b0``)."""
    return f"_:{term}" if isinstance(term, BNode) else str(term)


def _value(term: Node) -> JsonObject:
    if isinstance(term, URIRef | BNode):
        return {"@id": _node_id(term)}
    assert isinstance(term, Literal), f"not an RDF term: {term!r}"
    if term.language:
        return {"@value": str(term), "@language": term.language}
    if term.datatype and term.datatype != XSD.string:
        return {"@value": str(term), "@type": str(term.datatype)}
    return {"@value": str(term)}


def to_jsonld(graph: Graph) -> str:
    """Compact JSON-LD of the whole graph, nodes sorted by ``id``, values sorted."""
    context = load_context()
    # "graph": without it PyLD returns a lone node as the top object, with no "@graph" to read.
    # "skipExpansion": the input is expanded already, and expanding again lower-cases language tags.
    options = {**PYLD_OPTIONS, "graph": True, "skipExpansion": True}
    compacted = jsonld.compact(expanded(checked_iris(graph)), {"@context": context}, options)
    nodes = compacted.get("@graph", [])
    doc = {"@context": context, "@graph": sorted((_sorted(n) for n in nodes), key=lambda n: str(n["id"]))}
    return _dump(doc)


def context_document() -> str:
    """The full context as a standalone document, for clients that reference it by URL."""
    return _dump({"@context": load_context()})


def condition_subgraph(graph: Graph, condition: URIRef) -> Graph:
    """The condition, the statements made about it with their qualifiers and evidence, and the
    label and type of every entity those statements name."""
    sub = Graph()
    sub += graph.triples((condition, None, None))
    statements = set(graph.subjects(RDF.subject, condition))
    named: set[Node] = set()
    for statement in statements:
        for triple in graph.triples((statement, None, None)):
            sub.add(triple)
            if triple[1] != RDF.type:
                named.add(triple[2])
        for evidence in graph.objects(statement, OMS.hasEvidence):
            sub += graph.triples((evidence, None, None))
            for triple in selector_triples(graph, evidence):
                sub.add(triple)
    for node in named - {condition}:
        for prop in (RDFS.label, RDF.type):
            sub += graph.triples((node, prop, None))
    return sub


def framed(graph: Graph, condition: URIRef) -> str:
    """One condition as a framed JSON-LD tree: the statements made about it nested under
    ``statements`` (the reverse of ``rdf:subject``), each with its qualifiers and evidence.

    Statements with the condition as object are left to the full export: PyLD's framing
    fails on a reverse property whose values include literals, as ``rdf:object``'s do.
    """
    frame = {"@context": load_context(), "@id": str(condition), "@embed": "@always", "statements": {}}
    result = jsonld.frame(expanded(condition_subgraph(graph, condition)), frame, PYLD_OPTIONS)
    nodes = result.get("@graph", [result])
    if len(nodes) != 1:
        raise OmsError(f"framing {condition} gave {len(nodes)} top nodes, expected 1")
    doc = {"@context": result["@context"], **{k: v for k, v in nodes[0].items() if k != "@context"}}
    return _dump(_sorted(doc))


def framed_files(graph: Graph) -> dict[str, str]:
    """``framed/<id>.jsonld`` for every curated condition (including neoplasms and infections)."""
    prefixes = load_prefix_map()
    files = {}
    for entity, cls in curated_entities(graph).items():
        if (cls, RDFS.subClassOf, OMS.Condition) in graph or cls == OMS.Condition:
            local = (prefixes.curie(str(entity))).split(":", 1)[1]
            files[f"framed/{local}.jsonld"] = framed(graph, entity)
    return dict(sorted(files.items()))


def _sorted(node: Any) -> Any:
    """Sort keys and unordered value arrays, so the output is the same from run to run."""
    if isinstance(node, dict):
        return {key: _sorted(value) for key, value in sorted(node.items())}
    if isinstance(node, list):
        return sorted((_sorted(v) for v in node), key=lambda v: json.dumps(v, sort_keys=True))
    return node


def _dump(doc: JsonObject) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
