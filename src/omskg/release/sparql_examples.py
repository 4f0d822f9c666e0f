"""The questions of ``queries/`` published as data, the way the SIB's sparql-examples are.

Each question becomes an ``sh:SPARQLExecutable`` and ``sh:SPARQLSelectExecutable`` (SHACL's
classes for a query held as data) with its question as ``rdfs:comment``, its text with the
example parameter values written in as ``sh:select``, the endpoint it runs on as
``schema:target`` and its tags as ``schema:keywords``; ``sh:prefixes`` names the prefixes its
text declares. This is the form SPARQL editors read from an endpoint to offer its example
queries (https://github.com/sib-swiss/sparql-examples), so the file is also loaded into the
store as the named graph :data:`EXAMPLES_GRAPH`. ``schema:`` here is ``https://schema.org/``,
as the SIB's tools and shapes expect. ``ontology/shapes/sparql-examples-shapes.ttl`` checks it.

Hand-written rather than taken from the SIB's converter: that is a Java program reading one
Turtle file per query; ours are ``.rq`` files with a grlc header.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SH

from omskg.curation.validate import validate
from omskg.errors import OmsError
from omskg.paths import project_root
from omskg.query import QUERY_FOLDERS, declared_prefixes, example_text, list_queries

FILE_NAME = "omskg.sparql-examples.ttl"
#: Where the SIB's guidelines put an endpoint's examples: the endpoint's IRI + this path.
EXAMPLES = Namespace("https://w3id.org/omskg/.well-known/sparql-examples/")
EXAMPLES_GRAPH = URIRef("https://w3id.org/omskg/.well-known/sparql-examples")
#: The served SPARQL endpoint, in the project's namespace (``omskg serve`` answers at ``/sparql``).
ENDPOINT = URIRef("https://w3id.org/omskg/sparql")
SCHEMA_HTTPS = Namespace("https://schema.org/")
PREFIXES = EXAMPLES["prefixes"]


def sparql_examples() -> Graph:
    """Every question of :data:`~omskg.query.QUERY_FOLDERS` as a SPARQL example.

    >>> graph = sparql_examples()
    >>> str(graph.value(EXAMPLES["01-oms-symptoms"], RDFS.label))
    '01-oms-symptoms'
    """
    graph = Graph()
    declared: dict[str, str] = {}
    for folder in QUERY_FOLDERS:
        for query in list_queries(folder=folder):
            node = EXAMPLES[query.name]
            graph.add((node, RDF.type, SH.SPARQLExecutable))
            graph.add((node, RDF.type, SH.SPARQLSelectExecutable))
            graph.add((node, RDFS.label, Literal(query.name)))
            graph.add((node, RDFS.comment, Literal(query.summary, lang="en")))
            graph.add((node, SH.select, Literal(example_text(query))))
            graph.add((node, SH.prefixes, PREFIXES))
            graph.add((node, SCHEMA_HTTPS.target, ENDPOINT))
            for tag in query.tags:
                graph.add((node, SCHEMA_HTTPS.keywords, Literal(tag)))
            declared.update(declared_prefixes(query.text))
    graph.add((PREFIXES, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Ontology")))
    for prefix, namespace in sorted(declared.items()):
        declaration = EXAMPLES[f"prefixes/{prefix}"]
        graph.add((PREFIXES, SH.declare, declaration))
        graph.add((declaration, SH.prefix, Literal(prefix)))
        graph.add((declaration, SH.namespace, Literal(namespace, datatype=XSD.anyURI)))
    return graph


def load_examples_shapes(root: Path | None = None) -> Graph:
    """The shapes of the published questions (``ontology/shapes/sparql-examples-shapes.ttl``)."""
    return Graph().parse((root or project_root()) / "ontology" / "shapes" / "sparql-examples-shapes.ttl")


def checked_sparql_examples() -> Graph:
    """:func:`sparql_examples`, after checking it against its shapes and that every
    ``sh:select`` is a SELECT query Oxigraph reads with no prefix given; else
    :class:`OmsError` (the build then writes nothing)."""
    graph = sparql_examples()
    report = validate(graph, shapes=load_examples_shapes())
    if not report.conforms:
        raise OmsError(f"the published questions do not conform to their shapes:\n{report.text()}")
    store = ox.Store()
    for node, text in graph.subject_objects(SH.select):
        try:
            answer = store.query(str(text))
        except SyntaxError as exc:
            raise OmsError(f"{node}: sh:select is not standalone SPARQL: {exc}") from None
        if not isinstance(answer, ox.QuerySolutions):
            raise OmsError(f"{node}: sh:select is not a SELECT query")
    return graph
