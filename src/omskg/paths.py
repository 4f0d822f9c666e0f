"""Where the project's ontology, data and queries live."""

from __future__ import annotations

import os
from pathlib import Path

from omskg.errors import OmsError

_MARKER = Path("ontology") / "prefixes.csv"


def project_root() -> Path:
    """The folder holding ``ontology/``, ``data/`` and ``queries/``.

    ``$OMSKG_ROOT`` wins; otherwise the checkout this package is installed from
    (editable install), then the current directory and its parents.
    """
    env = os.environ.get("OMSKG_ROOT")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2])
    cwd = Path.cwd().resolve()
    candidates.extend([cwd, *cwd.parents])
    for candidate in candidates:
        if (candidate / _MARKER).is_file():
            return candidate
    raise OmsError(
        "cannot find the project folder (ontology/prefixes.csv); run from a checkout or set OMSKG_ROOT"
    )
