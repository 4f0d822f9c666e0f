"""omskg: a traceable knowledge graph of opsoclonus-myoclonus syndrome and myoclonus.

The public API, one function per step of the pipeline:

>>> from omskg import build_graph, validate
>>> built = build_graph()
>>> validate(built).conforms
True

The names load on first use (PEP 562), so that ``import omskg`` is quick and the command
line can catch a Ctrl-C while the libraries load (:mod:`omskg.console`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omskg.curation.build import BuiltGraph, build_graph
    from omskg.curation.evidence import verify_evidence
    from omskg.curation.validate import Report, validate
    from omskg.errors import DataError, OmsError, Problem
    from omskg.query import find_query, format_table, list_queries, run_query
    from omskg.release.rdf_writers import write_dist
    from omskg.release.stats import compute_stats

_HOMES = {
    "BuiltGraph": "omskg.curation.build",
    "build_graph": "omskg.curation.build",
    "verify_evidence": "omskg.curation.evidence",
    "Report": "omskg.curation.validate",
    "validate": "omskg.curation.validate",
    "DataError": "omskg.errors",
    "OmsError": "omskg.errors",
    "Problem": "omskg.errors",
    "find_query": "omskg.query",
    "format_table": "omskg.query",
    "list_queries": "omskg.query",
    "run_query": "omskg.query",
    "write_dist": "omskg.release.rdf_writers",
    "compute_stats": "omskg.release.stats",
}

__all__ = [
    "BuiltGraph",
    "DataError",
    "OmsError",
    "Problem",
    "Report",
    "build_graph",
    "compute_stats",
    "find_query",
    "format_table",
    "list_queries",
    "run_query",
    "validate",
    "verify_evidence",
    "write_dist",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'omskg' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
