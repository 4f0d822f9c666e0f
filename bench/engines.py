"""Benchmark: which embedded store should hold the core graph plus the linked HPO dataset?

Run ``make bench`` (or ``python bench/engines.py``). Each engine runs in its own process,
so that its peak memory (``ru_maxrss``) is its own; all engines load the same N-Quads
(the core graph and the HPO graph, written once by the parent) and answer the same
queries (every competency question of ``queries/cq`` and ``queries/linked`` with its
example parameters). Times are reported as ratios to the fastest engine of the same run,
so the figures compare across machines.

Engines:

``pyoxigraph``  the reference: pyoxigraph's own bulk load of the N-Quads files, and
                ``Store.query`` on the query text directly.
``omskg``       the project's path: the same store, the HPO graph converted *and* loaded
                by :func:`omskg.linked.store.load_linked`, queries through
                :func:`omskg.linked.store.run_store_query` (parameters, guard, rdflib terms).
``oxrdflib``    rdflib's API over pyoxigraph's store (the ``oxrdflib`` plugin).
``rdflib``      rdflib's own in-memory store.

Targets checked (issue 4): the omskg load within 1.5x of the pyoxigraph bulk load; each
query within 2x of the same query on pyoxigraph; the omskg peak memory under 4 GiB.
Every engine must give the same number of rows for each query, or the run fails.
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENGINES = ("pyoxigraph", "omskg", "oxrdflib", "rdflib")
LOAD_TARGET, QUERY_TARGET, MEMORY_TARGET_MB = 1.5, 2.0, 4096


def _queries() -> list[Any]:
    from omskg.query import list_queries

    return list_queries(folder="cq") + list_queries(folder="linked")


def prepare(folder: Path) -> None:
    """Write ``core.nq`` (the built graph in its named graph) and ``hpo.nq`` into ``folder``."""
    import pyoxigraph as ox

    from omskg.curation.build import build_graph
    from omskg.linked.store import core_store, load_linked

    store = core_store(build_graph())
    store.dump(output=str(folder / "core.nq"), format=ox.RdfFormat.N_QUADS)
    load_linked(ox.Store(), keep=folder / "hpo.nq")


def _timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def _load(engine: str, folder: Path) -> tuple[float, Any]:
    """Load both files into the engine's store; the time of the HPO part."""
    core, hpo = folder / "core.nq", folder / "hpo.nq"
    if engine in ("pyoxigraph", "omskg"):
        import pyoxigraph as ox

        from omskg.linked.store import load_linked

        store = ox.Store()
        store.bulk_load(path=str(core), format=ox.RdfFormat.N_QUADS)
        if engine == "omskg":
            seconds, _ = _timed(lambda: load_linked(store))
        else:
            seconds, _ = _timed(lambda: store.bulk_load(path=str(hpo), format=ox.RdfFormat.N_QUADS))
        return seconds, store
    from rdflib import Dataset

    dataset = Dataset(store="Oxigraph" if engine == "oxrdflib" else "default", default_union=True)
    dataset.parse(core, format="nquads")
    seconds, _ = _timed(lambda: dataset.parse(hpo, format="nquads"))
    return seconds, dataset


def _runner(engine: str, store: Any) -> Callable[[Any], int]:
    """A function that runs one named query on the engine and returns its row count."""
    from omskg.linked.store import run_store_query
    from omskg.prefixes import load_prefix_map
    from omskg.query import bind_parameters, run_query, substitute_parameters

    prefixes = load_prefix_map().uri_prefixes
    if engine == "pyoxigraph":

        def direct(query: Any) -> int:
            text = substitute_parameters(query.text, bind_parameters(query, query.example))
            solutions = store.query(text, prefixes=prefixes, use_default_graph_as_union=True)
            count = 0
            for solution in solutions:  # read every value, as the other engines do
                _ = [solution[variable] for variable in solutions.variables]
                count += 1
            return count

        return direct
    if engine == "omskg":
        return lambda query: len(run_store_query(store, query, query.example).rows)
    return lambda query: len(run_query(store, query, query.example).rows)


class _Overtime(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Overtime


def child(engine: str, folder: Path, repeat: int, limit: float) -> dict[str, Any]:
    """Load, then run every query ``repeat`` times (after one warm-up); report medians.

    A query whose warm-up takes longer than ``limit`` seconds is stopped and reported as
    taking ``limit`` (a lower bound; rows -1); one the engine fails on is reported with
    rows -2; one slower than a second is not repeated.
    """
    load_seconds, store = _load(engine, folder)
    run = _runner(engine, store)
    queries: dict[str, float] = {}
    rows: dict[str, int] = {}
    signal.signal(signal.SIGALRM, _alarm)
    for query in _queries():
        started = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            rows[query.name] = run(query)
        except _Overtime:
            rows[query.name], queries[query.name] = -1, limit
            continue
        except Exception as exc:  # an engine that cannot answer a query is a finding, not a crash
            print(f"{engine}: {query.name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            rows[query.name], queries[query.name] = -2, time.perf_counter() - started
            continue
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        times = [time.perf_counter() - started]
        for _ in range(repeat if times[0] < 1 else 0):
            started = time.perf_counter()
            run(query)
            times.append(time.perf_counter() - started)
        queries[query.name] = statistics.median(times[1:] or times)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"engine": engine, "load": load_seconds, "queries": queries, "rows": rows, "peak_mb": peak_mb}


def _ratio(value: float, best: float) -> str:
    return f"{value / best:.2f}x" if best > 0 else "-"


def _failed(result: dict[str, Any], name: str) -> str:
    return f"> {result['queries'][name] * 1000:.0f}" if result["rows"][name] == -1 else "error"


def report(results: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The table of the run and the list of failed targets."""
    by_engine = {r["engine"]: r for r in results}
    best_load = min(r["load"] for r in results)
    names = list(results[0]["queries"])
    lines = [
        "| engine | load HPO graph | load ratio | peak memory | total query time | query ratio (median) "
        "| queries stopped | queries failed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    best_query = {n: min(r["queries"][n] for r in results) for n in names}
    for r in results:
        ratios = [r["queries"][n] / best_query[n] for n in names if best_query[n] > 0]
        lines.append(
            f"| {r['engine']} | {r['load']:.1f} s | {_ratio(r['load'], best_load)} | {r['peak_mb']:.0f} MB "
            f"| {sum(r['queries'].values()) * 1000:.0f} ms | {statistics.median(ratios):.2f}x "
            f"| {list(r['rows'].values()).count(-1)} | {list(r['rows'].values()).count(-2)} |"
        )
    lines += ["", "| query | " + " | ".join(f"{r['engine']} (ms)" for r in results) + " |"]
    lines.append("|---|" + "---|" * len(results))
    for n in names:
        cells = [f"{r['queries'][n] * 1000:.2f}" if r["rows"][n] >= 0 else _failed(r, n) for r in results]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    failures = [
        f"{n}: {r['engine']} gives {r['rows'][n]} rows, {results[0]['engine']} {results[0]['rows'][n]}"
        for r in results
        for n in names
        if r["rows"][n] != results[0]["rows"][n] and r["rows"][n] >= 0
    ]
    if "omskg" in by_engine and "pyoxigraph" in by_engine:
        ours, ref = by_engine["omskg"], by_engine["pyoxigraph"]
        lines.append("")
        load_ratio = ours["load"] / ref["load"]
        lines.append(f"omskg load / pyoxigraph bulk load: {load_ratio:.2f}x (target {LOAD_TARGET}x)")
        if ours["load"] > LOAD_TARGET * ref["load"]:
            failures.append(f"load {ours['load'] / ref['load']:.2f}x over {LOAD_TARGET}x")
        worst = max(names, key=lambda n: ours["queries"][n] / ref["queries"][n])
        worst_ratio = ours["queries"][worst] / ref["queries"][worst]
        lines.append(f"slowest query against pyoxigraph: {worst} {worst_ratio:.2f}x (target {QUERY_TARGET}x)")
        failures += [
            f"{n}: {ours['queries'][n] / ref['queries'][n]:.2f}x over {QUERY_TARGET}x"
            for n in names
            if ours["queries"][n] > QUERY_TARGET * ref["queries"][n]
        ]
        lines.append(f"omskg peak memory: {ours['peak_mb']:.0f} MB (target under {MEMORY_TARGET_MB} MB)")
        if ours["peak_mb"] > MEMORY_TARGET_MB:
            failures.append(f"peak memory {ours['peak_mb']:.0f} MB over {MEMORY_TARGET_MB} MB")
    return lines, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset of the engines")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each query (median)")
    parser.add_argument("--limit", type=float, default=30, help="seconds after which a query is stopped")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.data), args.repeat, args.limit)))
        return 0
    with tempfile.TemporaryDirectory(prefix="omskg-bench-") as folder:
        print("writing the core and HPO graphs as N-Quads ...", file=sys.stderr)
        prepare(Path(folder))
        results = []
        for engine in args.engines.split(","):
            print(f"running {engine} ...", file=sys.stderr)
            command = [sys.executable, __file__, "--child", engine, "--data", folder]
            command += ["--repeat", str(args.repeat), "--limit", str(args.limit)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return 2
            results.append(json.loads(done.stdout.splitlines()[-1]))
    lines, failures = report(results)
    print("\n".join(lines))
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
