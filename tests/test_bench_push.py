"""The push benchmark's verdicts (bench/push.py): the push against the store's own loader, the
server's memory, and the same triples either way. The benchmark itself runs with
`make bench-push`, not in the test suite."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from conftest import load_bench


@pytest.fixture(scope="module")
def bench(root: Path) -> ModuleType:
    return load_bench(root, "push")


def test_within_the_targets_nothing_fails(bench: ModuleType) -> None:
    native = bench.Load("oxigraph", "oxigraph load", 13.0, 1500, 2_389_243)
    pushed = bench.Load("oxigraph", "omskg push", 25.0, 300, 2_389_243)
    protocol = bench.Load("oxigraph", "omskg push", 30.0, 300, 2_389_243)
    lines, failures = bench.report([(native, pushed, True), (native, protocol, False)])
    assert failures == []
    assert lines[2:] == [
        "| oxigraph | oxigraph load | 13.0 s | omskg push | 25.0 s | 1.92x | 300 MB | 2389243 |",
        "| oxigraph | oxigraph load | 13.0 s | omskg push | 30.0 s | 2.31x (no target) | 300 MB | 2389243 |",
    ]


def test_each_target_missed_is_named(bench: ModuleType) -> None:
    native = bench.Load("virtuoso", "ld_dir + rdf_loader_run", 20.0, 900, 2_389_243)
    pushed = bench.Load("virtuoso", "omskg push --virtuoso-bulk", 41.0, 5000, 2_389_000)
    _, failures = bench.report([(native, pushed, True)])
    assert failures == [
        "virtuoso: omskg push --virtuoso-bulk takes 2.05x the native load (target 2.0x)",
        "virtuoso: the server peaked at 5000 MB during omskg push --virtuoso-bulk (target 4096 MB)",
        "virtuoso: omskg push --virtuoso-bulk left 2389000 triples, the native load 2389243",
    ]


def test_the_median_run_is_kept_with_the_highest_peak(bench: ModuleType) -> None:
    runs = [
        bench.Load("oxigraph", "omskg push", seconds, peak, 10)
        for seconds, peak in ((27.0, 900), (23.0, 950), (25.0, 800))
    ]
    assert bench.median(runs) == bench.Load("oxigraph", "omskg push", 25.0, 950, 10)
