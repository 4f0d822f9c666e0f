"""schema.org JSON-LD for each condition of the graph, for embedding in a web page.

One document per entity of class ``oms:Condition`` or a subclass (``oms:Neoplasm``,
``oms:Infection``), written to ``schemaorg/<entity-id>.jsonld``: a ``MedicalCondition`` with
its label (``name``), exact synonyms (``alternateName``), definition (``description``) and
exact matches (``code``: one ``MedicalCode`` each, the CURIE prefix as ``codingSystem``), and
the statements whose subject it is, through these schema.org properties of MedicalCondition
(or of MedicalEntity, which it inherits):

======================================  =========================  ===========================
project relation                        schema.org property        value
======================================  =========================  ===========================
``oms:hasPhenotype``                    ``signOrSymptom``          ``MedicalSignOrSymptom``,
                                                                   with the statement's
                                                                   anatomical sites as its
                                                                   ``associatedAnatomy``
``oms:hasTreatment`` (a therapy)        ``possibleTreatment``      ``MedicalTherapy``
``oms:hasTreatment`` (a drug)           ``drug``                   ``Drug``
``oms:hasTreatment`` (a drug class)     ``drug``                   a ``Drug`` of that
                                                                   ``drugClass``
``oms:hasTrigger``, ``hasCausalAgent``  ``cause``                  ``MedicalCause``
``oms:associatedWith``                  ``riskFactor``             ``MedicalRiskFactor``
``oms:hasDiagnosticProcedure``          ``typicalTest``            ``MedicalTest``
``oms:hasCareTeamRole``                 ``relevantSpecialty``      a ``MedicalSpecialty`` member
``oms:hasLocation``                     ``associatedAnatomy``      ``AnatomicalStructure``
======================================  =========================  ===========================

``possibleTreatment`` expects a ``MedicalTherapy`` and a schema.org ``Drug`` is not one, hence
``drug`` for drugs. A condition with another condition as trigger or associate gets that
condition as a cause or risk factor; an associated condition makes the subject more likely,
which is what schema.org calls a risk factor. Nested values carry the project IRI as ``@id``
and their own ``code`` list, so a page can link them. Keys and lists are sorted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.term import Node

from omskg.curation.ontology import curated_entities
from omskg.prefixes import IAO, OBOINOWL, OMS, OMSE, load_prefix_map

FOLDER = "schemaorg"
CONTEXT = "https://schema.org"
SCHEMA_ORG = "https://schema.org/"

# The members of https://schema.org/MedicalSpecialty, the values relevantSpecialty takes.
MEDICAL_SPECIALTIES = frozenset(
    {
        "Anesthesia",
        "Cardiovascular",
        "CommunityHealth",
        "Dentistry",
        "Dermatology",
        "DietNutrition",
        "Emergency",
        "Endocrine",
        "Gastroenterologic",
        "Genetic",
        "Geriatric",
        "Gynecologic",
        "Hematologic",
        "Infectious",
        "LaboratoryScience",
        "Midwifery",
        "Musculoskeletal",
        "Neurologic",
        "Nursing",
        "Obstetric",
        "Oncologic",
        "Optometric",
        "Otolaryngologic",
        "Pathology",
        "Pediatric",
        "PharmacySpecialty",
        "Physiotherapy",
        "PlasticSurgery",
        "Podiatric",
        "PrimaryCare",
        "Psychiatric",
        "PublicHealth",
        "Pulmonary",
        "Radiography",
        "Renal",
        "RespiratoryTherapy",
        "Rheumatologic",
        "SpeechPathology",
        "Surgical",
        "Toxicologic",
        "Urologic",
    }
)
# The specialty of each care-team role of the data that has one (occupational therapy has none).
# Curation, not code: it belongs with the roles in data/entities/roles.yaml once mappings to
# schema.org members are allowed there.
SPECIALTY_OF_ROLE = {
    OMSE.neurologist: "Neurologic",
    OMSE.neurosurgeon: "Surgical",
    OMSE["physical-therapist"]: "Physiotherapy",
    OMSE["speech-therapist"]: "SpeechPathology",
}
# relation -> (schema.org property, @type of the value), for objects of any class.
SIMPLE_PROPERTIES = {
    OMS.hasPhenotype: ("signOrSymptom", "MedicalSignOrSymptom"),
    OMS.hasTrigger: ("cause", "MedicalCause"),
    OMS.hasCausalAgent: ("cause", "MedicalCause"),
    OMS.associatedWith: ("riskFactor", "MedicalRiskFactor"),
    OMS.hasDiagnosticProcedure: ("typicalTest", "MedicalTest"),
    OMS.hasLocation: ("associatedAnatomy", "AnatomicalStructure"),
}
# object class -> (schema.org property, @type of the value), for oms:hasTreatment.
TREATMENT_PROPERTIES = {
    OMS.Therapy: ("possibleTreatment", "MedicalTherapy"),
    OMS.Drug: ("drug", "Drug"),
    OMS.DrugClass: ("drug", "DrugClass"),
}

JsonObject = dict[str, Any]


def schemaorg_files(graph: Graph) -> dict[str, str]:
    """One schema.org JSON-LD document per condition, keyed ``schemaorg/<entity-id>.jsonld``."""
    entities = curated_entities(graph)
    return {
        f"{FOLDER}/{_local_id(condition)}.jsonld": _dump(condition_document(graph, condition, entities))
        for condition in conditions(graph)
    }


def conditions(graph: Graph) -> list[URIRef]:
    """The entities of class ``oms:Condition`` or one of its subclasses, sorted."""
    condition_classes = set(graph.transitive_subjects(RDFS.subClassOf, OMS.Condition))
    return sorted(e for e, cls in curated_entities(graph).items() if cls in condition_classes)


def condition_document(graph: Graph, condition: URIRef, entities: dict[URIRef, URIRef]) -> JsonObject:
    """The schema.org ``MedicalCondition`` of ``condition`` (a JSON-LD object)."""
    document: JsonObject = {
        "@context": CONTEXT,
        "@type": "MedicalCondition",
        "@id": str(condition),
        "name": _text(graph, condition, RDFS.label),
        "alternateName": _texts(graph, condition, OBOINOWL.hasExactSynonym),
        "description": _text(graph, condition, IAO["0000115"]),
        "code": medical_codes(graph, condition),
    }
    values = _Values()
    for relation, obj, statements in _facts(graph, condition):
        values.add(graph, relation, obj, statements, entities)
    document.update(values.as_json(graph))
    return {key: value for key, value in document.items() if value}


def medical_codes(graph: Graph, entity: URIRef) -> list[JsonObject]:
    """A ``MedicalCode`` per exact match of ``entity``: CURIE prefix and local id."""
    codes = []
    for target in graph.objects(entity, SKOS.exactMatch):
        parsed = load_prefix_map().converter.parse_uri(str(target))
        if parsed is not None:
            codes.append(
                {"@type": "MedicalCode", "codeValue": parsed.identifier, "codingSystem": parsed.prefix}
            )
    return sorted(codes, key=lambda c: (c["codingSystem"], c["codeValue"]))


@dataclass
class _Values:
    """The values collected for each schema.org property, keyed by (property, @type, object)."""

    items: dict[tuple[str, str, URIRef], set[URIRef]] = field(default_factory=dict)
    specialties: set[str] = field(default_factory=set)

    def add(
        self,
        graph: Graph,
        relation: URIRef,
        obj: URIRef,
        statements: list[URIRef],
        entities: dict[URIRef, URIRef],
    ) -> None:
        if relation == OMS.hasCareTeamRole and obj in SPECIALTY_OF_ROLE:
            self.specialties.add(SCHEMA_ORG + SPECIALTY_OF_ROLE[obj])
            return
        target = SIMPLE_PROPERTIES.get(relation)
        if relation == OMS.hasTreatment:
            target = TREATMENT_PROPERTIES.get(entities.get(obj, OMS.Entity))
        if target is not None:
            sites = self.items.setdefault((*target, obj), set())
            if target[0] == "signOrSymptom":
                sites.update(s for st in statements for s in _iris(graph.objects(st, OMS.anatomicalSite)))

    def as_json(self, graph: Graph) -> JsonObject:
        result: dict[str, list[Any]] = {}
        for (prop, kind, obj), sites in self.items.items():
            item = _item(graph, obj, kind)
            if sites:
                item["associatedAnatomy"] = _sorted(_item(graph, s, "AnatomicalStructure") for s in sites)
            if kind == "DrugClass":
                item = {"@type": "Drug", "drugClass": item}
            result.setdefault(prop, []).append(item)
        sorted_result: JsonObject = {prop: _sorted(items) for prop, items in result.items()}
        if self.specialties:
            sorted_result["relevantSpecialty"] = sorted(self.specialties)
        return sorted_result


def _facts(graph: Graph, subject: URIRef) -> Iterator[tuple[URIRef, URIRef, list[URIRef]]]:
    """(relation, object, statement nodes) for each relation of ``subject`` to an entity."""
    found: dict[tuple[URIRef, URIRef], list[URIRef]] = {}
    for statement in graph.subjects(RDF.subject, subject):
        relation, obj = graph.value(statement, RDF.predicate), graph.value(statement, RDF.object)
        is_statement = (statement, RDF.type, OMS.Statement) in graph
        if (
            is_statement
            and isinstance(relation, URIRef)
            and isinstance(obj, URIRef)
            and isinstance(statement, URIRef)
        ):
            found.setdefault((relation, obj), []).append(statement)
    for (relation, obj), statements in sorted(found.items()):
        yield relation, obj, statements


def _item(graph: Graph, entity: URIRef, kind: str) -> JsonObject:
    item: JsonObject = {"@type": kind, "@id": str(entity), "name": _text(graph, entity, RDFS.label)}
    codes = medical_codes(graph, entity)
    if codes:
        item["code"] = codes
    return {key: value for key, value in item.items() if value}


def _sorted(items: Iterator[JsonObject] | list[JsonObject]) -> list[JsonObject]:
    return sorted(items, key=lambda i: json.dumps(i, sort_keys=True, ensure_ascii=False))


def _iris(nodes: Iterator[Node]) -> list[URIRef]:
    return [n for n in nodes if isinstance(n, URIRef)]


def _local_id(entity: URIRef) -> str:
    parsed = load_prefix_map().converter.parse_uri(str(entity))
    if parsed is None or parsed.prefix != "omse":
        raise ValueError(f"{entity} is not a curated entity (omse:) IRI")
    return str(parsed.identifier)


def _text(graph: Graph, node: URIRef, prop: URIRef) -> str | None:
    values = _texts(graph, node, prop)
    return values[0] if values else None


def _texts(graph: Graph, node: URIRef, prop: URIRef) -> list[str]:
    return sorted({str(v) for v in graph.objects(node, prop) if isinstance(v, Literal)})


def _dump(document: JsonObject) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
