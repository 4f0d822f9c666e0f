"""What a broken shape example expects, read from its ``# focus:`` and ``# message:`` lines
(shared by the graph shapes and the HCLS release-description shapes)."""

from __future__ import annotations

import re
from pathlib import Path


def expectations(path: Path) -> dict[str, str]:
    """The ``focus`` and ``message`` an invalid example states in its comments."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#\s*(focus|message):\s*(.+)$", line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found
