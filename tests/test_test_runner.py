"""The test runner as `make test` starts it: pytest-xdist's ``--dist loadgroup`` must keep each
``xdist_group`` on one worker, or every worker builds its own release (the slowest step of the
suite) and the run takes a minute more without a word. pytest 9.2 broke this for pytest-xdist
3.8 (node ids moved to ``Node._id``), hence the pin in pyproject.toml, held here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts a pytest with two worker processes

GROUPED = """
import os
import pytest

pytestmark = pytest.mark.xdist_group("one")


@pytest.mark.parametrize("case", range(6))
def test_case(case):
    print("worker", os.environ["PYTEST_XDIST_WORKER"])
"""


def test_loadgroup_keeps_a_group_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    passed = [line for line in run.stdout.splitlines() if "PASSED" in line]
    assert len(passed) == 6, run.stdout
    assert all("@one" in line for line in passed), run.stdout
    assert len({line.split("]")[0] for line in passed}) == 1, f"the group ran on two workers:\n{run.stdout}"
