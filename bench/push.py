"""Benchmark: ``omskg push`` of the core and the linked HPO graph into a SPARQL store, against
the store's own offline loader on the same data.

Run ``make bench-push`` (or ``python bench/push.py``; needs ``virtuoso-opensource``). The
HPO graph is written as N-Quads, as ``omskg link --nquads`` writes it, and beside it the core
graph; each store then gets, in a fresh data folder of its own:

``native``  the store's own loader on both as one N-Quads file: ``oxigraph load`` (offline),
            Virtuoso's ``ld_dir`` + ``rdf_loader_run`` + ``checkpoint`` (through ``isql``);
``push``    ``omskg push URL --hpo FILE`` as a user runs it, into a server started empty:
            the core graph in one ``PUT``, the HPO graph in steps; into Virtuoso also with
            ``--virtuoso-bulk`` (the HPO graph by its bulk loader, from its data folder).

Each load runs ``--repeat`` times (3) in fresh folders, and the run of median time is kept
(run to run, the same push varied by 15% on the 2-core machine). Seconds are wall-clock
time of the whole command (the push builds the core graph from the
checkout first, as the command does); peak memory is the server's ``VmHWM`` (for
``oxigraph load``, the loader's own). Targets (issue 16): the push within twice the native
load (on Virtuoso, the bulk route's push), the server under 4 GiB; every load must leave the
same number of triples.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _tests_module(name: str) -> ModuleType:
    """``tests/NAME.py``, which starts the stores the tests use (bench/engines.py is another
    module of the same name, so the tests' folder is not put on the path); the one already
    imported when the tests load this file."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


ENGINES = _tests_module("engines")
VIRTUOSO = _tests_module("engine_virtuoso")  # imports ENGINES by its name

RATIO_TARGET, MEMORY_TARGET_MB = 2.0, 4096


@dataclass(frozen=True)
class Load:
    """One load into one store: how, seconds, peak memory (MB), triples then in the store."""

    store: str
    how: str
    seconds: float
    peak_mb: float
    triples: int


def prepare(folder: Path) -> tuple[Path, Path]:
    """Write the HPO graph (N-Quads) and the core and HPO graphs together (N-Quads) into
    ``folder``; return the two files."""
    import pyoxigraph as ox

    from omskg.curation.build import build_graph
    from omskg.linked.store import load_linked
    from omskg.prefixes import CORE_GRAPH

    hpo = folder / "hpo.nq"
    load_linked(ox.Store(), keep=hpo)
    both = folder / "core-and-hpo.nq"
    core = ox.parse(build_graph().graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES)
    graph = ox.NamedNode(str(CORE_GRAPH))
    with both.open("wb") as out:
        quads = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in core)
        ox.serialize(quads, out, ox.RdfFormat.N_QUADS)
        with hpo.open("rb") as lines:
            while block := lines.read(1 << 20):
                out.write(block)
    return hpo, both


def peak_mb(pid: int) -> float:
    """The peak resident memory (``VmHWM``) of the running process ``pid``, in MB."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    return next(int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:"))


def timed(command: list[str], timeout: float, environ: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``command`` (from the checkout, with ``environ`` added to the environment); its
    wall-clock seconds and peak memory (MB, its ``VmHWM`` read every 0.1 s while it runs)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        env = {**os.environ, **(environ or {})}
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        peak = 0.0
        while process.poll() is None:
            if time.perf_counter() - started > timeout:
                process.kill()
                raise RuntimeError(f"{' '.join(command)} took more than {timeout} s")
            with contextlib.suppress(OSError, StopIteration):  # ended meanwhile
                peak = max(peak, peak_mb(process.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        if process.returncode:
            log.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{log.read().decode()}")
    return seconds, peak


def stored(query_url: str) -> int:
    """Triples in the core and HPO graphs of the store at ``query_url`` (a store has graphs of
    its own: Virtuoso's system graphs)."""
    from omskg.prefixes import CORE_GRAPH, HPO_GRAPH
    from omskg.remote_store import count_triples

    return sum(count_triples(query_url, str(graph)) for graph in (CORE_GRAPH, HPO_GRAPH))


def push(store_name: str, hpo: Path, folder: Path, timeout: float, *, bulk: bool = False) -> Load:
    """``omskg push`` of the core and HPO graphs into a fresh, running store; with ``bulk``,
    the HPO graph by Virtuoso's own loader (``--virtuoso-bulk``, from the store's folder)."""
    folder.mkdir(parents=True)
    store = (ENGINES.start_oxigraph if store_name == "oxigraph" else VIRTUOSO.start_virtuoso)(folder)
    try:
        urls = ["--gsp", store.gsp_url, "--query-url", store.query_url, "--update-url", store.update_url]
        if bulk:
            urls += ["--virtuoso-bulk", str(store.folder), "--virtuoso-sql", f"127.0.0.1:{store.sql_port}"]
        command = [sys.executable, "-m", "omskg.cli", "push", store.gsp_url, "--hpo", str(hpo), *urls]
        seconds, _ = timed(command, timeout, {"VIRTUOSO_PASSWORD": "dba"} if bulk else {})
        how = "omskg push --virtuoso-bulk" if bulk else "omskg push"
        return Load(store_name, how, seconds, peak_mb(store.pid), stored(store.query_url))
    finally:
        store.stop()


def native(store_name: str, both: Path, folder: Path, timeout: float) -> Load:
    """The store's own loader on the N-Quads of both graphs, into a fresh store."""
    folder.mkdir(parents=True)
    if store_name == "oxigraph":
        location = folder / "data"
        oxigraph = str(Path(sys.executable).parent / "oxigraph")
        seconds, peak = timed([oxigraph, "load", "--location", str(location), "--file", str(both)], timeout)
        store = ENGINES.start_oxigraph(folder)  # on the loaded folder, to count
        try:
            return Load(store_name, "oxigraph load", seconds, peak, stored(store.query_url))
        finally:
            store.stop()
    store = VIRTUOSO.start_virtuoso(folder)
    try:
        started = time.perf_counter()
        VIRTUOSO.bulk_load(store, both, timeout)
        seconds = time.perf_counter() - started
        how = "ld_dir + rdf_loader_run"
        return Load(store_name, how, seconds, peak_mb(store.pid), stored(store.query_url))
    finally:
        store.stop()


def report(loads: list[tuple[Load, Load, bool]]) -> tuple[list[str], list[str]]:
    """The table (each store: its native load, then each push; ``True`` where the time
    target applies) and the targets missed. The memory target and the triples apply to all."""
    lines = [
        "| store | native loader | native | omskg push | push | ratio | server peak (push) | triples |",
        "|---|---|---|---|---|---|---|---|",
    ]
    failures = []
    for base, pushed, timed_target in loads:
        ratio = pushed.seconds / base.seconds
        shown = f"{ratio:.2f}x" if timed_target else f"{ratio:.2f}x (no target)"
        lines.append(
            f"| {base.store} | {base.how} | {base.seconds:.1f} s | {pushed.how} | {pushed.seconds:.1f} s "
            f"| {shown} | {pushed.peak_mb:.0f} MB | {pushed.triples} |"
        )
        if timed_target and ratio > RATIO_TARGET:
            failures.append(
                f"{base.store}: {pushed.how} takes {ratio:.2f}x the native load (target {RATIO_TARGET}x)"
            )
        if pushed.peak_mb > MEMORY_TARGET_MB:
            failures.append(
                f"{base.store}: the server peaked at {pushed.peak_mb:.0f} MB during {pushed.how} "
                f"(target {MEMORY_TARGET_MB} MB)"
            )
        if pushed.triples != base.triples:
            failures.append(
                f"{base.store}: {pushed.how} left {pushed.triples} triples, the native load {base.triples}"
            )
    return lines, failures


# each store's pushes: whether by Virtuoso's bulk loader, and whether the time target applies
# (Virtuoso's Graph Store Protocol endpoint alone takes over twice its loader: shown, not held)
PUSHES = {"oxigraph": [(False, True)], "virtuoso": [(False, False), (True, True)]}


def median(loads: list[Load]) -> Load:
    """The load of median time among ``loads`` (an odd number of runs of one kind), with the
    highest peak of them all: the time is noisy on a shared machine, the memory target is not
    a median one."""
    middle = sorted(loads, key=lambda load: load.seconds)[len(loads) // 2]
    return replace(middle, peak_mb=max(load.peak_mb for load in loads))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    stores = list(PUSHES)
    parser.add_argument("--stores", nargs="+", default=stores, choices=stores, help="which stores (both)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed to each load")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each load, the median kept (3; odd)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.repeat % 2 == 0:
        parser.error("--repeat takes an odd number of runs, so that the median is one of them")
    with tempfile.TemporaryDirectory(prefix="omskg-bench-push-") as tmp:
        folder = Path(tmp)
        hpo, both = prepare(folder)
        loads = []
        for name in args.stores:
            runs = range(args.repeat)
            base = median([native(name, both, folder / f"{name}-native-{run}", args.timeout) for run in runs])
            for bulk, held in PUSHES[name]:
                where = f"{name}-push{'-bulk' * bulk}"
                pushes = [push(name, hpo, folder / f"{where}-{run}", args.timeout, bulk=bulk) for run in runs]
                loads.append((base, median(pushes), held))
            print(f"{name} measured", file=sys.stderr)
    lines, failures = report(loads)
    print("\n".join(lines))
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
