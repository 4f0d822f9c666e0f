"""The command line's manners (docs/command-line.md): ``--version``; a Ctrl-C is one line and
exit 130 wherever it lands; a misspelt question gets "did you mean"; an IRI that names nothing
gets a warning; ``query --list`` says what each question needs; ``build`` refuses to delete
files it does not write; ``serve`` on a busy port says so and exits 2."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest

from omskg.cli import main
from omskg.query import list_queries
from omskg.release.stamp import input_digest, up_to_date


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"omskg {version('omskg')}\n"


# --- Ctrl-C ---------------------------------------------------------------------------------


def _interrupt(arguments: list[str], tmp_path: Path, moment: float | str) -> tuple[int, list[str]]:
    """Run ``omskg ARGUMENTS`` as the console script does, in a process group of its own, and
    send SIGINT to the whole group (what a terminal's Ctrl-C does) after ``moment`` seconds, or
    once the HPO worker has handed over a chunk (``"hpo"``); its exit code and standard error."""
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from omskg.console import main; sys.exit(main())", *arguments],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(scratch)},
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        if moment == "hpo":
            deadline = time.monotonic() + 120
            while not any(scratch.glob("omskg-linked-*/*.nq")):
                assert process.poll() is None and time.monotonic() < deadline, "the HPO worker never started"
                time.sleep(0.01)
        else:
            time.sleep(float(moment))
        os.killpg(process.pid, signal.SIGINT)
        _, error = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return process.returncode, error.decode().splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("moment", [0.3, 1.0, 3.0])
def test_ctrl_c_while_loading_or_building_is_one_line_and_130(tmp_path: Path, moment: float) -> None:
    code, said = _interrupt(["build", "--no-link", "--out", "dist"], tmp_path, moment)
    said = [line for line in said if not line.startswith("[")]  # the step lines
    assert code in (130, -signal.SIGINT), said  # -2: before Python set up its handler
    assert not any("Traceback" in line or "KeyboardInterrupt" in line for line in said), said
    if code == 130:
        assert len(said) == 1 and said[0].startswith("error: interrupted"), said


@pytest.mark.slow
def test_ctrl_c_during_the_hpo_conversion_stops_the_worker_too(tmp_path: Path) -> None:
    code, said = _interrupt(["link", "--store", "store"], tmp_path, "hpo")
    assert code == 130
    assert [line for line in said if not line.startswith("annotations:")] == ["error: interrupted"]
    assert not (tmp_path / "store").exists()
    assert list((tmp_path / "scratch").iterdir()) == []  # the worker's chunks are gone with it


# --- questions --------------------------------------------------------------------------------


def test_a_misspelt_question_gets_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "frist-choice-drug"]) == 2
    assert capsys.readouterr().err == (
        "error: no query named 'frist-choice-drug'; did you mean 05-first-choice-drug? "
        "`omskg query --list` shows them\n"
    )


def test_an_iri_that_names_nothing_gets_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "first-choice-drug", "--param", "_condition_iri=omse:myoclonu"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "warning: omse:myoclonu names nothing in the graph; the answer will be empty\n"
    assert "(0 rows)" in captured.out
    assert main(["query", "first-choice-drug", "--param", "_condition_iri=omse:myoclonus"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("where", [[], ["--endpoint", "http://127.0.0.1:9/query"]])
def test_a_question_of_the_hpo_graph_is_refused_where_the_graph_is_not(
    where: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    linked = list_queries(folder="linked")
    assert len(linked) >= 3
    for query in linked:
        params = [f"--param={name}={value}" for name, value in query.example.items()]
        assert main(["query", query.name, *params, *where]) == 2, query.name
        assert capsys.readouterr().err == (
            f"error: {query.name} asks the HPO graph: give --store DIR (made by `omskg link`) or "
            "--endpoint URL --with-hpo\n"
        )


@pytest.mark.parametrize(
    "arguments",
    [
        ["push", "notaurl"],
        ["push", "http://127.0.0.1:9", "--gsp", "ftp://x/store"],
        ["query", "care-team", "--endpoint", "notaurl"],
        ["query", "care-team", "--endpoint", "http:///query"],
    ],
)
def test_a_url_that_is_not_http_is_named(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(arguments) == 2
    assert "is not an http(s) URL; give the store's address" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["serve", "--workers", "0"], "argument --workers: give a whole number from 1, not 0"),
        (
            ["serve", "--query-timeout", "-3"],
            "argument --query-timeout: give a number of seconds above 0, not -3",
        ),
        (
            ["query", "care-team", "--timeout", "nan"],
            "argument --timeout: give a number of seconds above 0, not nan",
        ),
        (
            ["push", "http://x", "--timeout", "0"],
            "argument --timeout: give a number of seconds above 0, not 0",
        ),
        (["lookalikes", "--top", "0"], "argument --top: give a whole number from 1, not 0"),
    ],
)
def test_a_number_out_of_range_is_named_by_its_option(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(arguments)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_serve_refuses_a_port_out_of_range(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--port", port])
    assert stopped.value.code == 2
    assert f"give a port from 0 to 65535, not {port}" in capsys.readouterr().err


@pytest.mark.slow  # builds the graph once per question (10 s)
def test_the_list_says_what_each_question_needs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--list"]) == 0
    lines = {line.split(":", 1)[0]: line for line in capsys.readouterr().out.splitlines()}
    with_parameters = [q for q in list_queries() if q.parameters]
    assert len(with_parameters) >= 5
    for query in with_parameters:
        needs = [f"--param={p}={query.example[p]}" for p in query.parameters]
        assert f"(needs {' '.join(n.replace('=', ' ', 1) for n in needs)})" in lines[query.name]
        assert main(["query", query.name, *needs, "--format", "csv"]) == 0, query.name
    for query in (q for q in list_queries() if not q.parameters):
        assert "needs --param" not in lines[query.name]
    assert "default" not in "".join(lines.values())


# --- build and serve --------------------------------------------------------------------------


@pytest.mark.slow
def test_build_keeps_files_it_does_not_write_unless_forced(
    core_release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    shutil.copytree(core_release, out)
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    (out / "drafts").mkdir()
    before = sorted(p.name for p in out.iterdir())
    assert main(["build", "--no-link", "--out", str(out)]) == 2
    assert capsys.readouterr().err.endswith(
        f"error: {out} holds drafts, notes.txt, which the build does not write and would delete with "
        "the rest of the old release; move them elsewhere, or build with --force\n"
    )
    assert sorted(p.name for p in out.iterdir()) == before
    assert main(["build", "--no-link", "--out", str(out), "--force"]) == 0
    assert not (out / "notes.txt").exists() and not (out / "drafts").exists()


def test_serve_on_a_busy_port_says_so_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot listen on 127.0.0.1:{port}: in use (another server?); "
        "stop it or choose another with --port\n"
    )


def test_serve_names_a_host_it_cannot_listen_on_and_a_missing_sources_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--host", "999.1.1.1", "--port", "0"]) == 2
    assert "error: cannot listen on 999.1.1.1: Name or service not known" in capsys.readouterr().err
    assert main(["serve", "--sources", str(tmp_path / "none"), "--port", "0"]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'none'}: not a folder of source documents; give the folder with --sources DIR\n"
    )


# --- a second build ---------------------------------------------------------------------------


def _files(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


@pytest.mark.slow
def test_a_second_build_with_nothing_changed_keeps_the_release(
    core_release: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    shutil.copytree(core_release, out)
    (tmp_path / ".dist.new-dead").mkdir()  # left by a build killed earlier
    before = _files(out)
    assert main(["build", "--no-link", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        f"{out} is up to date: nothing it was built from has changed, and its files are as written "
        f"(recorded in {out}/.omskg-build.json); kept as it is\n"
    )
    listing = (core_release.parent / "listing.txt").read_text(encoding="utf-8")
    assert captured.out == listing.replace(str(core_release), str(out))
    assert _files(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["dist"]


@pytest.mark.slow
def test_what_makes_a_release_out_of_date(core_release: Path, tmp_path: Path) -> None:
    """A changed or missing file, other inputs, or a missing store: each makes it build again."""
    out = tmp_path / "dist"
    shutil.copytree(core_release, out)
    inputs = input_digest(link=False)
    assert up_to_date(out, inputs, store=None) is not None
    assert up_to_date(out, "0" * 64, store=None) is None
    assert up_to_date(out, inputs, store="store") is None  # a linked build needs its store
    (out / "omskg.ttl").write_text("edited by hand\n", encoding="utf-8")
    assert up_to_date(out, inputs, store=None) is None
    (out / "omskg.ttl").unlink()
    assert up_to_date(out, inputs, store=None) is None
    (out / ".omskg-build.json").write_text("{not json", encoding="utf-8")
    assert up_to_date(out, inputs, store=None) is None
