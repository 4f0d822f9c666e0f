"""The schema.org export: one MedicalCondition per condition, valid JSON-LD (PyLD, offline).

PyLD resolves ``"@context": "https://schema.org"`` through a document loader that refuses the
network and answers with a minimal local context, ``{"@vocab": "http://schema.org/"}``: every
term of the documents must then expand to a schema.org IRI.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pyld import jsonld
from rdflib import RDF, Literal, URIRef

from omskg.curation.build import BuiltGraph
from omskg.prefixes import OMS, OMSE
from omskg.release.schemaorg import (
    MEDICAL_SPECIALTIES,
    SPECIALTY_OF_ROLE,
    conditions,
    schemaorg_files,
)

SCHEMA = "http://schema.org/"
LOCAL_CONTEXTS = {"https://schema.org": {"@context": {"@vocab": SCHEMA}}}
LOCAL_CONTEXTS["https://schema.org/"] = LOCAL_CONTEXTS["https://schema.org"]
# The properties of the documents: each has MedicalCondition (or MedicalEntity, or Thing) in its domain.
CONDITION_PROPERTIES = {
    "name",
    "alternateName",
    "description",
    "code",
    "signOrSymptom",
    "possibleTreatment",
    "drug",
    "riskFactor",
    "cause",
    "typicalTest",
    "relevantSpecialty",
    "associatedAnatomy",
}


pytestmark = pytest.mark.usefixtures("offline")


def local_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """PyLD document loader: the minimal schema.org context, and nothing else."""
    if url not in LOCAL_CONTEXTS:
        raise ValueError(f"refusing to load {url}: only the local schema.org context is available")
    return {"contextUrl": None, "documentUrl": url, "document": LOCAL_CONTEXTS[url]}


@pytest.fixture(scope="module")
def documents(built: BuiltGraph) -> dict[str, str]:
    return schemaorg_files(built.graph)


@pytest.fixture(scope="module")
def oms(documents: dict[str, str]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(documents["schemaorg/oms.jsonld"])
    return document


def _labels(built: BuiltGraph, subject: URIRef, relation: URIRef) -> set[str]:
    """Labels of the objects of the statements ``subject relation ?o`` of the graph."""
    query = """SELECT DISTINCT ?label WHERE {
      ?st a oms:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o . ?o rdfs:label ?label }"""
    rows = built.graph.query(query, initNs={"oms": OMS}, initBindings={"s": subject, "p": relation})
    return {str(row[0]) for row in rows}  # type: ignore[index]


def _names(items: list[dict[str, Any]]) -> set[str]:
    return {item.get("name") or item["drugClass"]["name"] for item in items}


def test_one_document_per_condition(built: BuiltGraph, documents: dict[str, str]) -> None:
    query = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a/rdfs:subClassOf* oms:Condition }"
    (row,) = built.graph.query(query, initNs={"oms": OMS})
    assert isinstance(row, tuple) and isinstance(row[0], Literal)
    assert len(documents) == len(conditions(built.graph)) == int(row[0])
    assert "schemaorg/oms.jsonld" in documents
    assert "schemaorg/neuroblastoma.jsonld" in documents  # an oms:Neoplasm
    assert "schemaorg/myoclonus.jsonld" not in documents  # an oms:ClinicalFinding


def test_oms_document_head(oms: dict[str, Any]) -> None:
    assert oms["@context"] == "https://schema.org"
    assert oms["@type"] == "MedicalCondition"
    assert oms["@id"] == str(OMSE.oms)
    assert oms["name"] == "opsoclonus-myoclonus syndrome"
    assert "dancing eyes syndrome" in oms["alternateName"]
    assert "paraneoplastic opsoclonus-myoclonus" not in oms["alternateName"]  # a related synonym
    codes = {(c["codingSystem"], c["codeValue"]) for c in oms["code"]}
    assert {("MONDO", "0015247"), ("ORPHA", "1183"), ("mesh", "D053578")} <= codes
    assert ("icd10", "G25.3") not in codes  # a broad match: not a code of OMS
    assert set(oms) - {"@context", "@type", "@id"} <= CONDITION_PROPERTIES


def test_oms_symptoms_are_its_phenotypes(built: BuiltGraph, oms: dict[str, Any]) -> None:
    expected = _labels(built, OMSE.oms, OMS.hasPhenotype)
    assert _names(oms["signOrSymptom"]) == expected
    assert {"opsoclonus", "myoclonus", "hypotonia"} <= expected
    assert {s["@type"] for s in oms["signOrSymptom"]} == {"MedicalSignOrSymptom"}


def test_oms_treatments_are_its_treatments(built: BuiltGraph, oms: dict[str, Any]) -> None:
    expected = _labels(built, OMSE.oms, OMS.hasTreatment)
    assert _names(oms["possibleTreatment"]) | _names(oms["drug"]) == expected
    assert {"adrenocorticotropic hormone", "intravenous immunoglobulin", "tumour removal"} <= expected
    assert {t["@type"] for t in oms["possibleTreatment"]} == {"MedicalTherapy"}
    assert {d["@type"] for d in oms["drug"]} == {"Drug"}
    classes = {d["drugClass"]["name"] for d in oms["drug"] if "drugClass" in d}
    assert classes == {"corticosteroid", "intravenous steroid"}


def test_oms_causes_risks_tests_and_specialties(built: BuiltGraph, oms: dict[str, Any]) -> None:
    assert _names(oms["cause"]) == _labels(built, OMSE.oms, OMS.hasTrigger)
    assert _names(oms["riskFactor"]) == _labels(built, OMSE.oms, OMS.associatedWith)
    assert _names(oms["typicalTest"]) == _labels(built, OMSE.oms, OMS.hasDiagnosticProcedure)
    assert oms["relevantSpecialty"] == [
        "https://schema.org/Neurologic",
        "https://schema.org/Physiotherapy",
        "https://schema.org/SpeechPathology",
        "https://schema.org/Surgical",
    ]


def test_specialties_are_schema_org_members() -> None:
    assert set(SPECIALTY_OF_ROLE.values()) <= MEDICAL_SPECIALTIES


def test_anatomy_of_signs_and_of_tumours(
    built: BuiltGraph, oms: dict[str, Any], documents: dict[str, str]
) -> None:
    query = """SELECT DISTINCT ?label WHERE {
      ?st a oms:Statement ; rdf:subject omse:oms ; rdf:predicate oms:hasPhenotype ;
          rdf:object omse:myoclonus ; oms:anatomicalSite/rdfs:label ?label }"""
    sites = {str(row[0]) for row in built.graph.query(query, initNs={"oms": OMS, "omse": OMSE})}  # type: ignore[index]
    assert {"face", "eyelid", "trunk"} <= sites
    myoclonus = next(s for s in oms["signOrSymptom"] if s["name"] == "myoclonus")
    assert {a["name"] for a in myoclonus["associatedAnatomy"]} == sites
    assert {a["@type"] for a in myoclonus["associatedAnatomy"]} == {"AnatomicalStructure"}
    neuroblastoma = json.loads(documents["schemaorg/neuroblastoma.jsonld"])
    locations = _labels(built, OMSE.neuroblastoma, OMS.hasLocation)
    assert {a["name"] for a in neuroblastoma["associatedAnatomy"]} == locations
    assert len(locations) == 3


def test_every_document_is_schema_org_json_ld(documents: dict[str, str]) -> None:
    rdf_type = str(RDF.type)
    for name, text in documents.items():
        document = json.loads(text)
        dataset = jsonld.to_rdf(document, {"documentLoader": local_loader})
        quads = dataset["@default"]
        assert quads, name
        predicates = {q["predicate"]["value"] for q in quads}
        assert all(p.startswith(SCHEMA) for p in predicates - {rdf_type}), (name, predicates)
        types = {q["object"]["value"] for q in quads if q["predicate"]["value"] == rdf_type}
        assert all(t.startswith(SCHEMA) for t in types), (name, types)
        subjects = {
            q["subject"]["value"] for q in quads if q["object"]["value"] == SCHEMA + "MedicalCondition"
        }
        assert subjects == {document["@id"]}, name


def test_loader_refuses_other_contexts() -> None:
    with pytest.raises(jsonld.JsonLdError):
        jsonld.to_rdf(
            {"@context": "https://example.org/context", "name": "x"}, {"documentLoader": local_loader}
        )


def test_deterministic(built: BuiltGraph, documents: dict[str, str]) -> None:
    assert schemaorg_files(built.graph) == documents
    for text in documents.values():
        assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
