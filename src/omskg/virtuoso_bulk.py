"""A graph file loaded into Virtuoso by Virtuoso's own bulk loader: the route of
``omskg push URL --hpo FILE --virtuoso-bulk DIR``.

Why not the Graph Store Protocol: Virtuoso 7.2's endpoint alone took 19.9 s to take the
2.4-million-triple HPO graph, its bulk loader 8.7 s (docs/sparql-stores.md), so no client of
the protocol comes within twice the loader's time. The loader (``ld_dir``, ``rdf_loader_run``,
``checkpoint``, as Virtuoso's manual describes it) reads only files on the server's own disk,
in a folder of its ``DirsAllowed``, and is started through Virtuoso's SQL interface. So the
client and the server share a folder (:class:`BulkFolder`), and the client holds the
credentials of a Virtuoso user allowed to run it (``dba``).

The steps, each checked before the next:

0. the folder's lock (``omskg-push.lock``) is taken, so one push loads from it at a time, and
   a login made; what a push killed before its end left (its copy, its row in the loader's
   list, which ``rdf_loader_run`` would load again) is dropped;
1. the file is copied into the shared folder under a name of its own, and the copy is read
   to check that all of it parses and to count each graph's distinct triples: a file that
   does not parse sends nothing, and the file loaded is the file checked;
2. ``ld_dir`` registers the copy; unless the server then lists it as waiting to be loaded
   (the folder is not the one it sees, not in its ``DirsAllowed`` or not there at all; the
   user may not run the loader) the push stops before anything is deleted;
3. the old triples of each graph in the file are deleted (one SQL ``DELETE`` by graph,
   committed row by row, as Virtuoso's manual advises for large graphs);
4. ``rdf_loader_run`` loads the file and ``checkpoint`` makes it durable; an error the
   loader records for the file stops the push with that error;
5. the copy and its row in the loader's list are removed, whatever happened.

:class:`BulkLoad` does steps 0 to 2 on entering and 5 on leaving, so that ``omskg push``
sends the core graph only once the file is known to load.

A reader of a graph being replaced sees it emptied, then growing to the new graph, as with
the stepwise route of :mod:`omskg.remote_store`. Blank nodes are loaded as blank nodes
(the file is loaded whole, so no skolemisation is needed to keep them together).
``rdf_loader_run`` also loads any other file waiting in the server's list.

SQL goes through pyodbc and Virtuoso's ODBC driver (Debian: ``libvirtodbc0``), not through
``isql``: every value (folder, file name, graph IRI) is bound as a parameter, never written
into a statement, and the password is read from the environment (``VIRTUOSO_PASSWORD``),
never taken on a command line, where other users of the machine could read it from the
process list (``isql`` takes it as an argument).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import threading
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import tee
from operator import attrgetter
from pathlib import Path
from types import TracebackType
from typing import Any

import pyoxigraph as ox

from omskg.errors import OmsError
from omskg.remote_store import Progress, Pushed, graph_term, parsed, rdf_file_format, target_graph

DEFAULT_SQL_PORT = 1111
USER_VARIABLE, PASSWORD_VARIABLE, DRIVER_VARIABLE = (
    "VIRTUOSO_USER",
    "VIRTUOSO_PASSWORD",
    "VIRTUOSO_ODBC_DRIVER",
)
# where Virtuoso's ODBC driver is installed: Debian's libvirtodbc0, then OpenLink's own builds
DRIVERS = (
    "/usr/lib/x86_64-linux-gnu/odbc/virtodbc_r.so",
    "/usr/lib/aarch64-linux-gnu/odbc/virtodbc_r.so",
    "/usr/local/virtuoso-opensource/lib/virtodbc_r.so",
    "/opt/virtuoso-opensource/lib/virtodbc_r.so",
)
# the syntaxes both pyoxigraph and Virtuoso 7.2's loader read alike, one triple or quad a line
LINE_FORMATS = (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)
LOADED, WAITING = 2, 0  # DB.DBA.LOAD_LIST.ll_state
QUADS = "DB.DBA.RDF_QUAD"  # Virtuoso's table of all quads
POLL = 2.0  # seconds between two counts of a graph being loaded
COPY_PREFIX, LOCK = "omskg-push-", "omskg-push.lock"  # in the shared folder
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")  # a host name or IPv4 address


@dataclass(frozen=True)
class BulkFolder:
    """A folder both sides see: ``local`` here, ``on_server`` as the server names it (the
    same path unless the server runs elsewhere, in a container, say), one of its
    ``DirsAllowed``."""

    local: Path
    on_server: str

    def __post_init__(self) -> None:
        if not self.local.is_dir():
            raise OmsError(f"{self.local}: no such folder; give a folder the Virtuoso server may read")

    def server_path(self, name: str) -> str:
        """The server's path of the file ``name`` in this folder, as ``ld_dir`` records it."""
        return f"{self.on_server.rstrip('/')}/{name}"


@dataclass(frozen=True)
class VirtuosoSql:
    """Where and as whom to reach Virtuoso's SQL interface (``host:port``, 1111 by default)."""

    address: str
    user: str
    password: str = field(repr=False)
    driver: str

    @classmethod
    def from_environment(cls, address: str, environ: Mapping[str, str] = os.environ) -> VirtuosoSql:
        """The user and password from ``VIRTUOSO_USER`` (``dba`` if unset) and
        ``VIRTUOSO_PASSWORD``, the driver from ``VIRTUOSO_ODBC_DRIVER`` or where it is
        installed; an :class:`OmsError` saying what to set when one is missing."""
        password = environ.get(PASSWORD_VARIABLE)
        if not password:
            raise OmsError(
                f"set {PASSWORD_VARIABLE} (and {USER_VARIABLE}, dba unless set) to the Virtuoso user "
                "that may run the bulk loader; a password is never taken on the command line"
            )
        user = environ.get(USER_VARIABLE) or "dba"
        for name, value in ((USER_VARIABLE, user), (PASSWORD_VARIABLE, password)):
            if ";" in value or "\x00" in value:
                raise OmsError(f"{name} holds a ';' or NUL, which Virtuoso's ODBC driver cannot be given")
        return cls(sql_address(address), user, password, _driver(environ))


def sql_address(address: str) -> str:
    """``host:port`` of Virtuoso's SQL interface, 1111 when only the host is given.

    >>> sql_address("db.example.org"), sql_address("127.0.0.1:1112")
    ('db.example.org:1111', '127.0.0.1:1112')
    """
    host, _, port = address.rpartition(":") if ":" in address else (address, "", str(DEFAULT_SQL_PORT))
    if not _HOST.fullmatch(host) or not port.isdigit() or not 0 < int(port) < 65536:
        raise OmsError(
            f"{address!r} is not a Virtuoso SQL address; give --virtuoso-sql HOST:PORT (port 1111 "
            "by default), the host a name or an IPv4 address"
        )
    return f"{host}:{port}"


def _driver(environ: Mapping[str, str]) -> str:
    chosen = environ.get(DRIVER_VARIABLE)
    found = [chosen] if chosen else [path for path in DRIVERS if Path(path).is_file()]
    if not found or not Path(found[0]).is_file():
        raise OmsError(
            f"Virtuoso's ODBC driver (virtodbc_r.so) not found{f' at {chosen}' if chosen else ''}; "
            f"install it (Debian: libvirtodbc0) or name it in {DRIVER_VARIABLE}"
        )
    return found[0]


def bulk_push_file(
    path: Path,
    sql: VirtuosoSql,
    folder: BulkFolder,
    *,
    graph_iri: str | None = None,
    progress: Progress | None = None,
) -> list[Pushed]:
    """Replace each graph of the N-Triples or N-Quads file ``path`` (``.gz`` allowed) in
    Virtuoso by its bulk loader (see the module); triples outside a named graph go into
    ``graph_iri``. ``progress`` is told each graph's triples in the store while the loader
    runs (every :data:`POLL` seconds, from a second connection), and its total at the end.
    Returns each graph with its distinct triples and the file's size."""
    with BulkLoad(path, sql, folder, graph_iri=graph_iri) as ready:
        return ready.load(progress)


class BulkLoad:
    """A file made ready for Virtuoso's bulk loader: entering checks everything that can be
    checked before a graph is touched (steps 1 and 2 of the module, after taking the
    folder's lock); :meth:`load` replaces the graphs (steps 3 and 4); leaving removes the
    copy and its row (step 5). A caller may send other things in between, knowing the file
    will load."""

    def __init__(self, path: Path, sql: VirtuosoSql, folder: BulkFolder, *, graph_iri: str | None = None):
        self.path, self.sql, self.folder, self.graph_iri = path, sql, folder, graph_iri
        self._stack = contextlib.ExitStack()
        self.counts: Counter[str] = Counter()
        self.size = 0
        self._file = ""

    def __enter__(self) -> BulkLoad:
        fmt = bulk_format(self.path)
        if self.graph_iri:
            graph_term(self.graph_iri)
        with self._stack as stack:
            stack.enter_context(_locked(self.folder))
            self._cursor = stack.enter_context(_connected(self.sql))
            with _refusals(self.sql, self.folder):
                _forget_stale(self._cursor, self.folder)
            copy = stack.enter_context(_copied(self.path, fmt, self.folder))
            self.counts = distinct_triples(copy, fmt, self.graph_iri, shown=self.path)
            self.size = copy.stat().st_size
            self._file = self.folder.server_path(copy.name)
            _register(
                self._cursor, self.sql, self.folder, copy.name, self.graph_iri or next(iter(self.counts))
            )
            stack.callback(_forget, self._cursor, self._file)
            self._stack = stack.pop_all()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None
    ) -> None:
        # the error of load() passes through the contexts (none swallows one): a driver error
        # becomes an OmsError
        self._stack.__exit__(kind, exc, trace)

    def load(self, progress: Progress | None = None) -> list[Pushed]:
        """Empty each graph of the file, have the loader load it, and make it durable; an
        :class:`OmsError` with the loader's own message when it records one, a
        ``KeyboardInterrupt`` saying the graphs were emptied when interrupted."""
        try:
            for graph in self.counts:
                self._cursor.execute("log_enable(3, 1)")
                self._cursor.execute(f"DELETE FROM {QUADS} WHERE G = iri_to_id(?)", graph)
            with _watching(self.sql, self.counts, progress):
                self._cursor.execute("rdf_loader_run()")
            self._cursor.execute("checkpoint")
        except KeyboardInterrupt:
            graphs = ", ".join(f"<{graph}>" for graph in self.counts)
            raise KeyboardInterrupt(
                f"{graphs} had been emptied for the bulk loader and may hold none, part or all of "
                f"{self.path}: push again"
            ) from None
        _check_loaded(self._cursor, self._file, self.path)
        for graph, triples in self.counts.items():
            if progress:
                progress(graph, triples, triples)
        return [Pushed(graph, triples, self.size) for graph, triples in self.counts.items()]


def bulk_format(path: Path) -> ox.RdfFormat:
    """The syntax of ``path``, one the bulk route takes (N-Triples or N-Quads, ``.gz``
    allowed), once the file is found to exist; an :class:`OmsError` otherwise."""
    fmt = rdf_file_format(path)
    if fmt not in LINE_FORMATS:
        raise OmsError(
            f"{path}: Virtuoso's bulk loader is given N-Triples or N-Quads (.nt, .nq, .gz allowed)"
        )
    return fmt


def distinct_triples(
    path: Path, fmt: ox.RdfFormat, graph_iri: str | None, *, shown: Path | None = None
) -> Counter[str]:
    """Each target graph of ``path`` with its number of distinct triples (a file may repeat
    a triple; a store holds it once), told apart by pyoxigraph's 64-bit hash of each: two of
    the HPO graph's 2.4 million triples share one about once in six million files. A file
    that does not parse, or a triple outside a named graph without ``graph_iri``, is an
    :class:`OmsError` naming the file as ``shown`` (the user's file, of which ``path`` is a
    copy).

    The quads are hashed and their graph names gathered without a Python loop (4.9 s for the
    HPO graph, where a loop took 6.1 s, a digest of each triple's text as the stepwise route
    keeps 7.0 s, and parsing alone 3.0 s); a file of several graphs, or of the default graph
    without ``graph_iri``, is read once more, by graph."""
    with parsed(path, fmt, shown=shown) as quads:
        names: set[ox.NamedNode | ox.DefaultGraph] = set()
        hashes: set[int] = set()
        by_name, by_hash = tee(quads)
        deque(
            zip(
                map(names.add, map(attrgetter("graph_name"), by_name)),
                map(hashes.add, map(hash, by_hash)),
                strict=True,
            ),
            0,
        )
    if not names:
        raise OmsError(f"{shown or path}: no triples; nothing of it was pushed")
    only = names.pop() if len(names) == 1 else None
    if isinstance(only, ox.NamedNode) or (only and graph_iri):
        return Counter({only.value if isinstance(only, ox.NamedNode) else str(graph_iri): len(hashes)})
    seen: defaultdict[str, set[int]] = defaultdict(set)
    with parsed(path, fmt, shown=shown) as quads:
        for quad in quads:
            seen[target_graph(quad, graph_iri, shown or path)].add(hash(quad.triple))
    return Counter({graph: len(triples) for graph, triples in seen.items()})


@contextlib.contextmanager
def _locked(folder: BulkFolder) -> Iterator[None]:
    """The folder's lock (``omskg-push.lock``, kept), held by one push at a time: two loads
    at once mix their graphs (and crashed Virtuoso 7.2 once in four tries)."""
    lock = folder.local / LOCK
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OmsError(
                f"another omskg push is loading into Virtuoso from {folder.local} ({lock} is locked); "
                "wait for it to end; nothing was pushed"
            ) from None
        yield


def _forget_stale(cursor: Any, folder: BulkFolder) -> None:
    """Drop what a push killed before its end left (its copy, its row in the loader's list,
    which ``rdf_loader_run`` would load again); no other push holds the folder meanwhile."""
    prefix = folder.server_path(COPY_PREFIX)
    for (file,) in cursor.execute("SELECT ll_file FROM DB.DBA.LOAD_LIST").fetchall():
        if str(file).startswith(prefix):
            _forget(cursor, str(file))
    for copy in folder.local.glob(f"{COPY_PREFIX}*"):
        copy.unlink(missing_ok=True)


@contextlib.contextmanager
def _copied(path: Path, fmt: ox.RdfFormat, folder: BulkFolder) -> Iterator[Path]:
    """A copy of ``path`` in ``folder`` under a name no other push uses (and no ``_`` or
    ``%``, which ``ld_dir`` would take as a pattern), removed afterwards."""
    suffix = f".{fmt.file_extension}{'.gz' if path.suffix == '.gz' else ''}"
    copy = folder.local / f"{COPY_PREFIX}{uuid.uuid4().hex}{suffix}"
    try:
        try:
            shutil.copyfile(path, copy)
            copy.chmod(0o644)  # the server may run as another user
        except OSError as exc:
            raise OmsError(f"could not copy {path} into {folder.local}: {exc}; nothing was pushed") from None
        yield copy
    finally:
        copy.unlink(missing_ok=True)


@contextlib.contextmanager
def _connected(sql: VirtuosoSql) -> Iterator[Any]:
    """A cursor on Virtuoso's SQL interface, each statement committed as it runs; a driver
    error raised inside is an :class:`OmsError` naming the server and what to do."""
    try:
        import pyodbc
    except ImportError:  # pyodbc needs unixODBC's libodbc.so.2
        raise OmsError(
            "the Virtuoso bulk route needs pyodbc and unixODBC: pip install 'omskg[virtuoso]' "
            "and install libodbc2 (Debian)"
        ) from None
    # Virtuoso's driver takes each value up to the next ";" as it is (no braces), so a user
    # or password with one is refused by from_environment rather than read as more settings
    settings = f"DRIVER={{{sql.driver}}};HOST={sql.address};UID={sql.user};PWD={sql.password}"
    try:
        connection = pyodbc.connect(settings, autocommit=True, timeout=30)
    except pyodbc.Error as exc:
        raise OmsError(_login_failure(sql, exc)) from None
    # the driver is the narrow-character one: text goes both ways as UTF-8
    connection.setencoding(encoding="utf-8")
    connection.setdecoding(pyodbc.SQL_CHAR, encoding="utf-8")
    connection.setdecoding(pyodbc.SQL_WCHAR, encoding="utf-8")
    try:
        yield connection.cursor()
    except pyodbc.Error as exc:
        raise OmsError(f"Virtuoso at {sql.address} failed: {_message(exc)}") from None
    finally:
        with contextlib.suppress(pyodbc.Error):
            connection.close()


@contextlib.contextmanager
def _watching(sql: VirtuosoSql, counts: Counter[str], progress: Progress | None) -> Iterator[None]:
    """While the body runs, tell ``progress`` each graph's triples in the store every
    :data:`POLL` seconds, counted on a connection of its own; a failed count ends the
    watching, not the push (the count after the load is the one checked)."""
    if progress is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        with contextlib.suppress(OmsError), _connected(sql) as cursor:
            while not done.wait(POLL):
                for graph, total in counts.items():
                    row = cursor.execute(
                        f"SELECT COUNT(*) FROM {QUADS} WHERE G = iri_to_id(?, 0)", graph
                    ).fetchone()
                    progress(graph, min(row[0] or 0, total), total)

    watcher = threading.Thread(target=watch, name="bulk-load-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _login_failure(sql: VirtuosoSql, exc: Exception) -> str:
    message = _message(exc)
    if "Bad login" in message or "28000" in message:
        return (
            f"Virtuoso at {sql.address} refused the login of {sql.user!r}: check {USER_VARIABLE} "
            f"and {PASSWORD_VARIABLE} (after repeated failures Virtuoso refuses every login from "
            "this address for a while); nothing was pushed"
        )
    if "Driver Manager" in message:  # unixODBC's own: the driver did not load or start
        return (
            f"could not load Virtuoso's ODBC driver {sql.driver} ({message}); name the right one "
            f"in {DRIVER_VARIABLE}; nothing was pushed"
        )
    return (
        f"could not reach Virtuoso's SQL interface at {sql.address} ({message}); give its "
        "HOST:PORT with --virtuoso-sql; nothing was pushed"
    )


def _message(exc: Exception) -> str:
    return str(exc.args[-1] if exc.args else exc)


def _register(cursor: Any, sql: VirtuosoSql, folder: BulkFolder, name: str, graph: str) -> None:
    """``ld_dir`` the copy; an :class:`OmsError` saying what to do when the server may not
    read the folder, has no such folder, or refuses the user the loader, and (as ``ld_dir``
    of a folder without the file says nothing) unless the server now lists the file as
    waiting."""
    with _refusals(sql, folder):
        cursor.execute("ld_dir(?, ?, ?)", folder.server_path("").rstrip("/") or "/", name, graph)
    file = folder.server_path(name)
    waiting = cursor.execute("SELECT ll_state FROM DB.DBA.LOAD_LIST WHERE ll_file = ?", file).fetchall()
    if [tuple(row) for row in waiting] != [(WAITING,)]:
        _forget(cursor, file)
        raise OmsError(
            f"the Virtuoso server does not see {file}: is {folder.local} the folder it calls "
            f"{folder.on_server} (else give --virtuoso-dir-on-server), and is that folder in "
            "DirsAllowed in its virtuoso.ini? Nothing was pushed"
        )


@contextlib.contextmanager
def _refusals(sql: VirtuosoSql, folder: BulkFolder) -> Iterator[None]:
    """Virtuoso's refusals of the loader (by error code) as an :class:`OmsError` saying what
    to do; other errors as they are."""
    try:
        yield
    except Exception as exc:  # pyodbc.Error, imported lazily
        refused = next((why for code, why in _REFUSALS.items() if code in _message(exc)), None)
        if refused is None:
            raise
        what = refused.format(folder=folder.on_server, local=folder.local, user=sql.user)
        raise OmsError(f"{what}; nothing was pushed") from None


_NOT_DBA = (
    "the Virtuoso user {user!r} may not run the bulk loader (ld_dir and its list): push as dba, "
    "or grant it EXECUTE on DB.DBA.LD_DIR and DB.DBA.RDF_LOADER_RUN and access to DB.DBA.LOAD_LIST"
)
# what the loader's refusals mean, by Virtuoso's error code
_REFUSALS = {
    "FA003": "the Virtuoso server may not read {folder}: add it to DirsAllowed in its virtuoso.ini, "
    "or give a folder it may read",
    "FA020": "the Virtuoso server has no folder {folder}: is {local} the folder it calls so "
    "(else give --virtuoso-dir-on-server)?",
    "SR186": _NOT_DBA,  # no EXECUTE on a procedure
    "SQ033": _NOT_DBA,  # no access to the loader's list
}


def _check_loaded(cursor: Any, file: str, path: Path) -> None:
    """An :class:`OmsError` with the loader's own message unless it loaded ``file`` whole."""
    row = cursor.execute("SELECT ll_state, ll_error FROM DB.DBA.LOAD_LIST WHERE ll_file = ?", file).fetchone()
    if row is None or row[0] != LOADED or row[1]:
        found = f"state {row[0]}, {row[1]}" if row else "no longer listed"
        raise OmsError(
            f"Virtuoso's bulk loader did not load {path} ({found}); the graphs may hold part of "
            "it: push again, or without --virtuoso-bulk through the Graph Store Protocol"
        )


def _forget(cursor: Any, file: str) -> None:
    cursor.execute("DELETE FROM DB.DBA.LOAD_LIST WHERE ll_file = ?", file)
