"""The caller's side of the sandbox: :class:`QueryService`, a pool of worker processes that
each hold the data and answer one query at a time, killed and replaced when they overrun
the time limit or crash; and :func:`run_isolated_query` for one query in one worker."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from omskg.errors import OmsError
from omskg.linked.store import solutions_table
from omskg.query import NamedQuery, Table, bind_parameters, substitute_parameters
from omskg.web.sandbox.errors import (
    ERRORS_BY_NAME,
    DataUnavailable,
    NotAcceptable,
    QueryFailed,
    QueryServiceError,
    QueryTimeout,
    ServiceBusy,
    ServiceClosed,
    WorkerDied,
)
from omskg.web.sandbox.protocol import DEFAULT_MAX_BYTES, HEADER_LIMIT, Answer, receive, send

if TYPE_CHECKING:
    pass


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
            header = json.loads(worker.receive(HEADER_LIMIT, deadline))
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
            raise ERRORS_BY_NAME.get(header["error"], QueryFailed)(header["message"])
        return Answer(body, header["media_type"], header.get("total"))

    def _timed_out(self) -> QueryTimeout:
        return QueryTimeout(
            f"the query ran longer than {self.timeout:g} s, this endpoint's limit, and was stopped; "
            "narrow it or add LIMIT, or run it on your own copy of the data"
        )


def run_isolated_query(
    source: Path, query: NamedQuery, params: dict[str, str] | None = None, *, timeout: float = 60.0
) -> Table:
    """The answer :func:`omskg.linked.store.run_store_query` gives, computed in a worker process over
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
                    "omskg.web.sandbox",  # its __main__: the worker, run without importing it twice
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
            header = json.loads(self.receive(HEADER_LIMIT, deadline))
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
        send(self.socket, payload)

    def receive(self, limit: int, deadline: float) -> bytes:
        return receive(self.socket, limit, deadline)

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
