"""Competency questions: named SPARQL queries in ``queries/``, run with bound parameters.

A query file starts with ``#+ summary: <the question>`` and may declare
``#+ tags:``, ``#+ columns:``, ``#+ params:`` (what each parameter means) and
``#+ example: _name=value ...`` (the parameter values its expected answer uses).

Parameters follow the grlc convention: a variable ``?_name`` is bound to a plain
literal, ``?_name_iri`` to an IRI (given as a CURIE or a full IRI). Values are
bound through rdflib's ``initBindings``, never pasted into the query text. Each file
declares the prefixes it uses with its own ``PREFIX`` lines, generated from
``ontology/prefixes.csv`` (:func:`standalone_text`), so it runs as it is in any engine.
"""

from __future__ import annotations

import csv
import difflib
import io
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.query import Result
from rdflib.term import Node

from omskg.errors import OmsError
from omskg.paths import project_root
from omskg.prefixes import load_prefix_map
from omskg.sparql_guard import MAX_QUERY_CHARS, check_query, check_shape

_PARAM = re.compile(r"\?(_[A-Za-z0-9_]+)")
_HEADER = re.compile(r"^#\+\s*(\w+):\s*(.*)$")
FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class NamedQuery:
    """A query file: its name, the question it answers, its parameters and its text."""

    name: str
    path: Path
    summary: str
    tags: tuple[str, ...]
    parameters: tuple[str, ...]
    example: dict[str, str]
    text: str


@dataclass(frozen=True)
class Table:
    """Query answer: column names and rows of RDF terms (None for unbound)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Node | None, ...], ...]


def read_query(path: Path) -> NamedQuery:
    """Parse a ``.rq`` file and its ``#+`` header; a file longer than
    :data:`~omskg.sparql_guard.MAX_QUERY_CHARS` characters is refused without reading the rest."""
    with path.open(encoding="utf-8") as handle:
        text = handle.read(MAX_QUERY_CHARS + 1)
    if len(text) > MAX_QUERY_CHARS:
        raise OmsError(
            f"{path}: longer than {MAX_QUERY_CHARS:,} characters, the limit for a query; "
            "shorten it or split it into several queries"
        )
    header: dict[str, str] = {}
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if match:
            header[match.group(1)] = match.group(2).strip()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    params = tuple(dict.fromkeys(_PARAM.findall(body)))
    tags = tuple(t.strip() for t in header.get("tags", "").split(",") if t.strip())
    example = dict(item.split("=", 1) for item in header.get("example", "").split() if "=" in item)
    return NamedQuery(path.stem, path, header.get("summary", ""), tags, params, example, text)


def list_queries(root: Path | None = None, *, folder: str = "cq") -> list[NamedQuery]:
    """Every query of ``queries/<folder>``, sorted by file name."""
    directory = (root or project_root()) / "queries" / folder
    return [read_query(path) for path in sorted(directory.glob("*.rq"))]


#: The folders of named queries: competency questions on the core graph, and questions
#: that need the linked HPO dataset (``omskg link``, then ``omskg query NAME --store DIR``).
QUERY_FOLDERS = ("cq", "linked")


def find_query(name_or_path: str, root: Path | None = None) -> NamedQuery:
    """A query by file path, or by name (with or without the ``NN-`` number) in one of
    :data:`QUERY_FOLDERS`."""
    path = Path(name_or_path)
    if path.suffix == ".rq" and path.is_file():
        return read_query(path)
    by_name: dict[str, NamedQuery] = {}
    for query in (q for folder in QUERY_FOLDERS for q in list_queries(root, folder=folder)):
        for key in (query.name, query.name.split("-", 1)[-1]):
            by_name.setdefault(key, query)  # the first question of that name, as before
    if name_or_path in by_name:
        return by_name[name_or_path]
    matches = difflib.get_close_matches(name_or_path, list(by_name), n=3)
    close = dict.fromkeys(by_name[m].name for m in matches)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise OmsError(f"no query named {name_or_path!r}; {hint}`omskg query --list` shows them")


def bind_value(parameter: str, value: str) -> URIRef | Literal:
    """The RDF term for a parameter value: an IRI for ``*_iri`` parameters, else a literal.

    >>> bind_value("_entity_iri", "omse:oms")
    rdflib.term.URIRef('https://w3id.org/omskg/entity/oms')
    >>> bind_value("_label", 'say "hi"')
    rdflib.term.Literal('say "hi"')
    """
    if not parameter.endswith("_iri"):
        return Literal(value)
    prefixes = load_prefix_map()
    if re.fullmatch(r"[A-Za-z][\w.-]*:[^\s<>\"{}|\\^`]*", value) and not value.startswith("http"):
        return URIRef(prefixes.expand(value))
    if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", value):
        return URIRef(value)
    raise OmsError(f"parameter {parameter} needs an IRI or CURIE, got {value!r}")


def bind_parameters(query: NamedQuery, params: dict[str, str]) -> dict[str, URIRef | Literal]:
    """The term of each parameter of ``query`` (see :func:`bind_value`); every declared
    parameter is required and no other is accepted."""
    given = {key if key.startswith("_") else f"_{key}": value for key, value in params.items()}
    unknown = sorted(set(given) - set(query.parameters))
    if unknown:
        raise OmsError(
            f"{query.name}: unknown parameter(s) {', '.join(unknown)}; "
            f"it takes {', '.join(query.parameters) or 'none'}"
        )
    missing = [p for p in query.parameters if p not in given]
    if missing:
        example = " ".join(f"--param {p}={query.example[p]}" for p in missing if p in query.example)
        hint = f"; for example {example}" if example else ""
        raise OmsError(f"{query.name}: parameter(s) {', '.join(missing)} needed (--param NAME=VALUE){hint}")
    return {name: bind_value(name, value) for name, value in given.items()}


def run_query(graph: Graph, query: NamedQuery, params: dict[str, str] | None = None) -> Table:
    """Run ``query`` over ``graph`` with ``params`` bound; every declared parameter is required.

    Its length and nesting are checked before rdflib parses it
    (:func:`omskg.sparql_guard.check_shape`), and it may not reach beyond the project's
    graphs (:func:`omskg.sparql_guard.check_query`).
    """
    bindings = bind_parameters(query, params or {})
    check_shape(query.text)
    prefixes = load_prefix_map()
    try:
        prepared = prepareQuery(query.text, initNs=prefixes.uri_prefixes)
    except RecursionError:
        raise _out_of_stack(query) from None
    except Exception as exc:  # rdflib raises pyparsing errors of several kinds
        raise OmsError(f"{query.path}: not valid SPARQL: {str(exc).splitlines()[0]}") from None
    check_query(query.text)  # no SERVICE, LOAD or FROM beyond the project's graphs
    try:
        result: Result = graph.query(prepared, initBindings=bindings)
        columns = tuple(str(v) for v in (result.vars or []))
        rows = tuple(tuple(row) for row in result)  # type: ignore[arg-type]
    except RecursionError:
        raise _out_of_stack(query) from None
    return Table(columns, rows)


def _out_of_stack(query: NamedQuery) -> OmsError:
    return OmsError(
        f"{query.path}: rdflib ran out of stack on this query (deep nesting, or a long chain of "
        "UNION, OPTIONAL, triple patterns or operators); simplify it or split it"
    )


def cell(term: Node | None) -> str:
    """A term as a table or CSV cell: CURIE for IRIs, lexical form for literals."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return load_prefix_map().curie(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def format_table(table: Table, fmt: str = "table") -> str:
    """Render as an aligned text table, CSV (CURIEs), or SPARQL 1.1 results JSON."""
    if fmt == "json":
        return json.dumps(_sparql_json(table), indent=1, ensure_ascii=False) + "\n"
    rows = [[cell(v) for v in row] for row in table.rows]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows(rows)
        return out.getvalue()
    if fmt != "table":
        raise OmsError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(table.columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(table.columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _sparql_json(table: Table) -> dict[str, object]:
    def term(value: Node) -> dict[str, str]:
        if isinstance(value, URIRef):
            return {"type": "uri", "value": str(value)}
        if isinstance(value, BNode):
            return {"type": "bnode", "value": str(value)}
        assert isinstance(value, Literal)
        out = {"type": "literal", "value": str(value)}
        if value.language:
            out["xml:lang"] = value.language
        elif value.datatype:
            out["datatype"] = str(value.datatype)
        return out

    bindings = [
        {col: term(v) for col, v in zip(table.columns, row, strict=True) if v is not None}
        for row in table.rows
    ]
    return {"head": {"vars": list(table.columns)}, "results": {"bindings": bindings}}


# SPARQL tokens that may hold a '?' or '$' that is no variable, and variables themselves.
_TOKEN = re.compile(
    r"""(?P<skip>\#[^\n\r]*
      | '''(?:[^'\\]|\\.|'(?!''))*''' | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
      | '(?:[^'\\\n\r]|\\.)*' | "(?:[^"\\\n\r]|\\.)*"
      | <[^<>"{}|^`\\\x00-\x20]*>
      | \\.)
    | (?P<var>[?$]\w+)""",
    re.VERBOSE | re.DOTALL,
)


def substitute_parameters(text: str, bindings: Mapping[str, URIRef | Literal]) -> str:
    """``text`` with each variable ``?name`` / ``$name`` of ``bindings`` replaced by the
    N-Triples form of its term.

    This is pre-binding, the semantics of rdflib's ``initBindings`` and of SEP-0007
    substitution (pyoxigraph's ``substitutions``): the term stands wherever the variable
    stood, subqueries included, before the query is evaluated. The SPARQL Protocol has
    no parameters, so the term is written into the text. Variables are found by a small
    tokenizer that skips comments, string literals and IRIs. The text must be trusted
    (the project's own query files); the values need not be: they are validated terms,
    written so that no quote, bracket or escape can end the literal or IRI early (see
    :func:`_sparql_term`). A parameter variable must not be projected by ``SELECT`` (it
    would become a constant there).

    >>> substitute_parameters('SELECT * { ?s ?_x "?_x" } # ?_x', {"_x": Literal('a"b')})
    'SELECT * { ?s "a\\\\"b" "?_x" } # ?_x'
    """
    return _substituted(text, tuple(sorted(bindings.items())))


@lru_cache(maxsize=256)
def _substituted(text: str, bindings: tuple[tuple[str, URIRef | Literal], ...]) -> str:
    """:func:`substitute_parameters`, kept for the texts and values seen last: an interactive
    session or a server asks the same question with the same values again and again."""
    terms = dict(bindings)

    def replace(match: re.Match[str]) -> str:
        name = match.group("var")
        if name and name[1:] in terms:
            return _sparql_term(terms[name[1:]])
        return match.group(0)

    return _TOKEN.sub(replace, text)


_STRING_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",  # rdflib's parser would expand a raw tab into spaces
    "\b": "\\b",
    "\f": "\\f",
}


def _sparql_term(term: URIRef | Literal) -> str:
    r"""The N-Triples form of a term, written so that every SPARQL engine reads it back.

    SPARQL decodes ``\uXXXX`` escapes before parsing, and engines differ on what that
    means after an escaped backslash (rdflib decodes ``\\u0022`` to ``\"``, Oxigraph
    keeps it). A ``u`` or ``U`` that follows a backslash of the value is therefore
    written as its own 8-digit escape, ``\U00000075``, which all of them decode alike.
    Other characters are written as themselves; quote, backslash, line breaks, tab,
    backspace and form feed as their SPARQL escapes.

    >>> print(_sparql_term(Literal('a"\\u0022')))
    "a\"\\\U000000750022"
    """
    if isinstance(term, URIRef):
        return str(ox.NamedNode(str(term)))  # validated IRI, in angle brackets
    body = re.sub(
        r'\\([uU])|[\\"\n\r\t\b\f]',
        lambda m: f"\\\\\\U{ord(m.group(1)):08X}" if m.group(1) else _STRING_ESCAPES[m.group(0)],
        str(term),
    )
    if term.language:
        return f'"{body}"@{term.language}'
    if term.datatype and term.datatype != XSD.string:
        return f'"{body}"^^{ox.NamedNode(str(term.datatype))}'
    return f'"{body}"'


# --- standalone query files ---------------------------------------------------------------

_PREFIX_DECLARATION = re.compile(r"(?im)^[ \t]*PREFIX[ \t]+([A-Za-z][\w.-]*)?:[ \t]*<([^>\s]*)>[ \t]*\n?")
_PREFIXED_NAME = re.compile(r"(?<![\w.:?$-])([A-Za-z](?:[\w.-]*\w)?)?:")


def declared_prefixes(text: str) -> dict[str, str]:
    """The prefixes ``text`` declares with its own ``PREFIX`` lines, by name."""
    return {m.group(1) or "": m.group(2) for m in _PREFIX_DECLARATION.finditer(text)}


def used_prefixes(text: str) -> list[str]:
    """The prefix names ``text`` uses in prefixed names, outside comments, strings and IRIs,
    in the order of first use."""
    code = _TOKEN.sub(lambda m: " " if m.group("skip") else m.group(0), _PREFIX_DECLARATION.sub("", text))
    return list(dict.fromkeys(m.group(1) or "" for m in _PREFIXED_NAME.finditer(code)))


def standalone_text(text: str, *, source: str = "query") -> str:
    """``text`` as a standalone query: its leading comment lines (the ``#+`` header grlc reads),
    then a ``PREFIX`` line for each prefix it uses, in the order of ``ontology/prefixes.csv``,
    then the query. Any earlier ``PREFIX`` lines are replaced, so that the file stays in step
    with the prefix map (``make query-prefixes`` rewrites the files; a test holds them to it).

    >>> print(standalone_text("# a question\\nSELECT ?x { ?x a oms:Condition }"), end="")
    # a question
    PREFIX oms: <https://w3id.org/omskg/vocab/>
    SELECT ?x { ?x a oms:Condition }
    """
    known = load_prefix_map().uri_prefixes
    unknown = [p for p in used_prefixes(text) if p not in known]
    if unknown:
        raise OmsError(
            f"{source}: prefix(es) {', '.join(f'{p}:' for p in unknown)} not in ontology/prefixes.csv; "
            "add them there or write the IRIs in full"
        )
    lines = _PREFIX_DECLARATION.sub("", text).splitlines()
    header = list(itertools.takewhile(lambda line: line.startswith("#"), lines))
    used = set(used_prefixes(text))
    declarations = [f"PREFIX {p}: <{uri}>" for p, uri in known.items() if p in used]
    return "\n".join(header + declarations + lines[len(header) :]) + "\n"


def unknown_iris(graph: Graph, bindings: Mapping[str, URIRef | Literal]) -> list[str]:
    """The IRI values of ``bindings`` that occur nowhere in ``graph`` (a question about them
    has an empty answer: worth a warning, likely a typing slip)."""
    return [
        load_prefix_map().curie(str(term))
        for term in bindings.values()
        if isinstance(term, URIRef) and (term, None, None) not in graph and (None, None, term) not in graph
    ]


def example_text(query: NamedQuery) -> str:
    """The question ready to run anywhere: its example parameter values written in (a file of
    :data:`QUERY_FOLDERS` declares its own prefixes)."""
    return substitute_parameters(query.text, bind_parameters(query, query.example))


def write_standalone(root: Path | None = None) -> list[Path]:
    """Rewrite every query file of :data:`QUERY_FOLDERS` as :func:`standalone_text`; return
    the files that changed."""
    changed = []
    for folder in QUERY_FOLDERS:
        for query in list_queries(root, folder=folder):
            text = standalone_text(query.text, source=str(query.path))
            if text != query.text:
                query.path.write_text(text, encoding="utf-8")
                changed.append(query.path)
    return changed
