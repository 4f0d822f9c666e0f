"""omskg: a traceable knowledge graph of opsoclonus-myoclonus syndrome and myoclonus.

The public API, one function per step of the pipeline:

>>> from omskg import build_graph, validate
>>> built = build_graph()
>>> validate(built).conforms
True
"""

from omskg.build import BuiltGraph, build_graph
from omskg.errors import DataError, OmsError, Problem
from omskg.evidence import verify_evidence
from omskg.export import write_dist
from omskg.query import find_query, format_table, list_queries, run_query
from omskg.stats import compute_stats
from omskg.validate import Report, validate

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
