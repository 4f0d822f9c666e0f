"""The validation benchmark's verdicts (bench/validate.py, bench/shacl_candidates.py): the
conformance of each engine to pySHACL and the feature it differs in, the timing tables, the
targets, and the slices skipped after a timeout. The benchmark itself runs with
`make bench-validate`, not in the test suite."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH

from conftest import load_bench


@pytest.fixture(scope="module")
def bench(root: Path) -> ModuleType:
    return load_bench(root, "validate")


@pytest.fixture(scope="module")
def candidates(bench: ModuleType) -> ModuleType:
    import shacl_candidates  # bench/validate.py put bench/ on the path

    return shacl_candidates


def _m(seconds: float, peak_mb: float = 900, results: list[list[str]] | None = None) -> dict[str, Any]:
    return {"seconds": seconds, "peak_mb": peak_mb, "results": results or []}


L01 = "<https://w3id.org/omskg/shapes/L01-annotation>"
S11 = "<https://w3id.org/omskg/shapes/S11-offsets>"
START = "<http://www.w3.org/ns/oa#start>"
RESULT = [L01, "<x>", "", "Violation", "SPARQLConstraintComponent"]
OFFSET = (S11, "<sel>", START, "Violation", "LessThanConstraintComponent", "start below end")


def test_a_missed_result_is_named_by_its_component(candidates: ModuleType) -> None:
    assert candidates.differences([OFFSET], []) == ["misses sh:lessThan"]
    sparql = (L01, "<x>", "", "Violation", "SPARQLConstraintComponent", "")
    assert candidates.differences([sparql], []) == ["misses SPARQL-based constraints"]


def test_an_added_result_a_severity_and_a_message_are_named(candidates: ModuleType) -> None:
    extra = (S11, "<sel>", START, "Violation", "MinInclusiveConstraintComponent", "")
    assert candidates.differences([], [extra]) == ["reports sh:minInclusive where pySHACL does not"]
    warning = (*OFFSET[:3], "Warning", *OFFSET[4:])
    assert candidates.differences([OFFSET], [warning]) == ["the severity of sh:lessThan"]
    worded = (*OFFSET[:5], "LessThan constraint violated: 185 is not less than 190")
    assert candidates.differences([OFFSET], [worded]) == ["messages of sh:lessThan"]
    assert candidates.differences([OFFSET], [(*OFFSET[:5], "")]) == []  # an engine without messages
    assert candidates.differences([OFFSET], [OFFSET, worded]) == []  # pySHACL's message among others


def test_a_miss_explained_by_the_target_names_the_target(candidates: ModuleType) -> None:
    sparql_target = candidates.differences([OFFSET], [], sparql_targets=frozenset({S11}))
    assert sparql_target == ["misses sh:SPARQLTarget targets"]
    subclass = candidates.differences([OFFSET], [], through_subclasses=frozenset({(S11, "<sel>")}))
    assert subclass == ["misses sh:targetClass through subclasses"]


def test_a_focus_targeted_through_a_subclass_is_found(candidates: ModuleType) -> None:
    ex = "https://example.org/"
    data, shapes = Graph(), Graph()
    data.add((URIRef(ex + "Child"), RDFS.subClassOf, URIRef(ex + "Parent")))
    data.add((URIRef(ex + "a"), RDF.type, URIRef(ex + "Child")))
    data.add((URIRef(ex + "b"), RDF.type, URIRef(ex + "Parent")))
    shapes.add((URIRef(ex + "S"), SH.targetClass, URIRef(ex + "Parent")))
    pairs = {(f"<{ex}S>", f"<{ex}a>"), (f"<{ex}S>", f"<{ex}b>")}
    assert candidates.subclass_targets(data, shapes, pairs) == {(f"<{ex}S>", f"<{ex}a>")}


def test_errors_are_named_by_what_was_refused_or_how_it_failed(candidates: ModuleType) -> None:
    refused = "OmsError: shape <x>: sh:or cannot be compiled to SPARQL; validate with pySHACL"
    assert candidates.error_feature(refused) == "refuses sh:or"
    panic = "pyrudof.InternalError: rudof panicked: called `Option::unwrap()` on a `None` value"
    assert candidates.error_feature(panic) == "panics (called `Option::unwrap()` on a `None` value)"
    assert candidates.error_feature("timed out: over 60 s") == "times out over 60 s"


def test_property_shapes_are_named_and_results_name_their_node_shape(candidates: ModuleType) -> None:
    shape, prop = URIRef("https://example.org/S"), BNode()
    shapes = Graph()
    shapes.add((shape, SH.property, prop))
    shapes.add((prop, SH.minCount, Literal(1)))
    named = candidates.name_property_shapes(shapes)
    (held,) = named.objects(shape, SH.property)
    assert isinstance(held, URIRef) and (held, SH.minCount, Literal(1)) in named
    found = [{"sourceShape": f"<{held}>", "focusNode": "_:b1", "resultPath": "<https://example.org/p>",
              "severity": "<http://www.w3.org/ns/shacl#Violation>",
              "sourceConstraintComponent": "<http://www.w3.org/ns/shacl#MinCountConstraintComponent>",
              "messages": ["too few"]}]  # fmt: skip
    assert candidates.keys("shacl-rust", found, named) == {
        (
            f"<{shape}>",
            "(blank)",
            "<https://example.org/p>",
            "Violation",
            "MinCountConstraintComponent",
            "too few",
        )
    }


CASES = [
    {"id": "valid/S01.ttl", "set": "core"},
    {"id": "invalid/S11.ttl", "set": "core"},
    {"id": "linked/base.ttl", "set": "linked"},
    {"id": "core graph", "set": "core graph"},
]


def test_each_candidate_is_judged_against_pyshacl_input_by_input(bench: ModuleType) -> None:
    nothing: dict[str, Any] = {"keys": []}
    reference = {"valid/S01.ttl": nothing, "invalid/S11.ttl": {"keys": [OFFSET]}, "linked/base.ttl": nothing}
    reference["core graph"] = nothing
    answers = {
        "pyshacl": reference,
        "shacl": {**reference, "invalid/S11.ttl": {"keys": [(*OFFSET[:5], "other words")]}},
        "compiled": {
            **{c["id"]: {"error": "OmsError: sh:or cannot be compiled"} for c in CASES},
            "linked/base.ttl": nothing,
        },
        "rudof": {**reference, "invalid/S11.ttl": nothing},
    }
    verdicts = bench.judge(CASES, answers)
    assert verdicts["shacl"]["agrees"] and verdicts["shacl"]["features"] == {"messages of sh:lessThan": 1}
    assert verdicts["compiled"]["counts"]["core"] == [0, 2]
    assert verdicts["compiled"]["counts"]["linked"] == [1, 1]
    assert verdicts["compiled"]["features"] == {"refuses sh:or": 3}
    assert not verdicts["rudof"]["agrees"] and verdicts["rudof"]["features"] == {"misses sh:lessThan": 1}
    lines = bench.conformance_lines(verdicts, {"shacl": "0.3.4"})
    assert "| shacl 0.3.4 | 2/2 | 0/0 | 0/0 | 1/1 | yes | messages of sh:lessThan (1) |" in lines
    assert "| compiled | 0/2 | 0/0 | 0/0 | 1/1 | no | refuses sh:or (3) |" in lines
    assert "| rudof | 1/2 | 0/0 | 0/0 | 1/1 | yes | misses sh:lessThan (1) |" in lines


def test_a_candidate_timed_out_skips_its_larger_slices(bench: ModuleType) -> None:
    assert bench.skipped([]) is None
    assert bench.skipped([_m(1.0), {"error": "panics (x)"}]) is None
    assert bench.skipped([_m(1.0), {"timeout": 150}]) == {"skipped": 150}
    assert bench.skipped([{"timeout": 150}, {"skipped": 150}]) == {"skipped": 150}


def _verdicts(agree: bool = True) -> dict[str, Any]:
    counts = {name: [2, 2] for name in ("core", "hcls", "examples", "linked", "core graph")}
    wrong = {**counts, "core": [1, 2]}
    return {
        "pyshacl": {"counts": counts, "features": {}, "agrees": True},
        "shacl": {"counts": counts if agree else wrong, "features": {}, "agrees": agree},
        "compiled": {"counts": {**counts, "core": [0, 2]}, "features": {"refuses sh:or": 2}, "agrees": False},
    }


def test_within_the_targets_nothing_fails(bench: ModuleType) -> None:
    core = {"pyshacl": _m(2.0), "shacl": _m(0.04), "compiled": {"error": "refuses sh:or"}}
    slices = {
        "load": {10_000: _m(0.1), 2_000_000: _m(14.0)},
        "pyshacl": {10_000: _m(5, results=[RESULT]), 2_000_000: {"timeout": 150}},
        "compiled": {10_000: _m(0.3, results=[RESULT]), 2_000_000: _m(27.0, peak_mb=1500)},
        "shacl": {10_000: _m(0.2, results=[]), 2_000_000: {"skipped": 150}},
    }
    lines, failures = bench.report(_verdicts(), core, slices)
    assert failures == []
    assert "| compiled | refuses sh:or |" in lines
    assert "| compiled | 0.30 s, 3.00x, 900 MB, same results | 27.00 s, 1.93x, 1500 MB |" in lines
    assert "| shacl | 0.20 s, 2.00x, 900 MB, OTHER RESULTS | over 150 s |" in lines
    assert "| pyshacl | 5.00 s, 50.00x, 900 MB | over 150 s |" in lines
    assert "agree with pySHACL everywhere: shacl" in lines
    assert "whole linked graph: the compiled engine in 1.93x its load (target 2.0x)" in lines
    assert "core graph: the shacl engine in 0.040 s, pySHACL in 2.00 s (target 0.5 s)" in lines


def test_each_target_missed_is_named(bench: ModuleType) -> None:
    core = {"pyshacl": _m(2.0), "shacl": _m(0.6)}
    slices = {
        "load": {10_000: _m(0.1), 2_000_000: _m(14.0)},
        "pyshacl": {10_000: _m(5, results=[RESULT])},
        "compiled": {10_000: _m(0.3), 2_000_000: _m(30.0, peak_mb=2500)},
    }
    _, failures = bench.report(_verdicts(agree=False), core, slices)
    assert failures == [
        "10000 triples: pySHACL and the compiled engine disagree",
        "shacl, a chosen engine, disagrees with pySHACL on core, hcls, examples, core graph",
        "the whole graph's check takes 2.14x its load (target 2.0x)",
        "peak memory 2500 MB (target 2048 MB)",
        "the core graph takes 0.60 s (target 0.5 s)",
    ]


def test_an_engine_that_did_not_finish_the_whole_graph_fails(bench: ModuleType) -> None:
    slices = {"load": {10: _m(0.1)}, "compiled": {10: {"timeout": 150}}}
    _, failures = bench.report(_verdicts(), {"shacl": {"error": "panics (x)"}}, slices)
    assert failures == [
        "the compiled engine did not check the whole graph (over 150 s)",
        "the shacl engine did not check the core graph (panics (x))",
    ]


def test_a_candidate_stopped_for_its_memory_skips_its_larger_slices(bench: ModuleType) -> None:
    assert bench.skipped([_m(1.0), {"memory": 16}]) == {"skipped_memory": 16}
    assert bench.skipped([{"memory": 16}, {"skipped_memory": 16}]) == {"skipped_memory": 16}
    slices = {"load": {10: _m(0.1), 20: _m(0.2)}, "pyrudof": {10: {"memory": 16}, 20: {"skipped_memory": 16}}}
    lines, _ = bench.report(_verdicts(), {}, slices)
    assert "| pyrudof | over 16 GB | over 16 GB |" in lines
