"""A throwaway Virtuoso server on loopback, the second engine of ``pytest -m engine --engine virtuoso``.

The server is Debian's ``virtuoso-opensource`` (7.2), started from a folder of the test's
own: a ``virtuoso.ini`` written here, the database files beside it, and two free ports on
127.0.0.1 (SQL and HTTP). Nothing of the system-wide installation is used or changed.

Writes go through ``/sparql-graph-crud``, Virtuoso's SPARQL 1.1 Graph Store Protocol
endpoint without authentication, after granting ``SPARQL_UPDATE`` to the anonymous
``SPARQL`` user with ``isql-vt``. The digest-authenticated ``/sparql-graph-crud-auth`` was
the alternative; the grant keeps the client the same for every store (plain HTTP, no
credentials), and the server listens on loopback only and is deleted with the test folder.

Virtuoso 7.2 keeps typed literals as native values, not as the text loaded; an
``xsd:duration`` comes back as a bare number, which :func:`restored_duration` turns back.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from rdflib import XSD, Literal
from rdflib.term import Node

from engines import RunningStore, free_port, wait_until_answers
from omskg.errors import OmsError

SERVER = "virtuoso-t"
ISQL = "isql-vt"
START_TIMEOUT = 60.0
# Debian's own virtuoso.ini sets 10000; when the answer is longer Virtuoso cuts it there and
# still answers 200 (only an X-SPARQL-MaxRows header tells). Set explicitly, far above any
# answer the tests ask for (the whole graph is about 10 500 triples).
RESULT_SET_MAX_ROWS = 1_000_000

_INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = {folder}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
ServerThreads = 4

[SPARQL]
ResultSetMaxRows = {max_rows}
"""


def write_config(folder: Path, sql_port: int, http_port: int) -> Path:
    """Write ``virtuoso.ini`` into ``folder``: database there, both ports on loopback only."""
    ini = folder / "virtuoso.ini"
    text = _INI.format(
        folder=folder.resolve(), sql_port=sql_port, http_port=http_port, max_rows=RESULT_SET_MAX_ROWS
    )
    ini.write_text(text, encoding="utf-8")
    return ini


def start_virtuoso(tmp_path: Path) -> RunningStore:
    """Start Virtuoso from ``tmp_path``, wait until its SPARQL endpoint answers, open the Graph
    Store Protocol to writes, and return the running store (``stop()`` ends it by PID)."""
    for program in (SERVER, ISQL):
        if shutil.which(program) is None:
            raise OmsError(
                f"{program} not found; install Debian's virtuoso-opensource (`make test-engines` does)"
            )
    folder = tmp_path / "virtuoso"
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = write_config(folder, sql_port, http_port)
    base = f"http://127.0.0.1:{http_port}"
    log = folder / "server.out"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [SERVER, "+foreground", "+configfile", str(ini)], cwd=folder, stdout=out, stderr=subprocess.STDOUT
        )
    store = RunningStore(
        "virtuoso",
        f"{base}/sparql",
        f"{base}/sparql",
        f"{base}/sparql-graph-crud",
        process.pid,
        process,
        sql_port=sql_port,
        folder=folder,
    )
    try:
        wait_until_answers(f"{store.query_url}?query={quote('ASK {}')}", process, log, START_TIMEOUT)
        isql(sql_port, 'grant SPARQL_UPDATE to "SPARQL";')
    except BaseException:
        store.stop()
        raise
    return store


def isql(sql_port: int, statements: str, timeout: float = 30) -> str:
    """Run SQL ``statements`` as ``dba`` with ``isql-vt`` (the ``SPARQL`` user is granted
    ``SPARQL_UPDATE`` this way, which ``/sparql-graph-crud`` needs); return its output."""
    result = subprocess.run(
        [ISQL, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={statements}"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 or "Error" in output:
        raise OmsError(f"isql-vt failed on {statements!r}: {output.strip()}")
    return output


def bulk_load(store: RunningStore, nquads: Path, timeout: float = 1800) -> None:
    """Load the N-Quads file ``nquads`` with Virtuoso's own bulk loader (``ld_dir``, then
    ``rdf_loader_run`` and a checkpoint), as its manual says; the file is linked into the
    store's folder, the one directory the server may read."""
    assert store.folder is not None
    target = store.folder / nquads.name
    target.unlink(missing_ok=True)
    os.link(nquads, target)
    isql(
        store.sql_port,
        f"ld_dir('{store.folder.resolve()}', '{nquads.name}', 'http://example.org/unused'); "
        "rdf_loader_run(); checkpoint;",
        timeout,
    )
    failed = isql(store.sql_port, "select ll_file from DB.DBA.LOAD_LIST where ll_error is not null;")
    if target.name in failed:
        raise OmsError(f"Virtuoso's bulk loader failed on {nquads}: {failed.strip()}")


def restored_duration(term: Node) -> Node:
    """The ``xsd:duration`` literal the graph holds, from the number Virtuoso 7.2 answers with.

    Virtuoso keeps typed literals as native values and writes the value back, not the text
    loaded. For most datatypes that is another valid lexical form of the same value (``0``
    for ``false`` in JSON results, ``1`` for ``1.0``), which the tests compare by value. An
    ``xsd:duration`` instead becomes a bare number (openlink/virtuoso-opensource#936): a
    whole number of months when it has a year or month part, else a double of seconds, so
    ``P2Y`` comes back as ``"24"^^xsd:duration`` and ``P140D`` as ``"1.2096e+07"``. Virtuoso
    writes its doubles with a ``.`` or an ``e``, which tells the two apart; the duration is
    rebuilt in canonical form. Durations Virtuoso misreads on loading (it holds ``PT3S`` as
    3.3 s and drops the days of ``P1Y2D``) come back as what it holds and still differ.

    Any other term is returned unchanged.

    >>> restored_duration(Literal("24", datatype=XSD.duration))
    rdflib.term.Literal('P2Y', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#duration'))
    >>> [str(restored_duration(Literal(n, datatype=XSD.duration))) for n in ("3", "1.2096e+07", "3.3")]
    ['P3M', 'P140D', 'PT3.3S']
    """
    if not (
        isinstance(term, Literal)
        and term.datatype == XSD.duration
        and re.fullmatch(r"[-+]?[0-9.eE+-]+", str(term))
    ):
        return term
    return Literal(_duration_from_virtuoso(str(term)), datatype=XSD.duration, normalize=False)


def _duration_from_virtuoso(number: str) -> str:
    """``24`` (months) -> ``P2Y``; ``1.2096e+07`` (seconds) -> ``P140D``."""
    if re.fullmatch(r"[-+]?[0-9]+", number):
        months = int(number)
        years, extra = divmod(abs(months), 12)
        body = (f"{years}Y" if years else "") + (f"{extra}M" if extra or not years else "")
        return ("-" if months < 0 else "") + "P" + body
    seconds = Decimal(repr(float(number)))
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    clock = "".join(
        f"{amount:f}{unit}"
        for amount, unit in ((hours, "H"), (minutes, "M"), (rest.normalize(), "S"))
        if amount
    )
    body = (f"{days:f}D" if days else "") + (f"T{clock}" if clock else "")
    return ("-" if seconds < 0 else "") + "P" + (body or "T0S")
