"""The one prefix map of the project (``ontology/prefixes.csv``).

It serves the ontology, the data, the queries and the code: rdflib bindings,
CURIE <-> IRI conversion (through :mod:`curies`), the JSON-LD context and the
SPARQL ``PREFIX`` header are all derived from it.

>>> pm = load_prefix_map()
>>> pm.expand("HP:0001336")
'http://purl.obolibrary.org/obo/HP_0001336'
>>> pm.compress("https://w3id.org/omskg/entity/oms")
'omse:oms'
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import curies
from curies.api import CompressionError, ExpansionError
from rdflib import Graph, Namespace

from omskg.errors import OmsError
from omskg.paths import project_root

OMS = Namespace("https://w3id.org/omskg/vocab/")
OMSE = Namespace("https://w3id.org/omskg/entity/")
OMSS = Namespace("https://w3id.org/omskg/statement/")
OMSEV = Namespace("https://w3id.org/omskg/evidence/")
OMSM = Namespace("https://w3id.org/omskg/mapping/")
OMSG = Namespace("https://w3id.org/omskg/graph/")
IAO = Namespace("http://purl.obolibrary.org/obo/IAO_")
OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")
OA = Namespace("http://www.w3.org/ns/oa#")
SCHEMA = Namespace("http://schema.org/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
SEMAPV = Namespace("https://w3id.org/semapv/vocab/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTYPES = Namespace("http://purl.org/dc/dcmitype/")
VOID = Namespace("http://rdfs.org/ns/void#")
PAV = Namespace("http://purl.org/pav/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
IDOT = Namespace("http://identifiers.org/idot/")
CORE_GRAPH = OMSG["core"]  # the built graph, in a store
HPO_GRAPH = OMSG["hpo"]  # the linked HPO dataset, in a store


@dataclass(frozen=True)
class PrefixMap:
    """Prefixes, their URI prefixes and, for identifier vocabularies, the local-id pattern."""

    uri_prefixes: dict[str, str]
    patterns: dict[str, str]
    kinds: dict[str, str]
    converter: curies.Converter = field(repr=False, compare=False)

    def expand(self, curie: str) -> str:
        """Return the IRI of ``curie``; raise :class:`OmsError` on an unknown prefix."""
        try:
            return str(self.converter.expand(curie, strict=True))
        except ExpansionError:
            prefix = curie.partition(":")[0]
            raise OmsError(
                f"unknown prefix {prefix!r} in {curie!r}; declare it in ontology/prefixes.csv"
            ) from None

    def compress(self, iri: str) -> str | None:
        """Return the CURIE of ``iri``, or None when no prefix covers it."""
        result = self.converter.compress(iri)
        return None if result is None else str(result)

    def curie(self, iri: str, *, strict: bool = False) -> str:
        """The CURIE of ``iri`` where a prefix covers it, else ``iri`` itself (for showing);
        with ``strict``, :class:`OmsError` where none does (for files that need CURIEs).

        >>> load_prefix_map().curie("http://purl.obolibrary.org/obo/HP_0001336")
        'HP:0001336'
        >>> load_prefix_map().curie("http://example.org/x")
        'http://example.org/x'
        """
        if not strict:
            return str(self.converter.compress(iri, passthrough=True))
        try:
            return str(self.converter.compress(iri, strict=True))
        except CompressionError:
            raise OmsError(f"no prefix of ontology/prefixes.csv covers {iri}") from None

    def pattern_problem(self, curie: str) -> str | None:
        """Say what is wrong with ``curie`` (unknown prefix or a local id off-pattern), else None.

        >>> load_prefix_map().pattern_problem("HP:12345")
        "local id '12345' does not match the HP pattern ^\\\\d{7}$"
        """
        prefix, sep, local = curie.partition(":")
        if not sep or prefix not in self.uri_prefixes:
            return f"unknown prefix {prefix!r}; declare it in ontology/prefixes.csv"
        pattern = self.patterns.get(prefix)
        if pattern and not re.fullmatch(pattern.strip("^$"), local):
            return f"local id {local!r} does not match the {prefix} pattern {pattern}"
        return None

    def bind(self, graph: Graph) -> Graph:
        """Bind every prefix to ``graph`` (replacing rdflib's defaults) and return it.

        Not ``Converter.bind_rdflib``: that keeps rdflib's own binding where a prefix is
        already bound (``schema`` to https, say), and the exports must use ours.
        """
        for prefix, uri in self.uri_prefixes.items():
            graph.bind(prefix, Namespace(uri), override=True, replace=True)
        return graph

    def jsonld_context(self) -> dict[str, str]:
        """A JSON-LD ``@context`` mapping each prefix to its URI prefix."""
        return dict(self.uri_prefixes)


def read_prefix_table(path: Path) -> PrefixMap:
    """Read a prefix table with columns prefix, uri_prefix, bioregistry, pattern, kind."""
    uri_prefixes: dict[str, str] = {}
    patterns: dict[str, str] = {}
    kinds: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            _check_prefix(path, row["prefix"], row["uri_prefix"])
            uri_prefixes[row["prefix"]] = row["uri_prefix"]
            kinds[row["prefix"]] = row["kind"]
            if row["pattern"]:
                patterns[row["prefix"]] = row["pattern"]
    records = [curies.Record(prefix=p, uri_prefix=u) for p, u in uri_prefixes.items()]
    return PrefixMap(uri_prefixes, patterns, kinds, curies.Converter(records))


# A prefix every syntax can declare: a Turtle PN_PREFIX that is also an XML NCName (RDF/XML
# writes prefixes as XML namespace prefixes). pyoxigraph writes whatever name it is given.
_PREFIX_NAME = re.compile(r"[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?")


def _check_prefix(path: Path, prefix: str, uri_prefix: str) -> None:
    """Refuse a row whose prefix no RDF syntax can declare or whose URI prefix is not absolute."""
    if not _PREFIX_NAME.fullmatch(prefix) or prefix.lower().startswith("xml"):
        raise OmsError(
            f"{path}: prefix {prefix!r} cannot be declared in Turtle and RDF/XML; use ASCII letters, "
            "digits, '_', '-' and '.', starting with a letter, not ending in '.', not starting with 'xml'"
        )
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", uri_prefix):
        raise OmsError(f"{path}: the URI prefix {uri_prefix!r} of {prefix!r} is not an absolute IRI")


@cache
def load_prefix_map(root: Path | None = None) -> PrefixMap:
    """The project's prefix map, read once from ``ontology/prefixes.csv``."""
    return read_prefix_table((root or project_root()) / "ontology" / "prefixes.csv")


def identifier_iri_pattern(prefix_map: PrefixMap) -> str:
    """One regular expression matching the IRI of any well-formed identifier of the
    identifier vocabularies of ``prefix_map`` (kind ``identifier``, ECO excepted).

    Shape ``S09`` carries this pattern; a test keeps the two in step.
    """
    parts = [
        _escape(prefix_map.uri_prefixes[p]) + "(" + prefix_map.patterns[p].strip("^$") + ")"
        for p, kind in prefix_map.kinds.items()
        if kind == "identifier" and p != "ECO" and p in prefix_map.patterns
    ]
    parts.append(_escape("http://schema.org/") + "[A-Z][A-Za-z]+")
    return "^(" + "|".join(parts) + ")$"


def _escape(text: str) -> str:
    """Escape regex metacharacters the XSD way: ``#`` needs no escape there (Python adds one)."""
    return re.escape(text).replace("\\#", "#")
