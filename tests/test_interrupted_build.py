"""An interrupted ``omskg build`` leaves the previous release whole.

The build runs as a real process and is killed (SIGKILL) or interrupted (SIGINT) at
moments found by watching the folders it writes; no hook in the code says when. The
release folder must then be byte for byte the previous release, or byte for byte the new
one once the swap is done, never a mix; the next build cleans up what a killed one left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from omskg import fileio
from omskg.cli import main
from omskg.errors import OmsError
from omskg.release.rdf_writers import DESCRIPTION

pytestmark = pytest.mark.slow  # make test-fast leaves it out (see pyproject.toml)

Tree = dict[str, bytes | None]  # relative path -> content (None: a folder)


def _tree(folder: Path) -> Tree:
    return {
        str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes())
        for p in sorted(folder.rglob("*"))
    }


def _write_tree(folder: Path, tree: Tree) -> None:
    for name, content in tree.items():
        path = folder / name
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)


def _staging(out: Path) -> list[Path]:
    return [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.new-")]


# --- the swap itself, in process ----------------------------------------------------------


def test_an_error_inside_leaves_the_folder_and_nothing_beside_it(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    _write_tree(out, {DESCRIPTION: b"old", "framed": None, "framed/a.jsonld": b"a"})
    with pytest.raises(RuntimeError, match="stopped"), fileio.replaced_folder(out, marker=DESCRIPTION) as new:
        (new / DESCRIPTION).write_bytes(b"new")
        raise RuntimeError("stopped")
    assert _tree(out) == {DESCRIPTION: b"old", "framed": None, "framed/a.jsonld": b"a"}
    assert [p.name for p in tmp_path.iterdir()] == ["dist"]


def test_the_new_folder_replaces_the_old_one_whole(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    _write_tree(out, {DESCRIPTION: b"old", "stale.tsv": b"gone", "framed": None, "framed/a.jsonld": b"a"})
    with fileio.replaced_folder(out, marker=DESCRIPTION) as new:
        assert new.parent == tmp_path and _tree(new) == {}
        _write_tree(new, {DESCRIPTION: b"new", "framed": None, "framed/b.jsonld": b"b"})
        assert (out / "stale.tsv").is_file()  # nothing visible before the block ends
    assert _tree(out) == {DESCRIPTION: b"new", "framed": None, "framed/b.jsonld": b"b"}
    assert [p.name for p in tmp_path.iterdir()] == ["dist"]
    assert out.stat().st_mode & 0o777 == 0o777 & ~fileio._UMASK  # not mkdtemp's 0700


@pytest.mark.parametrize("name", ["project", "project/notes.txt"])
def test_what_is_no_earlier_release_is_refused(name: str, tmp_path: Path) -> None:
    _write_tree(tmp_path, {"project/notes.txt": b"mine"})
    with (
        pytest.raises(
            OmsError,
            match=rf"{name} is neither an empty folder nor an earlier output \(it holds no {DESCRIPTION}\); "
            "nothing was written",
        ),
        fileio.replaced_folder(tmp_path / name, marker=DESCRIPTION),
    ):
        pytest.fail("the block must not run")
    assert _tree(tmp_path) == {"project": None, "project/notes.txt": b"mine"}


def test_a_link_to_a_release_is_followed(tmp_path: Path) -> None:
    _write_tree(tmp_path / "disk", {"dist": None, f"dist/{DESCRIPTION}": b"old"})
    (tmp_path / "dist").symlink_to(tmp_path / "disk" / "dist")
    with fileio.replaced_folder(tmp_path / "dist", marker=DESCRIPTION) as new:
        assert new.parent == tmp_path / "disk"
        (new / DESCRIPTION).write_bytes(b"new")
    assert (tmp_path / "dist").is_symlink()
    assert _tree(tmp_path / "disk") == {"dist": None, f"dist/{DESCRIPTION}": b"new"}


def test_leftovers_of_dead_runs_go_and_those_of_a_running_one_stay(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    _write_tree(out, {DESCRIPTION: b"old"})
    _write_tree(tmp_path / ".dist.new-dead", {"omskg.nt": b"half"})
    with fileio.replaced_folder(out, marker=DESCRIPTION) as running:
        assert not (tmp_path / ".dist.new-dead").exists()
        (running / DESCRIPTION).write_bytes(b"first")
        with fileio.replaced_folder(out, marker=DESCRIPTION) as second:
            assert running.is_dir()  # locked by the run still filling it
            (second / DESCRIPTION).write_bytes(b"second")
        assert (out / DESCRIPTION).read_bytes() == b"second"
    assert (out / DESCRIPTION).read_bytes() == b"first"  # the last to finish wins, whole
    assert [p.name for p in tmp_path.iterdir()] == ["dist"]


def test_without_an_atomic_exchange_a_crash_between_renames_is_repaired(tmp_path: Path) -> None:
    """Where folders cannot trade places in one step, the old one is renamed aside first;
    a crash before the new one is renamed in leaves it there, and the next run puts it back."""
    out, fresh = tmp_path / "dist", tmp_path / ".dist.new-x"
    _write_tree(out, {DESCRIPTION: b"old"})
    _write_tree(fresh, {DESCRIPTION: b"new"})
    fileio._rename_aside(fresh, out)
    assert _tree(out) == {DESCRIPTION: b"new"}
    assert [p.name for p in tmp_path.iterdir()] == ["dist"]

    out.rename(tmp_path / ".dist.old-y")  # the state a crash between the two renames leaves
    with pytest.raises(RuntimeError), fileio.replaced_folder(out, marker=DESCRIPTION):
        assert _tree(out) == {DESCRIPTION: b"new"}
        raise RuntimeError
    assert [p.name for p in tmp_path.iterdir()] == ["dist"]


# --- a real build, interrupted ------------------------------------------------------------


@pytest.fixture(scope="module")
def releases(core_release: Path) -> tuple[Tree, Tree]:
    """The release ``omskg build --no-link`` writes now, and a previous one that differs in
    every file, with files and a store the new one does not have."""
    new = _tree(core_release)
    previous: Tree = {k: None if v is None else v + b"\n# previous release\n" for k, v in new.items()}
    previous |= {
        "omskg.stale.tsv": b"a file this release no longer writes\n",
        "store": None,
        "store/CURRENT": b"x",
    }
    return previous, new


def _start_build(out: Path, options: tuple[str, ...], scratch: Path) -> subprocess.Popen[bytes]:
    """``omskg build --out OUT`` in its own process group, its temporary files in ``scratch``."""
    scratch.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "omskg.cli", "build", "--out", str(out), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(scratch)},
        start_new_session=True,
        # A test run started in the background inherits SIGINT ignored, and Python keeps an
        # ignored SIGINT ignored: give the build the default, as a terminal would.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture()
def build_process(tmp_path: Path) -> Iterator[Callable[[Path, tuple[str, ...]], subprocess.Popen[bytes]]]:
    """Starts builds; at the end kills what is left of each one's process group (the HPO worker)."""
    started: list[subprocess.Popen[bytes]] = []

    def start(out: Path, options: tuple[str, ...]) -> subprocess.Popen[bytes]:
        started.append(_start_build(out, options, tmp_path / "scratch"))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()
        with contextlib.suppress(ProcessLookupError):  # nothing left in the group
            os.killpg(process.pid, signal.SIGKILL)


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes], timeout: float = 300) -> None:
    """Poll ``condition`` every millisecond; fail if the build ends or the time runs out first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            pytest.fail(f"the build ended ({process.returncode}) before the moment came: {stderr}")
        if time.monotonic() > deadline:
            pytest.fail(f"the moment did not come within {timeout} s")
        time.sleep(0.001)


def _staged_names(out: Path) -> set[str]:
    """The names in the folders a build is filling (they may vanish while we look)."""
    names: set[str] = set()
    for folder in _staging(out):
        with contextlib.suppress(FileNotFoundError):
            names.update(p.name for p in folder.iterdir())
    return names


def _started(out: Path, scratch: Path) -> bool:
    return bool(_staging(out))


def _loading_hpo(out: Path, scratch: Path) -> bool:
    """The new store exists and the HPO worker has handed over its first chunk."""
    chunks = (f for folder in scratch.glob("omskg-linked-*") for f in folder.glob("*.nq"))
    return any(name.startswith(".store.") for name in _staged_names(out)) and any(chunks)


MOMENTS = {
    "SIGKILL once the new release folder exists": (("--no-link",), _started, signal.SIGKILL),
    "SIGINT once the new release folder exists": (("--no-link",), _started, signal.SIGINT),
    "SIGKILL while the HPO data is loaded into the new store": ((), _loading_hpo, signal.SIGKILL),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_build_stopped_before_its_swap_leaves_the_previous_release(
    moment: str,
    releases: tuple[Tree, Tree],
    tmp_path: Path,
    build_process: Callable[[Path, tuple[str, ...]], subprocess.Popen[bytes]],
) -> None:
    options, moment_came, how = MOMENTS[moment]
    previous, _ = releases
    out = tmp_path / "release" / "dist"
    _write_tree(out, previous)
    process = build_process(out, options)
    _wait_for(lambda: moment_came(out, tmp_path / "scratch"), process)
    os.kill(process.pid, how)
    if how == signal.SIGINT:  # Ctrl-C: one line and 130, not a traceback
        assert process.wait(60) == 130
        assert process.stderr is not None
        said = [line for line in process.stderr.read().decode().splitlines() if not line.startswith("[")]
        assert said == [
            f"error: interrupted; {out} holds the previous release, or the new one whole if it was "
            "already in place"
        ]
    else:
        assert process.wait(60) == -how
    assert _tree(out) == previous
    # A SIGINT usually lets the build remove its own folder, but one that lands before the
    # clean-up is armed (or during it) leaves a leftover, which the next build removes.


def test_a_build_killed_while_writing_then_after_its_swap_then_run_again(
    releases: tuple[Tree, Tree],
    tmp_path: Path,
    build_process: Callable[[Path, tuple[str, ...]], subprocess.Popen[bytes]],
) -> None:
    previous, new = releases
    out = tmp_path / "release" / "dist"
    _write_tree(out, previous)
    _write_tree(out.parent / ".dist.new-dead", {"half-written.nt": b"left by a build killed earlier"})
    before = out.stat().st_ino
    process = build_process(out, ("--no-link",))
    _wait_for(lambda: bool(_staged_names(out) - {"half-written.nt"}), process)
    os.kill(process.pid, signal.SIGSTOP)  # frozen while writing: what a kill now would leave
    try:
        assert out.stat().st_ino == before, "the poll saw the writing only after the swap"
        assert _tree(out) == previous
        assert not (out.parent / ".dist.new-dead").exists()
    finally:
        os.kill(process.pid, signal.SIGCONT)
    _wait_for(lambda: out.stat().st_ino != before, process)
    os.kill(process.pid, signal.SIGKILL)  # the swap is done; the old release may be half deleted
    process.wait(60)
    assert _tree(out) == new

    assert main(["build", "--out", str(out), "--no-link"]) == 0
    assert _tree(out) == new
    assert [p.name for p in out.parent.iterdir()] == ["dist"]
    assert list((tmp_path / "scratch").iterdir()) == []
