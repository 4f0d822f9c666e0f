"""The project on any SPARQL 1.1 store over HTTP: push graphs into it, ask it the questions.

Writes use the SPARQL 1.1 Graph Store HTTP Protocol: one ``PUT`` of N-Triples to
``<gsp>?graph=<IRI>`` replaces a named graph in one step, so pushing twice leaves the
store as pushing once. Blank nodes are replaced by IRIs derived from the content
(:func:`skolemise`), so they too come out the same every time. The body is spooled to
a temporary file and streamed with its ``Content-Length``; nothing is sent unless the
whole input has been read (a file given to :func:`push_file` with steps: found sound by a
first reading).

A graph of more than :attr:`Steps.size` triples (the linked HPO graph: 2.4 million) is
replaced in steps instead, each a request of bounded size: its old triples are deleted
``Steps.size`` at a time (SPARQL 1.1 Update), then the new ones added by ``POST`` of as
many (an Oxigraph server is asked for its bulk route, ``no_transaction``). A reader sees
that graph shrink, then grow, until the push ends (docs/sparql-stores.md says why there is
no swap: on both stores measured, moving a graph that size in one transaction took more
memory or time than loading it).

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

import contextlib
import gzip
import hashlib
import http.client
import math
import queue
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from functools import partial
from operator import attrgetter
from pathlib import Path
from socket import gaierror
from typing import IO, Any, TypeVar, cast
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

import pyoxigraph as ox
from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, SELECT, SPARQLWrapper
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
DEFAULT_STEP = 500_000
BYTES_PER_TRIPLE = 200  # a generous size of one N-Triples line, to scale a deletion's timeout
RETRY_READ = frozenset({429, 502, 503})
RETRY_WRITE = frozenset({429, 503})
T = TypeVar("T")


@dataclass(frozen=True)
class HttpPolicy:
    """How long to wait for a server and how often to try.

    ``timeout`` applies to each connection step (connecting, each read); queries round
    it up to whole seconds (SPARQLWrapper's unit). A write that sends or deletes ``n``
    bytes waits :meth:`timeout_for` them: ``rate`` bytes a second more, as a store takes
    longer to answer the more it has to store. A failed read is tried up to ``attempts``
    times in all, the n-th retry after ``backoff * 2**(n-1)`` seconds unless the server
    names a time; a wait longer than ``max_wait`` is not made.
    """

    timeout: float = 60.0
    attempts: int = 5
    backoff: float = 0.5
    max_wait: float = 120.0
    rate: float = 1_000_000.0

    def timeout_for(self, size: int) -> float:
        """Seconds to wait for the answer to a write of ``size`` bytes.

        >>> HttpPolicy(timeout=60).timeout_for(45_000_000)
        105.0
        """
        return self.timeout + size / self.rate


@dataclass(frozen=True)
class StoreUrls:
    """Where a store takes graphs (Graph Store Protocol), answers queries and takes updates."""

    gsp: str
    query: str
    update: str


@dataclass(frozen=True)
class Steps:
    """How a graph of more than ``size`` triples is replaced: step by step, through the
    store's query and update services (see the module's docstring)."""

    query_url: str
    update_url: str
    size: int = DEFAULT_STEP


Progress = Callable[[str, int, int], None]
"""Told, as a push goes on, a graph's IRI, the triples of it sent so far and its total."""


@dataclass(frozen=True)
class Pushed:
    """One named graph replaced in a store: its IRI, the triples and bytes sent."""

    graph: str
    triples: int
    size: int


def store_urls(
    url: str, *, gsp: str | None = None, query: str | None = None, update: str | None = None
) -> StoreUrls:
    """The store's URLs from its base URL (or its Oxigraph-style ``/store``, ``/query`` or
    ``/update`` URL); ``gsp``, ``query`` and ``update`` override them for stores laid out
    otherwise.

    >>> urls = store_urls("http://localhost:7878/store")
    >>> urls.gsp, urls.query, urls.update
    ('http://localhost:7878/store', 'http://localhost:7878/query', 'http://localhost:7878/update')
    """
    for given in (url, gsp, query, update):
        if given is not None:
            http_url(given)
    base = url.rstrip("/")
    for suffix in ("/store", "/query", "/update"):
        base = base.removesuffix(suffix)
    return StoreUrls(gsp or f"{base}/store", query or f"{base}/query", update or f"{base}/update")


def http_url(url: str) -> str:
    """``url``, once found to be an http or https URL with a host; an :class:`OmsError` naming
    it otherwise (urllib would raise a bare ValueError).

    >>> http_url("notaurl")
    Traceback (most recent call last):
    ...
    omskg.errors.OmsError: 'notaurl' is not an http(s) URL; give the store's address, such as http://127.0.0.1:7878
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OmsError(
            f"{url!r} is not an http(s) URL; give the store's address, such as http://127.0.0.1:7878"
        )
    return url


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


class _Lines:
    """A graph's N-Triples lines, each triple once (a 16-byte digest of each line is kept: an
    RDF file may repeat a triple, the store holds it once); triples with blank nodes are held
    back and given skolemised once all are known (:meth:`held`)."""

    def __init__(self) -> None:
        self.seen: set[bytes] = set()
        self.with_blank_nodes: list[ox.Triple] = []

    def line(self, triple: ox.Triple) -> bytes | None:
        """The triple's line, or None when it was given before or is held back."""
        if isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode):
            self.with_blank_nodes.append(triple)
            return None
        return self._new(f"{triple} .\n".encode())

    def held(self) -> Iterator[bytes]:
        """The lines of the triples held back, their blank nodes skolemised."""
        for triple in skolemise(self.with_blank_nodes):
            if line := self._new(f"{triple} .\n".encode()):
                yield line
        self.with_blank_nodes = []

    def _new(self, line: bytes) -> bytes | None:
        digest = hashlib.blake2b(line, digest_size=16).digest()
        if digest in self.seen:
            return None
        self.seen.add(digest)
        return line


class _Body:
    """One graph's N-Triples (see :class:`_Lines`), spooled to a temporary file."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.triples = 0
        self.lines = _Lines()

    def add(self, triple: ox.Triple) -> None:
        if line := self.lines.line(triple):
            self._write(line)

    def _write(self, line: bytes) -> None:
        self.file.write(line)
        self.triples += 1

    def finish(self) -> int:
        """Write the skolemised triples; return the body's size in bytes."""
        for line in self.lines.held():
            self._write(line)
        self.lines = _Lines()
        self.file.flush()
        return self.file.tell()


class _Stepped:
    """A graph of more than one step, replaced while its lines come in (see the module): a
    sender thread deletes the graph's old triples, then ``POST``s the steps handed over (at
    most two wait, so memory stays bounded) while the caller goes on reading. On Oxigraph's
    bulk route two senders ``POST`` at once, as the store parses two steps on two cores;
    elsewhere one, as a store that writes each step in a transaction may make two
    concurrent steps wait for each other (Virtuoso 7.2 did, past the timeout)."""

    def __init__(
        self,
        gsp_url: str,
        graph: str,
        steps: Steps,
        policy: HttpPolicy,
        progress: Progress | None,
        expected: int,
    ) -> None:
        self.gsp_url, self.graph, self.steps, self.policy = gsp_url, graph, steps, policy
        self.progress, self.expected = progress, expected
        self.pending: list[bytes] = []
        self.triples = self.size = self.sent = self.done = 0  # handed over, being sent, sent
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self.lock = threading.Lock()
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._send, name=f"push <{graph}>", daemon=True)
        self.thread.start()

    def add(self, line: bytes) -> None:
        self.pending.append(line)
        if len(self.pending) == self.steps.size:
            self._hand_over()

    def finish(self) -> Pushed:
        """Send the last step; wait for the senders; raise what one failed with."""
        if self.pending:
            self._hand_over()
        self._put(None)  # the end: each sender puts it back for the next
        self.thread.join()
        if self.failure:
            raise self.failure
        if self.progress and self.expected != self.triples:  # the input repeated some triples
            self.progress(self.graph, self.triples, self.triples)
        return Pushed(self.graph, self.triples, self.size)

    def abandon(self) -> None:
        """Stop the senders after the requests they are making (the caller failed)."""
        self.failure = self.failure or OmsError("abandoned")
        with contextlib.suppress(queue.Empty):
            while True:
                self.queue.get_nowait()
        with contextlib.suppress(queue.Full):
            self.queue.put_nowait(None)

    def _hand_over(self) -> None:
        data = b"".join(self.pending)
        self.triples += len(self.pending)
        self.size += len(data)
        self.pending = []
        self._put(data)

    def _put(self, item: bytes | None) -> None:
        while True:
            if self.failure:
                raise self.failure
            with contextlib.suppress(queue.Full):
                self.queue.put(item, timeout=0.2)
                return

    def _send(self) -> None:
        """Delete the old triples, then run the senders of the steps and wait for them."""
        try:
            bulk = store_software(self.steps.query_url, self.policy).startswith("Oxigraph/")
            _clear_in_steps(self.graph, self.steps, self.policy)
        except BaseException as exc:  # handed to the caller, which raises it
            self.failure = exc
            return
        url = _graph_url(self.gsp_url, self.graph) + ("&no_transaction" if bulk else "")
        senders = [
            threading.Thread(target=self._post_steps, args=(url,), daemon=True)
            for _ in range(2 if bulk else 1)
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()

    def _post_steps(self, url: str) -> None:
        try:
            while (data := self.queue.get()) is not None:
                if self.failure:
                    continue  # another sender failed: drain until the end
                count = data.count(b"\n")
                with self.lock:
                    first, self.sent = self.sent + 1, self.sent + count
                headers = {"Content-Type": "application/n-triples", "Content-Length": str(len(data))}
                request = partial(Request, url, method="POST", headers=headers)
                what = f"add triples {first} to {first + count - 1} to graph <{self.graph}>"
                _write(request, data, self.policy.timeout_for(len(data)), self.policy, what, self.gsp_url)
                with self.lock:
                    self.done += count
                    if self.progress:
                        self.progress(self.graph, self.done, max(self.done, self.expected))
        except BaseException as exc:  # handed to the caller, which raises it
            self.failure = self.failure or exc
        finally:
            with contextlib.suppress(queue.Full):
                self.queue.put_nowait(None)  # the end, for the other sender


def push_quads(
    quads: Iterable[ox.Quad | ox.Triple],
    gsp_url: str,
    *,
    default_graph: str | None = None,
    policy: HttpPolicy | None = None,
    steps: Steps | None = None,
    progress: Progress | None = None,
    counts: Mapping[str, int] | None = None,
) -> list[Pushed]:
    """Replace, in the store at ``gsp_url``, each named graph of ``quads`` with its triples.

    Triples and quads of the default graph go into ``default_graph``, which is replaced
    even when no triple goes into it. A graph of more than ``steps.size`` triples is
    replaced in steps (without ``steps``: each graph in one ``PUT``); ``progress`` is told
    how far each graph has gone. All input is read before the first request, unless
    ``counts`` gives the number of quads of each graph, known from a first reading that
    found the whole input sound (:func:`push_file`): a graph of more than one step is then
    sent while the input is read.
    """
    policy = policy or HttpPolicy()
    if default_graph:
        graph_term(default_graph)  # refused before anything is read or sent
    streamed = {g for g, n in (counts or {}).items() if steps and n > steps.size}
    bodies: dict[str, _Body] = {}
    stepped: dict[str, tuple[_Lines, _Stepped]] = {}
    with ExitStack() as files:
        try:
            if default_graph and default_graph not in streamed:
                bodies[default_graph] = _Body(files.enter_context(tempfile.TemporaryFile()))
            for quad in quads:
                graph = target_graph(quad, default_graph)
                triple = quad.triple if isinstance(quad, ox.Quad) else quad
                if graph in streamed:
                    if graph not in stepped:
                        assert steps and counts
                        stepped[graph] = (
                            _Lines(),
                            _Stepped(gsp_url, graph, steps, policy, progress, counts[graph]),
                        )
                    lines, sender = stepped[graph]
                    if line := lines.line(triple):
                        sender.add(line)
                else:
                    if graph not in bodies:
                        bodies[graph] = _Body(files.enter_context(tempfile.TemporaryFile()))
                    bodies[graph].add(triple)
            pushed = []
            for lines, sender in stepped.values():
                for line in lines.held():
                    sender.add(line)
                pushed.append(sender.finish())
        except BaseException:
            for _, sender in stepped.values():
                sender.abandon()
            raise
        for graph, body in bodies.items():
            pushed.append(_push_body(gsp_url, graph, body, policy, steps, progress))
        return pushed


def _push_body(
    gsp_url: str, graph: str, body: _Body, policy: HttpPolicy, steps: Steps | None, progress: Progress | None
) -> Pushed:
    """Send a spooled graph: in one ``PUT``, or in steps when it has more than one."""
    size = body.finish()
    if steps is None or body.triples <= steps.size:
        pushed = _put_graph(gsp_url, graph, body, size, policy)
        if progress:
            progress(graph, body.triples, body.triples)
        return pushed
    sender = _Stepped(gsp_url, graph, steps, policy, progress, body.triples)
    try:
        body.file.seek(0)
        for line in body.file:
            sender.add(line)
        return sender.finish()
    except BaseException:
        sender.abandon()
        raise


def push_graph(
    graph: Graph,
    gsp_url: str,
    graph_iri: str = str(CORE_GRAPH),
    *,
    policy: HttpPolicy | None = None,
    steps: Steps | None = None,
) -> Pushed:
    """Replace the named graph ``graph_iri`` (default: the core graph) with ``graph``."""
    data = graph.serialize(format="nt", encoding="utf-8")
    return push_quads(
        ox.parse(data, ox.RdfFormat.N_TRIPLES), gsp_url, default_graph=graph_iri, policy=policy, steps=steps
    )[0]


def push_file(
    path: Path,
    gsp_url: str,
    *,
    graph_iri: str | None = None,
    policy: HttpPolicy | None = None,
    steps: Steps | None = None,
    progress: Progress | None = None,
) -> list[Pushed]:
    """Push an RDF file (N-Triples, N-Quads or any syntax pyoxigraph reads, by suffix,
    optionally gzip-compressed as ``.gz``), read as a stream: its named graphs keep their
    names, triples outside them go into ``graph_iri``. ``steps`` and ``progress`` as for
    :func:`push_quads`; with ``steps``, the file is read twice: first to check that all of
    it parses and to count each graph's quads, then to send, a graph of more than one step
    while it is read."""
    fmt = rdf_file_format(path)
    counts = None
    if steps:
        with parsed(path, fmt) as quads:
            by_name = Counter(map(attrgetter("graph_name"), quads))
        if ox.DefaultGraph() in by_name and not graph_iri:
            with parsed(path, fmt) as quads:
                target_graph(next(q for q in quads if q.graph_name == ox.DefaultGraph()), graph_iri, path)
        counts = Counter[str]()
        for name, count in by_name.items():
            counts[name.value if isinstance(name, ox.NamedNode) else str(graph_iri)] += count
    with parsed(path, fmt) as quads:
        return push_quads(
            quads,
            gsp_url,
            default_graph=graph_iri,
            policy=policy,
            steps=steps,
            progress=progress,
            counts=counts,
        )


def rdf_file_format(path: Path) -> ox.RdfFormat:
    """The RDF syntax of the file ``path`` by its suffix (``.gz`` aside), once it is found to
    exist and to be within the input limits; an :class:`OmsError` otherwise."""
    inner = path.name.removesuffix(".gz")
    fmt = ox.RdfFormat.from_extension(inner.rpartition(".")[2]) if "." in inner else None
    if fmt is None:
        raise OmsError(f"{path}: unknown RDF file suffix; use .nt, .nq or another RDF suffix (.gz allowed)")
    if not path.is_file():
        raise OmsError(f"{path}: no such file")
    check_rdf_file(path, fmt.media_type)  # pyoxigraph crashes on deep nesting, expands entities
    return fmt


@contextlib.contextmanager
def parsed(path: Path, fmt: ox.RdfFormat, *, shown: Path | None = None) -> Iterator[Iterator[ox.Quad]]:
    """The quads of ``path`` as pyoxigraph parses them; a syntax error is an :class:`OmsError`
    naming the file as ``shown`` (``path`` itself unless given)."""
    with path.open("rb") as raw, gzip.open(raw) if path.suffix == ".gz" else nullcontext(raw) as stream:
        try:
            yield ox.parse(cast(IO[bytes], stream), fmt)
        except (SyntaxError, OSError, EOFError) as exc:
            raise OmsError(
                f"{shown or path}: not valid {fmt.name}: {exc}; nothing of it was pushed"
            ) from None


def target_graph(quad: ox.Quad | ox.Triple, default_graph: str | None, where: Path | None = None) -> str:
    """The graph ``quad`` goes into: its own, else ``default_graph``; an :class:`OmsError`
    naming the file ``where`` it was read, when there is neither."""
    name = quad.graph_name if isinstance(quad, ox.Quad) else ox.DefaultGraph()
    if isinstance(name, ox.NamedNode):
        return name.value
    if isinstance(name, ox.DefaultGraph) and default_graph:
        return default_graph
    raise OmsError(
        f"{f'{where}: ' if where else ''}the triple {quad.subject} {quad.predicate} ... is outside a "
        "named graph and no graph IRI was given for such triples: name the graph of each in the "
        "file (N-Quads, as `omskg link --nquads` writes); nothing of it was pushed"
    )


def graph_term(iri: str) -> str:
    """``<iri>`` for query text, once pyoxigraph has found ``iri`` an absolute IRI: a graph IRI
    given on the command line must not close the ``<...>`` and write the rest of a query.

    >>> graph_term("https://w3id.org/omskg/graph/core")
    '<https://w3id.org/omskg/graph/core>'
    """
    try:
        return str(ox.NamedNode(iri))
    except ValueError as exc:
        raise OmsError(
            f"{iri!r} is not an absolute IRI ({exc}); give a graph IRI such as http://example.org/g"
        ) from None


def _graph_url(gsp_url: str, graph: str) -> str:
    return f"{gsp_url}{'&' if '?' in gsp_url else '?'}{urlencode({'graph': graph})}"


def _put_graph(gsp_url: str, graph: str, body: _Body, size: int, policy: HttpPolicy) -> Pushed:
    body.file.seek(0)
    headers = {"Content-Type": "application/n-triples", "Content-Length": str(size)}
    request = partial(Request, _graph_url(gsp_url, graph), method="PUT", headers=headers)
    _write(request, body.file, policy.timeout_for(size), policy, f"replace graph <{graph}>", gsp_url)
    return Pushed(graph, body.triples, size)


def _clear_in_steps(graph: str, steps: Steps, policy: HttpPolicy) -> None:
    """Delete every triple of ``graph``, ``steps.size`` at a time, until a count finds none."""
    delete = (
        f"DELETE {{ GRAPH {graph_term(graph)} {{ ?s ?p ?o }} }} WHERE {{ {{ SELECT ?s ?p ?o WHERE "
        f"{{ GRAPH {graph_term(graph)} {{ ?s ?p ?o }} }} LIMIT {steps.size} }} }}"
    ).encode()
    headers = {"Content-Type": "application/sparql-update", "Content-Length": str(len(delete))}
    request = partial(Request, steps.update_url, method="POST", headers=headers)
    timeout = policy.timeout_for(steps.size * BYTES_PER_TRIPLE)
    left = count_triples(steps.query_url, graph, policy=policy)
    while left:
        for _ in range(math.ceil(left / steps.size)):
            _write(
                request, delete, timeout, policy, f"delete old triples of graph <{graph}>", steps.update_url
            )
        before, left = left, count_triples(steps.query_url, graph, policy=policy)
        if left >= before:
            raise OmsError(
                f"{steps.update_url} deleted nothing of graph <{graph}> ({left} triples left); "
                "check that this URL takes SPARQL updates (--update-url)"
            )


def store_software(query_url: str, policy: HttpPolicy | None = None) -> str:
    """The ``Server`` header the store at ``query_url`` answers ``ASK {}`` with ("" if none)."""
    policy = policy or HttpPolicy()

    def ask() -> str:
        with urlopen(f"{query_url}?{urlencode({'query': 'ASK {}'})}", timeout=policy.timeout) as response:
            response.read()
            return str(response.headers.get("Server", ""))

    return _with_retries(ask, query_url, policy)


def _write(
    request: Callable[..., Request],
    data: IO[bytes] | bytes,
    timeout: float,
    policy: HttpPolicy,
    what: str,
    url: str,
) -> None:
    """Send one write (``request(data=...)``), again only after 429 or 503 (see the module)."""
    for attempt in range(1, policy.attempts + 1):
        if not isinstance(data, bytes):
            data.seek(0)
        try:
            with urlopen(request(data=data), timeout=timeout) as response:
                response.read()
            return
        except HTTPError as exc:
            failure = _http_failure(exc)
            if exc.code not in RETRY_WRITE or attempt == policy.attempts:
                raise OmsError(f"{url} did not {what}: {failure}") from None
            _pause(url, failure, _retry_after(exc.headers), attempt, policy)
        except URLError as exc:
            if isinstance(exc.reason, ConnectionRefusedError | gaierror):
                raise OmsError(
                    f"cannot connect to {url} ({exc.reason}), so did not {what}; check the URL"
                ) from None
            raise _unknown_outcome(url, what, exc.reason) from None
        except (OSError, http.client.HTTPException) as exc:
            raise _unknown_outcome(url, what, exc) from None
    raise AssertionError("unreachable: the last attempt returns or raises")


def _unknown_outcome(url: str, what: str, reason: object) -> OmsError:
    happened = "no answer in time" if isinstance(reason, TimeoutError) else _describe(reason)
    return OmsError(
        f"{url}: the request to {what} ended without an answer ({happened}): the store may or may "
        "not have done it; the push is idempotent, so run it again"
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
    http_url(query_url)
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
    text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph_term(graph_iri)} {{ ?s ?p ?o }} }}"
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
    # SPARQLWrapper guesses the kind from the words of the text, comments included ("add" in
    # a comment made it send a question as an update); only SELECT comes here
    sparql.queryType = SELECT
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
            tries = f"{attempt} attempt{'s' * (attempt != 1)}"
            raise OmsError(f"{url}: gave up after {tries}; the last one failed with {failure}")
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
