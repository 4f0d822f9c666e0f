"""The curators' review record: one row per statement with its verdict, kept with the data.

A review row names the statement by a fingerprint of the whole record (subject, predicate,
object, qualifiers, clauses, evidence and note), so any change to a record leaves its row
stale and the record needs a new review (``docs/review/statements.tsv``; the rules are in
``docs/data-model.md``, rule 8). Written by hand here because no library keeps review verdicts
beside curated YAML.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from omskg.curation.records import Statement

REVIEW_FILE = "docs/review/statements.tsv"
# Verdicts a row may carry: the passage states the fact with every qualifier, or the fact is
# the curators' inference or background knowledge (its evidence coded ECO:0000305/0000306),
# or an open problem, which no release may have.
VERDICTS = ("supported", "inferred", "open")
COLUMNS = ("fingerprint", "file", "subject", "predicate", "object", "verdict", "reason")


@dataclass(frozen=True)
class ReviewRow:
    fingerprint: str
    file: str
    subject: str
    predicate: str
    object: str
    verdict: str
    reason: str


def fingerprint(statement: Statement) -> str:
    """A short hash of everything a reviewer reads in a statement record.

    >>> from omskg.curation.records import Evidence
    >>> st = Statement(subject="oms", predicate="hasPhenotype", object="myoclonus", is_value=False,
    ...                qualifiers={}, evidence=(Evidence("gale-oms", 60, 234, None, 1),), clauses=(),
    ...                note=None, file="f.yaml", line=1)
    >>> fingerprint(st)
    'ec70a11ee0ddaa80'
    """
    content = {
        "subject": statement.subject,
        "predicate": statement.predicate,
        "object": statement.object,
        "qualifiers": statement.qualifiers,
        "clauses": [[c.kind, c.qualifiers] for c in statement.clauses],
        "evidence": [[e.source, e.start, e.end, e.code] for e in statement.evidence],
        "note": statement.note,
    }
    text = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_review(path: Path) -> list[ReviewRow]:
    """The rows of a review file (tab-separated, with the header ``COLUMNS``)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        return [ReviewRow(**{key: row[key] or "" for key in COLUMNS}) for row in reader]


def format_review(rows: list[ReviewRow]) -> str:
    """``rows`` as the review file's text, sorted by file, fact and fingerprint, so it diffs cleanly."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in sorted(rows, key=lambda r: (r.file, r.subject, r.predicate, r.object, r.fingerprint)):
        writer.writerow([getattr(row, key) for key in COLUMNS])
    return out.getvalue()


def pending_rows(statements: list[Statement], review: list[ReviewRow]) -> list[ReviewRow]:
    """An ``open`` row for each statement whose record has no current review row: the rows
    a curator fills in (verdict and reason) after reading the record against its passages."""
    reviewed = {row.fingerprint for row in review}
    return [
        ReviewRow(
            fingerprint(st),
            st.file,
            st.subject,
            st.predicate,
            "" if st.object is None else str(st.object),
            "open",
            "",
        )
        for st in statements
        if fingerprint(st) not in reviewed
    ]
