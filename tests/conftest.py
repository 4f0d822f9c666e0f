"""Shared fixtures: the project root, the built graph (built once per session), the sources."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import io
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pyoxigraph
import pytest

from engine_virtuoso import start_virtuoso
from engines import STARTERS, RunningStore, start_omskg
from omskg.cli import main
from omskg.curation.build import BuiltGraph, build_graph
from omskg.paths import project_root

STARTERS["virtuoso"] = start_virtuoso  # registered here, as engine_virtuoso builds on engines


@pytest.fixture(scope="session")
def root() -> Path:
    return project_root()


@pytest.fixture(scope="session")
def built(root: Path) -> BuiltGraph:
    return build_graph(root)


def find_sources(root: Path) -> Path | None:
    """The folder of the two source documents: $OMSKG_SOURCES, else ``shared/sources``
    beside the checkout or beside any folder above it; None when neither holds them."""
    env = os.environ.get("OMSKG_SOURCES")
    candidates = [Path(env)] if env else [a / "shared" / "sources" for a in root.resolve().parents]
    return next((p for p in candidates if (p / "000_6e40a66a197a718b.txt").is_file()), None)


@pytest.fixture(scope="session")
def sources_dir(root: Path) -> Path:
    """The source documents' folder (see :func:`find_sources`); the test is skipped without it."""
    found = find_sources(root)
    if found is None:
        pytest.skip("source documents not found beside the checkout; set OMSKG_SOURCES")
    return found


@pytest.fixture(scope="session")
def served(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStore]:
    """``omskg serve`` on a free port of 127.0.0.1, with the source documents when they are found."""
    sources = find_sources(root)
    server = start_omskg(tmp_path_factory.mktemp("serve"), *(["--sources", str(sources)] if sources else []))
    yield server
    server.stop()


@pytest.fixture()
def project_copy(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A writable copy of the project's ontology, data and queries, used as OMSKG_ROOT."""
    copy = tmp_path / "project"
    for name in ("ontology", "data", "queries"):
        shutil.copytree(root / name, copy / name)
    monkeypatch.setenv("OMSKG_ROOT", str(copy))
    from omskg.prefixes import load_prefix_map
    from omskg.release.jsonld import load_context

    load_prefix_map.cache_clear()
    load_context.cache_clear()
    yield copy
    load_prefix_map.cache_clear()
    load_context.cache_clear()


def _no_network(*args: object, **kwargs: object) -> None:
    raise OSError("network access attempted during an offline test")


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any attempt to resolve a host name or open a connection during the test."""
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    yield


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-expected",
        action="store_true",
        help="rewrite queries/cq/*.csv from the current answers (review the diff!)",
    )
    parser.addoption(
        "--engine",
        default="oxigraph",
        help="SPARQL store the endpoint tests start (see STARTERS in tests/engines.py; default: oxigraph)",
    )
    parser.addoption(
        "--whole-push",
        action="store_true",
        help="also push the whole linked HPO graph into Oxigraph and Virtuoso (make test-engines)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests marked ``whole_push`` run only with ``--whole-push`` (``make test-engines``)."""
    if config.getoption("--whole-push"):
        return
    skip = pytest.mark.skip(reason="pushes the whole HPO graph: make test-engines runs it (--whole-push)")
    for item in items:
        if item.get_closest_marker("whole_push"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sparql_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningStore]:
    """One real store of the ``--engine`` for the session, on a free port of 127.0.0.1."""
    engine = request.config.getoption("--engine")
    if engine not in STARTERS:
        raise pytest.UsageError(f"unknown --engine {engine!r}; tests/engines.py starts {', '.join(STARTERS)}")
    store = STARTERS[engine](tmp_path_factory.mktemp(engine))
    yield store
    store.stop()


@dataclass(frozen=True)
class Release:
    """A release built by ``omskg build --out PATH``, and what the build printed (its steps on
    standard error, then its listing on standard output)."""

    path: Path
    log: str


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """One whole release (exports, reports, the linked HPO store), built once for the tests
    that only read it: the HPO conversion is the slowest step of the suite."""
    out = tmp_path_factory.mktemp("release") / "dist"
    log = io.StringIO()
    with contextlib.redirect_stderr(log), contextlib.redirect_stdout(log):
        assert main(["build", "--out", str(out)]) == 0
    return Release(out, log.getvalue())


@pytest.fixture(scope="session")
def core_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release without the linked HPO data (``build --no-link``), built once per test run and
    shared by the workers (the first to take the lock builds it): tests copy it, and check that
    a refused or interrupted build leaves it, or a changed copy, as it was. What the build
    printed (the file listing) is in ``listing.txt`` beside it."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    out = shared / "core-release" / "dist"
    with (shared / "core-release.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "core-release" / "done").exists():
            listing = io.StringIO()
            with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(listing):
                assert main(["build", "--out", str(out), "--no-link"]) == 0
            (shared / "core-release" / "listing.txt").write_text(listing.getvalue(), encoding="utf-8")
            (shared / "core-release" / "done").touch()
    return out


@pytest.fixture(scope="session")
def linked_store(release: Release) -> pyoxigraph.Store:
    """The release's store (core graph and linked HPO dataset), opened read-only."""
    return pyoxigraph.Store.read_only(str(release.path / "store"))


def load_bench(root: Path, name: str) -> ModuleType:
    """The benchmark script ``bench/NAME.py`` as a module (its verdicts are tested; the
    benchmark itself runs with ``make bench``, ``make bench-validate``, ``make bench-push``, ...)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", root / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it is executed
    spec.loader.exec_module(module)
    return module
