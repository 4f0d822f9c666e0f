"""Export the graph as a KGX property graph (Biolink 4): nodes and edges, as TSV and as JSON Lines.

The files follow the KGX format (``biolink/kgx`` ``specification/kgx-format.md``): one node per
curated entity, source document and bibliographic reference; one edge per statement between
two of them. Everything Biolink-specific is read from ``ontology/alignments.ttl``; nothing is
looked up at run time.

**Node ids.** A node's id is the project's own CURIE (``omse:oms``), not its best exact match
(``MONDO:0015247``). Monarch, like other KG builders, normalises identifiers itself when it
merges sources, mapping each to the vocabulary Biolink prefers for its category through exact
matches (SSSOM mapping sets, or KGX's clique merge). Normalising here instead would merge two
curated entities that share an exact match into one node, hide which of several exact matches
was chosen, and change a node's id whenever a mapping is added or corrected. So ids stay
stable and one-to-one with the RDF graph (the ``iri`` column gives the full IRI), ``xref``
lists the exact matches, the identifiers a consumer normalises to, and ``omskg.sssom.tsv``
(:mod:`omskg.release.sssom`) has every mapping, close, broad, narrow and related ones too, with
its provenance. (``same_as`` would suit the exact matches, but Biolink's ``same as`` is a
single-valued predicate slot and the KGX validator rejects a list.) The prefix ``omse`` is not
in Biolink's JSON-LD context, so a consumer registers it (``https://w3id.org/omskg/entity/``)
as it would any source's local prefix. CURIEs follow the project's prefix map, and a few of its
prefixes are spelt differently in Biolink's context (``mesh`` for ``MESH``, ``ORPHA`` for
``orphanet``).

**Categories** come from the alignments of the entity's class (or, when it has none, of its
nearest super-class) with ``rdfs:subClassOf``, ``skos:exactMatch``, ``closeMatch`` or
``broadMatch`` to a Biolink class (the entity is an instance of each of these); a class without
any gets ``biolink:NamedThing``.

**Predicates** come from the alignment of the relation to a Biolink predicate, the strongest
first (``exactMatch``, then ``closeMatch`` or ``rdfs:subPropertyOf``, then ``broadMatch``; ties
in name order). A relation without one falls back to ``biolink:related_to``; see
:func:`fallback_relations`. ``original_predicate`` always keeps the project relation.

**Provenance.** The knowledge was curated by this project from its source documents, so the
project is the primary knowledge source. It has no id in the Translator information-resource
registry (inventing ``infores:omskg`` would claim one), so ``primary_knowledge_source`` and
``provided_by`` carry the project's own IRI, the IRI of the ``owl:Ontology`` of the graph. The
source documents are the edge's ``publications`` and the ECO codes of its evidence its
``has_evidence``. Statements were made by people (``agent_type`` ``manual_agent``); they are
``knowledge_assertion`` unless the source presents them as a hypothesis (``oms:certainty``
``oms:Hypothesised``), which Biolink calls a ``prediction``.

**Qualifiers** with a Biolink slot aligned to them (``frequency_qualifier``,
``onset_qualifier``, ``sex_qualifier``, ``population_context_qualifier``) become edge columns.
The others (hedges, quantifiers, routes, anatomical sites, ...) have no Biolink slot aligned and
stay on the statement node of the RDF graph, which the edge id names. No statement is negated
in the data model, so no edge has ``negated``.

Statements whose object is a value of a closed list (``oms:hasRarity`` ``oms:RareCondition``)
or a literal (attributes, definitions, synonyms) are not edges: the first have no Biolink node
to point to, the others are node properties or have no Biolink counterpart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from omskg.curation.ontology import curated_entities
from omskg.prefixes import IAO, OA, OBOINOWL, OMS, load_prefix_map

BIOLINK = Namespace("https://w3id.org/biolink/vocab/")
NODES_TSV = "omskg_nodes.tsv"
EDGES_TSV = "omskg_edges.tsv"
NODES_JSONL = "omskg_nodes.jsonl"
EDGES_JSONL = "omskg_edges.jsonl"
LIST_DELIMITER = "|"

FALLBACK_CATEGORY = BIOLINK.NamedThing
FALLBACK_PREDICATE = BIOLINK.related_to
AGENT_TYPE = "manual_agent"
KNOWLEDGE_ASSERTION = "knowledge_assertion"
# Biolink's KnowledgeLevelEnum value for a statement the source puts forward as a hypothesis.
KNOWLEDGE_LEVEL_BY_CERTAINTY = {OMS.Hypothesised: "prediction"}

CLASS_ALIGNMENTS = (RDFS.subClassOf, SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch)
# Lower is stronger: the predicate of an edge comes from the strongest alignment of its relation.
PREDICATE_ALIGNMENT_RANK = {SKOS.exactMatch: 0, SKOS.closeMatch: 1, RDFS.subPropertyOf: 1, SKOS.broadMatch: 2}
QUALIFIER_ALIGNMENTS = (SKOS.exactMatch, SKOS.closeMatch, RDFS.subPropertyOf)
EXTRA_NODE_CLASSES = (OMS.SourceDocument, OMS.Reference)

NODE_COLUMNS = ("id", "category", "name", "description", "synonym", "xref", "iri", "provided_by")
EDGE_COLUMNS = (
    "id",
    "subject",
    "predicate",
    "object",
    "original_predicate",
    "knowledge_level",
    "agent_type",
    "primary_knowledge_source",
    "publications",
    "has_evidence",
)

Record = dict[str, str | list[str]]


def kgx_files(graph: Graph) -> dict[str, str]:
    """The KGX nodes and edges of ``graph`` as TSV and JSON Lines, keyed by file name.

    Rows are sorted (nodes by id; edges by subject, original predicate, object and id), so two
    exports of the same graph are byte-identical.
    """
    nodes = kgx_nodes(graph)
    edges = kgx_edges(graph, {str(node["id"]) for node in nodes})
    edge_columns = EDGE_COLUMNS + tuple(sorted({key for edge in edges for key in edge} - set(EDGE_COLUMNS)))
    return {
        NODES_TSV: to_tsv(nodes, NODE_COLUMNS),
        EDGES_TSV: to_tsv(edges, edge_columns),
        NODES_JSONL: to_jsonl(nodes),
        EDGES_JSONL: to_jsonl(edges),
    }


# -- alignments ----------------------------------------------------------------


def knowledge_source(graph: Graph) -> str:
    """The project's own id as a knowledge source: the IRI of the graph's ``owl:Ontology``."""
    ontologies = sorted(str(o) for o in graph.subjects(RDF.type, OWL.Ontology) if isinstance(o, URIRef))
    if len(ontologies) != 1:
        raise ValueError(f"expected one owl:Ontology in the graph, found {len(ontologies)}")
    return ontologies[0]


def class_categories(graph: Graph, cls: URIRef) -> list[str]:
    """Biolink categories (CURIEs) of the instances of ``cls``; see the module docstring."""
    for level in _class_levels(graph, cls):
        found = {
            load_prefix_map().curie(str(t), strict=True)
            for c in level
            for p in CLASS_ALIGNMENTS
            for t in graph.objects(c, p)
            if _is_biolink(t)
        }
        if found:
            return sorted(found)
    return [load_prefix_map().curie(str(FALLBACK_CATEGORY), strict=True)]


def relation_predicates(graph: Graph) -> dict[URIRef, URIRef]:
    """The Biolink predicate of each relation (sub-property of ``oms:factRelation``)."""
    return {
        relation: _aligned_predicate(graph, relation) or FALLBACK_PREDICATE for relation in _relations(graph)
    }


def fallback_relations(graph: Graph) -> list[str]:
    """The relations (CURIEs) without a Biolink predicate aligned, exported as ``biolink:related_to``."""
    return sorted(
        load_prefix_map().curie(str(r), strict=True)
        for r in _relations(graph)
        if _aligned_predicate(graph, r) is None
    )


def qualifier_slots(graph: Graph) -> dict[URIRef, str]:
    """The Biolink edge slot (local name, e.g. ``frequency_qualifier``) aligned to each qualifier."""
    slots: dict[URIRef, str] = {}
    for qualifier in graph.subjects(RDFS.subPropertyOf, OMS.qualifier):
        targets = sorted(
            _local(t) for p in QUALIFIER_ALIGNMENTS for t in graph.objects(qualifier, p) if _is_biolink(t)
        )
        if isinstance(qualifier, URIRef) and targets:
            slots[qualifier] = targets[0]
    return slots


def _class_levels(graph: Graph, cls: URIRef) -> Iterator[list[URIRef]]:
    """``[cls]``, then its direct super-classes, then theirs, ... (each level sorted)."""
    level, seen = [cls], {cls}
    while level:
        yield level
        parents = {p for c in level for p in graph.objects(c, RDFS.subClassOf) if isinstance(p, URIRef)}
        level = sorted(parents - seen)
        seen |= parents


def _relations(graph: Graph) -> list[URIRef]:
    return sorted(r for r in graph.subjects(RDFS.subPropertyOf, OMS.factRelation) if isinstance(r, URIRef))


def _aligned_predicate(graph: Graph, relation: URIRef) -> URIRef | None:
    ranked = sorted(
        (rank, str(target))
        for prop, rank in PREDICATE_ALIGNMENT_RANK.items()
        for target in graph.objects(relation, prop)
        if _is_biolink(target)
    )
    return URIRef(ranked[0][1]) if ranked else None


# -- nodes ---------------------------------------------------------------------


def kgx_nodes(graph: Graph) -> list[Record]:
    """One KGX node per curated entity, source document and reference, sorted by id."""
    source = knowledge_source(graph)
    categories: dict[URIRef, list[str]] = {}
    nodes = []
    for node, cls in _node_classes(graph).items():
        if cls not in categories:
            categories[cls] = class_categories(graph, cls)
        nodes.append(_node(graph, node, categories[cls], source))
    return sorted(nodes, key=lambda n: str(n["id"]))


def _node_classes(graph: Graph) -> dict[URIRef, URIRef]:
    classes = dict(curated_entities(graph))
    for cls in EXTRA_NODE_CLASSES:
        classes.update({n: cls for n in graph.subjects(RDF.type, cls) if isinstance(n, URIRef)})
    return classes


def _node(graph: Graph, node: URIRef, categories: list[str], source: str) -> Record:
    record: Record = {
        "id": load_prefix_map().curie(str(node), strict=True),
        "category": categories,
        "synonym": _texts(graph, node, OBOINOWL.hasExactSynonym, OBOINOWL.hasRelatedSynonym),
        "xref": _curies(graph.objects(node, SKOS.exactMatch)),
        "iri": str(node),
        "provided_by": [source],
    }
    name = _text(graph, node, RDFS.label)
    description = _text(graph, node, IAO["0000115"]) or _text(graph, node, DCTERMS.description)
    record.update({k: v for k, v in (("name", name), ("description", description)) if v})
    return _without_empty(record)


# -- edges ---------------------------------------------------------------------


@dataclass(frozen=True)
class _EdgeContext:
    predicates: dict[URIRef, URIRef]
    slots: dict[URIRef, str]
    node_ids: set[str]
    source: str


def kgx_edges(graph: Graph, node_ids: set[str]) -> list[Record]:
    """One KGX edge per statement between two nodes of ``node_ids``, sorted."""
    context = _EdgeContext(
        relation_predicates(graph), qualifier_slots(graph), node_ids, knowledge_source(graph)
    )
    edges = [
        edge
        for statement in graph.subjects(RDF.type, OMS.Statement)
        if isinstance(statement, URIRef) and (edge := _edge(graph, statement, context)) is not None
    ]
    return sorted(edges, key=lambda e: (e["subject"], e["original_predicate"], e["object"], e["id"]))


def _edge(graph: Graph, statement: URIRef, context: _EdgeContext) -> Record | None:
    relation, subject, obj = (graph.value(statement, p) for p in (RDF.predicate, RDF.subject, RDF.object))
    if relation not in context.predicates or not isinstance(subject, URIRef) or not isinstance(obj, URIRef):
        return None
    assert isinstance(relation, URIRef)
    subject_id, object_id = (
        load_prefix_map().curie(str(subject), strict=True),
        load_prefix_map().curie(str(obj), strict=True),
    )
    if subject_id not in context.node_ids or object_id not in context.node_ids:
        return None
    evidence = list(graph.objects(statement, OMS.hasEvidence))
    record: Record = {
        "id": load_prefix_map().curie(str(statement), strict=True),
        "subject": subject_id,
        "predicate": load_prefix_map().curie(str(context.predicates[relation]), strict=True),
        "object": object_id,
        "original_predicate": load_prefix_map().curie(str(relation), strict=True),
        "knowledge_level": _knowledge_level(graph, statement),
        "agent_type": AGENT_TYPE,
        "primary_knowledge_source": context.source,
        "publications": _curies(o for e in evidence for o in graph.objects(e, OA.hasSource)),
        "has_evidence": _curies(o for e in evidence for o in graph.objects(e, OMS.evidenceCode)),
    }
    record.update(_qualifiers(graph, statement, context.slots))
    return _without_empty(record)


def _knowledge_level(graph: Graph, statement: URIRef) -> str:
    levels = sorted(
        KNOWLEDGE_LEVEL_BY_CERTAINTY[c]
        for c in graph.objects(statement, OMS.certainty)
        if isinstance(c, URIRef) and c in KNOWLEDGE_LEVEL_BY_CERTAINTY
    )
    return levels[0] if levels else KNOWLEDGE_ASSERTION


def _qualifiers(graph: Graph, statement: URIRef, slots: dict[URIRef, str]) -> dict[str, str]:
    """Biolink qualifier slots of ``statement``; each is single-valued in Biolink.

    A restriction's population, onset or sex fills the same slot as on the statement (Biolink
    has no place for the restriction's own hedge, which stays in the RDF exports).
    """
    result: dict[str, str] = {}
    holders = [statement, *graph.objects(statement, OMS.hasRestriction)]
    for qualifier, slot in sorted(slots.items()):
        values = sorted(_value(v) for holder in holders for v in graph.objects(holder, qualifier))
        if len(values) > 1:
            raise ValueError(
                f"{load_prefix_map().curie(str(statement), strict=True)}: {slot} takes one value, "
                f"the statement has {values}"
            )
        if values:
            result[slot] = values[0]
    return result


# -- serialisation -------------------------------------------------------------


def to_tsv(records: list[Record], columns: tuple[str, ...]) -> str:
    """KGX TSV: a header, one row per record, list values joined with ``|``, no quoting."""
    lines = ["\t".join(columns)]
    lines += ["\t".join(_cell(record.get(column), column) for column in columns) for record in records]
    return "".join(f"{line}\n" for line in lines)


def to_jsonl(records: list[Record]) -> str:
    """KGX JSON Lines: one JSON object per line, keys sorted."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)


def _cell(value: str | list[str] | None, column: str) -> str:
    items = value if isinstance(value, list) else [] if value is None else [value]
    for item in items:
        if LIST_DELIMITER in item:
            raise ValueError(f"{column} value {item!r} contains {LIST_DELIMITER!r}, the KGX list delimiter")
    return LIST_DELIMITER.join(items)


# -- helpers -------------------------------------------------------------------


def _curies(iris: Iterable[Node]) -> list[str]:
    return sorted({load_prefix_map().curie(str(i), strict=True) for i in iris})


def _is_biolink(term: Node) -> bool:
    parsed = load_prefix_map().converter.parse_uri(str(term)) if isinstance(term, URIRef) else None
    return parsed is not None and parsed.prefix == "biolink"


def _local(term: Node) -> str:
    parsed = load_prefix_map().converter.parse_uri(str(term))
    assert parsed is not None
    return str(parsed.identifier)


def _value(term: Node) -> str:
    return _clean(str(term)) if isinstance(term, Literal) else load_prefix_map().curie(str(term), strict=True)


def _clean(text: str) -> str:
    """Collapse whitespace (tabs and newlines cannot appear in a TSV cell)."""
    return " ".join(text.split())


def _text(graph: Graph, node: URIRef, prop: URIRef) -> str | None:
    values = sorted(_clean(str(v)) for v in graph.objects(node, prop) if isinstance(v, Literal))
    return values[0] if values else None


def _texts(graph: Graph, node: URIRef, *props: URIRef) -> list[str]:
    return sorted({_clean(str(v)) for p in props for v in graph.objects(node, p) if isinstance(v, Literal)})


def _without_empty(record: Record) -> Record:
    return {key: value for key, value in record.items() if value}
