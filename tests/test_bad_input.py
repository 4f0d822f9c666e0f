"""Bad input gives one clear error naming file and term, a non-zero exit, and leaves
the previous ``dist/`` untouched."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from omskg.cli import main

pytestmark = pytest.mark.slow  # make test-fast leaves it out (see pyproject.toml)

STATEMENT = """
- subject: oms
  predicate: hasPhenotype
  object: tremor
  evidence:
    - {source: gale-oms, start: 10, end: 60}
"""


def _append(path: str, text: str) -> Callable[[Path], None]:
    def change(project: Path) -> None:
        target = project / path
        target.write_text(target.read_text(encoding="utf-8") + text, encoding="utf-8")

    return change


CASES = {
    "malformed YAML": (
        _append("data/statements/zz-extra.yaml", "- subject: oms\n  predicate: [unclosed\n"),
        ["data/statements/zz-extra.yaml:", "malformed YAML"],
    ),
    "unknown prefix": (
        _append(
            "data/entities/zz-extra.yaml",
            "- id: extra-thing\n  type: ClinicalFinding\n  label: extra\n"
            "  mappings:\n    - {id: 'FOO:123', predicate: exact, label: x, source: y}\n",
        ),
        ["data/entities/zz-extra.yaml:5", "'FOO:123'", "unknown prefix"],
    ),
    "statement without evidence": (
        _append(
            "data/statements/zz-extra.yaml",
            STATEMENT.replace(
                "  evidence:\n    - {source: gale-oms, start: 10, end: 60}\n", "  evidence: []\n"
            ),
        ),
        ["data/statements/zz-extra.yaml:2", "'oms'", "no evidence"],
    ),
    "offsets out of range": (
        _append("data/statements/zz-extra.yaml", STATEMENT.replace("end: 60", "end: 99999")),
        ["data/statements/zz-extra.yaml:2", "'10-99999'", "offsets out of range"],
    ),
    "identifier off its pattern": (
        _append(
            "data/entities/zz-extra.yaml",
            "- id: extra-thing\n  type: ClinicalFinding\n  label: extra\n"
            "  mappings:\n    - {id: 'HP:12345', predicate: exact, label: x, source: y}\n",
        ),
        ["data/entities/zz-extra.yaml:5", "'HP:12345'", "does not match the HP pattern"],
    ),
    "misspelt field": (
        _append(
            "data/statements/zz-extra.yaml",
            STATEMENT.replace("  evidence:", "  qualifers:\n    quantifier: Many\n  evidence:"),
        ),
        ["data/statements/zz-extra.yaml:2", "'qualifers'", "unknown statement field"],
    ),
    "duration with weeks": (
        _append(
            "data/statements/zz-extra.yaml",
            STATEMENT.replace("  evidence:", "  qualifiers:\n    duration: P20W\n  evidence:"),
        ),
        ["data/statements/zz-extra.yaml:2", "'P20W'", "duration needs an xsd:duration value"],
    ),
    "unknown entity": (
        _append(
            "data/statements/zz-extra.yaml", STATEMENT.replace("object: tremor", "object: no-such-thing")
        ),
        ["data/statements/zz-extra.yaml:2", "'no-such-thing'", "unknown term"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_reported_and_dist_kept(
    case: str, core_release: Path, project_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change, expected = CASES[case]
    for name in ("data/statements/zz-extra.yaml", "data/entities/zz-extra.yaml"):
        (project_copy / name).write_text("", encoding="utf-8")
    out = tmp_path / "dist"
    shutil.copytree(core_release, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()

    change(project_copy)
    assert main(["build", "--out", str(out), "--no-link"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, errors
    assert all(part in errors[0] for part in expected), errors[0]
    assert "Traceback" not in errors[0]
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_interrupted_write_keeps_previous_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from omskg import fileio

    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    fileio.write_files_atomically({first: "old a", second: "old b"})
    calls = {"n": 0}
    real_fsync = fileio.os.fsync

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        real_fsync(fd)

    monkeypatch.setattr(fileio.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        fileio.write_files_atomically({first: "new a", second: "new b"})
    assert (first.read_text(), second.read_text()) == ("old a", "old b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_written_files_get_the_mode_of_a_plain_open(tmp_path: Path) -> None:
    """mkstemp makes 0600 files; a release (or a server reading it) needs them readable."""
    from omskg import fileio

    fileio.write_files_atomically({tmp_path / "a.txt": "a"})
    with fileio.atomic_writer(tmp_path / "b.txt.gz") as out:
        out.write("b")
    (tmp_path / "c.txt").write_text("c")
    plain = (tmp_path / "c.txt").stat().st_mode & 0o777
    assert plain == 0o666 & ~fileio._UMASK
    assert [(tmp_path / n).stat().st_mode & 0o777 for n in ("a.txt", "b.txt.gz")] == [plain, plain]
