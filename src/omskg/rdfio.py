"""Reading RDF files the way the project needs: lexical forms kept, format named by suffix.

rdflib rewrites typed literals into a canonical lexical form when it builds them
(``"PT36H"^^xsd:duration`` becomes ``P1DT12H``, ``"007"^^xsd:integer`` becomes
``7``), unless ``rdflib.NORMALIZE_LITERALS`` is off. The project keeps what the
data says, byte for byte, so every parse it does runs inside
:func:`lexical_forms_kept`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import rdflib
from rdflib import Dataset, Graph

from omskg.errors import OmsError

# File suffix -> rdflib parser name. RDF/XML is read only from the project's own exports.
FORMATS = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".trig": "trig",
    ".nq": "nquads",
    ".jsonld": "json-ld",
    ".rdf": "xml",
}


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


def read_graph(path: Path) -> Graph:
    """Parse an RDF file (format from its suffix) into one graph: the union of its named graphs."""
    fmt = FORMATS.get(path.suffix)
    if fmt is None:
        raise OmsError(f"{path}: unknown RDF file suffix; use one of {', '.join(sorted(FORMATS))}")
    if not path.is_file():
        raise OmsError(f"{path}: no such file")
    dataset = Dataset(default_union=True)
    try:
        with lexical_forms_kept():
            dataset.parse(path, format=fmt)
    except Exception as exc:  # parsers raise many kinds; report the file and the first line
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise OmsError(f"{path}: not valid {fmt}: {first}") from None
    graph = Graph()
    for s, p, o, _ in dataset.quads():
        graph.add((s, p, o))
    return graph
