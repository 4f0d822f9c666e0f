"""The web server: linked data with content negotiation, a read-only SPARQL endpoint,
an HTML page per entity and a home page (Starlette, run by uvicorn on 127.0.0.1).

Routes (``IRI`` is any IRI under ``https://w3id.org/omskg/``, served at its path here):

- ``GET /PATH`` (the IRI ``https://w3id.org/omskg/PATH``): ``303 See Other`` to the
  document in the format the ``Accept`` header asks for, as the W3C note *Cool URIs for
  the Semantic Web* describes for resources that are not documents; 404 with a page of
  suggestions when the graph does not know the IRI, 406 when no format suits.
- ``GET /PATH.html`` / ``.ttl`` / ``.jsonld`` / ``.nt``: the document itself: the page,
  or the resource's symmetric concise bounded description in Turtle, JSON-LD or N-Triples.
- ``GET|POST /sparql``: the SPARQL 1.1 Protocol, read-only (see :mod:`omskg.sparql_service`);
  with no query, its service description.
- ``GET /``: search, the conditions, a query box with the competency questions.
- ``GET /search?q=``: search by label or synonym (HTML, or JSON for ``application/json``).
- ``GET /docs/ontology.html``: the ontology's documentation; ``/static/...``: the style sheet.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import uvicorn
from jinja2 import Environment, PackageLoader, select_autoescape
from rdflib import Graph, URIRef
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from omskg.build import build_graph
from omskg.conneg import choose
from omskg.dataset import load_hcls_shapes
from omskg.endpoint import prefix_header
from omskg.errors import OmsError
from omskg.export import DESCRIPTION, to_ntriples
from omskg.graph_view import kind_colours, neighbourhood_svg
from omskg.jsonld_export import to_jsonld
from omskg.ontology_docs import ontology_html
from omskg.pages import BASE, Site
from omskg.prefixes import CORE_GRAPH, load_prefix_map
from omskg.query import NamedQuery, bind_parameters, list_queries, substitute_parameters
from omskg.rdfio import read_graph
from omskg.sparql_service import QueryService, QueryServiceError
from omskg.store import open_store
from omskg.validate import load_shapes

#: Document formats of a resource, by file ending.
DOCUMENTS = {
    "html": "text/html",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
}
_ENDING = {media: ending for ending, media in DOCUMENTS.items()}
_SPARQL_JSON = "application/sparql-results+json"
_FORM = "application/x-www-form-urlencoded"
MAX_QUERY_CHARS = 100_000  # a longer query text is refused before any parsing
_CORS = {"Access-Control-Allow-Origin": "*"}


@dataclass(frozen=True)
class Example:
    """A competency question offered in the query box: name, question, ready-to-run text."""

    name: str
    summary: str
    text: str


def example_text(query: NamedQuery) -> str:
    """The question's text with its example parameters written in and the PREFIX lines it needs."""
    text = substitute_parameters(query.text, bind_parameters(query, query.example))
    return prefix_header(text) + text


class Web:
    """The application's state: the pages, the query service, the templates."""

    def __init__(self, site: Site, service: QueryService, *, examples: Sequence[Example]) -> None:
        self.site = site
        self.service = service
        self.examples = {e.name: e for e in examples}
        self.templates = Environment(
            loader=PackageLoader("omskg", "templates"), autoescape=select_autoescape(), trim_blocks=True
        )
        self.templates.globals.update(version=version("omskg"))

    def html(
        self, name: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
    ) -> Response:
        body = self.templates.get_template(name).render(**context)
        return HTMLResponse(body, status_code=status, headers=headers)

    # -- routes ------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        shown = self.examples.get(request.query_params.get("example", "")) or next(
            iter(self.examples.values()), None
        )
        return self.html(
            "home.html",
            conditions=self.site.condition_links(),
            examples=list(self.examples.values()),
            query=shown.text if shown else "",
            chosen=shown.name if shown else "",
        )

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
            return self.document(BASE + stem, ending)
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

    def document(self, iri: str, ending: str) -> Response:
        if ending == "html":
            return self.entity_page(iri)
        description = self.site.describe(iri)
        body = {
            "ttl": lambda g: g.serialize(format="turtle"),
            "nt": to_ntriples,
            "jsonld": to_jsonld,
        }[ending](description)
        return Response(body, media_type=DOCUMENTS[ending], headers=_CORS)

    def entity_page(self, iri: str) -> Response:
        page = self.site.page(iri)
        assert page is not None
        centre = self.site.link(URIRef(iri))
        return self.html(
            "entity.html",
            page=page,
            graph_svg=neighbourhood_svg(centre, page.neighbours),
            colours=kind_colours(page.neighbours),
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
        return HTMLResponse(_ontology_docs())

    async def sparql(self, request: Request) -> Response:
        try:
            call = await _protocol_call(request)
        except OmsError as exc:
            return PlainTextResponse(f"{exc}\n", status_code=400)
        accept = request.headers.get("accept")
        if call.update is not None:
            return PlainTextResponse(
                "this endpoint is read-only: SPARQL updates are refused\n", status_code=403
            )
        if call.query is None:
            return self.service_description(request)
        # HTML only for clients that prefer it (browsers): */* gets SPARQL results.
        wants_html = choose(accept, [_SPARQL_JSON, "text/turtle", "text/html"]) == "text/html"
        started = time.perf_counter()
        try:
            answer = await run_in_threadpool(
                self.service.answer,
                call.query,
                accept=f"{_SPARQL_JSON}, text/turtle;q=0.9" if wants_html else accept,
                default_graphs=call.default_graphs,
                named_graphs=call.named_graphs,
            )
        except QueryServiceError as exc:
            headers = {**_CORS, "Retry-After": "5"} if exc.status == 503 else _CORS
            if wants_html:
                return self.html("results.html", status=exc.status, query=call.query, error=str(exc))
            return PlainTextResponse(f"{exc}\n", status_code=exc.status, headers=headers)
        if not wants_html:
            return Response(answer.body, headers={**_CORS, "Content-Type": answer.content_type})
        return self.html(
            "results.html",
            query=call.query,
            elapsed=time.perf_counter() - started,
            **_html_results(answer.body, answer.media_type),
        )

    def service_description(self, request: Request) -> Response:
        media = choose(request.headers.get("accept"), ["text/html", "text/turtle"])
        if media == "text/html":
            return RedirectResponse("/#query", status_code=303, headers={"Vary": "Accept"})
        endpoint = str(request.url.replace(query=""))
        return Response(_service_description(endpoint), media_type="text/turtle", headers={"Vary": "Accept"})

    def routes(self) -> list[Route | Mount]:
        return [
            Route("/", self.home),
            Route("/search", self.search),
            Route("/sparql", self.sparql, methods=["GET", "POST"]),
            Route("/docs/ontology.html", self.ontology_docs),
            Mount("/static", StaticFiles(packages=[("omskg", "static")]), name="static"),
            Route("/{path:path}", self.resource),
        ]


@dataclass(frozen=True)
class _Call:
    query: str | None
    update: str | None
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]


async def _protocol_call(request: Request) -> _Call:
    """The query (or update) and dataset of a SPARQL Protocol request, GET or POST."""
    params = request.query_params
    query, update = params.get("query"), params.get("update")
    defaults, named = params.getlist("default-graph-uri"), params.getlist("named-graph-uri")
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == _FORM:
            form = await request.form()
            query, update = _field(form.get("query")), _field(form.get("update"))
            defaults += [str(v) for v in form.getlist("default-graph-uri")]
            named += [str(v) for v in form.getlist("named-graph-uri")]
        elif content_type == "application/sparql-query":
            query = (await request.body()).decode("utf-8", errors="replace")
        elif content_type == "application/sparql-update":
            update = (await request.body()).decode("utf-8", errors="replace")
        else:
            raise OmsError(
                f"POST a SPARQL request as {_FORM} or application/sparql-query, "
                f"not {content_type or 'nothing'}"
            )
    return _Call(query, update, tuple(defaults), tuple(named))


def _field(value: object) -> str | None:
    return None if value is None else str(value)


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


def _cell(value: dict[str, str] | None) -> dict[str, str | None]:
    if value is None:
        return {"text": "", "href": None}
    text = value["value"]
    if value["type"] == "uri":
        href = "/" + text[len(BASE) :] if text.startswith(BASE) else text
        return {"text": load_prefix_map().compress(text) or text, "href": href}
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
    if host not in ("127.0.0.1", "::1", "localhost"):
        print(f"warning: listening on {host}, reachable from other machines", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="omskg-serve-") as scratch:
        graph, source = _served_data(store, Path(scratch))
        site = Site(page_graph(graph, release=store.parent if store else None), sources=sources)
        _ontology_docs()  # made once, before the first visitor waits for it
        service = QueryService(source, workers=workers, timeout=timeout)
        app = create_app(site, service)
        print(f"serving {len(graph)} triples at http://{host}:{port}/ (SPARQL: /sparql)", file=sys.stderr)
        uvicorn.run(app, host=host, port=port, log_level="warning")


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
    opened = open_store(store)
    text = opened.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(str(CORE_GRAPH)))
    graph = Graph().parse(data=text, format="nt")
    load_prefix_map().bind(graph)
    return graph, store
