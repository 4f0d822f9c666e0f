"""omskg: a traceable knowledge graph of opsoclonus-myoclonus syndrome and myoclonus.

The public API, one function per step of the pipeline:

>>> from omskg import build_graph, validate
>>> built = build_graph()
>>> validate(built).conforms
True
"""

from omskg.curation.build import BuiltGraph, build_graph
from omskg.curation.evidence import verify_evidence
from omskg.curation.validate import Report, validate
from omskg.errors import DataError, OmsError, Problem
from omskg.query import find_query, format_table, list_queries, run_query
from omskg.release.rdf_writers import write_dist
from omskg.release.stats import compute_stats

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
