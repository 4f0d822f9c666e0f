"""What the fuzz targets (``fuzz/fuzz_rdf.py``, ``make fuzz``) found, one test per finding.

Each input is the finding cut down by hand to what still shows it. The property is the
fuzz target's own: an input the reader accepts is written by the export of its format
and read back unchanged, unless the reader or the export refuses it with
:class:`OmsError`; any other exception is a defect.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from omskg.errors import OmsError
from omskg.rdfio import read_graph
from omskg.release.jsonld import to_jsonld
from omskg.release.rdf_writers import RDF_EXPORTS, to_turtle
from omskg.sparql_guard import check_query
from test_roundtrip_properties import canonical

EXAMPLE_P = URIRef("http://example.org/p")


def fuzz_property(path: Path, export: Callable[[Graph], str]) -> None:
    """Read ``path``, write it with ``export``, read that back: the same graph, or OmsError."""
    try:
        graph = read_graph(path)
        text = export(graph)
    except OmsError:
        return
    again = path.with_name(f"again{path.suffix}")
    again.write_bytes(text.encode("utf-8"))
    assert canonical(read_graph(again)) == canonical(graph)


# rdflib's Turtle reader takes anything up to ">" as an IRI; the Turtle export then failed
# with a bare Exception from rdflib, and N-Triples wrote the IRI as it was (a broken line).
TURTLE_IRI_WITH_SPACE = '<http://example.org/a b> <http://example.org/p> "x" .\n'
TURTLE_IRI_WITH_LINE_BREAK = '<http://example.org/a\n"b> <http://example.org/p> "x" .\n'
# rdflib's JSON-LD reader keeps an @id with "{" (the JSON-LD algorithms drop such an IRI).
JSONLD_IRI_WITH_BRACE = '{"@id": "http://example.org/{", "http://example.org/p": "x"}'
# A source document whose IRI holds a space: TriG made an evidence graph name of it and
# failed with a bare Exception from rdflib before it checked the IRIs.
TRIG_EVIDENCE_FROM_AN_UNWRITABLE_DOCUMENT = """PREFIX ex: <http://example.org/a b/>
PREFIX oms: <https://w3id.org/omskg/vocab/>
PREFIX oa: <http://www.w3.org/ns/oa#>
ex:s oms:hasEvidence ex:e .
ex:e oa:hasSource ex:doc .
"""
# A term defined as a relative IRI: rdflib's JSON-LD reader makes it a predicate <exȊ>,
# which the JSON-LD export then dropped without a word (PyLD leaves out relative properties).
JSONLD_RELATIVE_PREDICATE = '{"@context": {"n": {"@id": "exȊ"}}, "@id": "http://example.org/s", "n": "x"}'


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".ttl", TURTLE_IRI_WITH_SPACE),
        (".ttl", TURTLE_IRI_WITH_LINE_BREAK),
        (".jsonld", JSONLD_IRI_WITH_BRACE),
        (".jsonld", JSONLD_RELATIVE_PREDICATE),
        (".trig", TRIG_EVIDENCE_FROM_AN_UNWRITABLE_DOCUMENT),
    ],
)
@pytest.mark.parametrize("name", sorted(RDF_EXPORTS))
def test_an_unwritable_iri_is_refused(suffix: str, text: str, name: str, tmp_path: Path) -> None:
    """Each finding is now refused, by the reader or by the export, with OmsError."""
    path = tmp_path / f"input{suffix}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OmsError):
        RDF_EXPORTS[name](read_graph(path))


@pytest.mark.parametrize("name", sorted(RDF_EXPORTS))
def test_the_fuzz_property_writes_back_what_it_can(name: str, tmp_path: Path) -> None:
    """The property's other branch: a writable input in the export's own format comes back
    as the same graph."""
    graph = Graph()
    graph.add((URIRef("http://example.org/a"), EXAMPLE_P, Literal("x", lang="en-GB")))
    graph.add((URIRef("http://example.org/a"), EXAMPLE_P, Literal(1)))
    path = tmp_path / f"input{Path(name).suffix}"
    path.write_text(RDF_EXPORTS[name](graph), encoding="utf-8")
    fuzz_property(path, RDF_EXPORTS[name])
    assert (tmp_path / f"again{path.suffix}").is_file()


@pytest.mark.parametrize(
    ("iri", "message"),
    [
        ("http://example.org/a b", "<http://example.org/a b>: no IRI may hold ' '"),
        ('http://example.org/a\n"b', r"""<http://example.org/a\n\"b>: no IRI may hold '\n'"""),
        ("http://example.org/{", "<http://example.org/{>: no IRI may hold '{'"),
        ("exȊ", "<exȊ>: it is relative (no scheme such as https:)"),
    ],
)
@pytest.mark.parametrize("name", sorted(RDF_EXPORTS))
def test_exports_name_the_iri_they_cannot_write(iri: str, message: str, name: str) -> None:
    """The graphs the reader made of the inputs above: each export refuses, on one line."""
    graph = Graph()
    graph.add((URIRef("http://example.org/s"), URIRef(iri), Literal("x")))
    with pytest.raises(OmsError) as refusal:
        RDF_EXPORTS[name](graph)
    assert str(refusal.value) == f"cannot write the IRI {message}; correct it where the data comes from"


@pytest.mark.parametrize("name", ["omskg.trig", "omskg.nq"])
def test_evidence_of_an_unwritable_document_is_refused(name: str, tmp_path: Path) -> None:
    path = tmp_path / "input.trig"
    path.write_text(TRIG_EVIDENCE_FROM_AN_UNWRITABLE_DOCUMENT, encoding="utf-8")
    with pytest.raises(OmsError) as refusal:
        RDF_EXPORTS[name](read_graph(path))
    assert str(refusal.value).startswith(
        "cannot write the IRI <http://example.org/a b/doc>: no IRI may hold ' '"
    )


def test_an_unwritable_datatype_iri_is_refused() -> None:
    graph = Graph()
    graph.add((URIRef("http://example.org/s"), EXAMPLE_P, Literal("1", datatype=URIRef("int eger"))))
    for export in (to_turtle, to_jsonld):
        with pytest.raises(OmsError, match="cannot write the IRI <int eger>"):
            export(graph)


@pytest.mark.parametrize("text", ["", "# only a comment", "PREFIX ex: <http://example.org/>"])
def test_a_request_without_operations_is_refused(text: str) -> None:
    """rdflib's update parser gives None for a text without operations; the guard zipped it
    and raised TypeError (the first input the sparql target tried)."""
    with pytest.raises(OmsError, match="not valid SPARQL"):
        check_query(text)
