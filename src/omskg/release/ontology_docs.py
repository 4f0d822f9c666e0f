"""The ontology as one HTML page, made by pyLODE's OntPub profile.

The page documents every class and property of ``ontology/omskg.ttl`` together with the
alignments of ``ontology/alignments.ttl`` (their superclasses and superproperties), as the
build loads them. It is self-contained: pyLODE inlines its stylesheet and its icons are
``data:`` URIs; :func:`external_assets` checks that nothing is loaded from elsewhere. pyLODE
reads its background vocabularies (RDF, OWL, SKOS, ...) from files it ships, and is given
the ontology as a graph, so nothing is fetched. Triples are handed over in sorted order, so
the page is the same from run to run.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import SDO, SKOS

from omskg.curation.ontology import ONTOLOGY_FILES, load_ontology
from omskg.errors import OmsError
from omskg.paths import project_root
from omskg.prefixes import IAO, SCHEMA, load_prefix_map

ONTOLOGY_DOCS = "docs/ontology.html"
# Attributes through which a browser fetches something while showing the page (every
# <link> counts, whatever its rel).
_FETCHED = {
    "script": "src",
    "img": "src",
    "iframe": "src",
    "embed": "src",
    "audio": "src",
    "video": "src",
    "source": "src",
    "track": "src",
    "object": "data",
    "link": "href",
}
# Properties the ontology uses that pyLODE does not show, and the ones it shows for them:
# it takes a term's description from skos:definition or rdfs:comment, not IAO:0000115, and
# knows schema.org's domainIncludes and rangeIncludes under https://schema.org/ only.
_SHOWN_AS = {
    IAO["0000115"]: SKOS.definition,
    SCHEMA.domainIncludes: SDO.domainIncludes,
    SCHEMA.rangeIncludes: SDO.rangeIncludes,
}
_CSS_URL = re.compile(r"""@import\s+["']([^"']+)["']|url\(\s*["']?([^"')\s]+)""", re.IGNORECASE)


def documentation_graph(root: Path | None = None) -> Graph:
    """The ontology as pyLODE should read it: the triples of the ontology files in sorted
    order, the project's prefixes that they use, and each value of a property in
    :data:`_SHOWN_AS` also stated with the property pyLODE shows."""
    root = root or project_root()
    ontology = load_ontology(root)
    graph = Graph(bind_namespaces="core")
    # Only the prefixes the ontology uses: pyLODE compares every term with every bound
    # namespace, which took about half of its time with all the project's prefixes.
    iris = {str(term) for triple in ontology for term in triple if isinstance(term, URIRef)}
    for prefix, uri in load_prefix_map(root).uri_prefixes.items():
        if any(iri.startswith(uri) for iri in iris):
            graph.bind(prefix, Namespace(uri), override=True, replace=True)
    for triple in sorted(ontology):
        graph.add(triple)
    for ours, theirs in _SHOWN_AS.items():
        for term, value in sorted(ontology.subject_objects(ours)):
            graph.add((term, theirs, value))
    return graph


def ontology_html(root: Path | None = None) -> str:
    """The HTML documentation of the project ontology (under ``root``, default the project).

    Raises :class:`OmsError` when pyLODE cannot document the ontology (no title in its
    header) or when the page would load anything from outside.
    """
    graph = documentation_graph(root)
    with _root_logger_kept():
        from pylode import OntPub  # imported here: the import takes most of a second

        try:
            html: str = OntPub(graph).make_html()
        except Exception as exc:  # PylodeError, and a plain Exception when there is no ontology IRI
            files = " and ".join(f"ontology/{name}" for name in ONTOLOGY_FILES)
            raise OmsError(f"pyLODE cannot document {files}: {exc}") from None
    outside = external_assets(html)
    if outside:
        raise OmsError(f"the ontology page would load {', '.join(outside)} from outside; it must not")
    return html


@contextmanager
def _root_logger_kept() -> Iterator[None]:
    """Keep pyLODE from configuring the root logger. Importing it calls
    ``logging.basicConfig(level=DEBUG)`` (in ``pylode.profiles.supermodel.loader``), and it
    logs through ``logging.info``, which configures a root logger that has no handler: every
    library in the process would print its debug messages from then on. Both do nothing while
    the root logger has a handler, so it gets one that discards, for the time pyLODE runs."""
    root = logging.getLogger()
    guard = logging.NullHandler()
    root.addHandler(guard)
    try:
        yield
    finally:
        root.removeHandler(guard)


def external_assets(html: str) -> list[str]:
    """The URLs outside the page that a browser would fetch to show ``html``: scripts,
    stylesheets, icons, images, frames and media, and ``@import`` or ``url()`` in styles.
    ``data:`` URIs and fragment or relative references are local; plain hyperlinks
    (``<a href>``) are not fetched and not listed."""
    finder = _AssetFinder()
    finder.feed(html)
    finder.close()
    return [url for url in finder.urls if _is_remote(url)]


def _is_remote(url: str) -> bool:
    """True for a URL with a scheme other than ``data:``, or a scheme-relative ``//host/...``."""
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
    return url.startswith("//") or (scheme is not None and scheme.group(1).lower() != "data")


class _AssetFinder(HTMLParser):
    """Collects the URLs of the resources an HTML page loads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in _FETCHED and _FETCHED[tag] in values:
            self.urls.append(values[_FETCHED[tag]].strip())
        if tag in ("img", "source"):
            self.urls += [part.split()[0] for part in values.get("srcset", "").split(",") if part.split()]
        if "style" in values:
            self._css(values["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data)

    def _css(self, text: str) -> None:
        self.urls += [imported or url for imported, url in _CSS_URL.findall(text)]
