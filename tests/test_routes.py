"""Every competency question gives its expected answer on every route (docs/sparql-stores.md,
"The dataset each route asks"): in process over the built graph (tests/test_queries.py holds
that to the expected CSV), over the release's store with the HPO graph beside the core
(``omskg query --store``), and at the served ``/sparql`` over that store, asked as any SPARQL
client asks (no ``default-graph-uri``: the union of the graphs). A pushed store and
Virtuoso are asked in tests/test_endpoint.py (``make test-engines``).

Typed literals compare by value: the store keeps values, not lexical forms (decision 14).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import Release
from engines import start_omskg
from omskg.curation.build import BuiltGraph
from omskg.linked.store import open_store, run_store_query
from omskg.query import NamedQuery, Table, list_queries, run_query
from omskg.remote_store import run_remote_query
from test_endpoint import stored_rows

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("release")]

QUESTIONS = list_queries()


def _differences(built: BuiltGraph, answers: dict[str, Table]) -> dict[str, str]:
    """The questions whose answer is not the in-process one, with what differs."""
    differing = {}
    for query in QUESTIONS:
        expected = Counter(stored_rows(run_query(built.graph, query, query.example)))
        got = Counter(stored_rows(answers[query.name]))
        if got != expected:
            differing[query.name] = f"extra {list(got - expected)[:3]}, missing {list(expected - got)[:3]}"
    return differing


def _ask(ask: object) -> dict[str, Table]:
    return {query.name: ask(query) for query in QUESTIONS}  # type: ignore[operator]


def test_every_question_on_the_release_store(release: Release, built: BuiltGraph) -> None:
    store = open_store(release.path / "store")
    assert len(QUESTIONS) >= 30
    assert _differences(built, _ask(lambda q: run_store_query(store, q, q.example))) == {}


def test_every_question_at_the_served_endpoint_over_the_release_store(
    release: Release, built: BuiltGraph, tmp_path: Path
) -> None:
    server = start_omskg(tmp_path, "--store", str(release.path / "store"))
    try:

        def ask(query: NamedQuery) -> Table:
            return run_remote_query(server.query_url, query, query.example, graphs=())

        assert _differences(built, _ask(ask)) == {}
    finally:
        server.stop()
