"""Real SPARQL 1.1 stores for the tests: started on a free port of 127.0.0.1, stopped by PID.

``STARTERS`` maps an engine name (the ``--engine`` option of pytest) to the function
that starts it in a fresh folder. :class:`ScriptedServer` plays the faults (stalls,
dropped connections, 429/503, broken bodies, capped rows) a real store will not
produce on demand.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.error import URLError
from urllib.parse import quote


@dataclass
class RunningStore:
    """A store process and the URLs of its query, update and Graph Store Protocol services
    (and, for Virtuoso, its SQL port on 127.0.0.1 and its data folder)."""

    name: str
    query_url: str
    update_url: str
    gsp_url: str
    pid: int
    process: subprocess.Popen[bytes] = field(repr=False)
    sql_port: int = 0
    folder: Path | None = None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if the process has not ended within ``timeout``; wait for it."""
        if self.process.poll() is not None:
            return
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self.process.wait()


def free_port() -> int:
    """A TCP port of 127.0.0.1 the operating system says is free."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_answers(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers 200; fail early, with the log, if the process ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"store exited with {process.returncode}: {log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    raise RuntimeError(f"store did not answer {url} within {timeout} s: {log.read_text(errors='replace')}")


def start_oxigraph(tmp_path: Path) -> RunningStore:
    """``oxigraph serve`` (the binary beside the Python interpreter) with its data in ``tmp_path``."""
    binary = Path(sys.executable).parent / "oxigraph"
    port = free_port()
    log = tmp_path / "oxigraph.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(binary), "serve", "--location", str(tmp_path / "data"), "--bind", f"127.0.0.1:{port}"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    store = RunningStore("oxigraph", f"{base}/query", f"{base}/update", f"{base}/store", process.pid, process)
    try:
        wait_until_answers(f"{store.query_url}?query={quote('ASK {}')}", process, log)
    except BaseException:
        store.stop()
        raise
    return store


STARTERS: dict[str, Callable[[Path], RunningStore]] = {"oxigraph": start_oxigraph}


def start_omskg(tmp_path: Path, *options: str, port: int | None = None) -> RunningStore:
    """``omskg serve`` with ``options`` on ``port`` (default: a free one); its SPARQL
    endpoint is read-only. Its log is appended to ``tmp_path/omskg-serve.log``."""
    port = port or free_port()
    log = tmp_path / "omskg-serve.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "omskg.cli", "serve", "--port", str(port), *options],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    server = RunningStore("omskg", f"{base}/sparql", "", "", process.pid, process)
    try:
        wait_until_answers(f"{base}/", process, log, timeout=120)
    except BaseException:
        server.stop()
        raise
    return server


# --- a scripted HTTP server, for the faults a real store will not produce on demand ---------


@dataclass
class Reply:
    """One scripted answer. ``then``: "answer"; "drop" (close without answering);
    "stall" (never answer). ``length`` is the Content-Length announced (None: the body's;
    -1: none, the body ends when the connection closes)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None
    then: str = "answer"


@dataclass(frozen=True)
class Seen:
    """A request the scripted server received."""

    method: str
    path: str
    body: bytes


class ScriptedServer:
    """An HTTP server on a free port of 127.0.0.1, in a thread, answering each request
    with the next reply of ``script`` (the last one repeats) or with ``script(request)``.
    Use it as a context manager; ``requests`` lists what arrived."""

    def __init__(self, script: list[Reply] | Callable[[Seen], Reply]) -> None:
        self.script = script
        self.requests: list[Seen] = []
        self.released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _ScriptedHandler)
        self.server.daemon_threads = True
        self.server.scripted = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def reply(self, seen: Seen) -> Reply:
        self.requests.append(seen)
        if callable(self.script):
            return self.script(seen)
        return self.script[min(len(self.requests), len(self.script)) - 1]

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class _ScriptedHandler(BaseHTTPRequestHandler):
    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        scripted: ScriptedServer = self.server.scripted  # type: ignore[attr-defined]
        reply = scripted.reply(Seen(self.command, self.path, body))
        if reply.then in ("drop", "stall"):
            if reply.then == "stall":
                scripted.released.wait(30)
            self.close_connection = True
            return
        self.server_name = reply.headers.get("Server")
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            if name != "Server":
                self.send_header(name, value)
        if reply.length != -1:
            self.send_header("Content-Length", str(len(reply.body) if reply.length is None else reply.length))
        self.end_headers()
        self.wfile.write(reply.body)
        self.close_connection = True

    do_GET = do_POST = do_PUT = _serve

    def version_string(self) -> str:
        """The ``Server`` header: the scripted one, if the reply has one."""
        return getattr(self, "server_name", None) or super().version_string()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests look at ``requests``."""


def results_json(variable: str, values: list[str]) -> bytes:
    """SPARQL JSON results with one column of plain literals."""
    bindings = [{variable: {"type": "literal", "value": v}} for v in values]
    return json.dumps({"head": {"vars": [variable]}, "results": {"bindings": bindings}}).encode()


JSON_RESULTS = {"Content-Type": "application/sparql-results+json"}


def results_reply(variable: str, values: list[str]) -> Reply:
    """An endpoint's answer of :func:`results_json`, labelled as SPARQL JSON results."""
    return Reply(body=results_json(variable, values), headers=JSON_RESULTS)
