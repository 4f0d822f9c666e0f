"""The KGX export: KGX's own validator accepts it without errors, offline; known rows and counts.

KGX validates against the Biolink Model through bmt's ``Toolkit``, whose constructor downloads
``biolink-model.yaml`` and ``predicate_mapping.yaml`` from GitHub (``kgx.utils.kgx_utils`` even
builds one at import time), and reads the prefixes of Biolink's JSON-LD context from GitHub too.
Here, with the network blocked:

- the Biolink schema is the ``biolink_model/schema/biolink_model.yaml`` of the ``biolink-model``
  package (the release bmt is installed with);
- the predicate map is left empty: no installed package ships ``predicate_mapping.yaml``, and
  only ``Toolkit.get_predicate_mapping`` reads it, which KGX never calls;
- the context's prefixes are those of ``biolink_model/prefixmaps/biolink-model-prefix-map.json``
  (the same release) plus ``omse``, the project's node-id prefix, which no Biolink context can
  know (a test below checks that it is the only one added).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import bmt
import bmt.toolkit
import pytest
from linkml_runtime.utils.schemaview import SchemaView  # type: ignore[import-untyped]
from rdflib import Graph, Literal, URIRef

from omskg.curation.build import BuiltGraph
from omskg.prefixes import OMS, OMSE, load_prefix_map
from omskg.release.kgx import (
    EDGES_JSONL,
    EDGES_TSV,
    NODES_JSONL,
    NODES_TSV,
    fallback_relations,
    kgx_files,
)

BIOLINK_SCHEMA = files("biolink_model") / "schema" / "biolink_model.yaml"
BIOLINK_PREFIXES = files("biolink_model") / "prefixmaps" / "biolink-model-prefix-map.json"
PROJECT_NODE_PREFIXES = {"omse"}


class OfflineToolkit(bmt.toolkit.Toolkit):  # type: ignore[misc]
    """bmt's Toolkit on the biolink-model package's schema; no predicate map (see module docstring)."""

    def __init__(self, schema: Any = None, predicate_map: Any = None) -> None:
        self.view = SchemaView(str(schema or BIOLINK_SCHEMA))
        self.pmap: dict[str, Any] = {}


def _no_network(*args: object, **kwargs: object) -> None:
    raise OSError("network access attempted during the KGX validation test")


@pytest.fixture(scope="module")
def kgx() -> Iterator[tuple[Any, Any]]:
    """KGX's Validator and Transformer classes, imported and used with the network blocked."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "getaddrinfo", _no_network)
        mp.setattr(socket.socket, "connect", _no_network)
        mp.setattr(bmt, "Toolkit", OfflineToolkit)
        mp.setattr(bmt.toolkit, "Toolkit", OfflineToolkit)
        import kgx.config
        from kgx.transformer import Transformer
        from kgx.validator import Validator

        context = {**json.loads(BIOLINK_PREFIXES.read_text(encoding="utf-8"))}
        context.update({p: load_prefix_map().uri_prefixes[p] for p in PROJECT_NODE_PREFIXES})
        mp.setitem(kgx.config.jsonld_context_map, "biolink", context)
        assert Validator.get_toolkit().get_model_version() == "4.4.3"
        yield Validator, Transformer


@pytest.fixture(scope="module")
def exported(built: BuiltGraph) -> dict[str, str]:
    return kgx_files(built.graph)


@pytest.fixture(scope="module")
def kgx_dir(exported: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kgx")
    for name, text in exported.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _validate(kgx: tuple[Any, Any], nodes: Path, edges: Path, fmt: str) -> dict[str, Any]:
    validator_class, transformer_class = kgx
    validator = validator_class()
    transformer = transformer_class(stream=True)
    transformer.transform(
        input_args={"filename": [str(nodes), str(edges)], "format": fmt},
        output_args={"format": "null"},
        inspector=validator,
    )
    return {"validator": validator.get_errors(), "reader": transformer.get_errors()}


def _records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


# -- KGX's validator ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["tsv", "jsonl"])
def test_kgx_validator_reports_nothing(kgx: tuple[Any, Any], kgx_dir: Path, fmt: str) -> None:
    nodes, edges = kgx_dir / f"omskg_nodes.{fmt}", kgx_dir / f"omskg_edges.{fmt}"
    assert _validate(kgx, nodes, edges, fmt) == {"validator": {}, "reader": {}}


def test_kgx_validator_catches_a_broken_edge(kgx: tuple[Any, Any], kgx_dir: Path, tmp_path: Path) -> None:
    """The offline validator really checks: an unknown predicate and category are reported."""
    edges = (
        (kgx_dir / EDGES_JSONL)
        .read_text(encoding="utf-8")
        .replace("biolink:has_phenotype", "biolink:has_symptom_of")
    )
    nodes = (
        (kgx_dir / NODES_JSONL).read_text(encoding="utf-8").replace('"biolink:Disease"', '"biolink:Ailment"')
    )
    (tmp_path / NODES_JSONL).write_text(nodes, encoding="utf-8")
    (tmp_path / EDGES_JSONL).write_text(edges, encoding="utf-8")
    errors = _validate(kgx, tmp_path / NODES_JSONL, tmp_path / EDGES_JSONL, "jsonl")["validator"]["ERROR"]
    assert set(errors) == {"INVALID_CATEGORY", "INVALID_EDGE_PREDICATE"}


def test_only_the_project_entity_prefix_is_outside_biolink(exported: dict[str, str]) -> None:
    biolink = set(json.loads(BIOLINK_PREFIXES.read_text(encoding="utf-8")))
    ids = [n["id"] for n in _records(exported[NODES_JSONL])]
    ids += [e[k] for e in _records(exported[EDGES_JSONL]) for k in ("subject", "object")]
    assert {i.partition(":")[0] for i in ids} - biolink == PROJECT_NODE_PREFIXES


# -- counts and known rows ------------------------------------------------------


def _is_node(var: str) -> str:
    """SPARQL: ``?var`` is a curated entity, a source document or a reference."""
    return (
        f"{{ {{ ?{var} a/rdfs:subClassOf* oms:Entity }} UNION {{ ?{var} a oms:SourceDocument }}"
        f" UNION {{ ?{var} a oms:Reference }} }}"
    )


NODE_COUNT = f"SELECT (COUNT(DISTINCT ?node) AS ?n) WHERE {{ {_is_node('node')} }}"
EDGE_COUNT = f"""SELECT (COUNT(DISTINCT ?st) AS ?n) WHERE {{
  ?st a oms:Statement ; rdf:predicate/rdfs:subPropertyOf oms:factRelation ; rdf:subject ?s ; rdf:object ?o .
  {_is_node("s")} {_is_node("o")}
}}"""


def _count(graph: Graph, query: str) -> int:
    (row,) = graph.query(query, initNs={"oms": OMS})
    assert isinstance(row, tuple) and isinstance(row[0], Literal)
    return int(row[0])


def test_one_node_per_entity_document_and_reference(built: BuiltGraph, exported: dict[str, str]) -> None:
    nodes = _records(exported[NODES_JSONL])
    assert len(nodes) == _count(built.graph, NODE_COUNT)
    assert len({n["id"] for n in nodes}) == len(nodes)
    assert len(exported[NODES_TSV].splitlines()) == len(nodes) + 1


def test_one_edge_per_statement_between_nodes(built: BuiltGraph, exported: dict[str, str]) -> None:
    edges = _records(exported[EDGES_JSONL])
    assert len(edges) == _count(built.graph, EDGE_COUNT)
    assert len({e["id"] for e in edges}) == len(edges)
    assert len(exported[EDGES_TSV].splitlines()) == len(edges) + 1
    assert not [e for e in edges if e["original_predicate"] == "oms:hasRarity"]


def test_oms_node(built: BuiltGraph, exported: dict[str, str]) -> None:
    oms = next(n for n in _records(exported[NODES_JSONL]) if n["id"] == "omse:oms")
    assert oms["category"] == ["biolink:Disease"]
    assert oms["name"] == "opsoclonus-myoclonus syndrome"
    assert oms["iri"] == str(OMSE.oms)
    assert oms["provided_by"] == ["https://w3id.org/omskg/ontology"]
    assert {"MONDO:0015247", "ORPHA:1183", "mesh:D053578"} <= set(oms["xref"])
    assert "icd10:G25.3" not in oms["xref"]  # a broad match, not an alternative identifier
    assert {"dancing eyes syndrome", "Kinsbourne syndrome"} <= set(oms["synonym"])


def test_categories_follow_the_alignments(exported: dict[str, str]) -> None:
    category = {n["id"]: n["category"] for n in _records(exported[NODES_JSONL])}
    assert category["omse:myoclonus"] == ["biolink:ClinicalFinding", "biolink:PhenotypicFeature"]
    assert category["omse:neuroblastoma"] == ["biolink:Disease"]  # oms:Neoplasm broadMatch biolink:Disease
    assert category["omse:clonazepam"] == ["biolink:Drug"]
    assert category["omse:neurologist"] == ["biolink:NamedThing"]  # oms:CareRole: no Biolink alignment
    assert category["omse:das-2003"] == ["biolink:Publication"]


def test_oms_has_phenotype_opsoclonus(exported: dict[str, str]) -> None:
    edges = [
        e
        for e in _records(exported[EDGES_JSONL])
        if (e["subject"], e["original_predicate"], e["object"])
        == ("omse:oms", "oms:hasPhenotype", "omse:opsoclonus")
    ]
    assert {e["predicate"] for e in edges} == {"biolink:has_phenotype"}
    assert {e.get("frequency_qualifier") for e in edges} == {"HP:0040280", None}
    qualified = next(e for e in edges if "frequency_qualifier" in e)
    assert qualified["original_predicate"] == "oms:hasPhenotype"
    assert qualified["id"].startswith("omss:")
    assert qualified["publications"] == ["omse:gale-oms"]
    assert qualified["has_evidence"] == ["ECO:0000304"]
    assert (qualified["knowledge_level"], qualified["agent_type"]) == ("knowledge_assertion", "manual_agent")
    assert qualified["primary_knowledge_source"] == "https://w3id.org/omskg/ontology"


def test_hypotheses_are_predictions(exported: dict[str, str]) -> None:
    edge = next(
        e
        for e in _records(exported[EDGES_JSONL])
        if (e["subject"], e["object"]) == ("omse:oms", "omse:immune-mechanism")
    )
    assert edge["knowledge_level"] == "prediction"


def test_related_to_only_for_relations_without_alignment(built: BuiltGraph, exported: dict[str, str]) -> None:
    fallbacks = set(fallback_relations(built.graph))
    assert {"oms:isKindOf", "oms:hasOutcome", "oms:cites"} <= fallbacks
    assert not {"oms:hasPhenotype", "oms:hasTreatment", "oms:hasTrigger"} & fallbacks
    for edge in _records(exported[EDGES_JSONL]):
        assert (edge["predicate"] == "biolink:related_to") == (edge["original_predicate"] in fallbacks)


def test_population_and_onset_qualifiers(exported: dict[str, str]) -> None:
    edges = _records(exported[EDGES_JSONL])
    onsets = {
        e["object"]: e.get("onset_qualifier")
        for e in edges
        if e["original_predicate"] == "oms:affectsPopulation"
    }
    assert onsets["omse:infants"] == "HP:0003593"
    assert any(e.get("population_context_qualifier") == "omse:adults" for e in edges)


# -- format -----------------------------------------------------------------------


def _tsv_records(text: str) -> list[dict[str, Any]]:
    header, *rows = (line.split("\t") for line in text.splitlines())
    lists = {"category", "synonym", "xref", "provided_by", "publications", "has_evidence"}
    return [
        {k: v.split("|") if k in lists else v for k, v in zip(header, row, strict=True) if v} for row in rows
    ]


def test_tsv_and_jsonl_agree(exported: dict[str, str]) -> None:
    assert _tsv_records(exported[NODES_TSV]) == _records(exported[NODES_JSONL])
    assert _tsv_records(exported[EDGES_TSV]) == _records(exported[EDGES_JSONL])


def test_export_is_deterministic_and_sorted(built: BuiltGraph, exported: dict[str, str]) -> None:
    assert kgx_files(built.graph) == exported
    ids = [n["id"] for n in _records(exported[NODES_JSONL])]
    assert ids == sorted(ids)


def _copy(graph: Graph) -> Graph:
    copy = Graph()
    copy += graph
    return copy


def test_two_values_for_a_single_valued_qualifier_are_refused(built: BuiltGraph) -> None:
    graph = _copy(built.graph)
    statement = next(graph.subjects(OMS.frequency, None))
    graph.add((statement, OMS.frequency, URIRef("http://purl.obolibrary.org/obo/HP_0040281")))
    with pytest.raises(ValueError, match="frequency_qualifier takes one value"):
        kgx_files(graph)


def test_a_list_delimiter_in_a_value_is_refused(built: BuiltGraph) -> None:
    graph = _copy(built.graph)
    graph.add(
        (OMSE.oms, URIRef("http://www.geneontology.org/formats/oboInOwl#hasExactSynonym"), Literal("a|b"))
    )
    with pytest.raises(ValueError, match="KGX list delimiter"):
        kgx_files(graph)
