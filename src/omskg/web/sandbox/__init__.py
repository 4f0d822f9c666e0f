"""Read-only SPARQL for untrusted callers: queries answered by worker processes under a time limit.

:class:`QueryService` keeps a pool of worker processes (``python -m omskg.web.sandbox.worker``),
each holding the data: an on-disk store made by ``omskg link`` or ``omskg build``, opened
read-only, or an RDF file loaded into memory. Everything the query text reaches runs in a
worker: rdflib's parser (for the checks below), pyoxigraph's parser, evaluation and
serialisation. The calling process only moves bytes over a socket, so a query that runs
too long is stopped by killing its worker, and one that crashes its worker (a stack
overflow in a parser, memory exhausted) takes only that worker down; a fresh worker takes
its place and the caller gets an error that says what happened.

Before evaluating, a worker refuses texts longer or more deeply nested than
:func:`omskg.sparql_guard.check_shape` allows (before any parser reads them), updates,
``SERVICE`` and ``LOAD`` (pyoxigraph would make the HTTP request), and ``FROM`` /
``FROM NAMED`` outside the project's graphs, and picks the response format from the
``Accept`` header (:func:`omskg.web.conneg.choose`). Queries may use the project's prefixes
without declaring them, as ``omskg query`` does.

The dataset is that of :func:`omskg.linked.store.run_store_query`: the default graph is the
union of all graphs, unless the query names its own (``FROM``) or the request does
(``default_graphs`` / ``named_graphs``, the protocol's ``default-graph-uri`` and
``named-graph-uri``, which win over the query's).
"""

from omskg.web.sandbox.errors import (
    DataUnavailable,
    NotAcceptable,
    QueryFailed,
    QueryRefused,
    QueryServiceError,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    ServiceBusy,
    ServiceClosed,
    WorkerDied,
)
from omskg.web.sandbox.pool import QueryService, run_isolated_query
from omskg.web.sandbox.protocol import DEFAULT_MAX_BYTES, GRAPH_FORMATS, RESULT_FORMATS, Answer
from omskg.web.sandbox.worker import evaluate, open_source

__all__ = [
    "DEFAULT_MAX_BYTES",
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "Answer",
    "DataUnavailable",
    "NotAcceptable",
    "QueryFailed",
    "QueryRefused",
    "QueryService",
    "QueryServiceError",
    "QuerySyntaxError",
    "QueryTimeout",
    "ResultTooLarge",
    "ServiceBusy",
    "ServiceClosed",
    "WorkerDied",
    "evaluate",
    "open_source",
    "run_isolated_query",
]
