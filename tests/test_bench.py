"""The engine benchmark's verdicts: ratios against the fastest engine and the targets of
issue 4 (the benchmark itself runs with `make bench`, not in the test suite)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import load_bench

pytestmark = pytest.mark.slow  # make test-fast leaves it out (see pyproject.toml)


@pytest.fixture(scope="module")
def bench(root: Path) -> ModuleType:
    return load_bench(root, "engines")


def _result(engine: str, load: float, seconds: float, rows: int = 3, peak_mb: float = 900) -> dict[str, Any]:
    return {
        "engine": engine,
        "load": load,
        "queries": {"01-q": seconds, "02-q": seconds},
        "rows": {"01-q": rows, "02-q": rows},
        "peak_mb": peak_mb,
    }


def test_within_the_targets_nothing_fails(bench: ModuleType) -> None:
    lines, failures = bench.report([_result("pyoxigraph", 10.0, 0.001), _result("omskg", 14.0, 0.0019)])
    assert failures == []
    assert "| omskg | 14.0 s | 1.40x | 900 MB | 4 ms | 1.90x | 0 | 0 |" in lines
    assert "omskg load / pyoxigraph bulk load: 1.40x (target 1.5x)" in lines


def test_each_missed_target_and_each_disagreement_is_named(bench: ModuleType) -> None:
    results = [_result("pyoxigraph", 10.0, 0.001), _result("omskg", 16.0, 0.003, rows=4, peak_mb=5000)]
    _, failures = bench.report(results)
    assert failures == [
        "01-q: omskg gives 4 rows, pyoxigraph 3",
        "02-q: omskg gives 4 rows, pyoxigraph 3",
        "load 1.60x over 1.5x",
        "01-q: 3.00x over 2.0x",
        "02-q: 3.00x over 2.0x",
        "peak memory 5000 MB over 4096 MB",
    ]


def test_a_stopped_query_is_not_a_disagreement(bench: ModuleType) -> None:
    lines, failures = bench.report(
        [
            _result("pyoxigraph", 10.0, 0.001),
            _result("omskg", 10.0, 0.001),
            _result("rdflib", 90.0, 30, rows=-1),
        ]
    )
    assert failures == []
    assert "| rdflib | 90.0 s | 9.00x | 900 MB | 60000 ms | 30000.00x | 2 | 0 |" in lines
    assert "| 01-q | 1.00 | 1.00 | > 30000 |" in lines
