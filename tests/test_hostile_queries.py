"""Bounded work for SPARQL: a query nested 10 levels deep is answered exactly; one nested
1,000 or 100,000 levels deep, or longer than the size limit, ends with a clear error in
seconds and little memory, on every path (the check itself, rdflib in process, pyoxigraph
in process, the query service's workers), before any parser sees it. Federation written
with ``\\u`` escapes is refused on the paths the guard's own tests do not cover. A query
that runs too long, or crashes pyoxigraph, ends in an error while the caller lives on."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from engines import ScriptedServer, results_reply
from omskg.cli import main
from omskg.errors import OmsError
from omskg.linked.store import run_store_query
from omskg.paths import project_root
from omskg.query import NamedQuery, list_queries, read_query, run_query
from omskg.sparql_guard import MAX_QUERY_CHARS, MAX_QUERY_DEPTH, check_query, check_shape
from omskg.web.sandbox import (
    QueryRefused,
    QueryService,
    QuerySyntaxError,
    WorkerDied,
    run_isolated_query,
)

EX = "http://example.org/"
CORE = "https://w3id.org/omskg/graph/core"
# A chain n0 -> n1 -> ... -> n10 -> "leaf" along rdf:type (written `a`, the shortest
# predicate, so that 100,000 levels of blank nodes stay under the size limit).
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
TRIPLES = [f"<{EX}n{i}> {TYPE} <{EX}n{i + 1}>" for i in range(10)] + [f'<{EX}n10> {TYPE} "leaf"']
NTRIPLES = "".join(f"{t} .\n" for t in TRIPLES)
NQUADS = "".join(f"{t} <{CORE}> .\n" for t in TRIPLES)


# Each shape, nested `depth` levels deep in all (as check_shape counts), and its answer
# on the chain when it runs.
def groups(depth: int) -> str:
    return "SELECT ?o WHERE " + "{" * depth + f"<{EX}n10> a ?o" + "}" * depth


def parentheses(depth: int) -> str:
    inner = depth - 2  # inside WHERE's braces and isLiteral's parentheses
    return "SELECT ?o WHERE { ?s a ?o FILTER" + "(" * inner + "isLiteral(?o)" + ")" * inner + " }"


def blank_nodes(depth: int) -> str:
    inner = depth - 1  # inside WHERE's braces
    return "SELECT ?o WHERE { ?o a " + "[a" * inner + ' "leaf"' + "]" * inner + " }"


SHAPES: dict[str, tuple[Callable[[int], str], object]] = {
    "groups": (groups, Literal("leaf")),
    "parentheses": (parentheses, Literal("leaf")),
    "blank nodes": (blank_nodes, URIRef(f"{EX}n1")),  # 10 edges from ?o to the leaf
}
HOSTILE_DEPTHS = [1_000, 100_000]
CASES = [(shape, depth) for shape in SHAPES for depth in HOSTILE_DEPTHS]


def too_deep(depth: int, line: int = 1, limit: int = MAX_QUERY_DEPTH) -> str:
    return (
        f"the query nests brackets {depth:,} levels deep (line {line}), over the limit of "
        f"{limit}; write it with fewer levels of {{ }}, ( ) and [ ]"
    )


TOO_LONG = (
    f"the query is {MAX_QUERY_CHARS + 1:,} characters long, over the limit of {MAX_QUERY_CHARS:,}; "
    "shorten it or split it into several queries"
)
LONG_TEXT = "SELECT * WHERE { ?s ?p ?o }\n#" + "x" * (MAX_QUERY_CHARS - 28)


def _memory_kb(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(status.split(f"{field}:", 1)[1].split()[0])


@contextmanager
def bounded(seconds: float = 10.0, megabytes: float = 32.0) -> Iterator[None]:
    """The block must end within ``seconds``, and the process's resident memory must rise
    at most ``megabytes`` above where it started, at the block's peak (Linux: writing 5 to
    clear_refs resets the peak, VmHWM)."""
    Path("/proc/self/clear_refs").write_text("5")
    before = _memory_kb("VmRSS")
    started = time.monotonic()
    yield
    took = time.monotonic() - started
    growth = (_memory_kb("VmHWM") - before) / 1024
    assert took < seconds, f"took {took:.1f} s"
    assert growth < megabytes, f"resident memory rose by {growth:.1f} MB"


def named(text: str, tmp_path: Path) -> NamedQuery:
    """The query as a user's .rq file, read the way `omskg query FILE.rq` reads it."""
    path = tmp_path / "hostile.rq"
    path.write_text(f"#+ summary: Does it stay bounded?\n{text}\n", encoding="utf-8")
    return read_query(path)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph().parse(data=NTRIPLES, format="nt")


@pytest.fixture(scope="module")
def store() -> ox.Store:
    memory = ox.Store()
    memory.bulk_load(NQUADS.encode(), ox.RdfFormat.N_QUADS)
    return memory


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "chain.nq"
    path.write_text(NQUADS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def service(data_file: Path) -> Iterator[QueryService]:
    with QueryService(data_file, timeout=30) as running:
        yield running


# --- depth 10 runs -------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_ten_levels_are_answered_exactly_on_every_path(
    shape: str, graph: Graph, store: ox.Store, service: QueryService, data_file: Path, tmp_path: Path
) -> None:
    make, answer = SHAPES[shape]
    text = make(10)
    check_shape(text)
    check_query(text)
    query = named(text, tmp_path)
    assert run_query(graph, query).rows == ((answer,),)
    assert run_store_query(store, query).rows == ((answer,),)
    assert run_isolated_query(data_file, query).rows == ((answer,),)
    shown = str(answer).encode()
    assert service.answer(text, accept="text/csv").body == b"o\r\n" + shown + b"\r\n"


def test_ten_levels_are_ten_and_one_more_is_over_a_limit_of_ten() -> None:
    for make, _ in SHAPES.values():
        check_shape(make(10), max_depth=10)
        with pytest.raises(OmsError) as refused:
            check_shape(make(11), max_depth=10)
        assert str(refused.value) == too_deep(11, limit=10)


def test_every_query_of_the_project_is_within_the_limits() -> None:
    queries = [q for folder in ("cq", "linked") for q in list_queries(project_root(), folder=folder)]
    assert len(queries) >= 33, "the competency questions and the linked-data queries"
    for query in queries:
        check_shape(query.text)


# --- depth 1,000 and 100,000 are refused before any parser ---------------------------------


@pytest.mark.parametrize(("shape", "depth"), CASES)
def test_the_check_refuses_deep_nesting(shape: str, depth: int) -> None:
    text = SHAPES[shape][0](depth)
    for check in (check_shape, check_query):
        with bounded(), pytest.raises(OmsError) as refused:
            check(text)
        assert str(refused.value) == too_deep(depth)


@pytest.mark.parametrize(("shape", "depth"), CASES)
def test_rdflib_in_process_is_not_reached(shape: str, depth: int, graph: Graph, tmp_path: Path) -> None:
    query = named(SHAPES[shape][0](depth), tmp_path)
    with bounded(), pytest.raises(OmsError) as refused:
        run_query(graph, query)
    assert str(refused.value) == too_deep(depth, line=2)  # the file's first line is its header


@pytest.mark.parametrize(("shape", "depth"), CASES)
def test_pyoxigraph_in_process_is_not_reached(
    shape: str, depth: int, store: ox.Store, tmp_path: Path
) -> None:
    query = named(SHAPES[shape][0](depth), tmp_path)
    with bounded(), pytest.raises(OmsError) as refused:
        run_store_query(store, query)
    assert str(refused.value) == too_deep(depth, line=2)


@pytest.mark.parametrize(("shape", "depth"), CASES)
def test_the_service_refuses_deep_nesting_and_keeps_its_worker(
    shape: str, depth: int, service: QueryService
) -> None:
    [pid] = service.pids
    with bounded(), pytest.raises(QuerySyntaxError) as refused:
        service.answer(SHAPES[shape][0](depth), accept=None)
    assert str(refused.value) == too_deep(depth)
    assert refused.value.status == 400
    assert service.pids == (pid,)


def test_nesting_within_the_limit_but_beyond_rdflib_is_a_clear_error(
    graph: Graph, store: ox.Store, tmp_path: Path
) -> None:
    """rdflib's parser recurses too deeply at about 25 levels of parentheses (RecursionError)."""
    query = named(parentheses(40), tmp_path)
    with pytest.raises(OmsError) as rdflib_in_process:
        run_query(graph, query)
    assert str(rdflib_in_process.value) == (
        f"{query.path}: rdflib ran out of stack on this query (deep nesting, or a long chain of "
        "UNION, OPTIONAL, triple patterns or operators); simplify it or split it"
    )
    with pytest.raises(OmsError) as guard:
        run_store_query(store, query)
    assert str(guard.value) == (
        "the query nests brackets more deeply than rdflib's SPARQL parser can follow; "
        "write it with fewer levels"
    )


def test_without_the_check_pyoxigraph_kills_its_process_and_with_it_the_caller_lives(
    store: ox.Store, tmp_path: Path
) -> None:
    """Why the check comes first: pyoxigraph overflows its stack (SIGSEGV) at this depth."""
    text = groups(100_000)
    started = time.monotonic()
    crashed = subprocess.run(
        [sys.executable, "-c", "import sys, pyoxigraph; pyoxigraph.Store().query(sys.stdin.read())"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert crashed.returncode == -signal.SIGSEGV
    assert time.monotonic() - started < 10
    with pytest.raises(OmsError, match=r"^the query nests brackets 100,000 levels deep"):
        run_store_query(store, named(text, tmp_path))


@pytest.mark.slow
def test_the_cli_refuses_deep_nesting_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = named(parentheses(100_000), tmp_path).path
    folder = tmp_path / "store"
    on_disk = ox.Store(str(folder))
    on_disk.bulk_load(NQUADS.encode(), ox.RdfFormat.N_QUADS)
    on_disk.flush()
    del on_disk
    assert main(["query", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {too_deep(100_000, line=2)}\n"
    # with --store the query goes to a worker process, whose errors name the file
    assert main(["query", str(path), "--store", str(folder)]) == 2
    assert capsys.readouterr().err == f"error: {path}: {too_deep(100_000, line=2)}\n"


# --- what the scan counts ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * { ?s ?p "((((((((" }',
        "SELECT * { ?s ?p '''\n[[[[[[[[\n''' }",
        "SELECT * { ?s ?p 'a\\'((((((((' }",
        "SELECT * { ?s ?p ?o } # ((((((((",
        "SELECT * { ?s <http://example.org/a#b'c> ?o } # '(((((((('",
        "PREFIX e: <http://example.org/> SELECT * { ?s e:a\\(\\(\\(\\(\\(\\(\\(\\( ?o }",
    ],
)
def test_brackets_in_strings_comments_iris_and_names_are_not_nesting(text: str) -> None:
    check_shape(text, max_depth=1)


@pytest.mark.parametrize(
    ("text", "depth", "line"),
    [
        # A less-than sign, not an IRI: the parentheses are nesting.
        ("SELECT * { FILTER(?a<((((((?b))))))&&?c>?d) }", 8, 1),
        # Read as an IRI, `<?b#>` would let the long string hide line 2; read as a less-than
        # sign followed by a comment (as rdflib and pyoxigraph do), line 2 is an expression.
        ("SELECT * { FILTER(?a<?b#>'''\n+" + "(" * 5_000 + "1" + ")" * 5_000 + "  # '''\n) }", 5_002, 2),
        # A carriage return ends a comment.
        ("SELECT * { # note\r" + "(" * 70 + "?s ?p ?o" + ")" * 70 + " }", 71, 1),
        # rdflib decodes escapes before parsing, so these are parentheses.
        ("SELECT * { FILTER" + "\\u0028" * 70 + "1" + "\\u0029" * 70 + " }", 71, 1),
        # An invalid escape ends no string for either parser: a long string fails, and the
        # quotes are read as an empty string and a short one.
        ("SELECT * { ?s ?p ('''a' " + "(" * 70 + "?o" + ")" * 70 + " \\q ''') }", 72, 1),
    ],
)
def test_nesting_cannot_hide_behind_ambiguous_tokens(text: str, depth: int, line: int) -> None:
    check_shape(text, max_depth=depth)
    with pytest.raises(OmsError) as refused:
        check_shape(text, max_depth=depth - 1)
    assert str(refused.value) == too_deep(depth, line, limit=depth - 1)


def test_the_hidden_nesting_is_real_for_pyoxigraph() -> None:
    text = "SELECT * { FILTER(?a<?b#>'''\n+" + "(" * 5_000 + "1" + ")" * 5_000 + "  # '''\n) }"
    crashed = subprocess.run(
        [sys.executable, "-c", "import sys, pyoxigraph; pyoxigraph.Store().query(sys.stdin.read())"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert crashed.returncode == -signal.SIGSEGV
    shallow = text.replace("(" * 5_000, "((").replace(")" * 5_000, "))")
    assert list(ox.Store().query(shallow)) == []  # valid SPARQL: the expression ?a < ?b + ((1))


# --- size ----------------------------------------------------------------------------------


def test_a_query_over_the_size_limit_is_refused_on_every_path(
    graph: Graph, store: ox.Store, service: QueryService, tmp_path: Path
) -> None:
    assert len(LONG_TEXT) == MAX_QUERY_CHARS + 1
    check_shape(LONG_TEXT[:-1])
    query = NamedQuery("long", tmp_path / "long.rq", "", (), (), {}, LONG_TEXT)
    for call in (
        lambda: check_query(LONG_TEXT),
        lambda: run_query(graph, query),
        lambda: run_store_query(store, query),
        lambda: service.answer(LONG_TEXT, accept=None),
    ):
        with bounded(megabytes=32), pytest.raises(OmsError) as refused:
            call()
        assert str(refused.value) == TOO_LONG


def test_a_query_file_over_the_size_limit_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "long.rq"
    path.write_text(LONG_TEXT + "x" * 10 * MAX_QUERY_CHARS, encoding="utf-8")
    with bounded(megabytes=8), pytest.raises(OmsError) as refused:
        read_query(path)
    assert str(refused.value) == (
        f"{path}: longer than {MAX_QUERY_CHARS:,} characters, the limit for a query; "
        "shorten it or split it into several queries"
    )


# --- federation written with escapes -------------------------------------------------------


@pytest.fixture()
def other_endpoint() -> Iterator[ScriptedServer]:
    with ScriptedServer([results_reply("x", ["a"])]) as server:
        yield server


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("\\u004COAD <http://example.org/data.ttl>", "LOAD <http://example.org/data.ttl>"),
        ("SELECT * \\u0046ROM <http://example.org/g> { ?s ?p ?o }", "FROM <http://example.org/g>"),
        ("SELECT * FROM \\u004EAMED <\\u0068ttp://example.org/g> { }", "FROM NAMED <http://example.org/g>"),
    ],
)
def test_escaped_load_and_from_are_refused_in_process(text: str, named: str) -> None:
    endpoint = named.split("<")[1].rstrip(">")
    with pytest.raises(OmsError) as refused:
        check_query(text)
    assert str(refused.value) == (
        f"refused to send {named}: federation is opt-in; allow the endpoint with --allow-service {endpoint}"
    )


def test_escaped_service_is_refused_before_pyoxigraph_would_send_it(
    store: ox.Store, data_file: Path, other_endpoint: ScriptedServer, tmp_path: Path
) -> None:
    """pyoxigraph sends SERVICE requests itself (tests/test_sparql_service.py shows it)."""
    url = other_endpoint.url
    query = named(f"SELECT ?x {{ \\u0053ERVICE <{url}> {{ ?x ?p ?o }} }}", tmp_path)
    with pytest.raises(OmsError) as refused:
        run_store_query(store, query)
    assert str(refused.value) == (
        f"refused to send SERVICE <{url}>: federation is opt-in; "
        f"allow the endpoint with --allow-service {url}"
    )
    with pytest.raises(OmsError) as isolated:
        run_isolated_query(data_file, query)
    assert str(isolated.value) == (
        f"{query.path}: refused SERVICE <{url}>: this endpoint does not reach other endpoints or documents; "
        "send that part of the query to the other endpoint yourself"
    )
    assert other_endpoint.requests == []


def test_escaped_from_and_load_are_refused_by_the_service(service: QueryService) -> None:
    with pytest.raises(QueryRefused) as refused:
        service.answer(f"SELECT * \\u0046ROM <{EX}g> {{ ?s ?p ?o }}", accept=None)
    assert str(refused.value) == (
        f"refused FROM <{EX}g>: this endpoint holds only the graphs under "
        "https://w3id.org/omskg/graph/; name one of those, or leave FROM out to query them all"
    )
    with pytest.raises(QueryRefused) as update:
        service.answer(f"\\u004COAD <{EX}data.ttl>", accept=None)
    assert str(update.value) == (
        "refused a SPARQL Update (LOAD): this endpoint is read-only and answers only "
        "SELECT, ASK, CONSTRUCT and DESCRIBE queries"
    )


# --- time and crashes: a user's query file in a worker ---------------------------------------

# 200 triples; the product of four copies is 1.6 billion rows (minutes).
BIG = "".join(f'<{EX}n{i}> <{EX}next> "{i}" <{CORE}> .\n' for i in range(200))
PRODUCT_4 = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
# 10,000 objects after one predicate: rdflib parses it in a second or two, and pyoxigraph's
# stack overflows (SIGSEGV) while it plans the query.
OBJECTS = "SELECT * { ?s ?p " + ",".join(["?o"] * 10_000) + " }"


@pytest.mark.slow
def test_a_query_file_over_the_time_limit_is_stopped(tmp_path: Path) -> None:
    source = tmp_path / "big.nq"
    source.write_text(BIG, encoding="utf-8")
    query = named(PRODUCT_4, tmp_path)
    started = time.monotonic()
    with pytest.raises(OmsError) as late:
        run_isolated_query(source, query, timeout=0.5)
    assert str(late.value) == (
        f"{query.path}: stopped after 0.5 s, the time limit; narrow the query or add LIMIT, "
        "or allow more time (--timeout)"
    )
    assert time.monotonic() - started < 10


@pytest.mark.slow
def test_a_query_file_that_crashes_pyoxigraph_takes_only_its_worker_down(
    data_file: Path, tmp_path: Path
) -> None:
    query = named(OBJECTS, tmp_path)
    check_query(OBJECTS)  # no nesting, no federation: only running it shows the danger
    with pytest.raises(OmsError) as died:
        run_isolated_query(data_file, query)
    assert str(died.value) == (
        f"{query.path}: the worker process running the query died (pyoxigraph overflows its stack "
        "on long chains of patterns, UNION or operators); simplify the query"
    )


@pytest.mark.slow
def test_a_crashed_service_worker_is_reported_and_replaced(data_file: Path) -> None:
    with QueryService(data_file, timeout=30) as running:
        [before] = running.pids
        with pytest.raises(WorkerDied) as died:
            running.answer(OBJECTS, accept=None)
        assert str(died.value) == (
            "the query worker stopped while answering (killed by SIGSEGV); a fresh one has started, "
            "so send the query again, simplified if it fails the same way"
        )
        assert running.answer(groups(10), accept="text/csv").body == b"o\r\nleaf\r\n"
        [after] = running.pids
        assert after != before
