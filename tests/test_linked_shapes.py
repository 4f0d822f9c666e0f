"""The shapes of the linked HPO graph (ontology/shapes/linked-shapes.ttl), and the engine that
compiles shapes to SPARQL (:mod:`omskg.linked.shacl_sparql`), held to pySHACL's results.

tests/shapes/linked/base.ttl is a conforming slice of the linked graph; each file of
tests/shapes/linked/invalid/ is added to it and states, in ``# focus:`` and ``# message:``
lines, the result it must raise. Every example is validated by both engines, and the two
must give the same results (shape, focus node, path, severity, constraint component).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from omskg.errors import OmsError
from omskg.linked.conformance import single_graph_shapes
from omskg.linked.shacl_sparql import (
    Key,
    Result,
    compile_shapes,
    pyshacl_keys,
    result_key,
    run_checks,
    subclasses,
)
from omskg.paths import project_root
from omskg.prefixes import load_prefix_map
from shape_examples import expectations

ROOT = project_root()
EXAMPLES = ROOT / "tests" / "shapes" / "linked"
INVALID = sorted((EXAMPLES / "invalid").glob("L*.ttl"))


@pytest.fixture(scope="module")
def all_shapes() -> Graph:
    return Graph().parse(ROOT / "ontology" / "shapes" / "linked-shapes.ttl")


@pytest.fixture(scope="module")
def shapes(all_shapes: Graph) -> Graph:
    """The shapes of one graph: all but L04, whose query reads two named graphs."""
    return single_graph_shapes(all_shapes)


def _data(example: Path | None) -> Graph:
    graph = Graph().parse(EXAMPLES / "base.ttl")
    return graph.parse(example) if example else graph


def _pyshacl(data: Graph, shapes: Graph) -> set[Key]:
    return pyshacl_keys(data, shapes)


def _compiled(data: Graph, shapes: Graph) -> list[Result]:
    store = ox.Store()
    store.bulk_load(data.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    return run_checks(store, compile_shapes(shapes, subclasses(store, shapes, None)))


def _keys(results: list[Result]) -> set[Key]:
    return {result_key(r) for r in results}


def test_the_base_slice_conforms(shapes: Graph) -> None:
    assert _compiled(_data(None), shapes) == []


@pytest.mark.reference
def test_the_base_slice_conforms_for_pyshacl(shapes: Graph) -> None:
    assert _pyshacl(_data(None), shapes) == set()


def test_every_shape_has_broken_examples() -> None:
    assert len(INVALID) >= 15
    assert {path.name[:3] for path in INVALID} == {"L01", "L02", "L03"}


@pytest.mark.parametrize("example", INVALID, ids=[p.stem for p in INVALID])
def test_a_broken_example_is_caught(example: Path, shapes: Graph) -> None:
    expected = expectations(example)
    focus = expected["focus"].strip("<>")
    focus = focus if "://" in focus else load_prefix_map().expand(focus)
    results = _compiled(_data(example), shapes)
    assert (focus, expected["message"]) in {(r.focus, r.message) for r in results}, results


@pytest.mark.reference
@pytest.mark.parametrize("example", INVALID, ids=[p.stem for p in INVALID])
def test_a_broken_example_is_caught_alike_by_pyshacl(example: Path, shapes: Graph) -> None:
    data = _data(example)
    assert _keys(_compiled(data, shapes)) == _pyshacl(data, shapes)


def test_nodes_in_both_graphs_are_found_on_the_store(all_shapes: Graph) -> None:
    """L04 needs both named graphs, so it runs on a store (pySHACL validates one graph)."""
    store = ox.Store()
    hpo = ox.NamedNode("https://w3id.org/omskg/graph/hpo")
    core = ox.NamedNode("https://w3id.org/omskg/graph/core")
    store.bulk_load(
        _data(None).serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES, to_graph=hpo
    )
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    oms = ox.NamedNode("https://w3id.org/omskg/entity/oms")
    store.add(ox.Quad(oms, label, ox.Literal("OMS"), core))
    checks = compile_shapes(all_shapes, subclasses(store, all_shapes, hpo))
    assert run_checks(store, checks, hpo) == []
    store.add(ox.Quad(oms, label, ox.Literal("OMS"), hpo))
    [found] = run_checks(store, checks, hpo)
    assert (found.shape, found.focus, found.value) == (
        "<https://w3id.org/omskg/shapes/L04-graphs-apart>",
        str(hpo.value),
        str(oms),
    )


def test_a_shape_feature_the_compiler_lacks_is_refused_not_skipped() -> None:
    """The core shapes use sh:or and sh:uniqueLang, which are not compiled: the engine refuses
    them, naming the shape and the feature, instead of checking part of the shape."""
    core = Graph().parse(ROOT / "ontology" / "shapes" / "omskg-shapes.ttl")
    with pytest.raises(
        OmsError, match=r"shape .*: sh:\w+ cannot be compiled to SPARQL; validate with pySHACL"
    ):
        compile_shapes(core)
