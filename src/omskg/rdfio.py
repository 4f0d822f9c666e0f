"""Reading RDF files the way the project needs: lexical forms kept, format named by suffix.

rdflib rewrites typed literals into a canonical lexical form when it builds them
(``"PT36H"^^xsd:duration`` becomes ``P1DT12H``, ``"007"^^xsd:integer`` becomes
``7``), unless ``rdflib.NORMALIZE_LITERALS`` is off. The project keeps what the
data says, byte for byte, so every parse it does runs inside
:func:`lexical_forms_kept`.

:func:`read_graph` is the one reader of RDF files a user can supply (``omskg diff``,
a release's dataset description): it checks them with :mod:`omskg.input_limits`
before rdflib sees them, and refuses IRIs left relative.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import rdflib
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.parser import InputSource, PythonInputSource, StringInputSource
from rdflib.term import Node

from omskg.errors import OmsError
from omskg.input_limits import (
    NESTING_ENV,
    RDF_BYTES_ENV,
    InputRefused,
    Limit,
    check_jsonld_document,
    check_rdfxml,
    check_turtle_nesting,
    decode_utf8,
    limit,
    load_json,
    no_network,
    read_limited,
)

# File suffix -> rdflib parser name.
FORMATS = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".trig": "trig",
    ".nq": "nquads",
    ".jsonld": "json-ld",
    ".rdf": "xml",
}

# The base every file is parsed against, so that an IRI left relative can be found and
# refused (rdflib would otherwise resolve it against the file's own file:// IRI). The
# .invalid top-level domain is reserved and never names a real host (RFC 2606); the
# scheme is S-HTTP's, which no RDF uses, and which Python's urljoin (and so each of
# rdflib's parsers) resolves like http: so every reference resolved against the base
# keeps its scheme: `<a>`, `<../../x>` climbing above the path, `</x>` and `<//host/x>`,
# which takes its host from the reference and only its scheme from the base.
NO_BASE = "shttp://omskg.invalid/no-base/"
_RESOLVED = "shttp:"


@contextmanager
def lexical_forms_kept() -> Iterator[None]:
    """Switch off rdflib's literal normalisation for the duration of the block.

    >>> from rdflib import XSD, Literal
    >>> with lexical_forms_kept():
    ...     str(Literal("PT36H", datatype=XSD.duration))
    'PT36H'
    >>> str(Literal("PT36H", datatype=XSD.duration))
    'P1DT12H'
    """
    saved = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = saved


def read_graph(path: Path, *, max_bytes: int | None = None, max_depth: int | None = None) -> Graph:
    """Parse an RDF file (format from its suffix) into one graph: the union of its named graphs.

    The file may come from anyone, so it is checked before rdflib sees it (see
    :mod:`omskg.input_limits`): at most ``max_bytes`` of UTF-8, brackets, JSON arrays and
    objects or XML elements nested at most ``max_depth`` deep, no DOCTYPE or ENTITY in
    RDF/XML, no JSON-LD context loaded from elsewhere. A relative IRI must have a base
    declared in the file; it is never resolved against the file's location. Each refusal
    is an :class:`~omskg.input_limits.InputRefused` naming the file and line.
    """
    fmt = FORMATS.get(path.suffix)
    if fmt is None:
        raise OmsError(f"{path}: unknown RDF file suffix; use one of {', '.join(sorted(FORMATS))}")
    if not path.is_file():
        raise OmsError(f"{path}: no such file")
    name = str(path)
    text = decode_utf8(
        read_limited(path, name, limit(max_bytes, RDF_BYTES_ENV, "max_bytes"), "RDF input"), name
    )
    source = _checked(text, fmt, name, limit(max_depth, NESTING_ENV, "max_depth"))
    source.setPublicId(NO_BASE)
    dataset = Dataset(default_union=True)
    with no_network(name, text, NO_BASE):  # no parser reads anything but the file
        try:
            with lexical_forms_kept():
                dataset.parse(source=source, format=fmt)
        except Exception as exc:  # parsers raise many kinds; report the file and the first line
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise OmsError(f"{path}: not valid {fmt}: {first}") from None
    graph = Graph()
    for quad in dataset.quads((None, None, None, None)):
        _refuse_relative(quad, text, name)
        graph.add(quad[:3])
    return graph


def _checked(text: str, fmt: str, name: str, max_depth: Limit) -> InputSource:
    """What rdflib is given to parse, once the checks of its syntax pass: the text, or
    for JSON-LD the very document the checks read (so that rdflib parses nothing else,
    and need not parse the JSON again)."""
    if fmt == "json-ld":
        document = load_json(text, name, max_depth)
        check_jsonld_document(document, text, name)
        return PythonInputSource(document)
    if fmt == "xml":
        check_rdfxml(text, name, max_depth)
    else:
        check_turtle_nesting(text, name, max_depth)
    return StringInputSource(text)


def _refuse_relative(quad: tuple[Node | None, ...], text: str, name: str) -> None:
    """Refuse a quad with an IRI (or datatype IRI) resolved against :data:`NO_BASE`."""
    for term in quad:
        iri = term.datatype if isinstance(term, Literal) else term
        if isinstance(iri, URIRef) and iri.startswith(_RESOLVED):
            relative, line = _as_written(str(iri), text)
            raise InputRefused(
                name,
                line,
                f"the relative IRI <{relative}> has no base to resolve against, and omskg does not use "
                "the file's location; write the IRI in full or declare an absolute base "
                "(@base in Turtle, TriG or a JSON-LD context, xml:base in RDF/XML)",
            )


# An IRI in angle brackets (Turtle, TriG) or a quoted string (JSON-LD, RDF/XML attributes).
_REFERENCE = re.compile(r"""<([^<>"{}|^`\\\x00-\x20]*)>|"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)'""")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _as_written(iri: str, text: str) -> tuple[str, int | None]:
    """The first relative reference in ``text`` that resolves against :data:`NO_BASE` to
    ``iri``, and its line; else the part of ``iri`` after the base, and None. (Only called
    to report a refusal: it reads the whole text.)"""
    for match in _REFERENCE.finditer(text):
        written = next(group for group in match.groups() if group is not None)
        if not _SCHEME.match(written) and urljoin(NO_BASE, written) == iri:
            return written, text.count("\n", 0, match.start()) + 1
    return (iri.removeprefix(NO_BASE) if iri.startswith(NO_BASE) else iri.removeprefix(_RESOLVED)), None
