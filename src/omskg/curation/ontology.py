"""The project ontology as the build needs it: which names are classes, relations,
attributes, qualifiers and values, and the datatype each literal property takes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from omskg.prefixes import OMS

ONTOLOGY_FILES = ("omskg.ttl", "alignments.ttl")


def load_ontology(root: Path) -> Graph:
    """Parse the ontology files under ``root/ontology``."""
    graph = Graph()
    for name in ONTOLOGY_FILES:
        path = root / "ontology" / name
        if path.is_file():
            graph.parse(path, format="turtle")
    return graph


@dataclass(frozen=True)
class Vocabulary:
    """Lookup tables over the ontology, keyed by local name in the ``oms:`` namespace."""

    entity_classes: frozenset[str]
    relations: frozenset[str]
    attributes: dict[str, URIRef]
    qualifiers: dict[str, URIRef | None]
    values: dict[str, URIRef]

    @classmethod
    def from_graph(cls, graph: Graph) -> Vocabulary:
        """Index ``graph``; ranges are the ``rdfs:range`` of each property (None if open)."""
        entity_class_iris = entity_class_set(graph)
        entity_classes = _local_names(entity_class_iris)
        relations = _local_names(graph.subjects(RDFS.subPropertyOf, OMS.factRelation))
        attributes = {
            _local(p): _range(graph, p) or XSD.string
            for p in graph.subjects(RDFS.subPropertyOf, OMS.factAttribute)
        }
        qualifiers = {_local(p): _range(graph, p) for p in graph.subjects(RDFS.subPropertyOf, OMS.qualifier)}
        value_classes = {
            c
            for c in graph.subjects(RDF.type, OWL.Class)
            if isinstance(c, URIRef)
            and c.startswith(OMS)
            and (None, RDF.type, c) in graph
            and c not in entity_class_iris
        }
        values = {
            _local(i): c for c in value_classes for i in graph.subjects(RDF.type, c) if isinstance(i, URIRef)
        }
        return cls(entity_classes - {"Entity"}, relations, attributes, qualifiers, values)

    def is_literal_qualifier(self, name: str) -> bool:
        """True when the qualifier takes a literal (its range is an XSD datatype)."""
        rng = self.qualifiers.get(name)
        return rng is not None and str(rng).startswith(str(XSD))


def entity_class_set(graph: Graph) -> frozenset[URIRef]:
    """``oms:Entity`` and every class below it."""
    return frozenset(
        c for c in graph.transitive_subjects(RDFS.subClassOf, OMS.Entity) if isinstance(c, URIRef)
    )


def curated_entities(graph: Graph) -> dict[URIRef, URIRef]:
    """Each curated entity of ``graph`` with its class (computed once, not per triple)."""
    classes = entity_class_set(graph)
    return {
        e: c
        for e, c in graph.subject_objects(RDF.type)
        if isinstance(e, URIRef) and isinstance(c, URIRef) and c in classes
    }


def _local(term: object) -> str:
    return str(term).removeprefix(str(OMS))


def _local_names(terms: object) -> frozenset[str]:
    return frozenset(_local(t) for t in terms if str(t).startswith(str(OMS)))  # type: ignore[attr-defined]


def _range(graph: Graph, prop: Node) -> URIRef | None:
    value = graph.value(prop, RDFS.range)
    return value if isinstance(value, URIRef) else None
