"""Faults between the project and a SPARQL store, played by a scripted HTTP server on
127.0.0.1: stalls, overload answers, dropped connections, broken bodies, capped rows.
Each case ends in the complete, right answer or in one clear error."""

from __future__ import annotations

import re
import time
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from rdflib import Graph, Literal, URIRef

from engines import Reply, ScriptedServer, Seen, free_port, results_json
from omskg.endpoint import HttpPolicy, push_file, push_graph, remote_select
from omskg.errors import OmsError

QUERY = "SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x"
ROWS = ["a", "b", "c"]
OK = Reply(body=results_json("x", ROWS), headers={"Content-Type": "application/sparql-results+json"})
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
    short = ScriptedServer([Reply(body=body, length=len(body) + 100)])
    with (
        short as server,
        pytest.raises(OmsError, match=rf"broke off after {len(body)} bytes \(100 more were due"),
    ):
        _values(server)


def test_results_json_that_breaks_off_is_an_error() -> None:
    body = results_json("x", ROWS)
    halved = ScriptedServer([Reply(body=body[: len(body) // 2], length=-1)])
    with (
        halved as server,
        pytest.raises(OmsError, match=r"not complete SPARQL JSON results \(JSONDecodeError"),
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
    headers = {"X-SPARQL-MaxRows": str(CAP)} if len(rows) > CAP else {}
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


# --- writes: retried only when the server says it did not take the request on ------------


CREATED = Reply(201)


def test_a_push_is_sent_again_after_503() -> None:
    with ScriptedServer([Reply(503, headers={"Retry-After": "0"}), CREATED]) as server:
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
    with pytest.raises(OmsError, match=r"cannot connect to .*; nothing was pushed"):
        push_graph(_graph(), url, policy=FAST)


def test_a_file_that_does_not_parse_sends_nothing(tmp_path: Path) -> None:
    path = tmp_path / "broken.nq"
    path.write_text('<http://example.org/a> <http://example.org/p> "fine" <http://example.org/g> .\n<oops\n')
    with ScriptedServer([CREATED]) as server:
        with pytest.raises(OmsError, match=r"broken.nq: not valid N-Quads: .*; nothing was pushed"):
            push_file(path, server.url, policy=FAST)
        assert server.requests == []
