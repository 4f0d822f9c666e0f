"""The SSSOM export: sssom-py parses it and its validators report nothing, offline; rows and metadata.

sssom-py's ``strict=True`` cannot be used: in sssom 0.4.21 ``parse_sssom_table`` inverts the
result of its metadata check and refuses every file with only standard metadata. The same
checks are made here by asserting that parsing logs no warning (sssom-py logs one for each
non-standard metadata key and each redefined built-in prefix).
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from rdflib import OWL, RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from omskg.curation.build import BuiltGraph
from omskg.prefixes import OMS, load_prefix_map
from omskg.release.sssom import FILE_NAME, MAPPING_SET_ID, sssom_files, sssom_table

pytestmark = pytest.mark.usefixtures("offline")


@pytest.fixture(scope="module")
def sssom_py() -> SimpleNamespace:
    """sssom-py, imported when a test first needs it: the import takes about 4 s (pandas, LinkML),
    which every test worker would otherwise pay while collecting."""
    from sssom.constants import DEFAULT_VALIDATION_TYPES, SchemaValidationType
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate

    return SimpleNamespace(
        parse=parse_sssom_table, validate=validate, types=DEFAULT_VALIDATION_TYPES, kind=SchemaValidationType
    )


@pytest.fixture(scope="module")
def sssom_path(built: BuiltGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sssom") / FILE_NAME
    path.write_text(sssom_files(built.graph)[FILE_NAME], encoding="utf-8")
    return path


@pytest.fixture()
def msdf(sssom_path: Path, sssom_py: SimpleNamespace, caplog: pytest.LogCaptureFixture) -> Any:
    with caplog.at_level(logging.WARNING):
        parsed = sssom_py.parse(sssom_path)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    return parsed


def _mapping_count(graph: Graph) -> int:
    return len(set(graph.subjects(RDF.type, OMS.Mapping)))


def test_sssom_validators_report_nothing(msdf: Any, sssom_py: SimpleNamespace) -> None:
    assert sssom_py.kind.JsonSchema in sssom_py.types
    reports = sssom_py.validate(msdf, sssom_py.types, fail_on_error=False)
    assert set(reports) == set(sssom_py.types)
    assert {kind: report.results for kind, report in reports.items()} == {k: [] for k in reports}


def test_sssom_validator_catches_a_missing_prefix(
    sssom_path: Path, sssom_py: SimpleNamespace, tmp_path: Path
) -> None:
    """The validation really runs: a row with an undeclared prefix is reported."""
    text = sssom_path.read_text(encoding="utf-8").replace("\tUBERON:0000916\t", "\tFMA:0000916\t", 1)
    broken = tmp_path / FILE_NAME
    broken.write_text(text, encoding="utf-8")
    reports = sssom_py.validate(sssom_py.parse(broken), sssom_py.types, fail_on_error=False)
    messages = [r.message for r in reports[sssom_py.kind.PrefixMapCompleteness].results]
    assert messages == ["Missing prefix: FMA"]


def test_one_row_per_mapping_node(built: BuiltGraph, msdf: Any) -> None:
    assert len(msdf.df) == _mapping_count(built.graph)
    keys = set(zip(msdf.df["subject_id"], msdf.df["predicate_id"], msdf.df["object_id"], strict=True))
    assert len(keys) == len(msdf.df)
    expand = load_prefix_map().expand
    for subject, predicate, obj in keys:
        assert (URIRef(expand(subject)), URIRef(expand(predicate)), URIRef(expand(obj))) in built.graph


def test_known_row(msdf: Any) -> None:
    rows = msdf.df[(msdf.df["subject_id"] == "omse:oms") & (msdf.df["object_id"] == "MONDO:0015247")]
    assert rows.to_dict("records") == [
        {
            "subject_id": "omse:oms",
            "subject_label": "opsoclonus-myoclonus syndrome",
            "predicate_id": "skos:exactMatch",
            "object_id": "MONDO:0015247",
            "object_label": "opsoclonus-myoclonus syndrome",
            "mapping_justification": "semapv:ManualMappingCuration",
            "comment": "identifier and label checked in: monarch-initiative/mondo "
            "src/ontology/mappings/*.sssom.tsv (mapping_set_version 2026-08-04)",
        }
    ]


def test_broad_matches_keep_their_direction(msdf: Any) -> None:
    rows = msdf.df[(msdf.df["subject_id"] == "omse:oms") & (msdf.df["object_id"] == "icd10:G25.3")]
    assert list(rows["predicate_id"]) == ["skos:broadMatch"]


def test_metadata(built: BuiltGraph, msdf: Any) -> None:
    ontology = next(built.graph.subjects(RDF.type, OWL.Ontology))
    assert msdf.metadata["mapping_set_id"] == MAPPING_SET_ID
    assert msdf.metadata["license"] == str(built.graph.value(ontology, DCTERMS.license))
    assert (
        msdf.metadata["mapping_set_version"] == str(built.graph.value(ontology, OWL.versionInfo)) == "0.3.0"
    )


def test_curie_map_is_restricted_to_the_prefixes_used(sssom_path: Path, msdf: Any) -> None:
    header = "".join(line[1:] + "\n" for line in sssom_path.read_text().splitlines() if line.startswith("#"))
    declared = yaml.safe_load(header)["curie_map"]
    columns = ("subject_id", "predicate_id", "object_id", "mapping_justification")
    used = {curie.partition(":")[0] for column in columns for curie in msdf.df[column]}
    assert set(declared) == used
    assert {"omse", "skos", "semapv", "MONDO", "HP"} <= used
    uri_prefixes = load_prefix_map().uri_prefixes
    assert declared == {prefix: uri_prefixes[prefix] for prefix in used}


def test_deterministic(built: BuiltGraph, sssom_path: Path) -> None:
    assert sssom_table(built.graph) == sssom_path.read_text(encoding="utf-8")


def test_missing_licence_is_refused(built: BuiltGraph) -> None:
    graph = Graph()
    graph += built.graph
    graph.remove((None, DCTERMS.license, None))
    with pytest.raises(ValueError, match="dcterms:license"):
        sssom_table(graph)


def test_tab_in_a_label_does_not_break_the_table(
    built: BuiltGraph, sssom_py: SimpleNamespace, tmp_path: Path
) -> None:
    graph = Graph()
    graph += built.graph
    mapping = next(graph.subjects(RDF.type, OMS.Mapping))
    graph.set((mapping, OMS.objectLabel, Literal("two\twords\nand a line")))
    path = tmp_path / FILE_NAME
    path.write_text(sssom_table(graph), encoding="utf-8")
    parsed = sssom_py.parse(path)
    assert len(parsed.df) == _mapping_count(graph)
    assert "two words and a line" in set(parsed.df["object_label"])
