"""Federation guard: a query reaches outside the project's own graphs only when asked to.

``SERVICE`` sends part of a query to another endpoint, ``LOAD`` makes the store fetch
a document, and ``FROM`` / ``FROM NAMED`` (``USING`` / ``USING NAMED`` in updates) can
make a store, rdflib included, dereference the IRI it names. :func:`check_query`
refuses all of them before anything is sent, unless its endpoint was allowed or, for
``FROM`` and ``USING`` only, the IRI names one of the project's graphs
(``https://w3id.org/omskg/graph/...``).

The text is read by rdflib's SPARQL parser: ``\\u`` / ``\\U`` escapes are decoded
before parsing (as the SPARQL grammar requires), keywords match in any case, and a
keyword inside a string literal, an IRI or a comment is no keyword at all.

Before any parser sees a text, :func:`check_shape` bounds its length and how deeply
it nests brackets: rdflib's parser recurses once per level and pyoxigraph's overflows
the C stack, killing the process, at a few thousand levels.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from functools import lru_cache
from heapq import heappop, heappush

from pyparsing import ParseResults
from rdflib import URIRef, Variable
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import expandUnicodeEscapes, parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Prologue

from omskg.errors import OmsError
from omskg.prefixes import OMSG, load_prefix_map

PROJECT_GRAPHS = str(OMSG)
# Parse-tree node -> (the clause as written in SPARQL, the keys that can hold its IRI).
_OUTWARD = {
    "ServiceGraphPattern": ("SERVICE", ("term",)),
    "Load": ("LOAD", ("iri",)),
    "DatasetClause": ("FROM", ("default", "named")),
    "UsingClause": ("USING", ("default", "named")),
}
# Clauses that only choose among the graphs a store holds (``LOAD`` and ``SERVICE`` fetch).
_DATASET_KEYWORDS = ("FROM", "USING")
#: The longest query text accepted, in characters. rdflib parses an ordinary query of
#: this length (a VALUES list of 16,000 IRIs) in about 2 s.
MAX_QUERY_CHARS = 500_000
#: The deepest nesting of ``{ }``, ``( )`` and ``[ ]`` (counted together) accepted; the
#: deepest of ``queries/`` has 20 levels. rdflib's parser gives up (RecursionError) beyond
#: about 25 levels of parentheses, 35 of braces or 60 of blank nodes; pyoxigraph crashes
#: the process (stack overflow) beyond about 2,500.
MAX_QUERY_DEPTH = 64

# Where a reading of the text can change: a bracket, a comment, a string, an IRI or a
# less-than sign, an escaped character of a prefixed name.
_SIGNIFICANT = re.compile(r"""[{}()\[\]#'"<\\]""")
_OPENING = re.compile(r"[{(\[](?:\s*[{(\[])*")
_CLOSING = re.compile(r"[})\]](?:\s*[})\]])*")
_LINE_BREAK = re.compile(r"[\n\r]")
_ESCAPE = r"""\\(?:[tbnrf"'\\]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})"""
_STRING = re.compile(
    "|".join(
        (
            "'''(?:(?:''?)?(?:[^'\\\\]|" + _ESCAPE + "))*'''",
            '"""(?:(?:""?)?(?:[^"\\\\]|' + _ESCAPE + '))*"""',
            "'(?:[^'\\\\\\n\\r]|" + _ESCAPE + ")*'",
            '"(?:[^"\\\\\\n\\r]|' + _ESCAPE + ')*"',
        )
    )
)
_IRI = re.compile(r"""<(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>""")
_UNICODE_ESCAPE = re.compile(r"\\[uU]")


class EmptyRequest(OmsError):
    """A text of only comments, prefixes or nothing: no query and no update operation."""


def check_query(text: str, allowed: frozenset[str] = frozenset()) -> None:
    """Raise :class:`OmsError` when ``text`` (a query or an update) names, in ``SERVICE``
    or ``LOAD``, an IRI that is not at an endpoint in ``allowed``, or, in ``FROM`` /
    ``FROM NAMED`` or ``USING``, an IRI that is neither one of the project's graphs nor at
    an endpoint in ``allowed``. ``SERVICE`` and ``LOAD`` fetch whatever they name, the
    project's own IRIs included (they resolve on the web), so those pass only when allowed.

    An IRI's endpoint is the IRI without its query string and fragment; ``allowed``
    holds endpoint URLs (``--allow-service``). ``SERVICE ?variable`` is always refused:
    where it would go is known only while the query runs. Prefixed names resolve
    through the query's own ``PREFIX`` lines, then the project's prefix map. A text
    longer or more deeply nested than :func:`check_shape` allows is refused before
    it is parsed.

    >>> check_query("SELECT * { ?s ?p ?o } # SERVICE <http://example.org/sparql>")
    >>> check_query("SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    Traceback (most recent call last):
    omskg.errors.OmsError: refused to send SERVICE <http://example.org/sparql>: federation is opt-in; \
allow the endpoint with --allow-service http://example.org/sparql
    """
    endpoints = {_endpoint(url) for url in allowed}
    for keyword, target in outward_references(text):
        if isinstance(target, Variable):
            raise OmsError(
                f"refused to send {keyword} ?{target}: its endpoint is known only while the query runs; "
                "name the endpoint IRI instead"
            )
        if _endpoint(target) in endpoints:
            continue
        if target.startswith(PROJECT_GRAPHS) and keyword.startswith(_DATASET_KEYWORDS):
            continue  # a graph of the project's own: the store holds it, nothing is fetched
        raise OmsError(
            f"refused to send {keyword} <{target}>: federation is opt-in; "
            f"allow the endpoint with --allow-service {_endpoint(target)}"
        )


def check_shape(text: str, *, max_chars: int = MAX_QUERY_CHARS, max_depth: int = MAX_QUERY_DEPTH) -> None:
    """Raise :class:`OmsError` when ``text`` is longer than ``max_chars`` characters, or nests
    ``{ }``, ``( )`` and ``[ ]`` (counted together, outside strings and comments) deeper
    than ``max_depth``.

    No parser is involved, and the time grows with the length (about 0.5 s for the longest
    text allowed). Depth is measured on the text as written (Oxigraph reads ``\\u`` escapes
    only inside strings and IRIs) and, when it holds such escapes, on the text with all of
    them decoded (as rdflib reads it). Brackets inside an IRI count, since the ``<`` might
    be a less-than sign (see :func:`_deepest`).

    >>> check_shape("SELECT * { FILTER((?x)) }", max_depth=3)
    >>> check_shape("SELECT * {\\n  FILTER(((?x))) }", max_depth=3)
    Traceback (most recent call last):
    omskg.errors.OmsError: the query nests brackets 4 levels deep (line 2), over the limit of 3; \
write it with fewer levels of { }, ( ) and [ ]
    """
    if len(text) > max_chars:
        raise OmsError(
            f"the query is {len(text):,} characters long, over the limit of {max_chars:,}; "
            "shorten it or split it into several queries"
        )
    readings = [text]
    if _UNICODE_ESCAPE.search(text):
        with suppress(ValueError):  # an escape of no code point: rdflib refuses the text unparsed
            readings.append(expandUnicodeEscapes(text))
    for reading in readings:
        depth, offset = _deepest(reading)
        if depth > max_depth:
            line = reading.count("\n", 0, offset) + 1
            raise OmsError(
                f"the query nests brackets {depth:,} levels deep (line {line}), over the limit of "
                f"{max_depth}; write it with fewer levels of {{ }}, ( ) and [ ]"
            )


def _deepest(text: str) -> tuple[int, int]:
    """The deepest nesting of brackets outside strings and comments, and the offset of the
    bracket that first reaches it.

    Whether ``<`` starts an IRI or is a less-than sign depends on the grammar around it
    (``?s<p>?o`` in a pattern, ``?a<?b`` in a FILTER), and an IRI may hold ``#`` and ``'``,
    so the two readings can disagree about comments and strings for the rest of the text.
    Both are followed, so that no nesting hides behind an ambiguous ``<`` (brackets inside
    an IRI therefore count too). A reading is the offset of its next significant character
    and its depth; readings are followed in the order of their offsets, and readings that
    meet at an offset go on as one, with the larger depth, so each offset is read once.
    """
    frontier: dict[int, int] = {}  # offset -> depth of the readings waiting there
    pending: list[int] = []  # the same offsets, as a heap

    def wait(offset: int, depth: int) -> None:
        found = _SIGNIFICANT.search(text, offset)
        if found is None:
            return
        at = found.start()
        if at not in frontier:
            frontier[at] = depth
            heappush(pending, at)
        elif depth > frontier[at]:
            frontier[at] = depth

    deepest = where = 0
    line_end = -1
    wait(0, 0)
    while pending:
        offset = heappop(pending)
        depth = frontier.pop(offset)
        while True:  # follow this reading until it reaches the next one waiting
            char = text[offset]
            if char in "{([":
                run = _OPENING.match(text, offset)
                assert run is not None
                resume = min(run.end(), pending[0]) if pending else run.end()
                brackets = text[offset:resume]
                depth += sum(map(brackets.count, "{(["))
                if depth > deepest:
                    deepest, where = depth, offset + max(map(brackets.rfind, "{(["))
            elif char in "})]":
                run = _CLOSING.match(text, offset)
                assert run is not None
                resume = min(run.end(), pending[0]) if pending else run.end()
                depth = max(depth - sum(map(text[offset:resume].count, "})]")), 0)
            elif char == "#":
                if offset > line_end:  # else this comment ends where the last one did
                    found = _LINE_BREAK.search(text, offset)
                    line_end = found.start() if found else len(text)
                resume = line_end
            elif char == "\\":  # outside strings and IRIs, a prefixed name's escape: \( is no bracket
                resume = offset + 2
            elif char == "<":
                iri = _IRI.match(text, offset)
                if iri:
                    wait(iri.end(), depth)
                resume = offset + 1
            else:
                literal = _STRING.match(text, offset)
                resume = literal.end() if literal else offset + 1
            following = _SIGNIFICANT.search(text, resume)
            if following is None:
                break
            offset = following.start()
            if pending and pending[0] <= offset:
                wait(offset, depth)
                break
    return deepest, where


@lru_cache(maxsize=64)
def parse_request(text: str) -> list[tuple[ParseResults, CompValue]]:
    """rdflib's parse tree of a query or an update: (prologue, query or operation) pairs.

    Kept for the last texts seen, so a caller can read the tree the guard just checked
    without parsing again; callers must not change it. The text passes :func:`check_shape`
    first.
    """
    check_shape(text)
    try:
        parsed = parseQuery(text)
        return [(parsed[0], parsed[1])]
    except Exception as query_error:  # pyparsing raises several kinds; try it as an update
        try:
            update = parseUpdate(text)
        except Exception:
            if isinstance(query_error, RecursionError):
                raise OmsError(
                    "the query nests brackets more deeply than rdflib's SPARQL parser can follow; "
                    "write it with fewer levels"
                ) from None
            first = str(query_error).splitlines()[0] if str(query_error) else type(query_error).__name__
            raise OmsError(f"not valid SPARQL, so it cannot be checked before sending: {first}") from None
        if update.request is None:  # rdflib's reading of a text with no operation at all
            raise EmptyRequest("not valid SPARQL: the text holds no query and no update operation") from None
        return list(zip(update.prologue, update.request, strict=False))


@lru_cache(maxsize=256)
def outward_references(text: str) -> tuple[tuple[str, URIRef | Variable], ...]:
    """Every ``SERVICE``, ``LOAD``, ``FROM`` / ``FROM NAMED`` and ``USING`` target of a
    query or update, in the order written, with prefixed names resolved.

    Kept for the texts seen last: resolving the prologue costs several times what the
    query itself costs on the embedded store (``bench/engines.py``)."""
    prefixes = load_prefix_map().uri_prefixes
    units = parse_request(text)
    found: list[tuple[str, URIRef | Variable]] = []
    prologue: Prologue | None = None
    for declarations, body in units:
        # Later operations of an update see the PREFIX lines of earlier ones.
        prologue = translatePrologue(declarations, None, None if prologue else prefixes, prologue)
        for keyword, term in _walk(body):
            found.append((keyword, term if isinstance(term, Variable) else _resolve(prologue, term)))
    return tuple(found)


def _walk(node: object) -> Iterator[tuple[str, object]]:
    """Depth-first over rdflib's parse tree, yielding (keyword, term) for outward clauses."""
    if isinstance(node, CompValue):
        clause = _OUTWARD.get(node.name)
        if clause:
            keyword, keys = clause
            for key in keys:
                if key in node:
                    yield (f"{keyword} NAMED" if key == "named" else keyword), node[key]
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, ParseResults | list | tuple):
        for item in node:
            yield from _walk(item)


def _resolve(prologue: Prologue, term: object) -> URIRef:
    try:
        resolved = prologue.absolutize(term)  # type: ignore[arg-type]
    except Exception as exc:  # rdflib raises a bare Exception for an unknown prefix
        raise OmsError(f"cannot check the query before sending: {exc}") from None
    if not isinstance(resolved, URIRef):
        raise OmsError(f"cannot check the query before sending: {term!r} is not an IRI")
    return resolved


def _endpoint(iri: str) -> str:
    return iri.split("#", 1)[0].split("?", 1)[0]
