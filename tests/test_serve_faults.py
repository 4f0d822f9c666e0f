"""Faults of a running `omskg serve` stay contained: each test starts its own server on
127.0.0.1, breaks something under it (a query worker killed, the server restarted, the
store taken away) and checks that clients get a clean answer and the server recovers."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.error import URLError

import httpx
import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from engines import RunningStore, free_port, start_omskg
from omskg.curation.build import BuiltGraph

pytestmark = pytest.mark.slow  # make test-fast leaves it out (see pyproject.toml)

ASK = {"query": "ASK { ?s ?p ?o }"}
SLOW = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
FIRST_CHOICE = """PREFIX oms: <https://w3id.org/omskg/vocab/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?drug ?label WHERE {
  ?st rdf:subject <https://w3id.org/omskg/entity/myoclonus> ; rdf:predicate oms:hasTreatment ;
      rdf:object ?drug ; oms:treatmentLine oms:FirstChoice .
  ?drug rdfs:label ?label .
} ORDER BY ?label"""


def worker_pids(server: RunningStore, timeout: float = 30.0) -> set[int]:
    """The query workers of ``server``: its children running ``python -m omskg.web.sandbox``,
    found through ``/proc/PID/task/*/children``."""
    deadline = time.monotonic() + timeout
    while True:
        tasks = Path(f"/proc/{server.pid}/task")
        if not tasks.is_dir() or not (next(tasks.iterdir()) / "children").exists():
            pytest.skip("needs /proc/PID/task/TID/children to find the query workers")
        children = {int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()}
        workers = set()
        for pid in children:
            try:
                if b"\x00-m\x00omskg.web.sandbox\x00" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    workers.add(pid)
            except OSError:  # ended meanwhile
                pass
        if workers or time.monotonic() > deadline:
            return workers
        time.sleep(0.1)


def cpu_ticks(pid: int) -> int:
    """User and system CPU time of ``pid``, in clock ticks (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def log_text(tmp_path: Path) -> str:
    return (tmp_path / "omskg-serve.log").read_text(errors="replace")


def test_a_query_worker_killed_mid_query(tmp_path: Path) -> None:
    """SIGKILL to the worker evaluating a query: that client gets a plain 500 saying what
    happened, the next query is answered by a fresh worker, and the log has no traceback."""
    server = start_omskg(tmp_path, "--query-timeout", "60")
    try:
        base = server.query_url
        (worker,) = worker_pids(server)
        answer: dict[str, httpx.Response] = {}
        asker = threading.Thread(
            target=lambda: answer.setdefault("slow", httpx.get(base, params={"query": SLOW}, timeout=90))
        )
        before = cpu_ticks(worker)
        asker.start()
        deadline = time.monotonic() + 30
        while cpu_ticks(worker) < before + 20 and time.monotonic() < deadline:  # busy for 0.2 s
            time.sleep(0.05)
        os.kill(worker, signal.SIGKILL)
        asker.join(60)
        killed = answer["slow"]
        assert killed.status_code in (500, 503), killed.text
        assert killed.headers["content-type"].startswith("text/plain")
        assert "the query worker stopped while answering (killed by SIGKILL)" in killed.text
        assert "Traceback" not in killed.text
        again = httpx.get(base, params=ASK, headers={"Accept": "application/json"}, timeout=30)
        assert again.status_code == 200
        assert again.json()["boolean"] is True
        assert worker not in worker_pids(server)
        assert "Traceback" not in log_text(tmp_path)
    finally:
        server.stop()


def test_clients_retrying_get_their_answer_once_the_server_is_back(tmp_path: Path) -> None:
    """The server stopped and started again on the same port while clients ask: a
    SPARQLWrapper client that tries again after a connection error, and `omskg query
    --endpoint` with its own retries (backoff 0.5 s, 1 s, 2 s, ...), both get the answer."""
    port = free_port()
    server = start_omskg(tmp_path, port=port)
    url = server.query_url
    query_file = tmp_path / "first-choice.rq"
    query_file.write_text(FIRST_CHOICE)
    got: dict[str, Any] = {"wrapper attempts": 0}

    def wrapper_client() -> None:
        wrapper = SPARQLWrapper(url)
        wrapper.setQuery(FIRST_CHOICE)
        wrapper.setReturnFormat(JSON)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            got["wrapper attempts"] += 1
            try:
                got["wrapper"] = wrapper.queryAndConvert()
                return
            except (URLError, ConnectionError, http.client.HTTPException):
                time.sleep(0.25)

    command = [sys.executable, "-m", "omskg.cli", "query", str(query_file), "--endpoint", url]
    command += ["--retries", "9", "--format", "csv"]
    restarted = None
    try:
        assert httpx.get(url, params=ASK, timeout=30).status_code == 200
        server.stop()
        asker = threading.Thread(target=wrapper_client)
        asker.start()
        cli = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)  # both have met a refused connection by now
        restarted = start_omskg(tmp_path, port=port)
        out, err = cli.communicate(timeout=150)
        asker.join(150)
    finally:
        if restarted is not None:
            restarted.stop()
    assert cli.returncode == 0, err
    assert out.splitlines()[1:] == ["omse:clonazepam,clonazepam"]
    assert got["wrapper attempts"] > 1
    assert [b["label"]["value"] for b in got["wrapper"]["results"]["bindings"]] == ["clonazepam"]


def test_the_store_taken_away_while_serving(tmp_path: Path, built: BuiltGraph) -> None:
    """The store folder renamed away, replaced by an empty folder, then put back. (The
    tests may run as root, for whom ``chmod 000`` denies nothing, so the folder is moved
    rather than made unreadable; the same check covers both.) Queries get a plain 503
    with ``Retry-After`` that names no path, also when a worker must start meanwhile;
    pages, made from memory, go on; once the store is back, queries are answered."""
    import pyoxigraph as ox

    from omskg.linked.store import core_store

    folder = tmp_path / "store"
    store = ox.Store(str(folder))
    core_store(built, store)
    store.flush()
    del store
    server = start_omskg(tmp_path, "--store", str(folder))
    aside = tmp_path / "store-aside"
    try:
        base = server.query_url.removesuffix("/sparql")
        with httpx.Client(base_url=base, timeout=60) as http:

            def ask() -> httpx.Response:
                return http.get("/sparql", params=ASK, headers={"Accept": "application/json"})

            assert ask().status_code == 200
            folder.rename(aside)
            gone = ask()
            assert gone.status_code == 503
            assert gone.headers["content-type"].startswith("text/plain")
            assert gone.headers["retry-after"] == "5"
            assert gone.text.startswith(
                "the store this endpoint answers from cannot be read at the moment "
                "(its folder was moved or deleted)"
            )
            assert str(tmp_path) not in gone.text and "Traceback" not in gone.text
            assert http.get("/entity/oms.html").status_code == 200
            for worker in worker_pids(server):  # a worker must start while the store is away
                os.kill(worker, signal.SIGKILL)
            assert ask().status_code == 503
            folder.mkdir()  # replaced by a folder holding no store
            empty = ask()
            assert empty.status_code == 503
            assert "(its folder holds no store)" in empty.text
            folder.rmdir()
            aside.rename(folder)
            back = ask()
            assert back.status_code == 200, back.text
            assert back.json()["boolean"] is True
        assert "Traceback" not in log_text(tmp_path)
    finally:
        server.stop()
