"""The validation benchmark's verdicts (bench/validate.py): the ratio of the check to the load,
the memory and core targets, and agreement with pySHACL. The benchmark itself runs with
`make bench-validate`, not in the test suite."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import load_bench


@pytest.fixture(scope="module")
def bench(root: Path) -> ModuleType:
    return load_bench(root, "validate")


def _m(seconds: float, peak_mb: float = 900, results: list[list[str]] | None = None) -> dict[str, Any]:
    return {"seconds": seconds, "peak_mb": peak_mb, "results": results or []}


RESULT = ["<https://w3id.org/omskg/shapes/L01-annotation>", "x", "", "Violation", "SPARQLConstraintComponent"]


def test_within_the_targets_nothing_fails(bench: ModuleType) -> None:
    rows = [
        {
            "triples": 10_000,
            "load": _m(0.1),
            "compiled": _m(0.3, results=[RESULT]),
            "pyshacl": _m(5, results=[RESULT]),
        },
        {"triples": 2_000_000, "load": _m(14.0), "compiled": _m(27.0, peak_mb=1500)},
    ]
    lines, failures = bench.report(rows, _m(0.04), _m(2.0))
    assert failures == []
    assert "core graph: the shacl engine in 0.04 s, pySHACL in 2.00 s (target 0.5 s)" in lines
    assert "| 10000 | 0.1 s | 0.3 s | 3.00x | 900 MB | 5.0 s | yes |" in lines
    assert "| 2000000 | 14.0 s | 27.0 s | 1.93x | 1500 MB | not run |  |" in lines
    assert "whole graph: checked in 1.93x its load (target 2.0x)" in lines


def test_each_target_missed_is_named(bench: ModuleType) -> None:
    rows = [
        {"triples": 10_000, "load": _m(0.1), "compiled": _m(0.3), "pyshacl": _m(5, results=[RESULT])},
        {"triples": 2_000_000, "load": _m(14.0), "compiled": _m(30.0, peak_mb=2500)},
    ]
    _, failures = bench.report(rows, _m(0.6))
    assert failures == [
        "10000 triples: pySHACL and the compiled engine disagree",
        "the whole graph's check takes 2.14x its load (target 2.0x)",
        "peak memory 2500 MB (target 2048 MB)",
        "the core graph takes 0.60 s (target 0.5 s)",
    ]
