"""Federation guard: a query reaches outside the project's own graphs only when asked to.

``SERVICE`` sends part of a query to another endpoint, ``LOAD`` makes the store fetch
a document, and ``FROM`` / ``FROM NAMED`` (``USING`` / ``USING NAMED`` in updates) can
make a store, rdflib included, dereference the IRI it names. :func:`check_query`
refuses all of them before anything is sent, unless the IRI names one of the
project's graphs (``https://w3id.org/omskg/graph/...``) or its endpoint was allowed.

The text is read by rdflib's SPARQL parser: ``\\u`` / ``\\U`` escapes are decoded
before parsing (as the SPARQL grammar requires), keywords match in any case, and a
keyword inside a string literal, an IRI or a comment is no keyword at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from pyparsing import ParseResults
from rdflib import URIRef, Variable
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
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


def check_query(text: str, allowed: frozenset[str] = frozenset()) -> None:
    """Raise :class:`OmsError` when ``text`` (a query or an update) names, in ``SERVICE``,
    ``LOAD``, ``FROM`` / ``FROM NAMED`` or ``USING``, an IRI that is neither one of the
    project's graphs nor at an endpoint in ``allowed``.

    An IRI's endpoint is the IRI without its query string and fragment; ``allowed``
    holds endpoint URLs (``--allow-service``). ``SERVICE ?variable`` is always refused:
    where it would go is known only while the query runs. Prefixed names resolve
    through the query's own ``PREFIX`` lines, then the project's prefix map.

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
        if target.startswith(PROJECT_GRAPHS) or _endpoint(target) in endpoints:
            continue
        raise OmsError(
            f"refused to send {keyword} <{target}>: federation is opt-in; "
            f"allow the endpoint with --allow-service {_endpoint(target)}"
        )


@lru_cache(maxsize=64)
def parse_request(text: str) -> list[tuple[ParseResults, CompValue]]:
    """rdflib's parse tree of a query or an update: (prologue, query or operation) pairs.

    Kept for the last texts seen, so a caller can read the tree the guard just checked
    without parsing again; callers must not change it.
    """
    try:
        parsed = parseQuery(text)
        return [(parsed[0], parsed[1])]
    except Exception as query_error:  # pyparsing raises several kinds; try it as an update
        try:
            update = parseUpdate(text)
        except Exception:
            first = str(query_error).splitlines()[0] if str(query_error) else type(query_error).__name__
            raise OmsError(f"not valid SPARQL, so it cannot be checked before sending: {first}") from None
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
