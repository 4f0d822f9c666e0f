"""SHACL validation of the built graph, reported so that a person can act on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, BNode, Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from omskg.curation.build import BuiltGraph
from omskg.paths import project_root
from omskg.prefixes import load_prefix_map

SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True, order=True)
class Finding:
    """One SHACL result: severity, focus node (CURIE and label), path, message, shape, record."""

    severity: str
    focus: str
    focus_label: str
    path: str
    message: str
    shape: str
    origin: str

    def __str__(self) -> str:
        where = f" [{self.origin}]" if self.origin else ""
        path = f" {self.path}:" if self.path else ""
        label = f" ({self.focus_label})" if self.focus_label else ""
        return f"{self.severity}: {self.focus}{label}{path} {self.message} <{self.shape}>{where}"


@dataclass(frozen=True)
class Report:
    """The outcome of validation; ``conforms`` is False when any violation was found."""

    findings: tuple[Finding, ...]

    @property
    def conforms(self) -> bool:
        return not any(f.severity == "Violation" for f in self.findings)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def text(self) -> str:
        """One line per finding, violations first, then a summary line."""
        lines = [str(f) for f in self.findings]
        lines.append(
            f"{'conforms' if self.conforms else 'does not conform'}: "
            f"{self.count('Violation')} violation(s), {self.count('Warning')} warning(s), "
            f"{self.count('Info')} info"
        )
        return "\n".join(lines)


def load_shapes(root: Path | None = None) -> Graph:
    """Parse the shapes of the graph, ``ontology/shapes/omskg-shapes.ttl`` (the release
    description has shapes of its own, :func:`omskg.release.hcls.load_hcls_shapes`)."""
    return Graph().parse(
        (root or project_root()) / "ontology" / "shapes" / "omskg-shapes.ttl", format="turtle"
    )


def validate(built: BuiltGraph | Graph, *, shapes: Graph | None = None) -> Report:
    """Validate a built graph (or any data graph) against the project's SHACL shapes.

    >>> from omskg.curation.build import build_graph
    >>> validate(build_graph()).conforms
    True
    """
    graph = built.graph if isinstance(built, BuiltGraph) else built
    shapes_graph = shapes if shapes is not None else load_shapes()
    _, results_graph, _ = shacl_validate(
        graph, shacl_graph=shapes_graph, inference="none", advanced=True, allow_warnings=True
    )
    findings = [
        _finding(results_graph, result, graph, built, shapes_graph)
        for result in results_graph.subjects(RDF.type, SH.ValidationResult)
    ]
    findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f))
    return Report(tuple(findings))


def _finding(results: Graph, result: Node, data: Graph, built: BuiltGraph | Graph, shapes: Graph) -> Finding:
    prefixes = load_prefix_map()

    def name(node: Node | None) -> str:
        if node is None:
            return ""
        if isinstance(node, URIRef):
            return prefixes.compress(str(node)) or f"<{node}>"
        return node.n3()

    focus = results.value(result, SH.focusNode)
    shape = results.value(result, SH.sourceShape)
    if isinstance(shape, BNode):  # a property shape: name the node shape that holds it
        shape = shapes.value(None, SH.property, shape) or shape
    severity = results.value(result, SH.resultSeverity)
    label = data.value(focus, RDFS.label) if focus is not None else None
    origin = built.origin(focus) if isinstance(built, BuiltGraph) and focus is not None else ""
    return Finding(
        severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        focus=name(focus),
        focus_label=str(label or ""),
        path=name(results.value(result, SH.resultPath)),
        message=str(results.value(result, SH.resultMessage) or ""),
        shape=name(shape),
        origin=origin,
    )
