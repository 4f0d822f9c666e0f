"""Release metadata: the W3C HCLS dataset description of the real graph, its VoID figures
checked against SPARQL counts, and the shapes of the profile with their examples.

The figures are recounted by SPARQL in pyoxigraph over the N-Triples bytes of the
release, so neither rdflib nor the counting code of :mod:`omskg.release.hcls` checks itself.

Shape examples are ``tests/shapes/hcls/{valid,invalid}/Hnn-*.ttl``, each validated
together with ``tests/shapes/hcls/base.ttl`` (a complete conforming description), as
``tests/test_shapes.py`` validates its examples together with the ontology. An invalid
example starts with comment lines naming what it must raise::

    # focus: <https://example.org/hcls/other-dataset>
    # message: summary level needs a dct:title
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SH, SKOS

from omskg.curation.build import BuiltGraph
from omskg.errors import DataError, OmsError
from omskg.paths import project_root
from omskg.prefixes import DCAT, OMSE, PAV, SPDX, VOID, load_prefix_map
from omskg.release.config import load_release
from omskg.release.hcls import describe_dataset, linkset_counts, load_hcls_shapes, validate_description
from omskg.release.rdf_writers import to_ntriples, to_turtle, unmapped_report
from omskg.release.stats import compute_stats
from shape_examples import assert_fails_as_expected

ROOT = project_root()
EXAMPLES = Path(__file__).parent / "shapes" / "hcls"
SHAPES = load_hcls_shapes(ROOT)
SHAPE_IDS = sorted(
    str(s).rsplit("/", 1)[1]
    for s in SHAPES.subjects(RDF.type, SH.NodeShape)
    if re.search(r"/H\d\d-[a-z0-9-]+$", str(s))
)
RELEASE = "https://w3id.org/omskg/release/0.4.0"
GRAPH_FILES = ("omskg.nt", "omskg.ttl")
SKOS_MAPPINGS = "skos:exactMatch skos:closeMatch skos:broadMatch skos:narrowMatch skos:relatedMatch"


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def part(built: BuiltGraph) -> Graph:
    """A file holding part of the graph: what it says about OMS itself."""
    graph = Graph()
    graph += built.graph.triples((OMSE.oms, None, None))
    return graph


@pytest.fixture(scope="module")
def files(built: BuiltGraph, part: Graph) -> dict[str, bytes]:
    graph = built.graph
    return {
        "omskg.ttl": to_turtle(graph).encode("utf-8"),
        "omskg.nt": to_ntriples(graph).encode("utf-8"),
        "framed/oms.jsonld": part.serialize(format="json-ld").encode("utf-8"),
        "unmapped.tsv": unmapped_report(graph).encode("utf-8"),
        "validation.txt": b"conforms: 0 violation(s), 0 warning(s), 0 info\n",
    }


@pytest.fixture(scope="module")
def description(built: BuiltGraph, files: dict[str, bytes]) -> Graph:
    return describe_dataset(built.graph, files)


@pytest.fixture(scope="module")
def store(files: dict[str, bytes]) -> ox.Store:
    """The released N-Triples in pyoxigraph, to recount the figures independently."""
    store = ox.Store()
    store.load(files["omskg.nt"], format=ox.RdfFormat.N_TRIPLES)
    return store


def _count(store: ox.Store, where: str) -> int:
    query = f"PREFIX skos: <{SKOS}> SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"
    return int(next(iter(store.query(query)))["n"].value)  # type: ignore[index]


def _groups(store: ox.Store, query: str) -> dict[URIRef, int]:
    return {URIRef(row["key"].value): int(row["n"].value) for row in store.query(query)}  # type: ignore[index]


def _dist(name: str) -> URIRef:
    return URIRef(f"{RELEASE}/distribution/{name}")


def _int(graph: Graph, node: URIRef, prop: URIRef) -> int:
    value = graph.value(node, prop)
    assert isinstance(value, Literal), f"{node} has no {prop}"
    return int(value)


# ---------------------------------------------------------------- the real description


def test_description_conforms_without_findings(description: Graph) -> None:
    report = validate_description(description)
    assert report.findings == (), report.text()


def test_three_levels(description: Graph, files: dict[str, bytes]) -> None:
    summary, version = URIRef("https://w3id.org/omskg/dataset"), URIRef(RELEASE)
    assert description.value(version, DCTERMS.isVersionOf) == summary
    assert description.value(version, PAV.version) == Literal("0.4.0")
    assert str(description.value(version, DCTERMS.issued)) == "2026-11-23"
    assert description.value(summary, PAV.version) is None
    assert description.value(summary, DCTERMS.issued) is None
    assert set(description.objects(version, DCAT.distribution)) == {_dist(n) for n in files}
    for name in files:
        assert description.value(_dist(name), DCAT.downloadURL) == URIRef(f"{RELEASE}/{name}")
        assert description.value(_dist(name), DCTERMS.license) == description.value(version, DCTERMS.license)


def test_each_file_has_its_size_and_digest(description: Graph, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        node = _dist(name)
        assert _int(description, node, DCAT.byteSize) == len(data)
        checksum = description.value(node, SPDX.checksum)
        assert description.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(description.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()


def test_sources_are_pinned_by_their_digests(description: Graph, root: Path) -> None:
    records = yaml.safe_load((root / "data" / "sources.yaml").read_text(encoding="utf-8"))
    expected = {OMSE[r["id"]]: r["sha256"] for r in records}
    assert set(description.objects(URIRef(RELEASE), DCTERMS.source)) == set(expected)
    for doc, digest in expected.items():
        checksum = description.value(doc, SPDX.checksum)
        assert str(description.value(checksum, SPDX.checksumValue)) == digest


@pytest.mark.parametrize("name", GRAPH_FILES)
def test_void_figures_equal_sparql_counts(
    description: Graph, store: ox.Store, built: BuiltGraph, name: str
) -> None:
    node = _dist(name)
    expected = {
        VOID.triples: _count(store, "?s ?p ?o"),
        VOID.entities: _count(store, "SELECT DISTINCT ?s WHERE { ?s a ?type FILTER isIRI(?s) }"),
        VOID.classes: _count(store, "SELECT DISTINCT ?type WHERE { ?s a ?type }"),
        VOID.properties: _count(store, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }"),
        VOID.distinctSubjects: _count(store, "SELECT DISTINCT ?s WHERE { ?s ?p ?o }"),
        VOID.distinctObjects: _count(store, "SELECT DISTINCT ?o WHERE { ?s ?p ?o }"),
    }
    assert {prop: _int(description, node, prop) for prop in expected} == expected
    assert expected[VOID.triples] == len(built.graph)


def test_partitions_equal_sparql_counts(description: Graph, store: ox.Store) -> None:
    classes = _groups(
        store, "SELECT (?type AS ?key) (COUNT(DISTINCT ?s) AS ?n) { ?s a ?type } GROUP BY ?type"
    )
    properties = _groups(store, "SELECT (?p AS ?key) (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?p")
    for name in GRAPH_FILES:
        parts = list(description.objects(_dist(name), VOID.classPartition))
        found = {description.value(p, VOID["class"]): _int(description, p, VOID.entities) for p in parts}
        assert found == classes
        parts = list(description.objects(_dist(name), VOID.propertyPartition))
        found = {description.value(p, VOID.property): _int(description, p, VOID.triples) for p in parts}
        assert found == properties


def test_linksets_add_up_to_the_mapping_triples(description: Graph, store: ox.Store) -> None:
    prefixes = load_prefix_map()
    links = f"?s ?p ?o VALUES ?p {{ {SKOS_MAPPINGS} }} FILTER isIRI(?o)"
    external = f'{links} FILTER (!STRSTARTS(STR(?o), "https://w3id.org/omskg/"))'
    linksets = list(description.objects(_dist("omskg.nt"), VOID.subset))
    assert sum(_int(description, ls, VOID.triples) for ls in linksets) == _count(store, external)
    for linkset in linksets:
        prefix = str(description.value(linkset, VOID.objectsTarget)).rsplit("/", 1)[1]
        space = prefixes.uri_prefixes[prefix]
        assert _int(description, linkset, VOID.triples) == _count(
            store, f'{links} FILTER STRSTARTS(STR(?o), "{space}")'
        )
        children = list(description.objects(linkset, VOID.subset))
        assert sum(_int(description, c, VOID.triples) for c in children) == _int(
            description, linkset, VOID.triples
        )
        for child in children:
            (predicate,) = description.objects(child, VOID.linkPredicate)
            where = f'?s <{predicate}> ?o FILTER (isIRI(?o) && STRSTARTS(STR(?o), "{space}"))'
            assert _int(description, child, VOID.triples) == _count(store, where)


def test_linksets_cover_every_mapped_vocabulary(built: BuiltGraph) -> None:
    counts = linkset_counts(built.graph, load_prefix_map())
    for prefix, mappings in compute_stats(built.graph).mappings_by_prefix.items():
        assert sum(counts[prefix].values()) >= mappings, prefix


def test_a_part_of_the_graph_is_counted_from_its_file(description: Graph, part: Graph) -> None:
    node = _dist("framed/oms.jsonld")
    assert (node, RDF.type, VOID.Dataset) in description
    assert _int(description, node, VOID.triples) == len(part)
    assert _int(description, node, VOID.distinctSubjects) == 1
    assert description.value(node, VOID.exampleResource) == OMSE.oms
    assert description.value(node, VOID.classPartition) is None


def test_files_that_are_not_rdf_have_no_void_figures(description: Graph) -> None:
    for name in ("unmapped.tsv", "validation.txt"):
        assert (_dist(name), RDF.type, VOID.Dataset) not in description
        assert description.value(_dist(name), VOID.triples) is None


def test_description_is_deterministic_and_has_no_blank_nodes(
    built: BuiltGraph, files: dict[str, bytes], description: Graph
) -> None:
    assert not any(isinstance(term, BNode) for triple in description for term in triple)
    again = describe_dataset(built.graph, dict(reversed(list(files.items()))))
    assert set(again) == set(description)
    assert again.serialize(format="longturtle") == description.serialize(format="longturtle")


def test_unknown_files_are_refused(built: BuiltGraph) -> None:
    with pytest.raises(OmsError, match=r"no format for file 'omskg\.xyz'"):
        describe_dataset(built.graph, {"omskg.xyz": b""})
    with pytest.raises(OmsError, match=r"no rule under `files` matches 'extra\.ttl'"):
        describe_dataset(built.graph, {"extra.ttl": b""})
    with pytest.raises(OmsError, match="cannot be read as JSON-LD"):
        describe_dataset(built.graph, {"framed/broken.jsonld": b"{not json"})


def test_release_file_problems_are_named(project_copy: Path) -> None:
    assert str(load_release(project_copy).version_iri) == RELEASE
    path = project_copy / "data" / "release.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\ntitle:", "\nheading:"), encoding="utf-8")
    with pytest.raises(DataError, match="'title': missing field"):
        load_release(project_copy)
    path.write_text(text.replace("creators: [maintainers]", "creators: [nobody]"), encoding="utf-8")
    with pytest.raises(DataError, match="'nobody': not the id of one of `agents`"):
        load_release(project_copy)
    path.write_text(text.replace("({format})", "({fromat})"), encoding="utf-8")
    with pytest.raises(DataError, match="bad placeholder in title or description: 'fromat'"):
        load_release(project_copy)


def test_hcls_shapes_find_nothing_in_the_graph_itself(built: BuiltGraph) -> None:
    assert validate_description(built.graph).findings == ()


# ---------------------------------------------------------------- shape examples


def _examples(kind: str) -> list[Path]:
    return sorted((EXAMPLES / kind).glob("H*.ttl"))


def _graph(path: Path | None) -> Graph:
    graph = Graph().parse(EXAMPLES / "base.ttl", format="turtle")
    if path is not None:
        graph.parse(path, format="turtle")
    return graph


def test_every_hcls_shape_has_both_examples() -> None:
    assert len(SHAPE_IDS) >= 10
    for kind in ("valid", "invalid"):
        covered = {p.name[:3] for p in _examples(kind)}
        missing = [s for s in SHAPE_IDS if s[:3] not in covered]
        assert not missing, f"HCLS shapes without a {kind} example: {missing}"


def test_base_description_conforms() -> None:
    report = validate_description(_graph(None), shapes=SHAPES)
    assert report.findings == (), report.text()


@pytest.mark.parametrize("path", _examples("valid"), ids=lambda p: p.stem)
def test_valid_hcls_example_conforms(path: Path) -> None:
    report = validate_description(_graph(path), shapes=SHAPES)
    assert report.findings == (), report.text()


@pytest.mark.parametrize("path", _examples("invalid"), ids=lambda p: p.stem)
def test_invalid_hcls_example_fails_as_expected(path: Path) -> None:
    assert_fails_as_expected(path, validate_description(_graph(path), shapes=SHAPES))


def test_sources_are_named_with_author_publisher_and_citation(description: Graph) -> None:
    """A reader of the description alone can find each document (docs/data-model.md)."""
    for document in (OMSE["gale-oms"], OMSE["ninds-oms-myoclonus"]):
        for prop in (DCTERMS.title, DCTERMS.creator, DCTERMS.publisher, DCTERMS.bibliographicCitation):
            assert description.value(document, prop) is not None, (document, prop)
