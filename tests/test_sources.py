"""Where each source document comes from, said wherever the documents are named: in
data/sources.yaml (required by the build), in the graph as a citation and on the document's
page (the release's HCLS description: tests/test_dataset.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF
from rdflib.namespace import DCTERMS

from omskg.cli import main
from omskg.curation.build import SOURCE_METADATA, BuiltGraph
from omskg.prefixes import OMS, OMSE
from omskg.web.pages import Site

GALE, NINDS = OMSE["gale-oms"], OMSE["ninds-oms-myoclonus"]


def test_each_document_has_a_citation_that_finds_it(built: BuiltGraph) -> None:
    graph = built.graph
    documents = set(graph.subjects(RDF.type, OMS.SourceDocument))
    assert documents == {GALE, NINDS}
    gale = str(graph.value(GALE, DCTERMS.bibliographicCitation))
    assert gale.startswith("Rosalyn Carson-DeWitt, MD. Opsoclonus Myoclonus. Gale Encyclopedia")
    assert "neither the address nor the date" in gale and "6958 characters, SHA-256 0ef9de57" in gale
    ninds = str(graph.value(NINDS, DCTERMS.bibliographicCitation))
    assert "National Institute of Neurological Disorders and Stroke" in ninds
    assert "neither their address nor their date" in ninds


def test_the_page_of_a_document_says_where_it_comes_from(built: BuiltGraph) -> None:
    page = Site(built.graph).page(str(GALE))
    assert page is not None and page.citation is not None
    assert "Gale Encyclopedia of Neurological Disorders" in page.citation


@pytest.mark.parametrize("field", SOURCE_METADATA)
def test_a_document_without_its_origin_is_refused(
    project_copy: Path, field: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project_copy / "data" / "sources.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {field}:"))
    end = start + 1
    while end < len(lines) and lines[end].startswith("    "):  # a folded value's lines
        end += 1
    path.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")
    assert main(["build", "--out", str(project_copy / "dist"), "--no-link"]) == 2
    err = capsys.readouterr().err
    assert f"data/sources.yaml:3: 'gale-oms': a source document needs `{field}`" in err
