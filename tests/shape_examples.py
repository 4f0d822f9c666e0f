"""What a broken shape example expects, read from its ``# focus:`` and ``# message:`` lines
(shared by the graph shapes and the HCLS release-description shapes); where the examples of
each shape set are, and the results of a SHACL engine keyed so that two engines compare."""

from __future__ import annotations

import re
from pathlib import Path

import shacl
from rdflib import RDF, BNode, Graph
from rdflib.namespace import SH

from omskg.curation.ontology import load_ontology
from omskg.curation.validate import Report


def expectations(path: Path) -> dict[str, str]:
    """The ``focus`` and ``message`` an invalid example states in its comments."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#\s*(focus|message):\s*(.+)$", line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def assert_fails_as_expected(path: Path, report: Report) -> None:
    """``report`` holds a finding of the shape the file is named after (``S06-...`` -> S06),
    on the focus node and with the message its comment lines state."""
    expected = expectations(path)
    assert {"focus", "message"} <= expected.keys(), f"{path.name} lacks # focus/# message lines"
    shape = f"omsshape:{path.name[:3]}"
    hits = [
        f
        for f in report.findings
        if f.shape.startswith(shape) and f.focus == expected["focus"] and expected["message"] in f.message
    ]
    assert hits, f"expected {shape} on {expected['focus']}: {expected['message']}\n{report.text()}"


# --- the examples of every shape set, and the results keyed alike for any engine ----------------
# Shared by tests/test_shacl_engine.py and bench/validate.py (make bench-validate), which holds
# every candidate engine to pySHACL's results on the same files.

EXAMPLES = Path(__file__).parent / "shapes"
# shape set -> (its examples, relative to EXAMPLES; what each is added to: "ontology" or a file)
SHAPE_SETS = {
    "core": (("valid/S*.ttl", "invalid/S*.ttl"), "ontology"),
    "hcls": (("hcls/*/H*.ttl",), "hcls/base.ttl"),
    "examples": (("examples/*/E*.ttl",), "examples/base.ttl"),
    # the conforming slice alone (added to itself), then each broken one
    "linked": (("linked/base.ttl", "linked/invalid/L*.ttl"), "linked/base.ttl"),
}
Key = tuple[str, str, str, str, str, str]  # shape, focus, path, severity, component, message


def shape_cases(names: tuple[str, ...] = tuple(SHAPE_SETS)) -> list[tuple[Path, str]]:
    """Every conforming and broken example of the shape sets ``names``, with its set's name."""
    return [
        (path, name)
        for name in names
        for pattern in SHAPE_SETS[name][0]
        for path in sorted(EXAMPLES.glob(pattern))
    ]


def example_base(name: str, root: Path) -> Graph:
    """What an example of shape set ``name`` is added to."""
    base = SHAPE_SETS[name][1]
    return load_ontology(root) if base == "ontology" else Graph().parse(EXAMPLES / base)


def with_example(base: Graph, path: Path) -> Graph:
    """A copy of ``base`` with the example at ``path`` added."""
    graph = Graph()
    graph += base
    graph.parse(path, format="turtle")
    return graph


def local(iri: object) -> str:
    return str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def report_keys(report: Graph, shapes: Graph) -> set[Key]:
    """The results of a pySHACL-style report graph, keyed; a result of a property shape is named
    by the node shape that holds it, a blank focus node or a path that is not one IRI by its kind
    only (engines label blank nodes apart)."""
    found = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        shape = report.value(result, SH.sourceShape)
        holder = shapes.value(None, SH.property, shape) if shape is not None else None
        shape = holder if holder is not None else shape
        focus, path = report.value(result, SH.focusNode), report.value(result, SH.resultPath)
        found.add(
            (
                f"<{shape}>",
                "(blank)" if isinstance(focus, BNode) else f"<{focus}>",
                "" if path is None else "(path)" if isinstance(path, BNode) else f"<{path}>",
                local(report.value(result, SH.resultSeverity)),
                local(report.value(result, SH.sourceConstraintComponent)),
                str(report.value(result, SH.resultMessage)),
            )
        )
    return found


def reference(data: Graph, shapes: Graph) -> set[Key]:
    """pySHACL's results, keyed (:func:`report_keys`)."""
    from pyshacl import validate as pyshacl_validate  # slow to import: only where it is used

    _, report, _ = pyshacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    return report_keys(report, shapes)


def shacl_keys(results: list[shacl.Result]) -> set[Key]:
    """The same keys from the results of PyPI's ``shacl``."""
    return {
        (
            r.root_shape,
            "(blank)" if r.focus_node.startswith("_:") else r.focus_node,
            "" if not r.path else r.path if r.path.startswith("<") and " " not in r.path else "(path)",
            local(r.severity),
            local(r.component),
            str(r.message),
        )
        for r in results
    }


def engine(data: Graph, shapes: Graph) -> set[Key]:
    """The keys of the engine :func:`~omskg.curation.validate.validate` runs."""
    compiled = shacl.Shapes.from_text(shapes.serialize(format="nt"), "nt")
    return shacl_keys(compiled.validate_text(data.serialize(format="nt"), "nt", allow_warnings=True).results)
