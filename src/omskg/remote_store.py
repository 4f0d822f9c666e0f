"""The project on any SPARQL 1.1 store over HTTP: push graphs into it, ask it the questions.

Writes use the SPARQL 1.1 Graph Store HTTP Protocol: one ``PUT`` of N-Triples to
``<gsp>?graph=<IRI>`` replaces a named graph in one step, so pushing twice leaves the
store as pushing once. Blank nodes are replaced by IRIs derived from the content
(:func:`skolemise`), so they too come out the same every time. The body is spooled to
a temporary file and streamed with its ``Content-Length``; nothing is sent unless the
whole input has been read.

Reads use the SPARQL 1.1 Protocol through SPARQLWrapper, which sends the request (POST,
JSON results) and converts the answer, and give the same :class:`~omskg.query.Table` of
rdflib terms as :func:`omskg.query.run_query`.
Every query passes :func:`omskg.sparql_guard.check_query` before it is sent.

Faults are reported, never papered over (:class:`HttpPolicy`):

- every request has a timeout; a server that does not answer in time is an error;
- reads are retried with exponential backoff on HTTP 429, 502 and 503 and on refused or
  dropped connections, waiting as long as a ``Retry-After`` header asks (seconds or an
  HTTP date), a bounded number of times; a timeout is not retried;
- a ``PUT`` is sent again only after 429 or 503, answers by which the server says it
  did not take the request on; after a timeout or a dropped connection the outcome is
  unknown and the push stops with an error (running the push again is safe);
- HTTP 206, a body shorter than its ``Content-Length``, results JSON that breaks off, or
  an endpoint saying it capped the rows (``X-SPARQL-MaxRows``) is an error: no partial
  answer is passed off as complete.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path
from socket import gaierror
from typing import IO, Any, TypeVar, cast
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pyoxigraph as ox
from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException
from SPARQLWrapper.Wrapper import QueryResult

from omskg.errors import OmsError
from omskg.input_limits import check_rdf_file
from omskg.prefixes import CORE_GRAPH, load_prefix_map
from omskg.query import (
    NamedQuery,
    Table,
    bind_parameters,
    declared_prefixes,
    substitute_parameters,
    used_prefixes,
)
from omskg.rdfio import lexical_forms_kept
from omskg.sparql_guard import check_query, parse_request

GENID = "https://w3id.org/omskg/.well-known/genid/"
RETRY_READ = frozenset({429, 502, 503})
RETRY_WRITE = frozenset({429, 503})
T = TypeVar("T")


@dataclass(frozen=True)
class HttpPolicy:
    """How long to wait for a server and how often to try.

    ``timeout`` applies to each connection step (connecting, each read); queries round
    it up to whole seconds (SPARQLWrapper's unit). A failed read is tried up to
    ``attempts`` times in all, the n-th retry after ``backoff * 2**(n-1)`` seconds unless
    the server names a time; a wait longer than ``max_wait`` is not made.
    """

    timeout: float = 60.0
    attempts: int = 5
    backoff: float = 0.5
    max_wait: float = 120.0


@dataclass(frozen=True)
class StoreUrls:
    """Where a store takes graphs (Graph Store Protocol) and answers queries."""

    gsp: str
    query: str


@dataclass(frozen=True)
class Pushed:
    """One named graph replaced in a store: its IRI, the triples and bytes sent."""

    graph: str
    triples: int
    size: int


def store_urls(url: str, *, gsp: str | None = None, query: str | None = None) -> StoreUrls:
    """The store's URLs from its base URL (or its Oxigraph-style ``/store`` or ``/query``
    URL); ``gsp`` and ``query`` override them for stores laid out otherwise.

    >>> store_urls("http://localhost:7878/store")
    StoreUrls(gsp='http://localhost:7878/store', query='http://localhost:7878/query')
    """
    base = url.rstrip("/")
    for suffix in ("/store", "/query"):
        base = base.removesuffix(suffix)
    return StoreUrls(gsp or f"{base}/store", query or f"{base}/query")


# --- writing -------------------------------------------------------------------------------


def skolemise(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """The triples with each blank node replaced by an IRI under :data:`GENID`.

    The IRI is the node's RDFC-1.0 canonical label behind a digest of the canonical
    form of the triples given, so the same triples always give the same IRIs and two
    different sets never share one.

    >>> a = ox.Triple(ox.BlankNode("x"), ox.NamedNode("http://example.org/p"), ox.Literal("1"))
    >>> b = ox.Triple(ox.BlankNode("y"), ox.NamedNode("http://example.org/p"), ox.Literal("1"))
    >>> skolemise([a]) == skolemise([b])
    True
    >>> skolemise([a])[0].subject.value.startswith(GENID)
    True
    """
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    canonical = "".join(sorted(f"{q.subject} {q.predicate} {q.object} .\n" for q in dataset))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def named(term: Any) -> Any:
        return ox.NamedNode(f"{GENID}{digest}-{term.value}") if isinstance(term, ox.BlankNode) else term

    return [ox.Triple(named(q.subject), q.predicate, named(q.object)) for q in dataset]


class _Body:
    """One graph's N-Triples, spooled to a temporary file; triples with blank nodes are
    held back and written skolemised once all are known."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.triples = 0
        self.with_blank_nodes: list[ox.Triple] = []

    def add(self, triple: ox.Triple) -> None:
        if isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode):
            self.with_blank_nodes.append(triple)
        else:
            self.file.write(f"{triple} .\n".encode())
            self.triples += 1

    def finish(self) -> int:
        """Write the skolemised triples; return the body's size in bytes."""
        for triple in skolemise(self.with_blank_nodes):
            self.file.write(f"{triple} .\n".encode())
            self.triples += 1
        self.with_blank_nodes = []
        self.file.flush()
        return self.file.tell()


def push_quads(
    quads: Iterable[ox.Quad | ox.Triple],
    gsp_url: str,
    *,
    default_graph: str | None = None,
    policy: HttpPolicy | None = None,
) -> list[Pushed]:
    """Replace, in the store at ``gsp_url``, each named graph of ``quads`` with its triples.

    Triples and quads of the default graph go into ``default_graph``, which is replaced
    even when no triple goes into it. All input is read before the first ``PUT``.
    """
    policy = policy or HttpPolicy()
    bodies: dict[str, _Body] = {}
    with ExitStack() as files:
        if default_graph:
            bodies[default_graph] = _Body(files.enter_context(tempfile.TemporaryFile()))
        for quad in quads:
            graph = _target_graph(quad, default_graph)
            if graph not in bodies:
                bodies[graph] = _Body(files.enter_context(tempfile.TemporaryFile()))
            bodies[graph].add(ox.Triple(quad.subject, quad.predicate, quad.object))
        return [_put_graph(gsp_url, graph, body, policy) for graph, body in bodies.items()]


def push_graph(
    graph: Graph, gsp_url: str, graph_iri: str = str(CORE_GRAPH), *, policy: HttpPolicy | None = None
) -> Pushed:
    """Replace the named graph ``graph_iri`` (default: the core graph) with ``graph``."""
    data = graph.serialize(format="nt", encoding="utf-8")
    return push_quads(
        ox.parse(data, ox.RdfFormat.N_TRIPLES), gsp_url, default_graph=graph_iri, policy=policy
    )[0]


def push_file(
    path: Path, gsp_url: str, *, graph_iri: str | None = None, policy: HttpPolicy | None = None
) -> list[Pushed]:
    """Push an RDF file (N-Triples, N-Quads or any syntax pyoxigraph reads, by suffix,
    optionally gzip-compressed as ``.gz``), read as a stream: its named graphs keep their
    names, triples outside them go into ``graph_iri``."""
    inner = path.name.removesuffix(".gz")
    fmt = ox.RdfFormat.from_extension(inner.rpartition(".")[2]) if "." in inner else None
    if fmt is None:
        raise OmsError(f"{path}: unknown RDF file suffix; use .nt, .nq or another RDF suffix (.gz allowed)")
    if not path.is_file():
        raise OmsError(f"{path}: no such file")
    check_rdf_file(path, fmt.media_type)  # pyoxigraph crashes on deep nesting, expands entities
    with path.open("rb") as raw, gzip.open(raw) if path.suffix == ".gz" else nullcontext(raw) as stream:
        try:
            quads = ox.parse(cast(IO[bytes], stream), fmt)
            return push_quads(quads, gsp_url, default_graph=graph_iri, policy=policy)
        except (SyntaxError, OSError, EOFError) as exc:
            raise OmsError(f"{path}: not valid {fmt.name}: {exc}; nothing was pushed") from None


def _target_graph(quad: ox.Quad | ox.Triple, default_graph: str | None) -> str:
    name = quad.graph_name if isinstance(quad, ox.Quad) else ox.DefaultGraph()
    if isinstance(name, ox.NamedNode):
        return name.value
    if isinstance(name, ox.DefaultGraph) and default_graph:
        return default_graph
    raise OmsError(
        f"the triple {quad.subject} {quad.predicate} ... is outside a named graph and no graph IRI "
        "was given for such triples; nothing was pushed"
    )


def _put_graph(gsp_url: str, graph: str, body: _Body, policy: HttpPolicy) -> Pushed:
    size = body.finish()
    url = f"{gsp_url}{'&' if '?' in gsp_url else '?'}{urlencode({'graph': graph})}"
    headers = {"Content-Type": "application/n-triples", "Content-Length": str(size)}
    for attempt in range(1, policy.attempts + 1):
        body.file.seek(0)
        request = Request(url, data=body.file, method="PUT", headers=headers)
        try:
            with urlopen(request, timeout=policy.timeout) as response:
                response.read()
            return Pushed(graph, body.triples, size)
        except HTTPError as exc:
            failure = _http_failure(exc)
            if exc.code not in RETRY_WRITE or attempt == policy.attempts:
                raise OmsError(f"{gsp_url} did not replace graph <{graph}>: {failure}") from None
            _pause(url, failure, _retry_after(exc.headers), attempt, policy)
        except URLError as exc:
            if isinstance(exc.reason, ConnectionRefusedError | gaierror):
                raise OmsError(
                    f"cannot connect to {gsp_url} ({exc.reason}); nothing was pushed; check the URL"
                ) from None
            raise _unknown_outcome(gsp_url, graph, exc.reason) from None
        except (OSError, http.client.HTTPException) as exc:
            raise _unknown_outcome(gsp_url, graph, exc) from None
    raise AssertionError("unreachable: the last attempt returns or raises")


def _unknown_outcome(gsp_url: str, graph: str, reason: object) -> OmsError:
    what = "no answer in time" if isinstance(reason, TimeoutError) else _describe(reason)
    return OmsError(
        f"pushing graph <{graph}> to {gsp_url} ended without an answer ({what}): the store may or may "
        "not have replaced it; the push is idempotent, so run it again"
    )


# --- reading -------------------------------------------------------------------------------


def prefix_header(text: str) -> str:
    """A ``PREFIX`` line for each prefix of the project's prefix map that ``text`` uses and
    does not declare itself (the project's query files declare theirs)."""
    missing = set(used_prefixes(text)) - set(declared_prefixes(text))
    return "".join(
        f"PREFIX {prefix}: <{uri}>\n"
        for prefix, uri in load_prefix_map().uri_prefixes.items()
        if prefix in missing
    )


def run_remote_query(
    query_url: str,
    query: NamedQuery,
    params: Mapping[str, str] | None = None,
    *,
    graphs: Iterable[str] = (str(CORE_GRAPH),),
    page_size: int | None = None,
    allowed: frozenset[str] = frozenset(),
    policy: HttpPolicy | None = None,
) -> Table:
    """Run a named query at the SPARQL endpoint ``query_url`` over ``graphs`` (sent as
    ``default-graph-uri``; default: the core graph) and return the same table as
    :func:`omskg.query.run_query`.

    Parameters are checked and turned into terms as in process, then written into the
    text in place of their variables (:func:`substitute_parameters`); the prefix map
    supplies the ``PREFIX`` lines. ``page_size`` fetches the rows in pages (see
    :func:`remote_select`); ``allowed`` lists the endpoints federation may reach.
    """
    bindings = bind_parameters(query, dict(params or {}))
    body = substitute_parameters(query.text, bindings)
    text = prefix_header(body) + body
    return remote_select(
        query_url, text, graphs=graphs, page_size=page_size, allowed=allowed, policy=policy, name=query.name
    )


def remote_select(
    query_url: str,
    text: str,
    *,
    graphs: Iterable[str] = (str(CORE_GRAPH),),
    page_size: int | None = None,
    allowed: frozenset[str] = frozenset(),
    policy: HttpPolicy | None = None,
    name: str = "query",
) -> Table:
    """Run the SELECT query ``text`` at ``query_url`` and return all of its rows.

    With ``page_size``, a query without its own ``LIMIT`` or ``OFFSET`` is fetched as
    ``LIMIT page_size OFFSET k`` for k = 0, page_size, ... until a page comes back short:
    for endpoints that cap the rows of one answer. Pages are only stable under an order,
    so such a query must have ``ORDER BY``; one without is refused. Rows that tie in
    that order may fall differently from one page to the next, so order by enough
    variables to make the order total.
    """
    policy = policy or HttpPolicy()
    check_query(text, allowed)
    graphs = tuple(graphs)
    modifiers = _top_level_modifiers(text, name)
    if page_size is None or {"limitoffset"} & modifiers:
        return _with_retries(partial(_select_once, query_url, text, graphs, policy), query_url, policy)
    if page_size < 1:
        raise OmsError(f"page size must be at least 1, got {page_size}")
    if "orderby" not in modifiers:
        raise OmsError(
            f"{name}: paging needs ORDER BY, or the pages may overlap and miss rows; "
            "add ORDER BY to the query or run it without a page size"
        )
    if "valuesClause" in modifiers:
        raise OmsError(f"{name}: cannot page a query that ends in a VALUES block; move it into WHERE")
    columns: tuple[str, ...] | None = None
    rows: list[tuple[Node | None, ...]] = []
    while True:
        paged = f"{text}\nLIMIT {page_size} OFFSET {len(rows)}"
        page = _with_retries(partial(_select_once, query_url, paged, graphs, policy), query_url, policy)
        columns = columns or page.columns
        rows += page.rows
        if len(page.rows) < page_size:
            return Table(columns, tuple(rows))


def count_triples(query_url: str, graph_iri: str, *, policy: HttpPolicy | None = None) -> int:
    """How many triples the store at ``query_url`` holds in the named graph ``graph_iri``."""
    text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}"
    table = remote_select(query_url, text, graphs=(), policy=policy, name="count")
    return int(str(table.rows[0][0]))


def _top_level_modifiers(text: str, name: str) -> set[str]:
    """The solution modifiers of the outermost query (``orderby``, ``limitoffset``,
    ``valuesClause``); refuses anything but SELECT."""
    query = parse_request(text)[0][1]
    if query.name != "SelectQuery":
        raise OmsError(f"{name}: only SELECT queries run at an endpoint, this is a {query.name}")
    return {key for key in ("orderby", "limitoffset", "valuesClause") if key in query}


def _select_once(query_url: str, text: str, graphs: tuple[str, ...], policy: HttpPolicy) -> Table:
    sparql = SPARQLWrapper(query_url)
    sparql.setQuery(text)
    sparql.setMethod(POST)
    sparql.setOnlyConneg(True)
    sparql.setReturnFormat(JSON)
    sparql.setTimeout(math.ceil(policy.timeout))
    for graph in graphs:
        sparql.addDefaultGraph(graph)
    result = sparql.query()
    with result.response:
        return _read_results(result, query_url, policy)


def _read_results(result: QueryResult, url: str, policy: HttpPolicy) -> Table:
    """The rows of a SELECT answer, read and converted by SPARQLWrapper (``convert``), once the
    answer is found to be whole SPARQL JSON results: ``convert`` goes by the Content-Type the
    server sends, and would parse XML or RDF as readily, or hand back the raw response."""
    if result.response.status == 206:
        raise OmsError(
            f"{url} answered 206 Partial Content; a partial answer is not used; run the query again"
        )
    content_type = result.info().get("content-type", "")
    if "json" not in content_type.lower() or "xml" in content_type.lower():
        raise OmsError(
            f"{url} answered {content_type or 'without a Content-Type'}, not SPARQL JSON results "
            "(application/sparql-results+json); no rows were used"
        )
    try:
        data = cast(dict[str, Any], result.convert())  # a dict for a JSON Content-Type
    except http.client.IncompleteRead as exc:
        raise OmsError(
            f"{url}: the answer broke off after {len(exc.partial)} bytes ({exc.expected} more were due); "
            "no rows were used; run the query again"
        ) from None
    except TimeoutError:
        raise _timeout(url, policy) from None
    except ValueError as exc:
        raise _not_results(url, exc) from None
    try:
        columns = tuple(str(v) for v in data["head"]["vars"])
        bindings = data["results"]["bindings"]
        with lexical_forms_kept():
            rows = tuple(tuple(_term(b.get(c)) for c in columns) for b in bindings)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _not_results(url, exc) from None
    capped = result.info().get("x-sparql-maxrows")  # Virtuoso's mark of a truncated answer
    if capped:
        raise OmsError(
            f"{url} cut the answer off at {capped} rows; run it again with a page size of {capped} or less"
        )
    return Table(columns, rows)


def _not_results(url: str, exc: Exception) -> OmsError:
    return OmsError(
        f"{url}: the answer is not complete SPARQL JSON results ({type(exc).__name__}: {exc}); "
        "no rows were used"
    )


def _term(value: dict[str, str] | None) -> Node | None:
    if value is None:
        return None
    kind, lexical = value["type"], value["value"]
    if kind == "uri":
        return URIRef(lexical)
    if kind == "bnode":
        return BNode(lexical)
    if kind in ("literal", "typed-literal"):
        language = value.get("xml:lang")
        datatype = None if language or value.get("datatype") == str(XSD.string) else value.get("datatype")
        return Literal(lexical, lang=language, datatype=datatype)
    raise ValueError(f"unsupported term type {kind!r}")


def _with_retries(call: Callable[[], T], url: str, policy: HttpPolicy) -> T:
    """``call()``, again after a retryable failure, up to ``policy.attempts`` times in all."""
    for attempt in range(1, policy.attempts + 1):
        wait: float | None = None
        try:
            return call()
        except HTTPError as exc:
            failure = _http_failure(exc)
            if exc.code not in RETRY_READ:
                raise OmsError(f"{url} answered {failure}") from None
            wait = _retry_after(exc.headers)
        except SPARQLWrapperException as exc:
            message = " ".join(str(exc).split()).replace("\\n", " ")[:400]
            raise OmsError(f"{url} refused the query: {message}") from None
        except TimeoutError:
            raise _timeout(url, policy) from None
        except URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _timeout(url, policy) from None
            failure = _describe(exc.reason)
        except ConnectionError as exc:
            failure = _describe(exc)
        if attempt == policy.attempts:
            raise OmsError(f"{url}: gave up after {attempt} attempts; the last one failed with {failure}")
        _pause(url, failure, wait, attempt, policy)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _pause(url: str, failure: str, wait: float | None, attempt: int, policy: HttpPolicy) -> None:
    delay = policy.backoff * 2 ** (attempt - 1) if wait is None else wait
    if delay > policy.max_wait:
        raise OmsError(
            f"{url} answered {failure} and asks to wait {delay:.0f} s, more than {policy.max_wait:g} s"
        )
    time.sleep(delay)


def _retry_after(headers: Message | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (a number of seconds or an HTTP date)."""
    value = (headers or Message()).get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _http_failure(exc: HTTPError) -> str:
    try:
        with exc:
            detail = " ".join(exc.read(300).decode("utf-8", "replace").split())
    except (OSError, AttributeError, http.client.HTTPException):  # no body, or it broke off
        detail = ""
    return f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")


def _describe(reason: object) -> str:
    return f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else str(reason)


def _timeout(url: str, policy: HttpPolicy) -> OmsError:
    return OmsError(f"{url} did not answer within {policy.timeout:g} s; try again later or raise --timeout")
