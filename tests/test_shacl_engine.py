"""The SHACL engine of the core graph, the release description and the published questions
(PyPI's ``shacl``, :func:`omskg.curation.validate.validate`) gives pySHACL's results, the
reference (decision 30): the same (shape, focus node, path, severity, constraint component,
message) on every conforming and broken example of the three shape sets, on the whole built
graph, on a release's own description, and on the published questions."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import shacl
from pyshacl import validate as pyshacl_validate
from rdflib import RDF, RDFS, BNode, Graph
from rdflib.namespace import SH

from omskg.curation.build import BuiltGraph
from omskg.curation.ontology import load_ontology
from omskg.curation.validate import load_shapes
from omskg.paths import project_root
from omskg.prefixes import OA, OMS, OMSE
from omskg.release.hcls import load_hcls_shapes
from omskg.release.rdf_writers import DESCRIPTION
from omskg.release.sparql_examples import load_examples_shapes, sparql_examples

# make test-fast leaves it out; tests/test_shapes.py checks each example with the engine alone
pytestmark = pytest.mark.reference

ROOT = project_root()
EXAMPLES = Path(__file__).parent / "shapes"
Key = tuple[str, str, str, str, str, str]  # shape, focus, path, severity, component, message


def _local(iri: object) -> str:
    return str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def reference(data: Graph, shapes: Graph) -> set[Key]:
    """pySHACL's results, keyed; a blank focus node or a path that is not one IRI is named by
    its kind only (the two engines label blank nodes apart)."""
    _, report, _ = pyshacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    found = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        shape = report.value(result, SH.sourceShape)
        if isinstance(shape, BNode):  # a property shape: the node shape that holds it
            shape = shapes.value(None, SH.property, shape)
        focus, path = report.value(result, SH.focusNode), report.value(result, SH.resultPath)
        found.add(
            (
                f"<{shape}>",
                "(blank)" if isinstance(focus, BNode) else f"<{focus}>",
                "" if path is None else "(path)" if isinstance(path, BNode) else f"<{path}>",
                _local(report.value(result, SH.resultSeverity)),
                _local(report.value(result, SH.sourceConstraintComponent)),
                str(report.value(result, SH.resultMessage)),
            )
        )
    return found


def engine(data: Graph, shapes: Graph) -> set[Key]:
    """The same keys from the engine :func:`~omskg.curation.validate.validate` runs."""
    compiled = shacl.Shapes.from_text(shapes.serialize(format="nt"), "nt")
    report = compiled.validate_text(data.serialize(format="nt"), "nt", allow_warnings=True)
    return {
        (
            r.root_shape,
            "(blank)" if r.focus_node.startswith("_:") else r.focus_node,
            "" if not r.path else r.path if r.path.startswith("<") and " " not in r.path else "(path)",
            _local(r.severity),
            _local(r.component),
            str(r.message),
        )
        for r in report.results
    }


@cache
def _base(name: str) -> Graph:
    """What an example of each shape set is added to (read once)."""
    if name == "ontology":
        return load_ontology(ROOT)
    return Graph().parse(EXAMPLES / name / "base.ttl")


def _with(base: Graph, path: Path) -> Graph:
    graph = Graph()
    graph += base
    graph.parse(path, format="turtle")
    return graph


CORE_SHAPES, HCLS_SHAPES, EXAMPLE_SHAPES = load_shapes(ROOT), load_hcls_shapes(), load_examples_shapes()
CASES = [
    *((p, CORE_SHAPES, "ontology") for p in sorted(EXAMPLES.glob("valid/S*.ttl"))),
    *((p, CORE_SHAPES, "ontology") for p in sorted(EXAMPLES.glob("invalid/S*.ttl"))),
    *((p, HCLS_SHAPES, "hcls") for p in sorted(EXAMPLES.glob("hcls/*/H*.ttl"))),
    *((p, EXAMPLE_SHAPES, "examples") for p in sorted(EXAMPLES.glob("examples/*/E*.ttl"))),
]


def test_every_shape_set_has_its_examples_here() -> None:
    kinds = [kind for _, _, kind in CASES]
    assert kinds.count("ontology") >= 100 and kinds.count("hcls") >= 60 and kinds.count("examples") >= 7


@pytest.mark.parametrize(
    ("path", "shapes", "base"), CASES, ids=lambda v: v.stem if isinstance(v, Path) else ""
)
def test_the_engine_gives_pyshacls_results_on_the_example(path: Path, shapes: Graph, base: str) -> None:
    data = _with(_base(base), path)
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
