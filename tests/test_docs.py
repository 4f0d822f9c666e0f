"""The docs check (``make docs-check``): every command output shown in README.md and docs/*.md
comes from the current code.

Every fenced block marked ```console holds ``$ .venv/bin/omskg ...`` commands, each followed by
its output as a terminal shows it (standard output and standard error in the order written). Each
block is rerun here, its commands in order, through :func:`omskg.cli.main` in process (``omskg
link`` as a process of its own, since its worker draws the progress bar), in one working folder
for the session, and the transcript is compared with the block after normalising
only what varies from run to run:

- elapsed times: ``(1.4s)``, ``ready in 66.3s``, and a progress bar's ``[00:06<00:00, 43466.54
  rows/s]``;
- a progress bar's earlier states (what follows a carriage return replaces the line, as on a
  terminal);
- the working folder's absolute path.

The working folder holds what the commands name, made once per session:

- ``dist/``: a copy of the session's release (the ``release`` fixture, built as ``omskg build
  --out PATH``); the build listing in docs/exports.md is compared with that build's own output,
  its path written as ``dist``;
- ``dist-new/``: a release (``--no-link``) built from a copy of the project whose ACTH course is
  ``P141D`` instead of ``P140D``, as README.md says before its ``omskg diff`` example;
- ``bomb.rdf``: the RDF/XML file shown in docs/hostile-input.md.

Output that a test cannot reproduce is not shown as a console block: answers of a live server
asked with curl (docs/serving.md, docs/serving-load.md), pushes to and questions of a running SPARQL
store (docs/sparql-stores.md), and benchmark figures (docs/speed.md, docs/serving.md). Those are
```text blocks or tables that say when they were measured, or commands without output; an
unmarked block showing ``$ .venv/bin/omskg`` fails here.

Also checked: every relative link in README.md, SECURITY.md and docs/*.md names an existing file
or folder; docs/index.md links every page of docs/; docs/layout.md names every module of
src/omskg; README.md is at most 12,000 bytes.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import Release
from omskg.cli import main
from omskg.paths import project_root

# make test-fast leaves it out (see pyproject.toml); it reads the session's release, built once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("release")]

ROOT = project_root()
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINKED_PAGES = [*PAGES, ROOT / "SECURITY.md"]
README_LIMIT = 12_000
MIN_CONSOLE_BLOCKS = 11  # as many as the pages hold today; fewer means blocks were lost or unmarked
COMMAND = ".venv/bin/omskg"
BUILD = ["build", "--out", "dist"]  # its output is the build listing of docs/exports.md
BOMB = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE rdf:RDF [<!ENTITY lol "lol">]>\n'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n'
)

_FENCE = re.compile(r"^```(\S*)\s*$")
_ELAPSED = re.compile(r"(?<![\w.])\d+\.\d+s\b")
_PROGRESS_TIMES = re.compile(r"\[\d+:\d\d<[\d:?]+, *[\d.?]+ ?[\w ]*/s\]")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_CODE_SPAN = re.compile(r"`[^`\n]*`")


@dataclass(frozen=True)
class Block:
    """A fenced block of a page: its info string, first line number (1-based) and text."""

    page: Path
    line: int
    language: str
    text: str

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def fenced_blocks(page: Path) -> list[Block]:
    blocks: list[Block] = []
    lines: list[str] = []
    opened, language = 0, ""
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        fence = _FENCE.match(line)
        if not opened and fence:
            opened, language, lines = number, fence.group(1), []
        elif opened and line.rstrip() == "```":
            blocks.append(Block(page, opened, language, "\n".join(lines)))
            opened = 0
        elif opened:
            lines.append(line)
    return blocks


CONSOLE = [b for page in PAGES for b in fenced_blocks(page) if b.language == "console"]


def commands(block: Block) -> list[tuple[str, list[str]]]:
    """The block's commands: each ``$`` line and its arguments after ``.venv/bin/omskg``."""
    found = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            words = shlex.split(line[2:], comments=True)
            assert words[0] == COMMAND, f"{block.name}: a console block shows only `{COMMAND} ...`: {line}"
            found.append((line, words[1:]))
    assert found and block.text.startswith("$ "), f"{block.name}: a console block starts with a `$` line"
    return found


def normalise(text: str, work: Path) -> str:
    text = text.replace(f"{work}/", "").replace(str(work), ".")
    lines = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]
    text = "\n".join(lines)
    text = _PROGRESS_TIMES.sub("[elapsed]", text)
    return _ELAPSED.sub("<elapsed>s", text).rstrip("\n")


def run_omskg(arguments: list[str], work: Path) -> str:
    """``omskg ARGUMENTS`` in ``work``: what it writes to standard output and error, interleaved.
    In process, except for commands whose child processes write to the terminal themselves."""
    if arguments[:1] == ["link"]:  # the HPO conversion runs in a worker that draws the progress bar
        return subprocess.run(
            [sys.executable, "-m", "omskg.cli", *arguments],
            cwd=work,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        ).stdout.decode()  # bytes: text mode would turn the progress bar's carriage returns into lines
    output = io.StringIO()
    with contextlib.chdir(work), contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        main(arguments)
    return output.getvalue()


class Workspace:
    """The working folder of the docs' commands, with what they name made on first use."""

    def __init__(self, work: Path, root: Path, release: Release) -> None:
        self.work, self.build_output, self.release = work, "", release
        self._new_release = self._start_new_release(root)

    def _start_new_release(self, root: Path) -> subprocess.Popen[bytes]:
        """Build ``dist-new`` in the background: the project with ACTH's course one day longer."""
        copy = self.work.parent / "project-new"
        for name in ("ontology", "data", "queries"):
            shutil.copytree(root / name, copy / name)
        statements = copy / "data" / "statements" / "gale-oms.yaml"
        text = statements.read_text(encoding="utf-8")
        assert text.count("duration: P140D") == 1, "README's diff example changes the ACTH course P140D"
        statements.write_text(text.replace("duration: P140D", "duration: P141D"), encoding="utf-8")
        return subprocess.Popen(
            [sys.executable, "-m", "omskg.cli", "build", "--no-link", "--out", "dist-new"],
            cwd=self.work,
            env={**os.environ, "OMSKG_ROOT": str(copy)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def ensure(self, argument: str) -> None:
        name = Path(argument).parts[0] if argument and not argument.startswith("-") else ""
        if name == "dist" and not self.build_output:
            # a copy of the session's release (`omskg link` below replaces its store), and that
            # build's own output, as `omskg build --out dist` run here would print it
            shutil.copytree(self.release.path, self.work / "dist")
            self.build_output = self.release.log.replace(str(self.release.path), "dist")
        elif name == "dist-new" and self._new_release.returncode is None:
            _, error = self._new_release.communicate(timeout=600)
            assert self._new_release.returncode == 0, error.decode()
        elif name == "bomb.rdf":
            (self.work / name).write_text(BOMB, encoding="utf-8")

    def run(self, arguments: list[str]) -> str:
        for argument in arguments:
            self.ensure(argument)
        if arguments == BUILD:
            return self.build_output
        return run_omskg(arguments, self.work)

    def close(self) -> None:
        if self._new_release.returncode is None:
            self._new_release.kill()
            self._new_release.communicate()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, release: Release) -> Iterator[Workspace]:
    work = tmp_path_factory.mktemp("docs") / "work"
    work.mkdir()
    space = Workspace(work, ROOT, release)
    yield space
    space.close()


@pytest.mark.parametrize("block", CONSOLE, ids=[b.name for b in CONSOLE])
def test_console_block_is_what_the_code_prints(block: Block, workspace: Workspace) -> None:
    if any(arguments[:1] == ["diagram"] for _, arguments in commands(block)) and not shutil.which("dot"):
        pytest.skip("Graphviz's dot is not installed (make test installs it)")
    transcript = []
    for line, arguments in commands(block):
        transcript += [line, workspace.run(arguments).rstrip("\n")]
    expected = normalise(block.text, workspace.work)
    assert normalise("\n".join(transcript), workspace.work) == expected, (
        f"{block.name}: the output shown is not what the code prints now; paste the new output"
    )


def test_enough_console_blocks_are_checked() -> None:
    assert len(CONSOLE) >= MIN_CONSOLE_BLOCKS, [b.name for b in CONSOLE]


def test_omskg_transcripts_are_console_blocks() -> None:
    """An unmarked block showing omskg output would escape the check; mark it ```console (or
    ```text with the date it was measured, for output a test cannot reproduce)."""
    unmarked = [
        b.name
        for page in LINKED_PAGES
        for b in fenced_blocks(page)
        if not b.language and f"$ {COMMAND}" in b.text
    ]
    assert unmarked == []


def test_readme_is_a_front_page() -> None:
    assert len((ROOT / "README.md").read_bytes()) <= README_LIMIT


def _links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    for block in fenced_blocks(page):
        text = text.replace(block.text, "")
    return _LINK.findall(_CODE_SPAN.sub("", text))


@pytest.mark.parametrize("page", LINKED_PAGES, ids=[str(p.relative_to(ROOT)) for p in LINKED_PAGES])
def test_relative_links_name_existing_files(page: Path) -> None:
    broken = []
    for target in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL, or an anchor of the page itself
        path = target.split("#", 1)[0]
        if not (page.parent / path).exists():
            broken.append(target)
    assert broken == []


def test_docs_index_lists_every_page() -> None:
    linked = set(_links(ROOT / "docs" / "index.md"))
    pages = [
        p.name + ("/" if p.is_dir() else "")
        for p in sorted((ROOT / "docs").iterdir())
        if p.name != "index.md" and (p.is_dir() or p.suffix == ".md")
    ]
    assert [p for p in pages if p not in linked] == []


def test_layout_names_every_module() -> None:
    layout = (ROOT / "docs" / "layout.md").read_text(encoding="utf-8")
    package = ROOT / "src" / "omskg"
    names = [
        str(p.relative_to(package)) + ("/" if p.is_dir() else "")
        for p in sorted(package.rglob("*"))
        if "__pycache__" not in p.parts
        and p.parent.name not in {"templates", "static"}
        and not (p.name == "__init__.py" and p.parent != package)
        and p.name not in {"templates", "static"}
    ]
    assert len(names) > 40
    assert [n for n in names if f"`{n}`" not in layout] == []
