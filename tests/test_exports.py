"""Every export parses back, with an independent parser, to the build graph.

RDF syntaxes are read by pyoxigraph, JSON-LD by PyLD (no remote loading); the
comparison is of RDFC-1.0 canonical N-Quads, so blank nodes, if any ever appear,
cannot make two equal graphs look different.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from pyld import jsonld
from rdflib import RDF, XSD, Graph, Literal, URIRef

from conftest import Release
from omskg.curation.build import BuiltGraph, build_graph
from omskg.errors import OmsError
from omskg.prefixes import OMS, OMSE
from omskg.rdfio import read_graph
from omskg.release.jsonld import PYLD_OPTIONS, condition_subgraph, framed_files, load_context
from omskg.release.rdf_writers import RDF_EXPORTS, evidence_graph_name, to_rdfxml, to_turtle

OXIGRAPH_FORMATS = {
    "omskg.ttl": ox.RdfFormat.TURTLE,
    "omskg.nt": ox.RdfFormat.N_TRIPLES,
    "omskg.nq": ox.RdfFormat.N_QUADS,
    "omskg.trig": ox.RdfFormat.TRIG,
    "omskg.rdf": ox.RdfFormat.RDF_XML,
}


def canonical(quads: list[ox.Quad], *, merge_graphs: bool = True) -> str:
    """RDFC-1.0 canonical N-Quads of ``quads`` (named graphs merged into the default graph)."""
    dataset = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object) if merge_graphs else q for q in quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return "".join(sorted(f"{quad} .\n" for quad in dataset))


def rdflib_quads(graph: Graph) -> list[ox.Quad]:
    return list(ox.parse(graph.serialize(format="nt"), ox.RdfFormat.N_TRIPLES))


def pyld_quads(document: str) -> list[ox.Quad]:
    nquads = jsonld.to_rdf(json.loads(document), {**PYLD_OPTIONS, "format": "application/n-quads"})
    return list(ox.parse(nquads, ox.RdfFormat.N_QUADS))


@pytest.fixture(scope="module")
def reference(built: BuiltGraph) -> str:
    return canonical(rdflib_quads(built.graph))


@pytest.fixture(scope="module")
def exports(built: BuiltGraph) -> dict[str, str]:
    return {name: export(built.graph) for name, export in RDF_EXPORTS.items()}


@pytest.mark.parametrize("name", sorted(OXIGRAPH_FORMATS))
def test_rdf_export_is_isomorphic_for_pyoxigraph(name: str, exports: dict[str, str], reference: str) -> None:
    quads = list(ox.parse(exports[name], OXIGRAPH_FORMATS[name]))
    assert canonical(quads) == reference


def test_jsonld_export_is_isomorphic_for_pyld(exports: dict[str, str], reference: str) -> None:
    assert canonical(pyld_quads(exports["omskg.jsonld"])) == reference


def test_jsonld_uses_readable_keys_and_no_remote_context(exports: dict[str, str]) -> None:
    doc = json.loads(exports["omskg.jsonld"])
    assert doc["@context"] == load_context()
    assert isinstance(doc["@context"], dict), "an inline context, not a URL to fetch"
    assert "@import" not in doc["@context"]
    assert not [v for v in doc["@context"].values() if isinstance(v, dict) and "@context" in v]
    keys = {key for node in doc["@graph"] for key in node}
    assert not [key for key in keys if ":" in key or "/" in key], "every property needs a term"
    oms = next(node for node in doc["@graph"] if node["id"] == "omse:oms")
    assert oms["type"] == "Condition"
    assert oms["label"] == "opsoclonus-myoclonus syndrome"
    assert "MONDO:0015247" in oms["exactMatch"]
    assert "omse:opsoclonus" in oms["hasPhenotype"]


def test_trig_and_nquads_put_each_documents_evidence_in_its_own_graph(
    exports: dict[str, str], built: BuiltGraph
) -> None:
    for name in ("omskg.trig", "omskg.nq"):
        quads = list(ox.parse(exports[name], OXIGRAPH_FORMATS[name]))
        names = {str(q.graph_name) for q in quads}
        assert names == {
            "DEFAULT",
            f"<{evidence_graph_name(OMSE['gale-oms'])}>",
            f"<{evidence_graph_name(OMSE['ninds-oms-myoclonus'])}>",
        }
        sources = {
            (str(q.graph_name), str(q.object))
            for q in quads
            if q.predicate.value == "http://www.w3.org/ns/oa#hasSource"
        }
        assert sources == {
            (f"<{evidence_graph_name(OMSE[doc])}>", f"<{OMSE[doc]}>")
            for doc in ("gale-oms", "ninds-oms-myoclonus")
        }
        evidence = [q for q in quads if q.predicate.value == str(OMS.hasEvidence)]
        assert len(evidence) == len(set(built.graph.triples((None, OMS.hasEvidence, None))))
        assert all(str(q.graph_name) != "DEFAULT" for q in evidence)


def test_framed_documents_are_subgraphs_with_every_statement(built: BuiltGraph) -> None:
    files = framed_files(built.graph)
    assert "framed/oms.jsonld" in files
    assert "framed/neuroblastoma.jsonld" in files
    whole = {str(q) for q in rdflib_quads(built.graph)}
    for name, text in files.items():
        condition = OMSE[name.removeprefix("framed/").removesuffix(".jsonld")]
        quads = {str(q) for q in pyld_quads(text)}
        assert quads <= whole, name
        expected = {str(q) for q in rdflib_quads(condition_subgraph(built.graph, condition))}
        assert quads == expected, name
    oms = json.loads(files["framed/oms.jsonld"])
    about = {s["id"] for s in oms["statements"]}
    assert len(about) == len(set(built.graph.subjects(RDF.subject, OMSE.oms)))


@pytest.fixture(scope="module")
def built_again(root: Path) -> BuiltGraph:
    """A second build of the same data in this process (the hash-seed test below builds in others)."""
    return build_graph(root)


@pytest.mark.parametrize("name", sorted(RDF_EXPORTS))
def test_export_is_deterministic(built_again: BuiltGraph, name: str, exports: dict[str, str]) -> None:
    assert RDF_EXPORTS[name](built_again.graph) == exports[name]


def test_lexical_forms_are_kept(project_copy: Path) -> None:
    """rdflib would rewrite PT3360H as P140D; the build, the exports and re-reading keep it."""
    path = project_copy / "data" / "statements" / "gale-oms.yaml"
    path.write_text(path.read_text().replace("duration: P140D", "duration: PT3360H"))
    graph = build_graph(project_copy).graph
    curated = Literal("PT3360H", datatype=XSD.duration, normalize=False)
    assert (None, OMS.duration, curated) in graph
    assert Literal("PT3360H", datatype=XSD.duration) == Literal("P140D", datatype=XSD.duration)
    assert '"PT3360H"^^xsd:duration' in to_turtle(graph)
    turtle = project_copy / "out.ttl"
    turtle.write_text(to_turtle(graph))
    back = read_graph(turtle)
    assert {str(o) for o in back.objects(None, OMS.duration)} == {"PT3360H"}


def test_rdfxml_names_what_it_cannot_express() -> None:
    graph = Graph()
    graph.add((OMSE.oms, URIRef("http://example.org/relation/123"), OMSE.myoclonus))
    with pytest.raises(OmsError, match="RDF/XML cannot express"):
        to_rdfxml(graph)


@pytest.mark.slow
@pytest.mark.xdist_group("release")
def test_build_writes_dist(release: Release) -> None:
    out = release.path
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert {*RDF_EXPORTS, "omskg.context.jsonld", "unmapped.tsv", "validation.txt"} <= set(names)
    assert "framed/oms.jsonld" in names
    reports = {
        f"omskg.{name}.{suffix}" for name in ("orphanet-agreement", "lookalikes") for suffix in ("tsv", "md")
    }
    assert reports <= set(names)
    assert (out / "store" / "CURRENT").is_file()  # the store `omskg query NAME --store dist/store` asks
    assert "conforms: 0 violation(s)" in (out / "validation.txt").read_text()
    lines = (out / "omskg.nt").read_text().splitlines()
    assert lines == sorted(lines)
    unmapped = (out / "unmapped.tsv").read_text().splitlines()
    assert unmapped[0] == "entity\tlabel\ttype\treason"
    assert all("no reason recorded" not in line for line in unmapped)
    assert "[6/6] done" in release.log


def test_statement_iris_depend_on_content_only(built: BuiltGraph) -> None:
    """The same fact gets the same IRI whatever the order of records."""
    nodes = set(built.graph.subjects(RDF.type, OMS.Statement))
    assert all(len(str(n).rsplit("/", 1)[1]) == 16 for n in nodes)
    assert built.statements == len(nodes)


@pytest.mark.slow
def test_exports_do_not_depend_on_the_hash_seed(exports: dict[str, str], tmp_path: Path) -> None:
    """Python salts string hashes per process; rdflib's TriG and RDF/XML writers follow set
    order. A build in a process with another seed must give byte-identical files."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\nfrom pathlib import Path\nfrom omskg.curation.build import build_graph\n"
        "from omskg.release.rdf_writers import RDF_EXPORTS\ng = build_graph().graph\n"
        "for name, export in RDF_EXPORTS.items():\n"
        "    (Path(sys.argv[1]) / name).write_text(export(g), encoding='utf-8')\n"
    )
    # this process's seed is random (or the runner's): a child with another one must agree
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, check=True)
    for name, text in exports.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text, f"{name} (seed {seed})"
