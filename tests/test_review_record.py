"""The curators' review record covers every statement as it now stands (docs/data-model.md, rule 8):
one row per record, named by the fingerprint of the whole record, none left open."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from omskg.curation.records import Statement, load_curated
from omskg.curation.review import COLUMNS, REVIEW_FILE, VERDICTS, ReviewRow, fingerprint, read_review

INFERENCE_CODES = {"ECO:0000305", "ECO:0000306"}


@pytest.fixture(scope="module")
def statements(root: Path) -> list[Statement]:
    return load_curated(root / "data", root=root).statements


@pytest.fixture(scope="module")
def rows(root: Path) -> dict[str, ReviewRow]:
    found = read_review(root / REVIEW_FILE)
    assert len(found) == len({row.fingerprint for row in found}), "one row per fingerprint"
    return {row.fingerprint: row for row in found}


def test_every_statement_has_a_current_review_row(
    statements: list[Statement], rows: dict[str, ReviewRow]
) -> None:
    assert len(statements) > 200
    current = {fingerprint(st): st for st in statements}
    unreviewed = [
        f"{st.file}:{st.line} {st.subject} {st.predicate} {st.object}"
        for fp, st in current.items()
        if fp not in rows
    ]
    stale = sorted(set(rows) - set(current))
    assert not unreviewed, f"records changed or added since their review: {unreviewed}"
    assert not stale, f"review rows of records that no longer exist: {stale}"


def test_no_review_item_is_open(root: Path) -> None:
    found = read_review(root / REVIEW_FILE)
    assert {row.verdict for row in found} <= set(VERDICTS)
    assert [row for row in found if row.verdict == "open"] == []
    assert all(row.reason for row in found if row.verdict != "supported"), (
        "a verdict other than supported needs a reason"
    )


def test_inferred_verdicts_match_the_evidence_codes(
    statements: list[Statement], rows: dict[str, ReviewRow]
) -> None:
    """A statement the review calls the curators' own is coded so, and the reverse."""
    for st in statements:
        row = rows[fingerprint(st)]
        coded = all(e.code in INFERENCE_CODES for e in st.evidence)
        assert (row.verdict == "inferred") == coded, f"{st.file}:{st.line} {st.subject} {st.predicate}"


def test_a_changed_record_needs_a_new_review(statements: list[Statement], rows: dict[str, ReviewRow]) -> None:
    st = statements[0]
    assert fingerprint(st) in rows
    changed = Statement(**{**st.__dict__, "note": (st.note or "") + " edited"})
    assert fingerprint(changed) not in rows


def test_omskg_review_lists_a_changed_record_as_an_open_row(
    root: Path, project_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a curator runs after editing a record: the rows still to fill in, exit 1."""
    from omskg.cli import main

    review = project_copy / "docs" / "review"
    review.mkdir(parents=True)
    shutil.copy(root / REVIEW_FILE, review / "statements.tsv")
    assert main(["review"]) == 0
    gale = project_copy / "data" / "statements" / "ninds-oms.yaml"
    text = gale.read_text(encoding="utf-8")
    assert "  note: NINDS hedges it (other symptoms may include it)" in text
    gale.write_text(text.replace("  note: NINDS hedges it (other", "  note: NINDS, edited, hedges it (other"))
    capsys.readouterr()
    assert main(["review"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "\t".join(COLUMNS)
    assert [line.split("\t")[1:] for line in lines[1:]] == [
        ["data/statements/ninds-oms.yaml", "oms", "hasPhenotype", "difficulty-speaking", "open", ""]
    ]
