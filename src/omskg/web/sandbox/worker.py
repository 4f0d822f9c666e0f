"""A sandbox worker: ``python -m omskg.web.sandbox.worker SOURCE FD MAX_BYTES`` loads the
data and answers the queries it receives on its socket, one at a time. Everything the
query text reaches (parsers, evaluation, serialisation) runs here, so a crash or an
overrun takes only this process down."""

from __future__ import annotations

import io
import itertools
import json
import re
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from pyparsing import ParseBaseException
from rdflib import URIRef
from rdflib.plugins.sparql.parser import parseQuery

from omskg.errors import OmsError
from omskg.linked.store import open_store
from omskg.prefixes import load_prefix_map
from omskg.sparql_guard import (
    PROJECT_GRAPHS,
    EmptyRequest,
    check_shape,
    outward_references,
    parse_request,
)
from omskg.web.conneg import choose
from omskg.web.sandbox.errors import (
    NotAcceptable,
    QueryFailed,
    QueryRefused,
    QueryServiceError,
    QuerySyntaxError,
    ResultTooLarge,
)
from omskg.web.sandbox.protocol import (
    DEFAULT_MAX_BYTES,
    FORMS,
    RESULT_FORMATS,
    SPARQL_JSON,
    Answer,
    receive,
    send,
    send_json,
)

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

# --- in the worker ------------------------------------------------------------------------


def evaluate(
    store: ox.Store,
    text: str,
    *,
    accept: str | None,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int | None = None,
) -> Answer:
    """Answer the query ``text`` from ``store`` in this process, with the checks, dataset,
    format choice, size limit and ``max_rows`` of :class:`QueryService` but neither its
    time limit nor its isolation: what each worker runs."""
    form = _query_form(text)
    own_dataset = _check_references(text)
    offered = FORMS[form]
    if max_rows is not None and offered is RESULT_FORMATS:
        offered = {SPARQL_JSON: ox.QueryResultsFormat.JSON}
    media_type = choose(accept, list(offered))
    if media_type is None:
        kind = form.removesuffix("Query").upper()
        raise NotAcceptable(
            f"the Accept header {accept!r} allows none of the formats of a {kind} query; "
            f"ask for one of {', '.join(offered)}"
        )
    try:
        result = store.query(
            text,
            prefixes=load_prefix_map().uri_prefixes,
            **_dataset(default_graphs, named_graphs, own_dataset),
        )
    except SyntaxError as exc:
        raise QuerySyntaxError(f"the query is not valid SPARQL: {shorten(str(exc))}") from None
    out = _Bounded(max_bytes)
    total = None
    try:
        if max_rows is not None and not isinstance(result, ox.QueryBoolean):
            total = _serialize_first(result, out, offered[media_type], max_rows)
        else:
            _serialize(result, out, offered[media_type])
    except _Overflow:
        raise ResultTooLarge(
            f"the answer is longer than {max_bytes:,} bytes, this endpoint's limit; "
            "add LIMIT or ask for fewer variables"
        ) from None
    return Answer(out.getvalue(), media_type, total)


def open_source(source: Path) -> ox.Store:
    """The store to answer from: an on-disk store opened read-only, or an RDF file loaded
    into a new in-memory store."""
    if source.is_dir():
        return open_store(source)
    fmt = ox.RdfFormat.from_extension(source.suffix.lstrip(".")) if source.suffix else None
    if fmt is None:
        raise OmsError(f"{source}: unknown RDF file suffix; give an .nq, .nt, .ttl or .trig file")
    store = ox.Store()
    try:
        store.bulk_load(path=str(source), format=fmt)
    except (SyntaxError, OSError) as exc:
        raise OmsError(f"{source}: cannot be loaded as {fmt.name}: {shorten(str(exc))}") from None
    return store


def worker_main(argv: Sequence[str]) -> int:
    """A worker: ``python -m omskg.web.sandbox SOURCE FD MAX_BYTES``, answering the
    queries that arrive on the socket FD until it closes.

    Frames are a length (8 bytes, big-endian) and that many bytes. The worker sends a
    JSON header once the data is loaded (``ready`` or ``error``); then, for each request
    (JSON: query, accept, default, named), an empty frame as soon as it has taken the
    request, and a JSON header (``media_type`` or ``error`` and ``message``) followed,
    on success, by the body.
    """
    source, fd, max_bytes = Path(argv[0]), int(argv[1]), int(argv[2])
    with socket.socket(fileno=fd) as sock:
        try:
            try:
                store = open_source(source)
                load_prefix_map()
            except OmsError as exc:
                send_json(sock, {"error": "OmsError", "message": str(exc)})
                return 1
            send_json(sock, {"ready": True})
            _serve(sock, store, max_bytes)
        except (EOFError, ConnectionError):  # the service has gone
            pass
    return 0


def _serve(sock: socket.socket, store: ox.Store, max_bytes: int) -> None:
    while True:
        request = json.loads(receive(sock, sys.maxsize, None))
        send(sock, b"")
        try:
            answer = evaluate(
                store,
                request["query"],
                accept=request["accept"],
                default_graphs=request["default"],
                named_graphs=request["named"],
                max_bytes=max_bytes,
                max_rows=request.get("max_rows"),
            )
        except QueryServiceError as exc:
            send_json(sock, {"error": type(exc).__name__, "message": str(exc)})
            continue
        except Exception as exc:  # a read error of the store, a bug: report it and go on serving
            message = f"the query failed: {type(exc).__name__}: {shorten(str(exc))}"
            send_json(sock, {"error": "QueryFailed", "message": message})
            continue
        send_json(sock, {"media_type": answer.media_type, "total": answer.total})
        send(sock, answer.body)


def _query_form(text: str) -> str:
    """``SelectQuery``, ``AskQuery``, ``ConstructQuery`` or ``DescribeQuery``; refuses updates,
    and texts too long or too deeply nested for the parsers (before any of them runs)."""
    try:
        check_shape(text)
    except OmsError as exc:
        raise QuerySyntaxError(str(exc)) from None
    try:
        units = parse_request(text)
    except EmptyRequest:
        raise QuerySyntaxError(
            "the request holds no query; send a SELECT, ASK, CONSTRUCT or DESCRIBE query"
        ) from None
    except OmsError:
        raise _syntax_error(text) from None
    forms = [body.name for _, body in units]
    if len(forms) == 1 and forms[0] in FORMS:
        return str(forms[0])
    operations = dict.fromkeys(_update_keyword(name) for name in forms)
    raise QueryRefused(
        f"refused a SPARQL Update ({', '.join(operations) or 'empty'}): this endpoint is read-only "
        "and answers only SELECT, ASK, CONSTRUCT and DESCRIBE queries"
    )


def _update_keyword(operation: str) -> str:
    if operation == "Modify":
        return "DELETE/INSERT"
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", operation).upper()


def _syntax_error(text: str) -> QuerySyntaxError:
    """The error of rdflib's query parser, with its position (parsed again: only on failure)."""
    try:
        parseQuery(text)
    except RecursionError:
        return QuerySyntaxError(
            "the query nests parentheses or braces too deeply to be checked; use fewer levels"
        )
    except ParseBaseException as exc:
        near = exc.line[exc.col - 1 : exc.col + 29].strip()
        where = f"near {near!r}" if near else "at the end of the line"
        return QuerySyntaxError(
            f"the query is not valid SPARQL at line {exc.lineno}, column {exc.col} ({where}): {exc.msg}"
        )
    except Exception as exc:  # rdflib raises plain exceptions from some grammar actions
        return QuerySyntaxError(f"the query is not valid SPARQL: {shorten(str(exc))}")
    return QuerySyntaxError("the query is not valid SPARQL")


def _check_references(text: str) -> bool:
    """Refuse ``SERVICE``, ``LOAD`` and ``FROM`` outside the project's graphs; True when
    the query names its own dataset with ``FROM`` / ``FROM NAMED``."""
    try:
        references = outward_references(text)
    except OmsError as exc:
        raise QuerySyntaxError(
            f"a SERVICE or FROM target of the query is no IRI; declare its prefix with PREFIX ({exc})"
        ) from None
    own_dataset = False
    for keyword, target in references:
        shown = f"<{target}>" if isinstance(target, URIRef) else f"?{target}"
        if not keyword.startswith("FROM"):
            raise QueryRefused(
                f"refused {keyword} {shown}: this endpoint does not reach other endpoints or documents; "
                "send that part of the query to the other endpoint yourself"
            )
        if not (isinstance(target, URIRef) and target.startswith(PROJECT_GRAPHS)):
            raise QueryRefused(
                f"refused {keyword} {shown}: this endpoint holds only the graphs under {PROJECT_GRAPHS}; "
                "name one of those, or leave FROM out to query them all"
            )
        own_dataset = True
    return own_dataset


def _dataset(default_graphs: Sequence[str], named_graphs: Sequence[str], own_dataset: bool) -> dict[str, Any]:
    if default_graphs or named_graphs:
        return {
            "default_graph": [_graph_name(iri) for iri in default_graphs],
            "named_graphs": [_graph_name(iri) for iri in named_graphs],
        }
    return {} if own_dataset else {"use_default_graph_as_union": True}


def _graph_name(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise QuerySyntaxError(
            f"the graph {iri!r} is not an absolute IRI ({exc}); "
            "give default-graph-uri and named-graph-uri as absolute IRIs"
        ) from None


def _serialize(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    out: _Bounded,
    fmt: ox.QueryResultsFormat | ox.RdfFormat,
) -> None:
    if isinstance(result, ox.QueryTriples):
        if isinstance(fmt, ox.RdfFormat):
            result.serialize(out, fmt)
            return
    elif isinstance(fmt, ox.QueryResultsFormat):
        result.serialize(out, fmt)
        return
    raise QueryFailed(f"the engine gave {type(result).__name__} where the query's form called for {fmt}")


def _serialize_first(
    result: ox.QuerySolutions | ox.QueryTriples,
    out: _Bounded,
    fmt: ox.QueryResultsFormat | ox.RdfFormat,
    max_rows: int,
) -> int:
    """Write the first ``max_rows`` solutions (as SPARQL JSON) or triples (in ``fmt``) of
    ``result``; the number of them in the whole result."""
    first = list(itertools.islice(result, max_rows))
    total = len(first) + sum(1 for _ in result)
    if isinstance(result, ox.QueryTriples):
        if not isinstance(fmt, ox.RdfFormat):
            raise QueryFailed(f"the engine gave triples where the query's form called for {fmt}")
        ox.serialize(first, out, fmt)
        return total
    names = [v.value for v in result.variables]
    bindings = [
        {name: _json_term(term) for name in names if (term := solution[name]) is not None}
        for solution in first
    ]
    out.write(json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}}).encode("utf-8"))
    return total


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _json_term(term: Any) -> dict[str, Any]:
    """An RDF term as the SPARQL 1.1 Query Results JSON Format writes it."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        parts = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
        return {"type": "triple", "value": {k: _json_term(v) for k, v in parts.items()}}
    literal: dict[str, Any] = {"type": "literal", "value": term.value}
    if term.language:
        literal["xml:lang"] = term.language
    elif term.datatype.value != _XSD_STRING:
        literal["datatype"] = term.datatype.value
    return literal


class _Overflow(Exception):
    """Raised by :class:`_Bounded` to stop the serialiser."""


class _Bounded(io.BytesIO):
    """A bytes buffer that refuses to grow past ``limit``."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: ReadableBuffer, /) -> int:
        if self.tell() + memoryview(data).nbytes > self.limit:
            raise _Overflow
        return super().write(data)


def shorten(message: str, limit: int = 300) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else f"{flat[: limit - 3]}..."
