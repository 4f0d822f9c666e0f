"""SHACL validation of the built graph, reported so that a person can act on it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import shacl
from rdflib import RDFS, BNode, Graph, URIRef
from rdflib.term import Node

from omskg.curation.build import BuiltGraph
from omskg.paths import project_root
from omskg.prefixes import PrefixMap, load_prefix_map

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

    The engine is PyPI's ``shacl`` (Rust): ``tests/test_shacl_engine.py`` holds it to
    pySHACL's results (shape, focus node, path, severity, component and message) on every
    conforming and broken example of the shapes and on the whole graph, and it takes 0.03 s
    where pySHACL takes 2 s on the built graph (docs/validation.md, decision 30).

    >>> from omskg.curation.build import build_graph
    >>> validate(build_graph()).conforms
    True
    """
    graph = built.graph if isinstance(built, BuiltGraph) else built
    shapes_graph = shapes if shapes is not None else load_shapes()
    compiled = shacl.Shapes.from_text(shapes_graph.serialize(format="nt"), "nt")
    results = compiled.validate_text(graph.serialize(format="nt"), "nt", allow_warnings=True).results
    findings = [_finding(result, graph, built) for result in results]
    findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f))
    return Report(tuple(findings))


def _finding(result: shacl.Result, data: Graph, built: BuiltGraph | Graph) -> Finding:
    prefixes = load_prefix_map()
    focus = _node(result.focus_node)
    label = data.value(focus, RDFS.label) if focus is not None else None
    origin = built.origin(focus) if isinstance(built, BuiltGraph) and isinstance(focus, URIRef) else ""
    return Finding(
        severity=str(result.severity),
        focus=_name(focus, prefixes),
        focus_label=str(label or ""),
        path=_path_name(result.path, prefixes),
        message=str(result.message or ""),
        shape=_name(_node(result.root_shape), prefixes),
        origin=origin,
    )


def _node(term: str | None) -> URIRef | BNode | None:
    """An IRI or blank node as the engine writes it (N-Triples: ``<iri>``, ``_:label``)."""
    if not term:
        return None
    if term.startswith("<") and term.endswith(">"):
        return URIRef(term[1:-1])
    return BNode(term.removeprefix("_:"))


def _name(node: Node | None, prefixes: PrefixMap) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        return prefixes.compress(str(node)) or f"<{node}>"
    return node.n3()


def _path_name(path: str | None, prefixes: PrefixMap) -> str:
    """A result path as a reader writes it: a CURIE, or a SPARQL-like path with CURIEs."""
    if not path:
        return ""
    return re.sub(r"<([^<>\s]*)>", lambda m: prefixes.compress(m.group(1)) or m.group(0), path)
