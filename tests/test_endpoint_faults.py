"""Faults between the project and a SPARQL store, played by a scripted HTTP server on
127.0.0.1: stalls, overload answers, dropped connections, broken bodies, capped rows;
and a real Oxigraph server killed in the middle of a push.
Each case ends in the complete, right answer or in one clear error."""

from __future__ import annotations

import gzip
import os
import re
import signal
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from engines import (
    JSON_RESULTS,
    Reply,
    ScriptedServer,
    Seen,
    free_port,
    results_json,
    results_reply,
    start_oxigraph,
)
from omskg.cli import main
from omskg.errors import OmsError
from omskg.query import find_query
from omskg.remote_store import (
    HttpPolicy,
    Steps,
    count_triples,
    push_file,
    push_graph,
    push_quads,
    remote_select,
)

pytestmark = pytest.mark.slow  # make test-fast leaves it out (see pyproject.toml)

QUERY = "SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x"
ROWS = ["a", "b", "c"]
OK = Reply(body=results_json("x", ROWS), headers=JSON_RESULTS)
FAST = HttpPolicy(timeout=5, attempts=4, backoff=0.01)


def _values(server: ScriptedServer, policy: HttpPolicy = FAST, **options: object) -> list[str]:
    table = remote_select(server.url, QUERY, graphs=(), policy=policy, **options)  # type: ignore[arg-type]
    assert table.columns == ("x",)
    return [str(row[0]) for row in table.rows]


def _graph() -> Graph:
    graph = Graph()
    for index in range(3):
        graph.add((URIRef(f"http://example.org/s{index}"), URIRef("http://example.org/p"), Literal(index)))
    return graph


# --- timeouts ------------------------------------------------------------------------------


def test_a_stalled_server_ends_in_an_error_after_the_timeout() -> None:
    with ScriptedServer([Reply(then="stall")]) as server:
        started = time.monotonic()
        with pytest.raises(OmsError, match=r"did not answer within 1 s; try again later or raise --timeout"):
            _values(server, HttpPolicy(timeout=1, attempts=3))
        assert time.monotonic() - started < 2.5  # not retried
        assert len(server.requests) == 1


# --- reads: retried, bounded -------------------------------------------------------------


def test_503_is_retried_after_the_seconds_retry_after_asks() -> None:
    with ScriptedServer([Reply(503, headers={"Retry-After": "1"}), OK]) as server:
        started = time.monotonic()
        assert _values(server) == ROWS
        assert time.monotonic() - started >= 1.0  # the backoff alone would be 0.01 s
        assert len(server.requests) == 2


def test_429_is_retried_at_the_http_date_retry_after_names() -> None:
    when = formatdate(time.time() + 2, usegmt=True)  # whole seconds: 1 to 2 s from now
    with ScriptedServer([Reply(429, headers={"Retry-After": when}), OK]) as server:
        started = time.monotonic()
        assert _values(server) == ROWS
        assert time.monotonic() - started >= 0.9
        assert len(server.requests) == 2


def test_502_and_dropped_connections_are_retried_with_backoff() -> None:
    with ScriptedServer([Reply(502), Reply(then="drop"), Reply(502), OK]) as server:
        started = time.monotonic()
        assert _values(server, HttpPolicy(timeout=5, attempts=4, backoff=0.1)) == ROWS
        assert time.monotonic() - started >= 0.1 + 0.2 + 0.4
        assert len(server.requests) == 4
        assert len({seen.body for seen in server.requests}) == 1  # the same query each time


def test_retries_are_bounded() -> None:
    with ScriptedServer([Reply(503, body=b"overloaded")]) as server:
        with pytest.raises(
            OmsError, match=r"gave up after 3 attempts; .* HTTP 503 Service Unavailable: overloaded"
        ):
            _values(server, HttpPolicy(timeout=5, attempts=3, backoff=0.01))
        assert len(server.requests) == 3


def test_a_retry_after_beyond_the_longest_wait_is_not_waited_for() -> None:
    with ScriptedServer([Reply(503, headers={"Retry-After": "3600"})]) as server:
        with pytest.raises(OmsError, match=r"asks to wait 3600 s, more than 120 s"):
            _values(server)
        assert len(server.requests) == 1


def test_a_refused_connection_is_retried_then_reported() -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    with pytest.raises(OmsError, match=r"gave up after 2 attempts; .*ConnectionRefusedError"):
        remote_select(url, QUERY, graphs=(), policy=HttpPolicy(timeout=5, attempts=2, backoff=0.01))


def test_a_bad_query_answer_is_not_retried() -> None:
    with ScriptedServer([Reply(400, body=b"Parse error at line 1")]) as server:
        with pytest.raises(OmsError, match=r"refused the query: QueryBadFormed.*Parse error at line 1"):
            _values(server)
        assert len(server.requests) == 1


# --- reads: no partial answer passed off as complete ---------------------------------------


def test_http_206_is_an_error() -> None:
    partial = ScriptedServer([Reply(206, body=results_json("x", ROWS[:1]))])
    with (
        partial as server,
        pytest.raises(OmsError, match=r"answered 206 Partial Content; a partial answer is"),
    ):
        _values(server)


def test_a_body_shorter_than_its_content_length_is_an_error() -> None:
    body = results_json("x", ROWS)
    short = ScriptedServer([Reply(body=body, headers=JSON_RESULTS, length=len(body) + 100)])
    with (
        short as server,
        pytest.raises(OmsError, match=rf"broke off after {len(body)} bytes \(100 more were due"),
    ):
        _values(server)


def test_results_json_that_breaks_off_is_an_error() -> None:
    body = results_json("x", ROWS)
    halved = ScriptedServer([Reply(body=body[: len(body) // 2], headers=JSON_RESULTS, length=-1)])
    with (
        halved as server,
        pytest.raises(OmsError, match=r"not complete SPARQL JSON results \(JSONDecodeError"),
    ):
        _values(server)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/sparql-results+xml", b'<?xml version="1.0"?><sparql/>'),
        ("text/html", b"<html>Service Unavailable</html>"),
        ("", results_json("x", ROWS)),
    ],
)
def test_an_answer_that_is_not_json_results_is_refused_unread(content_type: str, body: bytes) -> None:
    """SPARQLWrapper's convert() goes by the Content-Type: it would parse XML, or hand back
    the raw response for a type it does not know."""
    headers = {"Content-Type": content_type} if content_type else {}
    shown = re.escape(content_type) or "without a Content-Type"
    with (
        ScriptedServer([Reply(body=body, headers=headers)]) as server,
        pytest.raises(OmsError, match=rf"answered {shown}, not SPARQL JSON"),
    ):
        _values(server)


# --- paging ------------------------------------------------------------------------------


CAP = 10
STORED = [f"row-{index:02d}" for index in range(25)]


def _capping(seen: Seen) -> Reply:
    """An endpoint that returns at most CAP rows, marking a cut the way Virtuoso does."""
    query = parse_qs(seen.body.decode())["query"][0]
    page = re.search(r"LIMIT (\d+)(?: OFFSET (\d+))?\s*$", query)
    rows = STORED[int(page.group(2) or 0) :][: int(page.group(1))] if page else STORED
    headers = {**JSON_RESULTS, "X-SPARQL-MaxRows": str(CAP)} if len(rows) > CAP else JSON_RESULTS
    return Reply(body=results_json("x", rows[:CAP]), headers=headers)


def test_pages_bring_every_row_from_an_endpoint_that_caps_rows() -> None:
    with ScriptedServer(_capping) as server:
        assert _values(server, page_size=CAP) == STORED
        queries = [parse_qs(seen.body.decode())["query"][0] for seen in server.requests]
        assert [q.removeprefix(QUERY) for q in queries] == [
            "\nLIMIT 10 OFFSET 0",
            "\nLIMIT 10 OFFSET 10",
            "\nLIMIT 10 OFFSET 20",
        ]


def test_a_capped_answer_is_an_error_not_the_answer() -> None:
    with ScriptedServer(_capping) as server:
        with pytest.raises(
            OmsError, match=r"cut the answer off at 10 rows; run it again with a page size of 10"
        ):
            _values(server)
        with pytest.raises(OmsError, match=r"cut the answer off at 10 rows"):
            _values(server, page_size=20)


def test_paging_is_refused_without_order_by() -> None:
    with ScriptedServer(_capping) as server:
        with pytest.raises(OmsError, match=r"probe: paging needs ORDER BY"):
            remote_select(server.url, "SELECT ?x { ?x ?p ?o }", graphs=(), page_size=5, name="probe")
        assert server.requests == []


def test_a_query_with_its_own_limit_is_sent_as_it_is() -> None:
    with ScriptedServer(_capping) as server:
        text = QUERY + " LIMIT 3"
        table = remote_select(server.url, text, graphs=(), page_size=2)
        assert [str(row[0]) for row in table.rows] == STORED[:3]
        assert [parse_qs(seen.body.decode())["query"][0] for seen in server.requests] == [text]


def test_a_question_whose_comment_says_add_is_sent_as_a_question() -> None:
    """SPARQLWrapper took "add" in a comment of queries/linked/lookalikes.rq for SPARQL
    Update's ADD, and sent the question as an update."""
    text = find_query("lookalikes").text
    assert re.search(r"^#.*\badd\b", text, re.M)
    with ScriptedServer([results_reply("disease", [])]) as server:
        assert remote_select(server.url, text, graphs=()).rows == ()
        assert [parse_qs(seen.body.decode())["query"][0] for seen in server.requests] == [text]


def test_a_question_of_the_hpo_graph_is_not_asked_where_that_graph_is_empty(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Asked without the HPO graph, the agreement question gave 21 plausible rows, all "ours only"."""
    query = find_query("orphanet-agreement")
    params = [f"--param={name}={value}" for name, value in query.example.items()]
    with ScriptedServer([results_reply("s", [])]) as server:
        assert main(["query", query.name, *params, "--endpoint", server.url, "--with-hpo"]) == 2
        assert len(server.requests) == 1  # the probe, not the question
    assert capsys.readouterr().err == (
        f"error: {server.url} holds no HPO graph <https://w3id.org/omskg/graph/hpo>: push it there "
        "with `omskg push URL --hpo FILE`\n"
    )


# --- writes: retried only when the server says it did not take the request on ------------


CREATED = Reply(201)


@pytest.mark.parametrize("status", [429, 503])
def test_a_push_is_sent_again_after_429_or_503(status: int) -> None:
    with ScriptedServer([Reply(status, headers={"Retry-After": "0"}), CREATED]) as server:
        pushed = push_graph(_graph(), server.url, policy=FAST)
        assert (pushed.triples, len(server.requests)) == (3, 2)
        first, second = server.requests
        assert first == second
        assert (first.method, first.path) == (
            "PUT",
            "/sparql?graph=https%3A%2F%2Fw3id.org%2Fomskg%2Fgraph%2Fcore",
        )
        assert len(first.body.splitlines()) == 3 and len(first.body) == pushed.size


@pytest.mark.parametrize(
    ("reply", "policy", "message"),
    [
        (Reply(then="drop"), FAST, r"ended without an answer \(RemoteDisconnected"),
        (Reply(then="stall"), HttpPolicy(timeout=1), r"ended without an answer \(no answer in time\)"),
    ],
    ids=["dropped", "timeout"],
)
def test_a_push_with_an_unknown_outcome_is_not_repeated(
    reply: Reply, policy: HttpPolicy, message: str
) -> None:
    with ScriptedServer([reply, CREATED]) as server:
        with pytest.raises(OmsError, match=message + r".*the push is idempotent, so run it again"):
            push_graph(_graph(), server.url, policy=policy)
        assert len(server.requests) == 1


def test_a_push_is_not_repeated_after_502() -> None:
    """502 is retried for reads, but a proxy's 502 does not say the store left the graph alone."""
    with ScriptedServer([Reply(502), CREATED]) as server:
        with pytest.raises(
            OmsError, match=r"did not replace graph <https://w3id.org/omskg/graph/core>: HTTP 502"
        ):
            push_graph(_graph(), server.url, policy=FAST)
        assert len(server.requests) == 1


def test_a_push_to_a_closed_port_says_nothing_was_pushed() -> None:
    url = f"http://127.0.0.1:{free_port()}/store"
    with pytest.raises(OmsError, match=r"cannot connect to .*, so did not replace graph <.*>; check the URL"):
        push_graph(_graph(), url, policy=FAST)


def test_a_file_that_does_not_parse_sends_nothing(tmp_path: Path) -> None:
    path = tmp_path / "broken.nq"
    path.write_text('<http://example.org/a> <http://example.org/p> "fine" <http://example.org/g> .\n<oops\n')
    with ScriptedServer([CREATED]) as server:
        with pytest.raises(OmsError, match=r"broken.nq: not valid N-Quads: .*; nothing of it was pushed"):
            push_file(path, server.url, policy=FAST)
        assert server.requests == []


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (lambda data: data[: len(data) // 2], "Compressed file ended"),
        (lambda data: data[:200] + bytes(b ^ 0xFF for b in data[200:400]) + data[400:], "Error -3|CRC check"),
        (lambda data: b"not gzip at all\n", "Not a gzipped file"),
    ],
    ids=["cut-short", "corrupt", "not-gzip"],
)
def test_a_damaged_gzip_file_is_named_and_sends_nothing(
    tmp_path: Path, damage: Callable[[bytes], bytes], why: str
) -> None:
    lines = "".join(
        f'<http://example.org/s{i}> <http://example.org/p> "{i}" <http://example.org/g> .\n'
        for i in range(5000)
    )
    path = tmp_path / "damaged.nq.gz"
    path.write_bytes(damage(gzip.compress(lines.encode())))
    with ScriptedServer([CREATED]) as server:
        with pytest.raises(
            OmsError, match=rf"damaged\.nq\.gz: not a whole gzip file \(.*({why}).*\); write it again"
        ):
            push_file(path, server.url, policy=FAST)
        assert server.requests == []


def test_a_store_that_never_reads_the_push_ends_in_a_timeout(tmp_path: Path) -> None:
    """The connection is taken (by the kernel) but nobody reads: the body cannot be sent."""
    path = _ntriples(tmp_path / "big.nt", "x", 100_000)  # more than the socket buffers hold
    with socket.create_server(("127.0.0.1", 0)) as listener:  # listens, never accepts
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/store"
        started = time.monotonic()
        with pytest.raises(OmsError, match=r"ended without an answer \(no answer in time\)"):
            push_file(path, url, graph_iri="http://example.org/g", policy=HttpPolicy(timeout=1))
        assert time.monotonic() - started < 10


# --- a real store killed in the middle of a push ------------------------------------------


GRAPH = "http://example.org/pushed"


def _ntriples(path: Path, tag: str, count: int) -> Path:
    lines = (f'<http://example.org/s{i}> <http://example.org/p{i % 7}> "{tag} {i}" .\n' for i in range(count))
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _triples(path: Path) -> set[ox.Triple]:
    return set(ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES))


def _stored(gsp_url: str) -> set[ox.Triple]:
    """The triples the store holds in GRAPH, read back through the Graph Store Protocol."""
    request = urllib.request.Request(f"{gsp_url}?graph={GRAPH}", headers={"Accept": "application/n-triples"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return set(ox.parse(response.read(), ox.RdfFormat.N_TRIPLES))


def _body_sent(size: int) -> int | None:
    """How far this process has read the spooled body of ``size`` bytes of a running push
    (an unlinked temporary file, read block by block into the socket); None before it exists."""
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").endswith(" (deleted)") and (
                os.stat(f"/proc/self/fd/{fd}").st_size == size
            ):
                with open(f"/proc/self/fdinfo/{fd}", encoding="ascii") as info:
                    return next(int(line.split()[1]) for line in info if line.startswith("pos:"))
        except OSError:  # closed meanwhile
            continue
    return None


def _push_in_background(path: Path, gsp_url: str) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def push() -> None:
        try:
            push_file(path, gsp_url, graph_iri=GRAPH, policy=HttpPolicy(timeout=60))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=push)
    thread.start()
    return thread, errors


def _unread(port: int) -> int | None:
    """Bytes on the way to or from the server on ``port`` of 127.0.0.1 that no one has read yet
    (send and receive queues of both ends, from /proc/net/tcp); None without a connection."""
    with open("/proc/net/tcp", encoding="ascii") as table:
        rows = [line.split() for line in table][1:]
    queued = [
        sum(int(part, 16) for part in row[4].split(":"))
        for row in rows
        if row[3] == "01" and port in (int(row[1].split(":")[1], 16), int(row[2].split(":")[1], 16))
    ]
    return sum(queued) if queued else None


def _kill_when(moment: Callable[[], bool], store_pid: int, thread: threading.Thread) -> None:
    """SIGKILL the store as soon as ``moment()`` holds; the push must still be running."""
    while not moment():
        assert thread.is_alive(), "the push ended before the moment came"
        time.sleep(0.001)
    os.kill(store_pid, signal.SIGKILL)


def test_a_store_killed_mid_push_holds_the_old_or_the_new_graph_never_a_mix(tmp_path: Path) -> None:
    old_path = _ntriples(tmp_path / "old.nt", "old", 1_000)
    new_path = _ntriples(tmp_path / "new.nt", "new", 100_000)
    old, new = _triples(old_path), _triples(new_path)
    store = start_oxigraph(tmp_path)
    try:
        push_file(old_path, store.gsp_url, graph_iri=GRAPH)
        assert _stored(store.gsp_url) == old

        # killed while the body streams in: only the old graph can be there
        size = new_path.stat().st_size
        sent: list[int] = []

        def streaming() -> bool:
            sent.append(_body_sent(size) or 0)
            return sent[-1] >= 1 << 20

        thread, errors = _push_in_background(new_path, store.gsp_url)
        _kill_when(streaming, store.pid, thread)
        assert sent[-1] < size  # so the store cannot have had the whole body
        thread.join(120)
        assert [type(e) for e in errors] == [OmsError]
        assert re.fullmatch(
            rf"{re.escape(store.gsp_url)}: the request to replace graph <{GRAPH}> ended without an answer "
            r"\((.+)\): the store may or may not have done it; the push is idempotent, so run it again",
            str(errors[0]),
        ), errors[0]
        store.process.wait()
        store = start_oxigraph(tmp_path)  # on the same data folder
        assert _stored(store.gsp_url) == old

        # killed once the store has read the whole body, while it stores it: old or new, whole
        port = urlsplit(store.gsp_url).port or 80
        thread, errors = _push_in_background(new_path, store.gsp_url)
        _kill_when(lambda: _body_sent(size) == size and _unread(port) == 0, store.pid, thread)
        thread.join(120)
        store.process.wait()
        store = start_oxigraph(tmp_path)
        assert _stored(store.gsp_url) in (old, new)

        # running the push again gives the new graph, each triple once
        (pushed,) = push_file(new_path, store.gsp_url, graph_iri=GRAPH)
        assert _stored(store.gsp_url) == new
        assert count_triples(store.query_url, GRAPH) == pushed.triples == len(new)
    finally:
        store.stop()


# --- a graph larger than one step: deleted, then added, a bounded request at a time --------


STEPPED = "http://example.org/big"


class _SteppedStore:
    """A scripted store for a push in steps: ``old`` triples in the graph until a deletion
    (each takes ``size``), ``server`` naming its software on ``ASK {}``."""

    def __init__(self, old: int, size: int, server: str = "", deletes: bool = True) -> None:
        self.left, self.size, self.server, self.deletes = old, size, server, deletes

    def __call__(self, seen: Seen) -> Reply:
        if seen.method == "GET":  # store_software's ASK {}
            return Reply(body=b'{"head":{},"boolean":true}', headers={**JSON_RESULTS, "Server": self.server})
        if seen.path.startswith("/update"):
            if self.deletes:
                self.left = max(0, self.left - self.size)
            return Reply(204)
        if seen.path.startswith("/sparql"):  # count_triples
            return Reply(body=results_json("n", [str(self.left)]), headers=JSON_RESULTS)
        return Reply(204)


def _steps(server: ScriptedServer, size: int) -> Steps:
    return Steps(server.url, server.url.replace("/sparql", "/update"), size)


def _gsp(server: ScriptedServer) -> str:
    return server.url.replace("/sparql", "/store")


@pytest.mark.parametrize("read", ["file read twice", "quads spooled"])
@pytest.mark.parametrize(
    ("software", "suffix"), [("Oxigraph/0.5.13", "&no_transaction"), ("Virtuoso/7.2", "")]
)
def test_a_large_graph_is_deleted_then_added_in_steps(
    tmp_path: Path, software: str, suffix: str, read: str
) -> None:
    path = _ntriples(tmp_path / "big.nt", "x", 25)
    store = _SteppedStore(old=15, size=10, server=software)
    seen: list[tuple[str, int, int]] = []
    with ScriptedServer(store) as server:
        steps = _steps(server, 10)
        if read == "file read twice":  # the steps are sent while the file is read the second time
            (pushed,) = push_file(
                path,
                _gsp(server),
                graph_iri=STEPPED,
                policy=FAST,
                steps=steps,
                progress=lambda *s: seen.append(s),
            )
        else:  # all read first
            quads = ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES)
            (pushed,) = push_quads(
                quads,
                _gsp(server),
                default_graph=STEPPED,
                policy=FAST,
                steps=steps,
                progress=lambda *s: seen.append(s),
            )
    kinds = [(r.method, r.path.split("?")[0]) for r in server.requests]
    assert kinds == [
        ("GET", "/sparql"),  # which store: Oxigraph has a bulk route
        ("POST", "/sparql"),  # 15 old triples
        ("POST", "/update"),
        ("POST", "/update"),
        ("POST", "/sparql"),  # none left
        ("POST", "/store"),
        ("POST", "/store"),
        ("POST", "/store"),
    ]
    deletes = {r.body.decode() for r in server.requests if r.path == "/update"}
    assert deletes == {
        f"DELETE {{ GRAPH <{STEPPED}> {{ ?s ?p ?o }} }} WHERE {{ {{ SELECT ?s ?p ?o WHERE "
        f"{{ GRAPH <{STEPPED}> {{ ?s ?p ?o }} }} LIMIT 10 }} }}"
    }
    added = [r for r in server.requests if r.path.startswith("/store")]
    assert {r.path for r in added} == {f"/store?graph=http%3A%2F%2Fexample.org%2Fbig{suffix}"}
    assert sorted(len(r.body.splitlines()) for r in added) == [5, 10, 10]
    assert set(ox.parse(b"".join(r.body for r in added), ox.RdfFormat.N_TRIPLES)) == _triples(path)
    assert (pushed.triples, pushed.size) == (25, path.stat().st_size)
    # steps done, in the order they are answered (two senders on Oxigraph)
    assert seen in ([(STEPPED, n, 25) for n in (10, 20, 25)], [(STEPPED, n, 25) for n in (10, 15, 25)])


def test_steps_sent_two_at_a_time_to_oxigraph_arrive_each_once(tmp_path: Path) -> None:
    path = _ntriples(tmp_path / "big.nt", "x", 95)
    with ScriptedServer(_SteppedStore(old=0, size=10, server="Oxigraph/0.5.13")) as server:
        (pushed,) = push_file(path, _gsp(server), graph_iri=STEPPED, policy=FAST, steps=_steps(server, 10))
    added = [r.body for r in server.requests if r.path.startswith("/store")]
    assert sorted(len(body.splitlines()) for body in added) == [5] + [10] * 9
    assert sorted(b"".join(added).splitlines()) == sorted(path.read_bytes().splitlines())
    assert pushed.triples == 95


def test_a_graph_of_one_step_or_less_is_replaced_in_one_put(tmp_path: Path) -> None:
    path = _ntriples(tmp_path / "small.nt", "x", 10)
    with ScriptedServer(_SteppedStore(old=0, size=10)) as server:
        (pushed,) = push_file(path, _gsp(server), graph_iri=STEPPED, policy=FAST, steps=_steps(server, 10))
    assert [(r.method, r.path.split("?")[0]) for r in server.requests] == [("PUT", "/store")]
    assert pushed.triples == 10


def test_a_triple_repeated_in_the_file_is_sent_and_counted_once(tmp_path: Path) -> None:
    path = _ntriples(tmp_path / "twice.nt", "x", 4)
    path.write_text(path.read_text() * 2)
    with ScriptedServer([CREATED]) as server:
        (pushed,) = push_file(path, _gsp(server), graph_iri=STEPPED, policy=FAST)
    assert pushed.triples == len(server.requests[0].body.splitlines()) == 4


def test_a_step_that_stalls_is_named_and_not_repeated(tmp_path: Path) -> None:
    path = _ntriples(tmp_path / "big.nt", "x", 25)
    store = _SteppedStore(old=0, size=10)

    def script(seen: Seen) -> Reply:
        second_step = seen.path.startswith("/store") and b'"x 10"' in seen.body
        return Reply(then="stall") if second_step else store(seen)

    with (
        ScriptedServer(script) as server,
        pytest.raises(
            OmsError,
            match=rf"the request to add triples 11 to 20 to graph <{STEPPED}> ended without an answer "
            r"\(no answer in time\): .* run it again",
        ),
    ):
        push_file(
            path, _gsp(server), graph_iri=STEPPED, policy=HttpPolicy(timeout=1), steps=_steps(server, 10)
        )
    assert sum(r.path.startswith("/store") for r in server.requests) == 2


def test_an_update_url_that_deletes_nothing_is_named(tmp_path: Path) -> None:
    path = _ntriples(tmp_path / "big.nt", "x", 25)
    with (
        ScriptedServer(_SteppedStore(old=15, size=10, deletes=False)) as server,
        pytest.raises(
            OmsError, match=r"/update deleted nothing of graph <.*> \(15 triples left\); .*--update-url"
        ),
    ):
        push_file(path, _gsp(server), graph_iri=STEPPED, policy=FAST, steps=_steps(server, 10))
    assert not any(r.path.startswith("/store") for r in server.requests)


def test_a_write_waits_longer_the_more_it_sends() -> None:
    policy = HttpPolicy(timeout=60, rate=1_000_000)
    assert (policy.timeout_for(0), policy.timeout_for(45_000_000)) == (60, 105)


@pytest.mark.parametrize("step", ["5", "20000000", "many"])
def test_push_refuses_a_step_out_of_range(step: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["push", "http://127.0.0.1:9/store", "--step", step])
    assert stopped.value.code == 2
    assert f"argument --step: give 0 (one PUT a graph) or 1000 to 10000000 triples a step, not {step}" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("iri", ["http://example.org/g> } } ; DROP ALL ; #", "not-absolute", "http://a/b c"])
def test_a_graph_iri_that_could_rewrite_a_query_is_refused_before_anything_is_sent(iri: str) -> None:
    with ScriptedServer([CREATED]) as server:
        with pytest.raises(OmsError, match=r"is not an absolute IRI .*; give a graph IRI"):
            push_graph(_graph(), server.url, iri, policy=FAST, steps=_steps(server, 1000))
        with pytest.raises(OmsError, match=r"is not an absolute IRI"):
            count_triples(server.url, iri, policy=FAST)
    assert server.requests == []
