"""Read-only SPARQL for untrusted callers: queries answered by worker processes under a time limit.

:class:`QueryService` keeps a pool of worker processes (``python -m omskg.sparql_service``),
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
``Accept`` header (:func:`omskg.conneg.choose`). Queries may use the project's prefixes
without declaring them, as ``omskg query`` does.

The dataset is that of :func:`omskg.store.run_store_query`: the default graph is the
union of all graphs, unless the query names its own (``FROM``) or the request does
(``default_graphs`` / ``named_graphs``, the protocol's ``default-graph-uri`` and
``named-graph-uri``, which win over the query's).
"""

from __future__ import annotations

import io
import itertools
import json
import os
import queue
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyoxigraph as ox
from pyparsing import ParseBaseException
from rdflib import URIRef
from rdflib.plugins.sparql.parser import parseQuery

from omskg.conneg import choose
from omskg.errors import OmsError
from omskg.prefixes import load_prefix_map
from omskg.query import NamedQuery, Table, bind_parameters, substitute_parameters
from omskg.sparql_guard import (
    PROJECT_GRAPHS,
    EmptyRequest,
    check_shape,
    outward_references,
    parse_request,
)
from omskg.store import open_store, solutions_table

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

DEFAULT_MAX_BYTES = 64 * 2**20
# Offered media types, in the order the service prefers them when the client does not care.
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,  # SPARQLWrapper and browsers ask for it
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "text/plain": ox.RdfFormat.N_TRIPLES,  # the media type N-Triples had before it got its own
}
_FORMS: dict[str, Mapping[str, ox.QueryResultsFormat | ox.RdfFormat]] = {
    "SelectQuery": RESULT_FORMATS,
    "AskQuery": RESULT_FORMATS,
    "ConstructQuery": GRAPH_FORMATS,
    "DescribeQuery": GRAPH_FORMATS,
}
_SPARQL_JSON = "application/sparql-results+json"
_LENGTH = struct.Struct("!Q")
_HEADER_LIMIT = 1 << 20


class QueryServiceError(OmsError):
    """A query the service did not answer; ``status`` is the HTTP status that fits."""

    status: ClassVar[int] = 500


class QueryRefused(QueryServiceError):
    """An update, ``SERVICE``, ``LOAD``, or ``FROM`` outside the project's graphs: understood,
    and refused by policy (403, not 400, so that clients do not report a malformed query)."""

    status = 403


class QuerySyntaxError(QueryServiceError):
    """Not valid SPARQL, longer or more deeply nested than
    :func:`~omskg.sparql_guard.check_shape` allows, or a graph IRI of the request that is no IRI."""

    status = 400


class NotAcceptable(QueryServiceError):
    """The ``Accept`` header allows no format this kind of query gives."""

    status = 406


class ResultTooLarge(QueryServiceError):
    """The serialised answer is longer than the service's ``max_bytes``."""

    status = 400


class QueryTimeout(QueryServiceError):
    """The query ran longer than the time limit; its worker was killed."""

    status = 503


class ServiceBusy(QueryServiceError):
    """No worker became free in time."""

    status = 503


class DataUnavailable(QueryServiceError):
    """The store folder the service answers from cannot be read (moved, deleted, or its
    permissions changed) or a fresh worker cannot load the data: a fault of the server,
    for the time being (503)."""

    status = 503


class ServiceClosed(QueryServiceError):
    """The service was closed."""

    status = 503


class WorkerDied(QueryServiceError):
    """The worker stopped (crashed, was killed, could not start) while answering."""


class QueryFailed(QueryServiceError):
    """The engine failed for another reason (a read error of the store, a bug)."""


_ERRORS: dict[str, type[QueryServiceError]] = {
    cls.__name__: cls for cls in (QueryRefused, QuerySyntaxError, NotAcceptable, ResultTooLarge, QueryFailed)
}


@dataclass(frozen=True)
class Answer:
    """A serialised answer and its media type (without parameters, as negotiated).

    ``total``: when the answer was asked for with ``max_rows`` (see :meth:`QueryService.answer`),
    how many rows (SELECT) or triples (CONSTRUCT, DESCRIBE) the whole answer has, of which
    ``body`` holds at most ``max_rows``; None otherwise."""

    body: bytes
    media_type: str
    total: int | None = None

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` to send: ``text/*`` types get ``charset=utf-8``, since
        their default charset is not UTF-8; the others are UTF-8 by definition."""
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type


class QueryService:
    """A pool of worker processes, each holding the data, each answering one query at a time.

    ``source`` is an on-disk store folder or an RDF file (``.nq``, ``.nt``, ``.ttl``,
    ``.trig`` and the other suffixes pyoxigraph reads) that each worker loads into
    memory. The workers start at once; the constructor returns when all have loaded
    the data, or raises :class:`OmsError` naming what went wrong.

    A query gets ``timeout`` seconds for evaluation and serialisation; a call waits up
    to ``queue_timeout`` seconds (default: ``timeout``) for a free worker. Answers
    longer than ``max_bytes`` are refused. A worker that replaces a killed one loads the
    data before it takes its first query, a wait bounded by ``start_timeout`` and not
    counted in ``timeout``.
    Safe to call from many threads; use it as a context manager, or call :meth:`close`.

    A store folder is looked at before each query: a store that cannot be read any more
    (moved away, deleted, made unreadable) gets :class:`DataUnavailable` for every query
    until it is back, rather than answers from the files its workers still hold open,
    errors of the store, or one answer in a few. A worker that cannot load a store folder
    when it replaces another gives :class:`DataUnavailable` too; neither message names the
    path. (An RDF file is held in memory by each worker: a missing file matters only to a
    fresh worker, which then fails with :class:`WorkerDied` naming the file.)
    """

    def __init__(
        self,
        source: Path,
        *,
        workers: int = 1,
        timeout: float = 10.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        queue_timeout: float | None = None,
        start_timeout: float = 120.0,
    ) -> None:
        if workers < 1 or timeout <= 0 or max_bytes < 1:
            raise OmsError(
                f"a query service needs workers >= 1, timeout > 0 and max_bytes >= 1, "
                f"got {workers}, {timeout:g} and {max_bytes}"
            )
        if not source.exists():
            raise OmsError(
                f"{source}: no such file or folder; give a store folder (omskg link) or an RDF file"
            )
        self.source = source
        self._store_folder = source.is_dir()
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.queue_timeout = timeout if queue_timeout is None else queue_timeout
        self.start_timeout = start_timeout
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False
        self._workers: set[_Worker] = set()
        try:
            for _ in range(workers):
                self._workers.add(_Worker(source, max_bytes))
            deadline = time.monotonic() + start_timeout
            for worker in self._workers:
                worker.wait_ready(deadline, start_timeout)
        except BaseException:
            for worker in self._workers:
                worker.discard()
            raise
        for worker in self._workers:
            self._idle.put(worker)

    @property
    def pids(self) -> tuple[int, ...]:
        """The process ids of the live workers."""
        with self._lock:
            return tuple(sorted(w.process.pid for w in self._workers if w.process.poll() is None))

    def answer(
        self,
        text: str,
        *,
        accept: str | None,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        max_rows: int | None = None,
    ) -> Answer:
        """Answer the SPARQL query ``text`` in the format ``accept`` (an HTTP ``Accept``
        header; None or empty: the default format of the query's kind).

        With ``max_rows``, the body holds only the first ``max_rows`` rows of a SELECT
        answer in SPARQL JSON (the only results format then offered) or the first
        ``max_rows`` triples of a graph, and :attr:`Answer.total` says how many the whole
        answer has: a page showing a few rows need not move the rest.

        Raises a :class:`QueryServiceError` (its ``status`` is the HTTP status that fits)
        when the query is refused, invalid, not answerable in an acceptable format, too
        slow, too large, or its worker dies.
        """
        request = json.dumps(
            {
                "query": text,
                "accept": accept,
                "default": list(default_graphs),
                "named": list(named_graphs),
                "max_rows": max_rows,
            }
        ).encode("utf-8")
        self._check_source()
        worker = self._take()
        try:
            try:
                return self._ask(worker, request)
            except _Broken as broken:
                worker = self._renew(worker)
                if broken.taken:
                    raise broken.error from None
            return self._ask(worker, request)  # the first worker had died before it took the query
        except _Broken as broken:
            worker = self._renew(worker)
            raise broken.error from None
        finally:
            self._release(worker)

    def close(self) -> None:
        """Kill every worker and wait for it to end; later calls to :meth:`answer` fail."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
        for worker in workers:
            worker.stop()
        while True:
            try:
                self._idle.get_nowait().discard()
            except queue.Empty:
                break

    def __enter__(self) -> QueryService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_source(self) -> None:
        """:class:`DataUnavailable` when a store folder has gone or cannot be read."""
        if self._store_folder:
            problem = _unreadable(self.source)
            if problem:
                raise DataUnavailable(
                    f"the store this endpoint answers from cannot be read at the moment ({problem}); "
                    "send the query again later"
                )

    def _take(self) -> _Worker:
        if self._closed:
            raise ServiceClosed("the query service is closed; start a new one")
        try:
            return self._idle.get(timeout=self.queue_timeout)
        except queue.Empty:
            if self._closed:
                raise ServiceClosed("the query service is closed; start a new one") from None
            raise ServiceBusy(
                f"all {len(self._workers)} query workers stayed busy for {self.queue_timeout:g} s; "
                "send the query again in a little while"
            ) from None

    def _release(self, worker: _Worker) -> None:
        if self._closed:
            worker.discard()
        else:
            self._idle.put(worker)

    def _renew(self, worker: _Worker) -> _Worker:
        """Kill ``worker`` and start another in its place (it loads while the caller goes on)."""
        worker.discard()
        with self._lock:
            self._workers.discard(worker)
            if self._closed:
                raise ServiceClosed("the query service was closed while answering; start a new one")
            fresh = _Worker(self.source, self.max_bytes)
            self._workers.add(fresh)
        return fresh

    def _ask(self, worker: _Worker, request: bytes) -> Answer:
        """One query on ``worker``; :class:`_Broken` when the worker cannot be used again."""
        if not worker.ready:
            try:
                worker.wait_ready(time.monotonic() + self.start_timeout, self.start_timeout)
            except OmsError as exc:
                problem = _unreadable(self.source) if self._store_folder else None
                if problem:
                    unavailable = DataUnavailable(
                        "a fresh query worker could not load the store this endpoint answers from "
                        f"({problem}); send the query again later"
                    )
                    raise _Broken(unavailable, taken=False) from None
                raise _Broken(WorkerDied(str(exc)), taken=False) from None
        deadline = time.monotonic() + self.timeout
        taken = False
        try:
            worker.send(request, self.timeout)
            worker.receive(0, deadline)  # the worker took the query
            taken = True
            header = json.loads(worker.receive(_HEADER_LIMIT, deadline))
            body = b"" if "error" in header else worker.receive(self.max_bytes, deadline)
        except TimeoutError:
            raise _Broken(self._timed_out(), taken=True) from None
        except (EOFError, OSError):
            raise _Broken(worker.died(taken), taken=taken) from None
        except ValueError as exc:  # a frame over its limit, or a header that is no JSON
            raise _Broken(
                QueryFailed(f"the query worker sent a malformed answer ({exc})"), taken=True
            ) from None
        if "error" in header:
            raise _ERRORS.get(header["error"], QueryFailed)(header["message"])
        return Answer(body, header["media_type"], header.get("total"))

    def _timed_out(self) -> QueryTimeout:
        return QueryTimeout(
            f"the query ran longer than {self.timeout:g} s, this endpoint's limit, and was stopped; "
            "narrow it or add LIMIT, or run it on your own copy of the data"
        )


def run_isolated_query(
    source: Path, query: NamedQuery, params: dict[str, str] | None = None, *, timeout: float = 60.0
) -> Table:
    """The answer :func:`omskg.store.run_store_query` gives, computed in a worker process over
    ``source`` (a store folder or an RDF file) and stopped after ``timeout`` seconds.

    For query files that are not the project's own: pyoxigraph cannot be interrupted while
    it evaluates, and a long chain of patterns or operators (10,000 objects after one
    predicate) overflows its stack, which kills the process running it; here that is the
    worker. Starting the worker costs about a second.
    """
    text = substitute_parameters(query.text, bind_parameters(query, params or {}))
    with QueryService(source, timeout=timeout) as service:
        try:
            answer = service.answer(text, accept="application/sparql-results+json")
        except QueryTimeout:
            raise OmsError(
                f"{query.path}: stopped after {timeout:g} s, the time limit; narrow the query or add "
                "LIMIT, or allow more time (--timeout)"
            ) from None
        except NotAcceptable:
            raise OmsError(f"{query.path}: only SELECT queries give a table") from None
        except WorkerDied:
            raise OmsError(
                f"{query.path}: the worker process running the query died (pyoxigraph overflows its "
                "stack on long chains of patterns, UNION or operators); simplify the query"
            ) from None
        except QueryServiceError as exc:
            raise OmsError(f"{query.path}: {exc}") from None
    solutions = ox.parse_query_results(answer.body, ox.QueryResultsFormat.JSON)
    if not isinstance(solutions, ox.QuerySolutions):
        raise OmsError(f"{query.path}: only SELECT queries give a table")
    return solutions_table(solutions)


class _Broken(Exception):
    """A worker that cannot be used again; ``taken``: whether it had taken the query."""

    def __init__(self, error: QueryServiceError, *, taken: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.taken = taken


class _Worker:
    """One worker process and this process's end of the socket to it."""

    def __init__(self, source: Path, max_bytes: int) -> None:
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "omskg.sparql_service",
                    str(source.resolve()),
                    str(theirs.fileno()),
                    str(max_bytes),
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                # a Ctrl-C in the terminal reaches only the server, which closes the pool
                start_new_session=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.socket = ours
        self.source = source
        self.ready = False

    def wait_ready(self, deadline: float, allowed: float) -> None:
        """Wait until ``deadline`` (``allowed`` seconds after the start) for the worker to
        load the data; :class:`OmsError` if it does not."""
        try:
            header = json.loads(self.receive(_HEADER_LIMIT, deadline))
        except TimeoutError:
            raise OmsError(
                f"a query worker for {self.source} did not load the data within {allowed:g} s; "
                "use a smaller source or a longer start timeout"
            ) from None
        except (EOFError, OSError, ValueError):
            raise OmsError(
                f"a query worker for {self.source} stopped while starting ({self._exit()}); "
                "see its message above"
            ) from None
        if "error" in header:
            raise OmsError(header["message"])
        self.ready = True

    def send(self, payload: bytes, timeout: float) -> None:
        self.socket.settimeout(timeout)
        _send(self.socket, payload)

    def receive(self, limit: int, deadline: float) -> bytes:
        return _receive(self.socket, limit, deadline)

    def died(self, taken: bool) -> WorkerDied:
        """The error to report; one for a query not taken is reported only when the
        fresh worker it was retried on failed too."""
        if not taken:
            return WorkerDied(
                f"the query worker stopped before it took the query ({self._exit()}), and so did the "
                "fresh one; check the server's log"
            )
        return WorkerDied(
            f"the query worker stopped while answering ({self._exit()}); a fresh one has started, "
            "so send the query again, simplified if it fails the same way"
        )

    def stop(self) -> None:
        """Kill the process (SIGKILL, by its PID) and reap it."""
        self.process.kill()
        self.process.wait()

    def discard(self) -> None:
        self.stop()
        self.socket.close()

    def _exit(self) -> str:
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "it closed its connection"
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"


def _unreadable(folder: Path) -> str | None:
    """Why the store ``folder`` cannot be read, in words without its path; None when it can."""
    try:
        os.stat(folder / "CURRENT")
        readable = os.access(folder, os.R_OK | os.X_OK) and os.access(folder / "CURRENT", os.R_OK)
    except FileNotFoundError:
        return "its folder was moved or deleted" if not folder.exists() else "its folder holds no store"
    except OSError as exc:
        return f"its folder cannot be read: {exc.strerror}"
    return None if readable else "its folder cannot be read: permission denied"


# --- in the worker ------------------------------------------------------------------------


def evaluate(
    store: ox.Store,
    text: str,
    *,
    accept: str | None,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int | None = None,
) -> Answer:
    """Answer the query ``text`` from ``store`` in this process, with the checks, dataset,
    format choice, size limit and ``max_rows`` of :class:`QueryService` but neither its
    time limit nor its isolation: what each worker runs."""
    form = _query_form(text)
    own_dataset = _check_references(text)
    offered = _FORMS[form]
    if max_rows is not None and offered is RESULT_FORMATS:
        offered = {_SPARQL_JSON: ox.QueryResultsFormat.JSON}
    media_type = choose(accept, list(offered))
    if media_type is None:
        kind = form.removesuffix("Query").upper()
        raise NotAcceptable(
            f"the Accept header {accept!r} allows none of the formats of a {kind} query; "
            f"ask for one of {', '.join(offered)}"
        )
    try:
        result = store.query(
            text,
            prefixes=load_prefix_map().uri_prefixes,
            **_dataset(default_graphs, named_graphs, own_dataset),
        )
    except SyntaxError as exc:
        raise QuerySyntaxError(f"the query is not valid SPARQL: {_shorten(str(exc))}") from None
    out = _Bounded(max_bytes)
    total = None
    try:
        if max_rows is not None and not isinstance(result, ox.QueryBoolean):
            total = _serialize_first(result, out, offered[media_type], max_rows)
        else:
            _serialize(result, out, offered[media_type])
    except _Overflow:
        raise ResultTooLarge(
            f"the answer is longer than {max_bytes:,} bytes, this endpoint's limit; "
            "add LIMIT or ask for fewer variables"
        ) from None
    return Answer(out.getvalue(), media_type, total)


def open_source(source: Path) -> ox.Store:
    """The store to answer from: an on-disk store opened read-only, or an RDF file loaded
    into a new in-memory store."""
    if source.is_dir():
        return open_store(source)
    fmt = ox.RdfFormat.from_extension(source.suffix.lstrip(".")) if source.suffix else None
    if fmt is None:
        raise OmsError(f"{source}: unknown RDF file suffix; give an .nq, .nt, .ttl or .trig file")
    store = ox.Store()
    try:
        store.bulk_load(path=str(source), format=fmt)
    except (SyntaxError, OSError) as exc:
        raise OmsError(f"{source}: cannot be loaded as {fmt.name}: {_shorten(str(exc))}") from None
    return store


def worker_main(argv: Sequence[str]) -> int:
    """A worker: ``python -m omskg.sparql_service SOURCE FD MAX_BYTES``, answering the
    queries that arrive on the socket FD until it closes.

    Frames are a length (8 bytes, big-endian) and that many bytes. The worker sends a
    JSON header once the data is loaded (``ready`` or ``error``); then, for each request
    (JSON: query, accept, default, named), an empty frame as soon as it has taken the
    request, and a JSON header (``media_type`` or ``error`` and ``message``) followed,
    on success, by the body.
    """
    source, fd, max_bytes = Path(argv[0]), int(argv[1]), int(argv[2])
    with socket.socket(fileno=fd) as sock:
        try:
            try:
                store = open_source(source)
                load_prefix_map()
            except OmsError as exc:
                _send_json(sock, {"error": "OmsError", "message": str(exc)})
                return 1
            _send_json(sock, {"ready": True})
            _serve(sock, store, max_bytes)
        except (EOFError, ConnectionError):  # the service has gone
            pass
    return 0


def _serve(sock: socket.socket, store: ox.Store, max_bytes: int) -> None:
    while True:
        request = json.loads(_receive(sock, sys.maxsize, None))
        _send(sock, b"")
        try:
            answer = evaluate(
                store,
                request["query"],
                accept=request["accept"],
                default_graphs=request["default"],
                named_graphs=request["named"],
                max_bytes=max_bytes,
                max_rows=request.get("max_rows"),
            )
        except QueryServiceError as exc:
            _send_json(sock, {"error": type(exc).__name__, "message": str(exc)})
            continue
        except Exception as exc:  # a read error of the store, a bug: report it and go on serving
            message = f"the query failed: {type(exc).__name__}: {_shorten(str(exc))}"
            _send_json(sock, {"error": "QueryFailed", "message": message})
            continue
        _send_json(sock, {"media_type": answer.media_type, "total": answer.total})
        _send(sock, answer.body)


def _query_form(text: str) -> str:
    """``SelectQuery``, ``AskQuery``, ``ConstructQuery`` or ``DescribeQuery``; refuses updates,
    and texts too long or too deeply nested for the parsers (before any of them runs)."""
    try:
        check_shape(text)
    except OmsError as exc:
        raise QuerySyntaxError(str(exc)) from None
    try:
        units = parse_request(text)
    except EmptyRequest:
        raise QuerySyntaxError(
            "the request holds no query; send a SELECT, ASK, CONSTRUCT or DESCRIBE query"
        ) from None
    except OmsError:
        raise _syntax_error(text) from None
    forms = [body.name for _, body in units]
    if len(forms) == 1 and forms[0] in _FORMS:
        return str(forms[0])
    operations = dict.fromkeys(_update_keyword(name) for name in forms)
    raise QueryRefused(
        f"refused a SPARQL Update ({', '.join(operations) or 'empty'}): this endpoint is read-only "
        "and answers only SELECT, ASK, CONSTRUCT and DESCRIBE queries"
    )


def _update_keyword(operation: str) -> str:
    if operation == "Modify":
        return "DELETE/INSERT"
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", operation).upper()


def _syntax_error(text: str) -> QuerySyntaxError:
    """The error of rdflib's query parser, with its position (parsed again: only on failure)."""
    try:
        parseQuery(text)
    except RecursionError:
        return QuerySyntaxError(
            "the query nests parentheses or braces too deeply to be checked; use fewer levels"
        )
    except ParseBaseException as exc:
        near = exc.line[exc.col - 1 : exc.col + 29].strip()
        where = f"near {near!r}" if near else "at the end of the line"
        return QuerySyntaxError(
            f"the query is not valid SPARQL at line {exc.lineno}, column {exc.col} ({where}): {exc.msg}"
        )
    except Exception as exc:  # rdflib raises plain exceptions from some grammar actions
        return QuerySyntaxError(f"the query is not valid SPARQL: {_shorten(str(exc))}")
    return QuerySyntaxError("the query is not valid SPARQL")


def _check_references(text: str) -> bool:
    """Refuse ``SERVICE``, ``LOAD`` and ``FROM`` outside the project's graphs; True when
    the query names its own dataset with ``FROM`` / ``FROM NAMED``."""
    try:
        references = outward_references(text)
    except OmsError as exc:
        raise QuerySyntaxError(
            f"a SERVICE or FROM target of the query is no IRI; declare its prefix with PREFIX ({exc})"
        ) from None
    own_dataset = False
    for keyword, target in references:
        shown = f"<{target}>" if isinstance(target, URIRef) else f"?{target}"
        if not keyword.startswith("FROM"):
            raise QueryRefused(
                f"refused {keyword} {shown}: this endpoint does not reach other endpoints or documents; "
                "send that part of the query to the other endpoint yourself"
            )
        if not (isinstance(target, URIRef) and target.startswith(PROJECT_GRAPHS)):
            raise QueryRefused(
                f"refused {keyword} {shown}: this endpoint holds only the graphs under {PROJECT_GRAPHS}; "
                "name one of those, or leave FROM out to query them all"
            )
        own_dataset = True
    return own_dataset


def _dataset(default_graphs: Sequence[str], named_graphs: Sequence[str], own_dataset: bool) -> dict[str, Any]:
    if default_graphs or named_graphs:
        return {
            "default_graph": [_graph_name(iri) for iri in default_graphs],
            "named_graphs": [_graph_name(iri) for iri in named_graphs],
        }
    return {} if own_dataset else {"use_default_graph_as_union": True}


def _graph_name(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise QuerySyntaxError(
            f"the graph {iri!r} is not an absolute IRI ({exc}); "
            "give default-graph-uri and named-graph-uri as absolute IRIs"
        ) from None


def _serialize(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    out: _Bounded,
    fmt: ox.QueryResultsFormat | ox.RdfFormat,
) -> None:
    if isinstance(result, ox.QueryTriples):
        if isinstance(fmt, ox.RdfFormat):
            result.serialize(out, fmt)
            return
    elif isinstance(fmt, ox.QueryResultsFormat):
        result.serialize(out, fmt)
        return
    raise QueryFailed(f"the engine gave {type(result).__name__} where the query's form called for {fmt}")


def _serialize_first(
    result: ox.QuerySolutions | ox.QueryTriples,
    out: _Bounded,
    fmt: ox.QueryResultsFormat | ox.RdfFormat,
    max_rows: int,
) -> int:
    """Write the first ``max_rows`` solutions (as SPARQL JSON) or triples (in ``fmt``) of
    ``result``; the number of them in the whole result."""
    first = list(itertools.islice(result, max_rows))
    total = len(first) + sum(1 for _ in result)
    if isinstance(result, ox.QueryTriples):
        if not isinstance(fmt, ox.RdfFormat):
            raise QueryFailed(f"the engine gave triples where the query's form called for {fmt}")
        ox.serialize(first, out, fmt)
        return total
    names = [v.value for v in result.variables]
    bindings = [
        {name: _json_term(term) for name in names if (term := solution[name]) is not None}
        for solution in first
    ]
    out.write(json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}}).encode("utf-8"))
    return total


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _json_term(term: Any) -> dict[str, Any]:
    """An RDF term as the SPARQL 1.1 Query Results JSON Format writes it."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        parts = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
        return {"type": "triple", "value": {k: _json_term(v) for k, v in parts.items()}}
    literal: dict[str, Any] = {"type": "literal", "value": term.value}
    if term.language:
        literal["xml:lang"] = term.language
    elif term.datatype.value != _XSD_STRING:
        literal["datatype"] = term.datatype.value
    return literal


class _Overflow(Exception):
    """Raised by :class:`_Bounded` to stop the serialiser."""


class _Bounded(io.BytesIO):
    """A bytes buffer that refuses to grow past ``limit``."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: ReadableBuffer, /) -> int:
        if self.tell() + memoryview(data).nbytes > self.limit:
            raise _Overflow
        return super().write(data)


def _shorten(message: str, limit: int = 300) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else f"{flat[: limit - 3]}..."


# --- framing ------------------------------------------------------------------------------


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(_LENGTH.pack(len(payload)))
    sock.sendall(payload)


def _send_json(sock: socket.socket, value: dict[str, Any]) -> None:
    _send(sock, json.dumps(value).encode("utf-8"))


def _receive(sock: socket.socket, limit: int, deadline: float | None) -> bytes:
    """One frame. EOFError when the other end has closed, TimeoutError after ``deadline``
    (a :func:`time.monotonic` time; None: wait for ever), ValueError when longer than ``limit``."""
    (size,) = _LENGTH.unpack(_read_exactly(sock, _LENGTH.size, deadline))
    if size > limit:
        raise ValueError(f"a frame of {size} bytes, over the limit of {limit}")
    return _read_exactly(sock, size, deadline)


def _read_exactly(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
        count = sock.recv_into(view[got:])
        if count == 0:
            raise EOFError
        got += count
    return bytes(buffer)


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
