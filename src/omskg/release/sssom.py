"""Export the mappings of the curated entities as an SSSOM mapping set (SSSOM/TSV).

One row per ``oms:Mapping`` node of the graph: the entity (``subject_id``, ``subject_label``),
the SKOS mapping predicate, the external term (``object_id``, ``object_label`` as its
vocabulary gives it) and the justification (``semapv:ManualMappingCuration``). Where the
identifier and its label were checked (``oms:mappingSource``: a vocabulary file and release, in
words) goes into ``comment``: SSSOM's ``mapping_source`` would need the id of a mapping set,
which that text is not.

The YAML header carries the mapping set's id, the licence and version of the ontology (its
``dcterms:license`` and ``owl:versionInfo``), and a ``curie_map`` limited to the prefixes the
rows use, taken from the project's prefix map.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import yaml
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from omskg.prefixes import OMS, load_prefix_map

FILE_NAME = "omskg.sssom.tsv"
MAPPING_SET_ID = f"https://w3id.org/omskg/mappings/{FILE_NAME}"
MAPPING_SET_TITLE = "Mappings of the curated entities of the OMS knowledge graph to external vocabularies"
COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "comment",
)
# The CURIE-valued columns, whose prefixes the curie_map declares.
CURIE_COLUMNS = ("subject_id", "predicate_id", "object_id", "mapping_justification")

Row = dict[str, str]


def sssom_files(graph: Graph) -> dict[str, str]:
    """The SSSOM/TSV mapping set of ``graph``, keyed by file name (``omskg.sssom.tsv``)."""
    return {FILE_NAME: sssom_table(graph)}


def sssom_table(graph: Graph) -> str:
    """SSSOM/TSV text: the ``#``-commented YAML metadata, then one sorted row per mapping."""
    rows = mapping_rows(graph)
    header = yaml.safe_dump(mapping_set_metadata(graph, rows), sort_keys=True, allow_unicode=True, width=1000)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return "".join(f"#{line}\n" for line in header.splitlines()) + buffer.getvalue()


def mapping_rows(graph: Graph) -> list[Row]:
    """One row per ``oms:Mapping`` node, sorted by subject, predicate and object."""
    rows = [_row(graph, m) for m in graph.subjects(RDF.type, OMS.Mapping) if isinstance(m, URIRef)]
    return sorted(rows, key=lambda r: (r["subject_id"], r["predicate_id"], r["object_id"]))


def mapping_set_metadata(graph: Graph, rows: list[Row]) -> dict[str, Any]:
    """The mapping-set metadata of the SSSOM header."""
    ontology = _ontology(graph)
    licence = graph.value(ontology, DCTERMS.license)
    if licence is None:
        raise ValueError(f"the ontology {ontology} declares no dcterms:license, which SSSOM requires")
    metadata: dict[str, Any] = {
        "curie_map": _curie_map(rows),
        "license": str(licence),
        "mapping_set_id": MAPPING_SET_ID,
        "mapping_set_title": MAPPING_SET_TITLE,
    }
    version = graph.value(ontology, OWL.versionInfo)
    if version is not None:
        metadata["mapping_set_version"] = str(version)
    return metadata


def _row(graph: Graph, mapping: URIRef) -> Row:
    subject = _required(graph, mapping, RDF.subject)
    return {
        "subject_id": load_prefix_map().curie(str(subject), strict=True),
        "subject_label": _text(graph, subject, RDFS.label),
        "predicate_id": load_prefix_map().curie(str(_required(graph, mapping, RDF.predicate)), strict=True),
        "object_id": load_prefix_map().curie(str(_required(graph, mapping, RDF.object)), strict=True),
        "object_label": _text(graph, mapping, OMS.objectLabel),
        "mapping_justification": load_prefix_map().curie(
            str(_required(graph, mapping, OMS.mappingJustification)), strict=True
        ),
        "comment": _comment(graph, mapping),
    }


def _comment(graph: Graph, mapping: URIRef) -> str:
    source = _text(graph, mapping, OMS.mappingSource)
    return f"identifier and label checked in: {source}" if source else ""


def _curie_map(rows: list[Row]) -> dict[str, str]:
    prefix_map = load_prefix_map()
    used = {_prefix(row[column]) for row in rows for column in CURIE_COLUMNS}
    return {prefix: prefix_map.uri_prefixes[prefix] for prefix in sorted(used)}


def _prefix(curie: str) -> str:
    parsed = load_prefix_map().converter.parse_curie(curie)
    if parsed is None:
        raise ValueError(f"{curie!r} is not a CURIE of the project's prefix map")
    return str(parsed.prefix)


def _ontology(graph: Graph) -> URIRef:
    ontologies = sorted(o for o in graph.subjects(RDF.type, OWL.Ontology) if isinstance(o, URIRef))
    if len(ontologies) != 1:
        raise ValueError(f"expected one owl:Ontology in the graph, found {len(ontologies)}")
    return ontologies[0]


def _required(graph: Graph, node: URIRef, prop: URIRef) -> URIRef:
    value = graph.value(node, prop)
    if not isinstance(value, URIRef):
        raise ValueError(f"mapping {node} has no IRI for {prop}")
    return value


def _text(graph: Graph, node: URIRef, prop: URIRef) -> str:
    """The literal value (whitespace collapsed: a TSV cell holds no tab or newline), or ''."""
    values = sorted(" ".join(str(v).split()) for v in graph.objects(node, prop) if isinstance(v, Literal))
    return values[0] if values else ""
