"""What a broken shape example expects, read from its ``# focus:`` and ``# message:`` lines
(shared by the graph shapes and the HCLS release-description shapes)."""

from __future__ import annotations

import re
from pathlib import Path

from omskg.curation.validate import Report


def expectations(path: Path) -> dict[str, str]:
    """The ``focus`` and ``message`` an invalid example states in its comments."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#\s*(focus|message):\s*(.+)$", line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def assert_fails_as_expected(path: Path, report: Report) -> None:
    """``report`` holds a finding of the shape the file is named after (``S06-...`` -> S06),
    on the focus node and with the message its comment lines state."""
    expected = expectations(path)
    assert {"focus", "message"} <= expected.keys(), f"{path.name} lacks # focus/# message lines"
    shape = f"omsshape:{path.name[:3]}"
    hits = [
        f
        for f in report.findings
        if f.shape.startswith(shape) and f.focus == expected["focus"] and expected["message"] in f.message
    ]
    assert hits, f"expected {shape} on {expected['focus']}: {expected['message']}\n{report.text()}"
