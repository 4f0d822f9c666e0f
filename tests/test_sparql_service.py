"""The query service behind the read-only SPARQL endpoint: real worker processes answering
untrusted queries over a small dataset, in every format, under a time and a size limit."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from engines import Reply, ScriptedServer, results_json
from omskg.errors import OmsError
from omskg.web.sandbox import (
    Answer,
    NotAcceptable,
    QueryRefused,
    QueryService,
    QueryServiceError,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    ServiceBusy,
    ServiceClosed,
    WorkerDied,
)

pytestmark = pytest.mark.slow  # make test-fast leaves it out (see pyproject.toml)

CORE = "https://w3id.org/omskg/graph/core"
HPO = "https://w3id.org/omskg/graph/hpo"
EX = "http://example.org/"
# 2 triples in the core graph, 3 in the HPO graph, 1 in the default graph.
DATA = f"""\
<{EX}alice> <{EX}name> "Alice" <{CORE}> .
<{EX}alice> <{EX}knows> <{EX}bob> <{CORE}> .
<{EX}bob> <{EX}name> "Bob"@en <{HPO}> .
<{EX}bob> <{EX}age> "42"^^<http://www.w3.org/2001/XMLSchema#integer> <{HPO}> .
<{EX}bob> <{EX}knows> <{EX}alice> <{HPO}> .
<{EX}carol> <{EX}name> "Carol, \\"C\\"\\tand tab" .
"""
NAMES = f"PREFIX ex: <{EX}> SELECT ?person ?name WHERE {{ ?person ex:name ?name }} ORDER BY ?person"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CARDS = f"PREFIX ex: <{EX}> CONSTRUCT {{ ?p ex:card [ ex:label ?name ] }} WHERE {{ ?p ex:name ?name }}"
CARDS_TURTLE = f"""
@prefix ex: <{EX}> .
ex:alice ex:card [ ex:label "Alice" ] .
ex:bob ex:card [ ex:label "Bob"@en ] .
ex:carol ex:card [ ex:label "Carol, \\"C\\"\\tand tab" ] .
"""
# Each product of the 200 triples of BIG with itself: 3 times 8 million rows (about 2 s),
# 4 times 1.6 billion (minutes).
BIG = "".join(f'<{EX}n{i}> <{EX}next> "{i}" <{CORE}> .\n' for i in range(200))
PRODUCT_3 = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PRODUCT_4 = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
JSON_RESULTS = "application/sparql-results+json"


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("service") / "data.nq"
    path.write_text(DATA, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("service") / "big.nq"
    path.write_text(BIG, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def service(data_file: Path) -> Iterator[QueryService]:
    with QueryService(data_file, timeout=20) as running:
        yield running


def count(service: QueryService, text: str = COUNT, **dataset: list[str]) -> int:
    answer = service.answer(text, accept="text/csv", **dataset)
    header, value = answer.body.decode("utf-8").split()
    assert header == "n"
    return int(value)


def alive(pid: int) -> bool:
    """Whether the process exists at all (a zombie too: only reaping removes it)."""
    return Path(f"/proc/{pid}").exists()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- formats --------------------------------------------------------------------------------


def test_select_as_sparql_json(service: QueryService) -> None:
    answer = service.answer(NAMES, accept=None)
    assert answer.media_type == answer.content_type == JSON_RESULTS
    assert json.loads(answer.body) == {
        "head": {"vars": ["person", "name"]},
        "results": {
            "bindings": [
                {
                    "person": {"type": "uri", "value": f"{EX}alice"},
                    "name": {"type": "literal", "value": "Alice"},
                },
                {
                    "person": {"type": "uri", "value": f"{EX}bob"},
                    "name": {"type": "literal", "value": "Bob", "xml:lang": "en"},
                },
                {
                    "person": {"type": "uri", "value": f"{EX}carol"},
                    "name": {"type": "literal", "value": 'Carol, "C"\tand tab'},
                },
            ]
        },
    }


def test_select_as_sparql_xml(service: QueryService) -> None:
    answer = service.answer(NAMES, accept="application/sparql-results+xml")
    assert answer.content_type == "application/sparql-results+xml"
    ns = "{http://www.w3.org/2005/sparql-results#}"
    root = ElementTree.fromstring(answer.body)
    assert [v.get("name") for v in root.iter(f"{ns}variable")] == ["person", "name"]
    rows = [
        [(b.get("name"), term.tag.removeprefix(ns), term.text, dict(term.attrib)) for b in r for term in b]
        for r in root.iter(f"{ns}result")
    ]
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    assert rows == [
        [("person", "uri", f"{EX}alice", {}), ("name", "literal", "Alice", {})],
        [("person", "uri", f"{EX}bob", {}), ("name", "literal", "Bob", {lang: "en"})],
        [("person", "uri", f"{EX}carol", {}), ("name", "literal", 'Carol, "C"\tand tab', {})],
    ]


def test_select_as_csv(service: QueryService) -> None:
    answer = service.answer(NAMES, accept="text/csv")
    assert answer.content_type == "text/csv; charset=utf-8"
    assert answer.body == (
        b"person,name\r\n"
        b"http://example.org/alice,Alice\r\n"
        b"http://example.org/bob,Bob\r\n"
        b'http://example.org/carol,"Carol, ""C""\tand tab"\r\n'
    )


def test_select_as_tsv(service: QueryService) -> None:
    answer = service.answer(NAMES, accept="text/tab-separated-values")
    assert answer.content_type == "text/tab-separated-values; charset=utf-8"
    assert answer.body == (
        b"?person\t?name\n"
        b'<http://example.org/alice>\t"Alice"\n'
        b'<http://example.org/bob>\t"Bob"@en\n'
        b'<http://example.org/carol>\t"Carol, \\"C\\"\\tand tab"\n'
    )


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        # what SPARQLWrapper sends for JSON: the SPARQL type wins the tie by the server's order
        (
            "application/sparql-results+json,application/json,text/javascript,application/javascript",
            JSON_RESULTS,
        ),
        ("application/json", "application/json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON_RESULTS),  # a browser
        ("*/*", JSON_RESULTS),
        ("", JSON_RESULTS),
        ("text/*", "text/csv"),
        ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    ],
)
def test_select_format_is_negotiated(service: QueryService, accept: str, media_type: str) -> None:
    assert service.answer(NAMES, accept=accept).media_type == media_type


def test_ask(service: QueryService) -> None:
    ask = f"ASK {{ <{EX}alice> <{EX}knows> ?someone }}"
    assert json.loads(service.answer(ask, accept=None).body) == {"head": {}, "boolean": True}
    xml = service.answer(ask.replace("alice", "carol"), accept="application/sparql-results+xml").body
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert ElementTree.fromstring(xml).findtext(f"{ns}boolean") == "false"


@pytest.mark.parametrize(
    ("accept", "media_type", "syntax"),
    [
        (None, "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/n-quads", "application/n-quads", "nt"),  # quads of the default graph: N-Triples lines
        ("text/plain", "text/plain", "nt"),
    ],
)
def test_construct_parses_back_to_the_same_graph(
    service: QueryService, accept: str | None, media_type: str, syntax: str
) -> None:
    answer = service.answer(CARDS, accept=accept)
    assert answer.media_type == media_type
    got = Graph().parse(data=answer.body, format=syntax)
    assert len(got) == 6
    assert isomorphic(got, Graph().parse(data=CARDS_TURTLE, format="turtle"))


def test_describe_reads_the_union_of_the_graphs(service: QueryService) -> None:
    answer = service.answer(f"DESCRIBE <{EX}bob>", accept="application/n-triples")
    assert sorted(answer.body.decode("utf-8").splitlines()) == [
        f'<{EX}bob> <{EX}age> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .',
        f"<{EX}bob> <{EX}knows> <{EX}alice> .",
        f'<{EX}bob> <{EX}name> "Bob"@en .',
    ]


def test_not_acceptable_lists_what_is_offered(service: QueryService) -> None:
    with pytest.raises(NotAcceptable) as select:
        service.answer(NAMES, accept="image/png")
    assert str(select.value) == (
        "the Accept header 'image/png' allows none of the formats of a SELECT query; ask for one of "
        "application/sparql-results+json, application/sparql-results+xml, text/csv, "
        "text/tab-separated-values, application/json"
    )
    assert select.value.status == 406
    with pytest.raises(NotAcceptable) as construct:
        service.answer(CARDS, accept="text/csv, application/sparql-results+json")
    assert str(construct.value) == (
        "the Accept header 'text/csv, application/sparql-results+json' allows none of the formats of a "
        "CONSTRUCT query; ask for one of text/turtle, application/n-triples, application/rdf+xml, "
        "application/ld+json, application/n-quads, text/plain"
    )


def test_project_prefixes_need_no_declaration(service: QueryService) -> None:
    # omsg: is the project's graph namespace (ontology/prefixes.csv)
    assert count(service, "SELECT (COUNT(*) AS ?n) { GRAPH omsg:core { ?s ?p ?o } }") == 2


# --- dataset --------------------------------------------------------------------------------


def test_the_default_graph_is_the_union_of_all_graphs(service: QueryService) -> None:
    assert count(service) == 6


def test_default_graph_uri_restricts_the_default_graph(service: QueryService) -> None:
    assert count(service, default_graphs=[CORE]) == 2
    assert count(service, default_graphs=[HPO, CORE]) == 5
    assert count(service, default_graphs=[f"{EX}no-such-graph"]) == 0


def test_named_graph_uri_restricts_the_named_graphs_and_empties_the_default(service: QueryService) -> None:
    per_graph = "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    everything = service.answer(per_graph, accept="text/csv").body
    assert everything == f"g,n\r\n{CORE},2\r\n{HPO},3\r\n".encode()
    restricted = service.answer(per_graph, accept="text/csv", named_graphs=[HPO]).body
    assert restricted == f"g,n\r\n{HPO},3\r\n".encode()
    assert count(service, named_graphs=[HPO]) == 0


def test_from_in_the_query_names_the_dataset_unless_the_request_does(service: QueryService) -> None:
    from_core = f"SELECT (COUNT(*) AS ?n) FROM <{CORE}> WHERE {{ ?s ?p ?o }}"
    assert count(service, from_core) == 2
    assert count(service, from_core, default_graphs=[HPO]) == 3
    assert count(service, f"SELECT (COUNT(*) AS ?n) FROM NAMED <{HPO}> WHERE {{ ?s ?p ?o }}") == 0


def test_a_graph_that_is_no_iri_is_a_bad_request(service: QueryService) -> None:
    with pytest.raises(QuerySyntaxError) as bad:
        service.answer(COUNT, accept=None, default_graphs=["core-graph"])
    assert str(bad.value) == (
        "the graph 'core-graph' is not an absolute IRI (No scheme found in an absolute IRI); "
        "give default-graph-uri and named-graph-uri as absolute IRIs"
    )


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "operations"),
    [
        (f"INSERT DATA {{ <{EX}eve> <{EX}name> 'Eve' }}", "INSERT DATA"),
        ("DROP ALL", "DROP"),
        (f"LOAD <{EX}data.ttl>", "LOAD"),
        (f"CLEAR ALL ; LOAD <{EX}data.ttl> ; CLEAR DEFAULT", "CLEAR, LOAD"),
        ("DELETE WHERE { ?s ?p ?o }", "DELETE WHERE"),
        ("DELETE { ?s ?p ?o } INSERT { ?o ?p ?s } WHERE { ?s ?p ?o }", "DELETE/INSERT"),
    ],
)
def test_updates_are_refused_and_change_nothing(service: QueryService, text: str, operations: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        service.answer(text, accept=None)
    assert str(refused.value) == (
        f"refused a SPARQL Update ({operations}): this endpoint is read-only and answers only "
        "SELECT, ASK, CONSTRUCT and DESCRIBE queries"
    )
    assert refused.value.status == 403
    assert count(service) == 6
    assert service.answer(NAMES, accept="text/csv").body.count(b"\r\n") == 4


def test_max_rows_gives_the_first_rows_as_the_whole_answer_has_them(service: QueryService) -> None:
    """For a page of a few rows: the first rows, written as pyoxigraph writes the whole
    answer, and the count of all of them; the rest never leave the worker."""
    query = "SELECT ?s ?p ?o ?unbound WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    whole = json.loads(service.answer(query, accept=JSON_RESULTS).body)
    for max_rows in (0, 2, 6, 100):
        first = service.answer(query, accept="text/csv, */*;q=0.1", max_rows=max_rows)
        assert (first.media_type, first.total) == (JSON_RESULTS, 6)
        data = json.loads(first.body)
        assert data["head"] == whole["head"]
        assert data["results"]["bindings"] == whole["results"]["bindings"][:max_rows]
    assert service.answer(query, accept=JSON_RESULTS).total is None
    assert service.answer("ASK { ?s ?p ?o }", accept=JSON_RESULTS, max_rows=1).total is None


def test_max_rows_gives_the_first_triples_of_a_graph(service: QueryService) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    whole = service.answer(query, accept="application/n-triples")
    first = service.answer(query, accept="application/n-triples", max_rows=4)
    assert first.total == len(whole.body.splitlines()) == 6
    assert len(first.body.splitlines()) == 4
    assert set(first.body.splitlines()) < set(whole.body.splitlines())


@pytest.fixture()
def other_endpoint() -> Iterator[ScriptedServer]:
    with ScriptedServer([Reply(body=results_json("x", ["a"]), headers={"Content-Type": JSON_RESULTS})]) as s:
        yield s


@pytest.mark.parametrize(
    ("service_clause", "shown"),
    [
        ("SERVICE <{url}>", "<{url}>"),
        ("sErViCe SILENT <{url}>", "<{url}>"),
        ("\\u0053ERVICE <{url}>", "<{url}>"),
        ("SERVICE <\\u0068ttp{rest}>", "<{url}>"),
        (f"SERVICE <{CORE}>", f"<{CORE}>"),  # a project IRI is still a URL pyoxigraph would fetch
        ("VALUES ?where {{ <{url}> }} SERVICE ?where", "?where"),
    ],
)
def test_service_is_refused_before_any_request_is_made(
    service: QueryService, other_endpoint: ScriptedServer, service_clause: str, shown: str
) -> None:
    url = other_endpoint.url
    clause = service_clause.format(url=url, rest=url.removeprefix("h" + "ttp"))
    text = f"SELECT ?x {{ {clause} {{ ?x ?p ?o }} }}"
    with pytest.raises(QueryRefused) as refused:
        service.answer(text, accept=None)
    assert str(refused.value) == (
        f"refused SERVICE {shown.format(url=url)}: this endpoint does not reach other endpoints or "
        "documents; send that part of the query to the other endpoint yourself"
    )
    assert other_endpoint.requests == []


def test_the_engine_itself_would_make_the_service_request(other_endpoint: ScriptedServer) -> None:
    """Why the refusal matters: pyoxigraph sends SERVICE requests when asked to."""
    answer = ox.Store().query(f"SELECT ?x {{ SERVICE <{other_endpoint.url}> {{ ?x ?p ?o }} }}")
    assert isinstance(answer, ox.QuerySolutions)
    assert [str(s["x"]) for s in answer] == ['"a"']
    assert len(other_endpoint.requests) == 1


def test_from_outside_the_project_graphs_is_refused(service: QueryService) -> None:
    with pytest.raises(QueryRefused) as refused:
        service.answer(f"SELECT * FROM NAMED <{EX}g> WHERE {{ ?s ?p ?o }}", accept=None)
    assert str(refused.value) == (
        f"refused FROM NAMED <{EX}g>: this endpoint holds only the graphs under "
        "https://w3id.org/omskg/graph/; name one of those, or leave FROM out to query them all"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "SELECT ?s WHERE { ?s ?p }",
            "the query is not valid SPARQL at line 1, column 19 (near '?s ?p }'): Expected SelectQuery",
        ),
        (
            "SELECT ?s\nWHERE { ?s ?p ?o }\nLIMT 5",
            "the query is not valid SPARQL at line 3, column 1 (near 'LIMT 5'): Expected end of text",
        ),
        ("# only a comment", "the request holds no query; send a SELECT, ASK, CONSTRUCT or DESCRIBE query"),
        (
            "SELECT * { FILTER(" + "(" * 40 + "1" + ")" * 40 + ") }",
            "the query nests parentheses or braces too deeply to be checked; use fewer levels",
        ),
    ],
)
def test_syntax_errors_say_where(service: QueryService, text: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        service.answer(text, accept=None)
    assert str(error.value) == message
    assert error.value.status == 400


def test_syntax_errors_only_the_engine_finds_come_with_its_position(service: QueryService) -> None:
    with pytest.raises(QuerySyntaxError, match=r"^the query is not valid SPARQL: error at 1:21: expected "):
        service.answer("SELECT * { ?s nope:p ?o }", accept=None)


# --- limits and faults ----------------------------------------------------------------------


def test_a_query_over_the_time_limit_is_stopped_and_its_worker_replaced(big_file: Path) -> None:
    with QueryService(big_file, timeout=0.5) as running:
        [before] = running.pids
        started = time.monotonic()
        with pytest.raises(QueryTimeout) as late:
            running.answer(PRODUCT_4, accept=None)
        took = time.monotonic() - started
        assert str(late.value) == (
            "the query ran longer than 0.5 s, this endpoint's limit, and was stopped; "
            "narrow it or add LIMIT, or run it on your own copy of the data"
        )
        assert late.value.status == 503
        assert 0.5 <= took < 3
        assert not alive(before)
        assert count(running, "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f }") == 40_000
        [after] = running.pids
        assert after != before


def test_a_worker_killed_while_idle_is_replaced_without_failing_the_next_query(data_file: Path) -> None:
    with QueryService(data_file) as running:
        [before] = running.pids
        os.kill(before, signal.SIGKILL)
        assert count(running) == 6
        [after] = running.pids
        assert after != before


def test_a_worker_that_dies_while_answering_is_reported_and_replaced(big_file: Path) -> None:
    with QueryService(big_file, timeout=60) as running:
        [before] = running.pids
        outcome: list[BaseException] = []
        asking = threading.Thread(target=lambda: _catch(outcome, running, PRODUCT_4))
        start = cpu_seconds(before)
        asking.start()
        while cpu_seconds(before) < start + 0.3:  # it is evaluating the query
            time.sleep(0.05)
        os.kill(before, signal.SIGKILL)
        asking.join(10)
        [error] = outcome
        assert isinstance(error, WorkerDied)
        assert str(error) == (
            "the query worker stopped while answering (killed by SIGKILL); a fresh one has started, "
            "so send the query again, simplified if it fails the same way"
        )
        assert count(running, "SELECT (COUNT(*) AS ?n) { ?a ?b ?c }") == 200
        assert not alive(before)


def test_when_fresh_workers_cannot_load_the_data_the_caller_learns_why(tmp_path: Path) -> None:
    path = tmp_path / "data.nq"
    path.write_text(DATA, encoding="utf-8")
    with QueryService(path) as running:
        [before] = running.pids
        path.rename(tmp_path / "moved.nq")
        os.kill(before, signal.SIGKILL)
        with pytest.raises(WorkerDied, match=rf"^{path}: cannot be loaded as N-Quads: "):
            running.answer(COUNT, accept=None)
        (tmp_path / "moved.nq").rename(path)
        assert count(running) == 6


def _catch(outcome: list[BaseException], service: QueryService, text: str) -> None:
    try:
        service.answer(text, accept=None)
    except BaseException as exc:
        outcome.append(exc)


def test_an_answer_over_the_size_limit_is_an_error_not_a_short_answer(data_file: Path) -> None:
    with QueryService(data_file, max_bytes=200) as running:
        with pytest.raises(ResultTooLarge) as large:
            running.answer(NAMES, accept=None)
        assert str(large.value) == (
            "the answer is longer than 200 bytes, this endpoint's limit; add LIMIT or ask for fewer variables"
        )
        [pid] = running.pids
        assert running.answer(NAMES + " LIMIT 1", accept="text/csv").body == (
            b"person,name\r\nhttp://example.org/alice,Alice\r\n"
        )
        assert running.pids == (pid,)


def test_two_workers_answer_two_queries_at_once(big_file: Path) -> None:
    """Each query takes longer than a caller waits for a free worker: both are answered
    only if they run at the same time."""
    with QueryService(big_file, workers=2, timeout=60, queue_timeout=0.3) as running:
        assert len(running.pids) == 2
        ready = threading.Barrier(2)
        answers: list[Answer] = []
        errors: list[BaseException] = []

        def ask() -> None:
            ready.wait()
            try:
                answers.append(running.answer(PRODUCT_3, accept="text/csv"))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=ask) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert errors == []
        assert [a.body for a in answers] == [b"n\r\n8000000\r\n"] * 2


def test_a_caller_waits_only_so_long_for_a_free_worker(big_file: Path) -> None:
    with QueryService(big_file, timeout=60, queue_timeout=0.3) as running:
        outcome: list[BaseException] = []
        [pid] = running.pids
        start = cpu_seconds(pid)
        asking = threading.Thread(target=lambda: _catch(outcome, running, PRODUCT_4))
        asking.start()
        while cpu_seconds(pid) < start + 0.1:
            time.sleep(0.05)
        with pytest.raises(ServiceBusy) as busy:
            running.answer(COUNT, accept=None)
        assert str(busy.value) == (
            "all 1 query workers stayed busy for 0.3 s; send the query again in a little while"
        )
        running.close()
        asking.join(10)
        assert [type(e) for e in outcome] == [ServiceClosed]


def test_close_leaves_no_process_behind(data_file: Path) -> None:
    running = QueryService(data_file, workers=2)
    pids = running.pids
    assert len(pids) == 2 and all(alive(pid) for pid in pids)
    assert count(running) == 6
    running.close()
    assert not any(alive(pid) for pid in pids)
    assert running.pids == ()
    with pytest.raises(ServiceClosed, match=r"^the query service is closed; start a new one$"):
        running.answer(COUNT, accept=None)


# --- sources --------------------------------------------------------------------------------


def test_an_on_disk_store_is_served_read_only(tmp_path: Path, data_file: Path) -> None:
    folder = tmp_path / "store"
    store = ox.Store(str(folder))
    store.bulk_load(path=str(data_file), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    with QueryService(folder, workers=2) as running:
        assert count(running) == 6
        assert count(running, default_graphs=[CORE]) == 2
        with pytest.raises(QueryRefused):
            running.answer("DROP ALL", accept=None)
        assert count(running) == 6


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "missing.nq",
            None,
            "{path}: no such file or folder; give a store folder (omskg link) or an RDF file",
        ),
        ("data.csv", "a,b\n", "{path}: unknown RDF file suffix; give an .nq, .nt, .ttl or .trig file"),
        ("folder", "folder", "{path}: no store there; run `omskg link --store {path}` first"),
    ],
)
def test_a_source_that_cannot_be_served_is_named(
    tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content == "folder":
        path.mkdir()
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(OmsError) as error:
        QueryService(path)
    assert str(error.value) == message.format(path=path)


def test_a_source_that_does_not_parse_is_named_with_the_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.nq"
    path.write_text(DATA + "<http://example.org/x> <http://example.org/y> .\n", encoding="utf-8")
    with pytest.raises(OmsError, match=rf"^{path}: cannot be loaded as N-Quads: .*line 7"):
        QueryService(path)


# --- a real client --------------------------------------------------------------------------


class _Protocol(BaseHTTPRequestHandler):
    """The SPARQL 1.1 Protocol's query operation over a service, as little as SPARQLWrapper needs."""

    def _serve(self) -> None:
        if self.command == "POST":
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
        else:
            form = parse_qs(urlsplit(self.path).query)
        service: QueryService = self.server.service  # type: ignore[attr-defined]
        try:
            answer = service.answer(
                form["query"][0],
                accept=self.headers.get("Accept"),
                default_graphs=form.get("default-graph-uri", []),
                named_graphs=form.get("named-graph-uri", []),
            )
            status, content_type, body = 200, answer.content_type, answer.body
        except QueryServiceError as exc:
            status, content_type, body = exc.status, "text/plain; charset=utf-8", str(exc).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def endpoint(service: QueryService) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Protocol)
    server.service = service  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _client(url: str, text: str, fmt: str, method: str) -> object:
    client = SPARQLWrapper(url)
    client.setQuery(text)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # SPARQLWrapper warns when it gets another format
        return client.query().convert()


@pytest.mark.parametrize("method", ["GET", POST])
def test_sparqlwrapper_reads_every_select_format(endpoint: str, method: str) -> None:
    as_json = _client(endpoint, NAMES, JSON, method)
    assert isinstance(as_json, dict)
    assert [b["name"]["value"] for b in as_json["results"]["bindings"]] == [
        "Alice",
        "Bob",
        'Carol, "C"\tand tab',
    ]
    as_xml = _client(endpoint, NAMES, XML, method)
    literals = as_xml.getElementsByTagName("literal")  # type: ignore[attr-defined]
    assert [node.firstChild.data for node in literals] == ["Alice", "Bob", 'Carol, "C"\tand tab']
    as_csv = _client(endpoint, NAMES, CSV, method)
    assert isinstance(as_csv, bytes) and as_csv.splitlines()[1] == b"http://example.org/alice,Alice"
    as_tsv = _client(endpoint, NAMES, TSV, method)
    assert isinstance(as_tsv, bytes) and as_tsv.splitlines()[2] == b'<http://example.org/bob>\t"Bob"@en'
    asked = _client(endpoint, f"ASK {{ <{EX}bob> ?p ?o }}", JSON, method)
    assert asked == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("fmt", "syntax"), [(TURTLE, "turtle"), (N3, "turtle"), (RDFXML, None), (XML, None), (JSONLD, None)]
)
def test_sparqlwrapper_reads_every_construct_format(endpoint: str, fmt: str, syntax: str | None) -> None:
    converted = _client(endpoint, CARDS, fmt, "GET")
    got = Graph().parse(data=converted, format=syntax) if syntax else converted
    assert isinstance(got, Graph)
    assert isomorphic(got, Graph().parse(data=CARDS_TURTLE, format="turtle"))


def test_sparqlwrapper_gets_the_dataset_and_the_refusals(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery(COUNT)
    client.setReturnFormat(JSON)
    client.addDefaultGraph(HPO)
    converted = client.query().convert()
    assert isinstance(converted, dict)
    assert converted["results"]["bindings"][0]["n"]["value"] == "3"
    with pytest.raises(HTTPError) as refused:  # 403: a refusal, not a malformed query
        _client(endpoint, f"SELECT * {{ SERVICE <{EX}sparql> {{ ?s ?p ?o }} }}", JSON, POST)
    assert refused.value.code == 403
    assert f"refused SERVICE <{EX}sparql>" in refused.value.read().decode()
