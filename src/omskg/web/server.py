"""The web server: linked data with content negotiation, a read-only SPARQL endpoint,
an HTML page per entity and a home page (Starlette, run by uvicorn on 127.0.0.1).

Routes (``IRI`` is any IRI under ``https://w3id.org/omskg/``, served at its path here):

- ``GET /PATH`` (the IRI ``https://w3id.org/omskg/PATH``): ``303 See Other`` to the
  document in the format the ``Accept`` header asks for, as the W3C note *Cool URIs for
  the Semantic Web* describes for resources that are not documents; 404 with a page of
  suggestions when the graph does not know the IRI, 406 when no format suits.
- ``GET /PATH.html`` / ``.ttl`` / ``.jsonld`` / ``.nt`` / ``.rdf``: the document itself: the page,
  or the resource's symmetric concise bounded description in Turtle, JSON-LD, N-Triples or RDF/XML.
- ``GET|POST /sparql``: the SPARQL 1.1 Protocol, read-only (see :mod:`omskg.web.sandbox`);
  with no query, its service description. ``format=csv`` (``tsv``, ``json``, ``xml``,
  ``ttl``, ``nt``, ``jsonld``, or a media type) asks for a format where a link cannot
  send ``Accept``.
  Query text over :data:`MAX_QUERY_CHARS` characters and request bodies over
  :data:`MAX_BODY_BYTES` bytes are refused (413); the HTML results page shows at most
  :data:`HTML_MAX_ROWS` rows, built off the event loop.
- ``GET /``: search, the conditions, a query box with the competency questions.
- ``GET /search?q=``: search by label or synonym (HTML, or JSON for ``application/json``).
- ``GET /docs/ontology.html``: the ontology's documentation; ``/static/...``: the style sheet.

The release does not change while it is served: documents (pages, RDF documents, the
ontology's documentation, the home page, static files) are made once, kept in a
:class:`~omskg.web.release_cache.DocumentCache`, and sent with an ``ETag`` and
``Cache-Control``; a request whose ``If-None-Match`` names the tag gets ``304``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import mimetypes
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import anyio
import h11
import pyoxigraph as ox
import uvicorn
from jinja2 import Environment, PackageLoader, select_autoescape
from rdflib import Graph, URIRef
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from omskg.curation.build import build_graph
from omskg.curation.validate import load_shapes
from omskg.errors import OmsError
from omskg.linked.store import core_graph, open_store
from omskg.prefixes import CORE_GRAPH, load_prefix_map
from omskg.query import example_text, list_queries
from omskg.rdfio import read_graph
from omskg.release.hcls import load_hcls_shapes
from omskg.release.jsonld import to_jsonld
from omskg.release.ontology_docs import ontology_html
from omskg.release.rdf_writers import DESCRIPTION, to_ntriples, to_rdfxml, to_turtle
from omskg.web.conneg import choose, parse_accept
from omskg.web.graph_view import graph_view
from omskg.web.pages import BASE, Site
from omskg.web.release_cache import CACHE_CONTROL, Cached, DocumentCache, etag_of, matches
from omskg.web.sandbox import Answer, QueryService, QueryServiceError

#: Document formats of a resource, by file ending.
DOCUMENTS = {
    "html": "text/html",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}
_ENDING = {media: ending for ending, media in DOCUMENTS.items()}
_SPARQL_JSON = "application/sparql-results+json"
_FORM = "application/x-www-form-urlencoded"
MAX_QUERY_CHARS = 100_000  # a longer query text is refused (413) before any parsing
#: The longest POST body read, in bytes: any query within MAX_QUERY_CHARS fits, even as a
#: form with every character percent-encoded UTF-8 (12 bytes). Reading stops there.
MAX_BODY_BYTES = 2 * 2**20
#: Seconds a client has to send a request's headers, from its first byte (or from the
#: connection's start), and then its body: slow-loris connections are closed.
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0
#: The most rows (or triples) an HTML results page shows; the rest are a link away.
HTML_MAX_ROWS = 1_000
#: ``format`` parameter of /sparql -> the media type it asks for, overriding ``Accept``.
FORMAT_PARAMETER = {
    "json": _SPARQL_JSON,
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
}
# What the HTML page links to for the whole answer: (label, format parameter).
_WHOLE_ANSWER = {
    "rows": (("CSV", "csv"), ("JSON", "json")),
    "triples": (("Turtle", "ttl"), ("N-Triples", "nt")),
}
# A link longer than this is offered as a form instead (servers refuse long request lines).
_MAX_LINK = 8_000
_CORS = {"Access-Control-Allow-Origin": "*"}


@dataclass(frozen=True)
class Example:
    """A competency question offered in the query box: name, question, ready-to-run text."""

    name: str
    summary: str
    text: str


class Web:
    """The application's state: the pages, the query service, the templates."""

    def __init__(self, site: Site, service: QueryService, *, examples: Sequence[Example]) -> None:
        self.site = site
        self.service = service
        self.examples = {e.name: e for e in examples}
        self.templates = Environment(
            loader=PackageLoader("omskg.web", "templates"), autoescape=select_autoescape(), trim_blocks=True
        )
        self.templates.globals.update(version=version("omskg"))
        self.cache = DocumentCache()
        self.static = _static_files()

    def html(
        self, name: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
    ) -> Response:
        body = self.templates.get_template(name).render(**context)
        return HTMLResponse(body, status_code=status, headers=headers)

    # -- routes ------------------------------------------------------------------------

    def send(self, request: Request, document: Cached, headers: dict[str, str] | None = None) -> Response:
        """``document`` with its ``ETag`` and ``Cache-Control``, or ``304 Not Modified``
        (no body) when the request's ``If-None-Match`` names its tag."""
        headers = {**(headers or {}), "ETag": document.etag, "Cache-Control": CACHE_CONTROL}
        if matches(request.headers.get("if-none-match"), document.etag):
            return Response(status_code=304, headers=headers)
        return Response(document.body, media_type=document.media_type, headers=headers)

    async def home(self, request: Request) -> Response:
        shown = self.examples.get(request.query_params.get("example", "")) or next(
            iter(self.examples.values()), None
        )

        def make() -> tuple[bytes, str]:
            body = self.templates.get_template("home.html").render(
                conditions=self.site.condition_links(),
                examples=list(self.examples.values()),
                query=shown.text if shown else "",
                chosen=shown.name if shown else "",
            )
            return body.encode("utf-8"), "text/html"

        return self.send(request, await self.cache.get(("home", shown.name if shown else ""), make))

    async def search(self, request: Request) -> Response:
        text = request.query_params.get("q", "")
        hits = self.site.search(text)
        if choose(request.headers.get("accept"), ["text/html", "application/json"]) == "application/json":
            rows = [
                {"iri": BASE + (h.link.href or "")[1:], "label": h.label, "matched": h.matched} for h in hits
            ]
            return JSONResponse(rows, headers=_CORS)
        return self.html("search.html", q=text, hits=hits, close=[] if hits else self.site.suggest(text))

    async def resource(self, request: Request) -> Response:
        path: str = request.path_params["path"]
        stem, dot, ending = path.rpartition(".")
        if dot and ending in DOCUMENTS and self.site.exists(BASE + stem):
            iri = BASE + stem
            document = await self.cache.get((iri, ending), lambda: self.document(iri, ending))
            return self.send(request, document, None if ending == "html" else _CORS)
        iri = BASE + path
        if not self.site.exists(iri):
            return self.not_found(request, iri)
        media = choose(request.headers.get("accept"), list(DOCUMENTS.values()))
        if media is None:
            return PlainTextResponse(
                f"{iri} is available as {', '.join(DOCUMENTS.values())}; ask for one of them in Accept\n",
                status_code=406,
                headers={"Vary": "Accept"},
            )
        return RedirectResponse(f"/{path}.{_ENDING[media]}", status_code=303, headers={"Vary": "Accept"})

    def document(self, iri: str, ending: str) -> tuple[bytes, str]:
        """The bytes and media type of ``iri``'s document in the format of ``ending``."""
        if ending == "html":
            return self.entity_page(iri).encode("utf-8"), DOCUMENTS[ending]
        description = self.site.describe(iri)
        # the release's own writers: every format keeps each literal's lexical form
        body = {"ttl": to_turtle, "nt": to_ntriples, "jsonld": to_jsonld, "rdf": to_rdfxml}[ending](
            description
        )
        return body.encode("utf-8"), DOCUMENTS[ending]

    def entity_page(self, iri: str) -> str:
        page = self.site.page(iri)
        assert page is not None
        centre = self.site.link(URIRef(iri))
        return self.templates.get_template("entity.html").render(
            page=page,
            view=graph_view(centre, page.neighbours),
            documents_at_hand=self.site.documents_at_hand,
            path=iri[len(BASE) :],
        )

    def not_found(self, request: Request, iri: str) -> Response:
        words = iri[len(BASE) :].rsplit("/", 1)[-1].replace("-", " ")
        suggestions = self.site.suggest(words)
        if choose(request.headers.get("accept"), ["text/html", "text/plain"]) == "text/plain":
            return PlainTextResponse(f"{iri} is not in this graph; search at /search?q=\n", status_code=404)
        return self.html("notfound.html", status=404, iri=iri, suggestions=suggestions, q=words)

    async def ontology_docs(self, request: Request) -> Response:
        document = await self.cache.get("ontology", lambda: (_ontology_docs().encode("utf-8"), "text/html"))
        return self.send(request, document)

    async def static_file(self, request: Request) -> Response:
        document = self.static.get(request.path_params["name"])
        if document is None:
            return PlainTextResponse("Not Found\n", status_code=404)
        return self.send(request, document)

    async def sparql(self, request: Request) -> Response:
        try:
            call = await _protocol_call(request)
        except _TooLarge as exc:
            return PlainTextResponse(f"{exc}\n", status_code=413, headers={**_CORS, "Connection": "close"})
        except ClientDisconnect:  # the client left mid-body: no one to answer, nothing to log
            return Response(status_code=400)
        except TimeoutError:
            return PlainTextResponse(
                f"the request body did not arrive within {BODY_TIMEOUT:g} s\n",
                status_code=408,
                headers={"Connection": "close"},
            )
        except OmsError as exc:
            return PlainTextResponse(f"{exc}\n", status_code=400)
        text = call.query if call.query is not None else call.update
        if text is not None and len(text) > MAX_QUERY_CHARS:
            return PlainTextResponse(
                f"the query is {len(text):,} characters long, over this endpoint's limit of "
                f"{MAX_QUERY_CHARS:,}; shorten it or split it into several queries\n",
                status_code=413,
                headers=_CORS,
            )
        if call.update is not None:
            return PlainTextResponse(
                "this endpoint is read-only: SPARQL updates are refused\n", status_code=403
            )
        if call.query is None:
            return self.service_description(request)
        # A format named by a link (format=csv) or by a client such as SPARQLWrapper (which
        # sends format=xml for every kind of query) comes first, the Accept header after it
        # for query forms that do not give the named format; other values are ignored.
        named = FORMAT_PARAMETER.get(call.format or "", call.format if "/" in (call.format or "") else None)
        accept = request.headers.get("accept")
        if named is not None:
            accept = _preferring(named, accept)
        # HTML only for clients that prefer it (browsers): */* gets SPARQL results.
        wants_html = (
            named in (None, "text/html")
            and choose(accept, [_SPARQL_JSON, "text/turtle", "text/html"]) == "text/html"
        )
        started = time.perf_counter()
        try:
            answer = await run_in_threadpool(
                self.service.answer,
                call.query,
                accept=f"{_SPARQL_JSON}, text/turtle;q=0.9" if wants_html else accept,
                default_graphs=call.default_graphs,
                named_graphs=call.named_graphs,
                max_rows=HTML_MAX_ROWS if wants_html else None,
            )
        except QueryServiceError as exc:
            headers = {**_CORS, "Retry-After": "5"} if exc.status == 503 else _CORS
            if wants_html:
                return self.html("results.html", status=exc.status, query=call.query, error=str(exc))
            return PlainTextResponse(f"{exc}\n", status_code=exc.status, headers=headers)
        if not wants_html:
            return Response(answer.body, headers={**_CORS, "Content-Type": answer.content_type})
        # Reading the answer and writing the page take time in proportion to the rows:
        # off the event loop, so that other requests are answered meanwhile.
        return await run_in_threadpool(self.results_page, call, answer, time.perf_counter() - started)

    def results_page(self, call: _Call, answer: Answer, elapsed: float) -> Response:
        """The HTML page of an answer asked for with ``max_rows``: its first rows, how many
        were left out and links to the whole answer."""
        results = _html_results(answer.body, answer.media_type)
        unit = "triples" if "graph_text" in results else "rows"
        whole = []
        for label, fmt in () if "boolean" in results else _WHOLE_ANSWER[unit]:
            fields = [("query", call.query or ""), ("format", fmt)]
            fields += [("default-graph-uri", iri) for iri in call.default_graphs]
            fields += [("named-graph-uri", iri) for iri in call.named_graphs]
            link = f"/sparql?{urlencode(fields)}"
            whole.append({"label": label, "href": link if len(link) <= _MAX_LINK else None, "fields": fields})
        return self.html(
            "results.html",
            query=call.query,
            elapsed=elapsed,
            total=answer.total,
            left_out=max((answer.total or 0) - HTML_MAX_ROWS, 0),
            unit=unit,
            whole=whole,
            **results,
        )

    def service_description(self, request: Request) -> Response:
        media = choose(request.headers.get("accept"), ["text/html", "text/turtle"])
        if media == "text/html":
            return RedirectResponse("/#query", status_code=303, headers={"Vary": "Accept"})
        endpoint = str(request.url.replace(query=""))
        return Response(_service_description(endpoint), media_type="text/turtle", headers={"Vary": "Accept"})

    def routes(self) -> list[Route]:
        return [
            Route("/", self.home),
            Route("/search", self.search),
            Route("/sparql", self.sparql, methods=["GET", "POST"]),
            Route("/docs/ontology.html", self.ontology_docs),
            Route("/static/{name}", self.static_file),
            Route("/{path:path}", self.resource),
        ]


@dataclass(frozen=True)
class _Call:
    query: str | None
    update: str | None
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    format: str | None = None


class _TooLarge(OmsError):
    """A request body over :data:`MAX_BODY_BYTES` (413)."""


async def _protocol_call(request: Request) -> _Call:
    """The query (or update) and dataset of a SPARQL Protocol request, GET or POST.
    :class:`_TooLarge`, :class:`TimeoutError` or starlette's ``ClientDisconnect`` when
    the body is too long, too slow or cut off."""
    params = request.query_params
    query, update, fmt = params.get("query"), params.get("update"), params.get("format")
    defaults, named = params.getlist("default-graph-uri"), params.getlist("named-graph-uri")
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in (_FORM, "application/sparql-query", "application/sparql-update"):
            raise OmsError(
                f"POST a SPARQL request as {_FORM} or application/sparql-query, "
                f"not {content_type or 'nothing'}"
            )
        body = await _read_body(request, MAX_BODY_BYTES)
        if content_type == _FORM:
            form = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
            fields: dict[str, list[str]] = {}
            for key, value in form:
                fields.setdefault(key, []).append(value)
            query, update = _first(fields, "query"), _first(fields, "update")
            fmt = _first(fields, "format") or fmt
            defaults += fields.get("default-graph-uri", [])
            named += fields.get("named-graph-uri", [])
        elif content_type == "application/sparql-query":
            query = body.decode("utf-8", errors="replace")
        else:
            update = body.decode("utf-8", errors="replace")
    return _Call(query, update, tuple(defaults), tuple(named), fmt)


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, read a chunk at a time; :class:`_TooLarge` as soon as it is
    known to be longer than ``limit`` bytes (by ``Content-Length``, else by counting, for
    a chunked body), so that no more than ``limit`` bytes are ever held."""
    declared = request.headers.get("content-length", "").strip()
    too_large = _TooLarge(
        f"the request body is longer than {limit:,} bytes, this endpoint's limit; "
        f"a query may have at most {MAX_QUERY_CHARS:,} characters"
    )
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    with anyio.fail_after(BODY_TIMEOUT):  # TimeoutError for a body that trickles in
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
    return b"".join(chunks)


def _preferring(media_type: str, accept: str | None) -> str:
    """An ``Accept`` header that asks for ``media_type`` first, then for what ``accept``
    asks for, in its order (at half its weights).

    >>> _preferring("text/csv", "application/rdf+xml, */*;q=0.1")
    'text/csv, application/rdf+xml;q=0.5, */*;q=0.05'
    """
    behind = ", ".join(f"{r.type}/{r.subtype};q={r.q / 2:g}" for r in parse_accept(accept or ""))
    return f"{media_type}, {behind}"


def _first(fields: dict[str, list[str]], key: str) -> str | None:
    values = fields.get(key)
    return values[0] if values else None


def _html_results(body: bytes, media_type: str) -> dict[str, Any]:
    """Columns and rows (or a boolean, or a graph's Turtle) of an answer, for the results page."""
    if media_type.startswith(_SPARQL_JSON):
        data = json.loads(body)
        if "boolean" in data:
            return {"boolean": data["boolean"]}
        columns = data["head"]["vars"]
        rows = [[_cell(binding.get(c)) for c in columns] for binding in data["results"]["bindings"]]
        return {"columns": columns, "rows": rows}
    return {"graph_text": body.decode("utf-8")}


def _cell(value: dict[str, Any] | None) -> dict[str, str | None]:
    if value is None:
        return {"text": "", "href": None}
    if value["type"] == "triple":  # RDF 1.2: a triple term, shown as one
        parts = [_cell(value["value"].get(k))["text"] for k in ("subject", "predicate", "object")]
        return {"text": f"<<( {' '.join(p or '' for p in parts)} )>>", "href": None}
    text = value["value"]
    if value["type"] == "uri":
        href = "/" + text[len(BASE) :] if text.startswith(BASE) else text
        return {"text": load_prefix_map().curie(text), "href": href}
    return {"text": text, "href": None}


def _service_description(endpoint: str) -> str:
    formats = "\n".join(
        f"    sd:resultFormat <http://www.w3.org/ns/formats/{name}> ;"
        for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV")
    )
    return (
        "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n\n"
        f"<{endpoint}> a sd:Service ;\n"
        f"    sd:endpoint <{endpoint}> ;\n"
        "    sd:supportedLanguage sd:SPARQL11Query ;\n"
        f"{formats}\n"
        "    sd:feature sd:UnionDefaultGraph .\n"
    )


def _static_files() -> dict[str, Cached]:
    """The package's static files (the style sheet, the icon), read once, by name."""
    found = {}
    for item in files("omskg.web").joinpath("static").iterdir():
        if item.is_file():
            body = item.read_bytes()
            media_type = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
            found[item.name] = Cached(body, media_type, etag_of(body))
    return found


@cache
def _ontology_docs() -> str:
    return ontology_html()


def create_app(site: Site, service: QueryService, *, examples: Sequence[Example] | None = None) -> Starlette:
    """The web application over ``site`` (pages) and ``service`` (the SPARQL endpoint)."""
    if examples is None:
        examples = [Example(q.name, q.summary, example_text(q)) for q in list_queries()]
    web = Web(site, service, examples=examples)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        service.close()

    return Starlette(routes=web.routes(), lifespan=lifespan)


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    store: Path | None = None,
    sources: Path | None = None,
    timeout: float = 10.0,
    workers: int = 1,
) -> None:
    """Build (or read from ``store``) the graph and serve it until interrupted."""
    if sources is not None and not sources.is_dir():
        raise OmsError(f"{sources}: not a folder of source documents; give the folder with --sources DIR")
    if host not in ("127.0.0.1", "::1", "localhost"):
        print(f"warning: listening on {host}, reachable from other machines", file=sys.stderr)
    _check_port_free(host, port)
    with tempfile.TemporaryDirectory(prefix="omskg-serve-") as scratch:
        graph, source = _served_data(store, Path(scratch))
        site = Site(page_graph(graph, release=store.parent if store else None), sources=sources)
        _ontology_docs()  # made once, before the first visitor waits for it
        service = QueryService(source, workers=workers, timeout=timeout)
        app = create_app(site, service)
        answered = (
            f"; SPARQL at /sparql over the store {store} (core and HPO graphs)"
            if store
            else " (SPARQL: /sparql)"
        )
        print(f"serving {len(graph)} triples at http://{host}:{port}/{answered}", file=sys.stderr)
        uvicorn.run(app, host=host, port=port, log_level="warning", http=HeaderTimeoutProtocol)


def _check_port_free(host: str, port: int) -> None:
    """Raise :class:`OmsError` when ``port`` on ``host`` cannot be listened on (another
    server holds it), before the data is loaded: uvicorn would say so only after loading,
    and end with its own exit code."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        if (exc.errno or 0) < 0:  # getaddrinfo's codes: the host is no address of this machine
            raise OmsError(f"cannot listen on {host}: {exc.strerror}; give another with --host") from None
        reason = "in use (another server?)" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise OmsError(
            f"cannot listen on {host}:{port}: {reason}; stop it or choose another with --port"
        ) from None


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request headers are not
    complete :data:`HEADER_TIMEOUT` seconds after the connection opened or the request's
    first byte came. uvicorn times out only idle keep-alive connections, and every byte
    restarts that clock, so a client sending a header a byte at a time ("slow loris")
    could hold a connection, and a file descriptor, for ever."""

    header_timeout = HEADER_TIMEOUT
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm_header_timer()  # a request has begun, or may: its headers are due
        else:
            self._cancel_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self._cancel_header_timer()  # the keep-alive timer of uvicorn takes over
        super().on_response_complete()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_timed_out)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_timed_out(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            with contextlib.suppress(h11.LocalProtocolError):
                self.conn.send(h11.ConnectionClosed())
            self.transport.close()


def page_graph(graph: Graph, *, release: Path | None = None) -> Graph:
    """What the pages show: ``graph``, the SHACL shapes (so ``/shapes/...`` IRIs resolve)
    and, when ``release`` is a built release folder, its dataset description (``/dataset``,
    ``/release/...``). The SPARQL endpoint answers over ``graph`` alone, as the stores do."""
    pages = graph + load_shapes() + load_hcls_shapes()
    description = release / DESCRIPTION if release else None
    if description is not None and description.is_file():
        pages += read_graph(description)
    load_prefix_map().bind(pages)
    return pages


def _served_data(store: Path | None, scratch: Path) -> tuple[Graph, Path]:
    """The graph the pages show and what the query workers load: the built graph written
    as N-Quads into ``scratch``, or the store's own core graph and the store itself."""
    if store is None:
        graph = build_graph().graph
        source = scratch / "core.nq"
        data = ox.Store()
        data.bulk_load(
            graph.serialize(format="nt", encoding="utf-8"),
            ox.RdfFormat.N_TRIPLES,
            to_graph=ox.NamedNode(str(CORE_GRAPH)),
        )
        data.dump(str(source), ox.RdfFormat.N_QUADS)
        return graph, source
    return core_graph(open_store(store)), store
