"""The verdicts of `make bench-annotate` (bench/annotate.py): recall and precision counted as
docs/curating.md says, on proposals made up for the test (the benchmark itself runs with
`make bench-annotate`, not in the test suite)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from conftest import load_bench


@pytest.fixture(scope="module")
def bench(root: Path) -> ModuleType:
    return load_bench(root, "annotate")


def test_recall_precision_and_wrong_denials(bench: ModuleType) -> None:
    gold = {("HP:1", 0, 50), ("HP:2", 60, 90)}
    named = gold | {("HP:3", 100, 120)}
    proposals = [
        bench.Proposal("HP:1", 10, 15),  # found inside its span
        bench.Proposal("HP:2", 70, 75, negated=True),  # denied: neither found nor counted as proposed
        bench.Proposal("HP:3", 101, 110),  # confirmed by a statement naming it
        bench.Proposal("HP:4", 10, 15),  # no statement names it here
    ]
    result = bench.score(proposals, gold, named)
    assert (result.found, result.gold, result.recall) == (1, 2, 0.5)
    assert (result.confirmed, result.proposed) == (2, 3)
    assert result.unconfirmed == {"HP:4": 1}
    assert result.denied_wrongly == 1


def test_a_span_that_only_touches_is_not_a_find(bench: ModuleType) -> None:
    result = bench.score([bench.Proposal("HP:1", 50, 55)], {("HP:1", 0, 50)}, {("HP:1", 0, 50)})
    assert result.found == 0 and result.confirmed == 0
