"""Benchmark: how fast are the linked graph's shapes checked, and by which engine?

Run ``make bench-validate`` (or ``python bench/validate.py``). The parent writes the HPO graph
as N-Quads once, then slices of it (its first 10 k, 100 k and 1 M lines) and the whole. Each
measurement runs in its own process, so that its peak memory (``VmHWM``) is its own:

``load``      the reference: pyoxigraph's bulk load of the slice into a new on-disk store.
``compiled``  the project's engine (:mod:`omskg.linked.shacl_sparql`): the slice loaded into
              an in-memory store, the linked shapes compiled to SPARQL and run on two threads,
              as ``omskg build`` does.
``pyshacl``   pySHACL on the slice read into rdflib (only up to ``--pyshacl-limit`` triples:
              it grows much faster than the data); its results must equal the compiled
              engine's (shape, focus node, path, severity, component), or the run fails.

The core graph is timed too: the build's engine (PyPI's ``shacl``, as ``omskg build`` runs
it) and pySHACL, the reference, with the core shapes. Targets (issue 14): the whole linked
graph checked within twice its load, under 2 GiB; the core graph in under 0.5 s. Other
engines (pyrudof, pyshacl-turbo, shacl-rust, TopQuadrant's) were measured once, outside the
project (docs/validation.md).
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SLICES = (10_000, 100_000, 1_000_000, 0)  # 0: the whole graph
CHECK_TARGET, MEMORY_TARGET_MB, CORE_TARGET_S = 2.0, 2048, 0.5


def prepare(folder: Path) -> dict[int, Path]:
    """Write the HPO graph's N-Quads and its slices into ``folder``; return them by size."""
    import pyoxigraph as ox

    from omskg.linked.store import load_linked

    whole = folder / "hpo.nq"
    load_linked(ox.Store(), keep=whole)
    files = {}
    for size in SLICES[:-1]:
        path = folder / f"hpo-{size}.nq"
        with whole.open(encoding="utf-8") as source, path.open("w", encoding="utf-8") as out:
            out.writelines(itertools.islice(source, size))
        files[size] = path
    with whole.open(encoding="utf-8") as source:
        files[sum(1 for _ in source)] = whole
    return files


def measure(candidate: str, path: Path) -> dict[str, Any]:
    """Run one candidate on one file in this process: seconds, peak memory, results."""
    import pyoxigraph as ox

    started = time.perf_counter()
    results: list[list[str]] = []
    if candidate == "load":
        with tempfile.TemporaryDirectory() as folder:
            store = ox.Store(folder)
            store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
            store.flush()
    elif candidate == "compiled":
        from omskg.linked.conformance import linked_checks
        from omskg.linked.shacl_sparql import result_key, run_checks
        from omskg.linked.store import HPO

        store = ox.Store()
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        results = [list(key) for key in {result_key(r) for r in run_checks(store, linked_checks(store), HPO)}]
    elif candidate == "pyshacl":
        results = _pyshacl(path)
    elif candidate == "core":
        from omskg.curation.build import build_graph
        from omskg.curation.validate import validate

        graph = build_graph().graph
        started = time.perf_counter()
        validate(graph)
    elif candidate == "core-pyshacl":
        from pyshacl import validate as pyshacl_validate

        from omskg.curation.build import build_graph
        from omskg.curation.validate import load_shapes

        graph, shapes = build_graph().graph, load_shapes()
        started = time.perf_counter()
        pyshacl_validate(graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    seconds = time.perf_counter() - started
    return {"candidate": candidate, "seconds": seconds, "peak_mb": _peak_mb(), "results": sorted(results)}


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM): ``ru_maxrss`` would carry the parent's
    over ``exec``."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pyshacl(path: Path) -> list[list[str]]:
    """pySHACL's results on the HPO graph of ``path``, keyed as the compiled engine's are."""
    from rdflib import Dataset, Graph

    from omskg.linked.conformance import load_linked_shapes, single_graph_shapes
    from omskg.linked.shacl_sparql import pyshacl_keys
    from omskg.prefixes import HPO_GRAPH

    graph = Graph()
    graph += Dataset().parse(path, format="nquads").graph(HPO_GRAPH)
    # without L04, which reads two named graphs (a slice has no core graph: the compiled
    # engine finds nothing there either)
    return [list(key) for key in pyshacl_keys(graph, single_graph_shapes(load_linked_shapes()))]


def _run(candidate: str, path: Path, timeout: float) -> dict[str, Any] | None:
    """``measure`` in a child process; None when it did not finish within ``timeout``."""
    command = [sys.executable, __file__, "--measure", candidate, str(path)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise RuntimeError(f"{candidate} on {path.name} failed:\n{done.stderr}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def report(
    rows: list[dict[str, Any]], core: dict[str, Any], reference: dict[str, Any] | None = None
) -> tuple[list[str], list[str]]:
    """The table and the failed targets. Each row: ``triples``, and ``load``, ``compiled``
    and ``pyshacl`` measurements (``pyshacl`` None when not run or timed out); ``core`` is
    the build's engine on the core graph, ``reference`` pySHACL on it."""
    lines = [
        "| triples | load | compiled | ratio | peak | pySHACL | same results |",
        "|---|---|---|---|---|---|---|",
    ]
    failures = []
    for row in rows:
        load, compiled, pyshacl = row["load"], row["compiled"], row.get("pyshacl")
        ratio = compiled["seconds"] / load["seconds"]
        same = "" if pyshacl is None else ("yes" if pyshacl["results"] == compiled["results"] else "NO")
        shown = "not run" if pyshacl is None else f"{pyshacl['seconds']:.1f} s"
        lines.append(
            f"| {row['triples']} | {load['seconds']:.1f} s | {compiled['seconds']:.1f} s | {ratio:.2f}x "
            f"| {compiled['peak_mb']:.0f} MB | {shown} | {same} |"
        )
        if same == "NO":
            failures.append(f"{row['triples']} triples: pySHACL and the compiled engine disagree")
    whole = rows[-1]
    ratio = whole["compiled"]["seconds"] / whole["load"]["seconds"]
    lines.append(f"whole graph: checked in {ratio:.2f}x its load (target {CHECK_TARGET}x)")
    if ratio > CHECK_TARGET:
        failures.append(f"the whole graph's check takes {ratio:.2f}x its load (target {CHECK_TARGET}x)")
    if whole["compiled"]["peak_mb"] > MEMORY_TARGET_MB:
        failures.append(f"peak memory {whole['compiled']['peak_mb']:.0f} MB (target {MEMORY_TARGET_MB} MB)")
    against = f", pySHACL in {reference['seconds']:.2f} s" if reference else ""
    engine = f"core graph: the shacl engine in {core['seconds']:.2f} s"
    lines.append(f"{engine}{against} (target {CORE_TARGET_S} s)")
    if core["seconds"] > CORE_TARGET_S:
        failures.append(f"the core graph takes {core['seconds']:.2f} s (target {CORE_TARGET_S} s)")
    return lines, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measure", nargs=2, metavar=("CANDIDATE", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--pyshacl-limit", type=int, default=100_000, help="largest slice given to pySHACL")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed to each measurement")
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return 0
    with tempfile.TemporaryDirectory(prefix="omskg-bench-validate-") as folder:
        files = prepare(Path(folder))
        rows = []
        for triples, path in files.items():
            row: dict[str, Any] = {"triples": triples}
            for candidate in ("load", "compiled"):
                row[candidate] = _run(candidate, path, args.timeout)
            if triples <= args.pyshacl_limit:
                row["pyshacl"] = _run("pyshacl", path, args.timeout)
            rows.append(row)
            print(f"{triples} triples measured", file=sys.stderr)
        core = _run("core", Path(folder), args.timeout)
        reference = _run("core-pyshacl", Path(folder), args.timeout)
    assert core is not None
    lines, failures = report(rows, core, reference)
    print("\n".join(lines))
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
