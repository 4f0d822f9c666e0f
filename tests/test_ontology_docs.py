"""The ontology page: every class and property of the ontology with its label and definition,
nothing loaded from elsewhere, the same text every run, made without the network, and
written by the build."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef

from omskg.errors import OmsError
from omskg.prefixes import DCAT, IAO, OMS
from omskg.release.config import load_release
from omskg.release.ontology_docs import ONTOLOGY_DOCS, external_assets, ontology_html

DOCUMENTED_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)


@dataclass
class Entry:
    """One documented term: its fragment id, heading, IRI and all the text of its block."""

    fid: str
    heading: str = ""
    iri: str = ""
    text: list[str] = field(default_factory=list)


class PageReader(HTMLParser):
    """The term blocks (``<div class="... entity" id=...>``), every id, every internal link,
    and the URL attributes of the elements that load resources (script, link, img), read
    with the standard library's HTML parser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.entries: list[Entry] = []
        self.ids: list[str] = []
        self.fragments: set[str] = set()
        self.loaded: list[tuple[str, str]] = []
        self.styles: list[str] = []
        self._depth = 0  # div nesting inside the current entry
        self._element = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self._element = tag
        if "id" in values:
            self.ids.append(values["id"])
        if tag == "a" and values.get("href", "").startswith("#"):
            self.fragments.add(values["href"][1:])
        for attribute in ("src", "href"):
            if tag in ("script", "link", "img") and attribute in values:
                self.loaded.append((tag, values[attribute]))
        if tag == "div" and self._depth:
            self._depth += 1
        elif tag == "div" and "entity" in values.get("class", "").split():
            self.entries.append(Entry(values["id"]))
            self._depth = 1

    def handle_endtag(self, tag: str) -> None:
        self._element = ""
        if tag == "div" and self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._element == "style":
            self.styles.append(data)
        if not self._depth or not data.strip():
            return
        entry = self.entries[-1]
        entry.text.append(data.strip())
        if self._element == "h3" and not entry.heading:
            entry.heading = data.strip()
        elif self._element == "code" and not entry.iri:
            entry.iri = data.strip()


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    reader.close()
    return reader


@pytest.fixture(scope="module")
def html(root: Path) -> str:
    return ontology_html(root)


@pytest.fixture(scope="module")
def page(html: str) -> PageReader:
    return read_page(html)


@pytest.fixture(scope="module")
def declared(root: Path) -> Graph:
    """The ontology file itself, read on its own."""
    return Graph().parse(root / "ontology" / "omskg.ttl", format="turtle")


def test_every_class_and_property_has_its_block_with_label_and_definition(
    page: PageReader, declared: Graph
) -> None:
    terms = {s for kind in DOCUMENTED_TYPES for s in declared.subjects(RDF.type, kind)}
    assert len(terms) == 138  # 37 classes, 69 object, 31 datatype properties, oms:qualifier
    expected = {str(t): str(declared.value(t, RDFS.label)) for t in terms}
    entries = {entry.iri: entry for entry in page.entries}
    assert {iri: entry.heading for iri, entry in entries.items()} == expected
    for term in terms:
        definition = declared.value(term, IAO["0000115"])
        assert isinstance(definition, Literal), term
        assert str(definition) in entries[str(term)].text, term


def test_known_terms_are_documented(page: PageReader) -> None:
    entries = {entry.iri: entry for entry in page.entries}
    statement = entries[str(OMS.Statement)]
    assert statement.heading == "statement"
    assert any(text.startswith("One fact of the knowledge graph as a node") for text in statement.text)
    treatment = entries[str(OMS.hasTreatment)]
    assert treatment.heading == "has treatment"
    assert "fact relation" in treatment.text  # its superproperty, linked by label
    assert (
        "Relates a condition to a drug, drug class or therapy used or proposed to treat it." in treatment.text
    )


def test_internal_links_resolve_and_ids_are_unique(page: PageReader) -> None:
    assert len(page.ids) == len(set(page.ids))
    assert page.fragments <= set(page.ids)
    assert {entry.fid for entry in page.entries} <= page.fragments  # the table of contents lists them


def test_the_page_loads_nothing_from_elsewhere(html: str, page: PageReader) -> None:
    assert page.loaded, "the page's icons should be found as <link href>"
    assert all(url.startswith("data:") for _, url in page.loaded), page.loaded
    assert [tag for tag, _ in page.loaded if tag == "script"] == []
    css = "".join(page.styles)
    assert "h3" in css  # pyLODE's stylesheet is inlined
    assert "@import" not in css and "url(" not in css
    assert external_assets(html) == []


def test_external_assets_finds_what_a_browser_would_fetch() -> None:
    page = """<html><head>
    <link rel="stylesheet" href="https://cdn.example.org/style.css">
    <link rel="icon" href="data:image/png;base64,AAAA">
    <script src="//cdn.example.org/app.js"></script>
    <script type="application/ld+json">{"@id": "http://example.org/x"}</script>
    <style>@import "http://fonts.example.org/font.css";
    h1 { background: url(data:image/png;base64,AA) }</style>
    </head><body style="background: url('https://img.example.org/bg.png')">
    <img src="logo.png" srcset="https://img.example.org/a.png 2x, local.png 1x">
    <a href="https://w3id.org/omskg/vocab/Statement">a term</a>
    </body></html>"""
    assert external_assets(page) == [
        "https://cdn.example.org/style.css",
        "//cdn.example.org/app.js",
        "http://fonts.example.org/font.css",
        "https://img.example.org/bg.png",
        "https://img.example.org/a.png",
    ]


@pytest.mark.slow
def test_the_page_is_the_same_every_run(html: str, root: Path, tmp_path: Path) -> None:
    assert ontology_html(root) == html
    script = (
        "import sys\nfrom omskg.release.ontology_docs import ontology_html\n"
        "sys.stdout.write(ontology_html())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "7"}
    out = subprocess.run([sys.executable, "-c", script], check=True, env=env, capture_output=True, text=True)
    assert out.stdout == html
    assert out.stderr == ""  # pyLODE's logging is kept from the root logger


def test_the_page_is_made_offline(offline: None, html: str, root: Path) -> None:
    assert ontology_html(root) == html


def test_an_ontology_without_a_title_is_named(project_copy: Path) -> None:
    path = project_copy / "ontology" / "omskg.ttl"
    text = path.read_text(encoding="utf-8")
    for line in (
        '    rdfs:label "OMS knowledge graph vocabulary"@en ;\n',
        '    dcterms:title "OMS knowledge graph vocabulary"@en ;\n',
    ):
        assert line in text
        text = text.replace(line, "")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        OmsError,
        match=r"^pyLODE cannot document ontology/omskg.ttl and ontology/alignments.ttl: You MUST supply",
    ):
        ontology_html(project_copy)


@pytest.mark.slow
def test_build_writes_the_page_and_describes_it(core_release: Path, html: str) -> None:
    out = core_release
    written = out / ONTOLOGY_DOCS
    assert written.read_text(encoding="utf-8") == html
    listing = (out.parent / "listing.txt").read_text(encoding="utf-8").splitlines()
    assert f"{out}/docs/\t1 file, {written.stat().st_size} bytes" in listing
    description = Graph().parse(out / "omskg.dataset.ttl", format="turtle")
    node = load_release().iri("distribution", ONTOLOGY_DOCS)
    assert description.value(node, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/html"
    )
    assert str(description.value(node, DCAT.byteSize)) == str(written.stat().st_size)
