"""The SHACL engine of the core graph, the release description and the published questions
(PyPI's ``shacl``, :func:`omskg.curation.validate.validate`) gives pySHACL's results, the
reference (decision 30): the same (shape, focus node, path, severity, constraint component,
message) on every conforming and broken example of the three shape sets, on the whole built
graph, on a release's own description, and on the published questions."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph

from omskg.curation.build import BuiltGraph
from omskg.curation.validate import load_shapes
from omskg.paths import project_root
from omskg.prefixes import OA, OMS, OMSE
from omskg.release.hcls import load_hcls_shapes
from omskg.release.rdf_writers import DESCRIPTION
from omskg.release.sparql_examples import load_examples_shapes, sparql_examples
from shape_examples import engine, example_base, reference, shape_cases, with_example

# make test-fast leaves it out; tests/test_shapes.py checks each example with the engine alone
pytestmark = pytest.mark.reference

ROOT = project_root()


@cache
def _base(name: str) -> Graph:
    """What an example of each shape set is added to (read once)."""
    return example_base(name, ROOT)


CORE_SHAPES, HCLS_SHAPES, EXAMPLE_SHAPES = load_shapes(ROOT), load_hcls_shapes(), load_examples_shapes()
SHAPES = {"core": CORE_SHAPES, "hcls": HCLS_SHAPES, "examples": EXAMPLE_SHAPES}
CASES = [(path, SHAPES[name], name) for path, name in shape_cases(tuple(SHAPES))]


def test_every_shape_set_has_its_examples_here() -> None:
    kinds = [kind for _, _, kind in CASES]
    assert kinds.count("core") >= 100 and kinds.count("hcls") >= 60 and kinds.count("examples") >= 7


@pytest.mark.parametrize(
    ("path", "shapes", "base"), CASES, ids=lambda v: v.stem if isinstance(v, Path) else ""
)
def test_the_engine_gives_pyshacls_results_on_the_example(path: Path, shapes: Graph, base: str) -> None:
    data = with_example(_base(base), path)
    expected = reference(data, shapes)
    assert engine(data, shapes) == expected
    assert expected or "/valid/" in str(path), "a broken example must break something"


def test_the_engine_gives_pyshacls_results_on_the_built_graph(built: BuiltGraph) -> None:
    assert engine(built.graph, CORE_SHAPES) == reference(built.graph, CORE_SHAPES)


def test_the_engine_gives_pyshacls_results_on_a_broken_built_graph(built: BuiltGraph) -> None:
    """The whole graph with a statement's subject, a label and an offset taken away."""
    broken = Graph()
    broken += built.graph
    statement = next(built.graph.subjects(RDF.type, OMS.Statement))
    broken.remove((statement, RDF.subject, None))
    broken.remove((OMSE["clonazepam"], RDFS.label, None))
    evidence = next(built.graph.subjects(RDF.type, OA.TextPositionSelector))
    broken.remove((evidence, OA.start, None))
    expected = reference(broken, CORE_SHAPES)
    assert len(expected) >= 1
    assert engine(broken, CORE_SHAPES) == expected


@pytest.mark.slow
def test_the_engine_gives_pyshacls_results_on_a_release_description(core_release: Path) -> None:
    description = Graph().parse(core_release / DESCRIPTION)
    assert engine(description, HCLS_SHAPES) == reference(description, HCLS_SHAPES)


def test_the_engine_gives_pyshacls_results_on_the_published_questions() -> None:
    examples = sparql_examples()
    assert engine(examples, EXAMPLE_SHAPES) == reference(examples, EXAMPLE_SHAPES)
