"""The command line: validate reports what a person needs and exits 1 on violations;
stats prints the figures of the graph."""

from __future__ import annotations

from pathlib import Path

import pytest

from omskg.cli import main

WRONG_VALUE = """
- subject: oms
  predicate: hasPhenotype
  object: tremor
  qualifiers:
    quantifier: Possible
  evidence:
    - {source: gale-oms, start: 2241, end: 2337}
"""


@pytest.mark.slow
def test_validate_conforms(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.strip() == "conforms: 0 violation(s), 0 warning(s), 0 info"


@pytest.mark.slow
def test_validate_reports_a_violation_and_exits_1(
    project_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project_copy / "data/statements/zz-extra.yaml").write_text(WRONG_VALUE, encoding="utf-8")
    assert main(["validate"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    violation = next(line for line in lines if line.startswith("Violation:"))
    for part in (
        "oms:quantifier:",
        "quantifier must be one value of the oms:Quantifier list",
        "omsshape:S13-qualifier-values",
        "[data/statements/zz-extra.yaml:2]",
    ):
        assert part in violation
    assert lines[-1] == "does not conform: 1 violation(s), 0 warning(s), 0 info"


@pytest.mark.slow
def test_build_refuses_to_write_a_graph_that_does_not_conform(
    project_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project_copy / "data/statements/zz-extra.yaml").write_text(WRONG_VALUE, encoding="utf-8")
    out = tmp_path / "dist"
    assert main(["build", "--out", str(out)]) == 1
    assert not out.exists()
    assert "keeps its previous content" in capsys.readouterr().err


def test_stats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "statements with evidence" in out and "(100%)" in out
    assert "mappings by vocabulary       CHEBI" in out


def test_query_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) >= 10
    assert out[0].startswith("01-oms-symptoms: Which symptoms")
