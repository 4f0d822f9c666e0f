"""Atomic file writes: a reader sees the old file or the new one, never a mix."""

from __future__ import annotations

import gzip
import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TextIO, cast


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once, at import: os.umask sets while it reads


def _publishable(fd: int) -> None:
    """Give a temporary file the mode a plain ``open`` would (mkstemp makes it 0600)."""
    os.fchmod(fd, 0o666 & ~_UMASK)


def write_files_atomically(files: dict[Path, str]) -> None:
    """Write every file to a temporary sibling first, then rename them all into place.

    Nothing is renamed until every file has been written, so a failure part-way
    (disk full, interruption) leaves the previous files untouched.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            _publishable(fd)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, path in staged:
        os.replace(tmp, path)


@contextmanager
def atomic_writer(path: Path) -> Iterator[TextIO]:
    """A text stream into a temporary sibling of ``path``, renamed into place only when the
    block ends without an error (gzip-compressed when the name ends in ``.gz``).

    For outputs too large to hold in memory; an interrupted write leaves ``path`` as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    _publishable(fd)
    try:
        with os.fdopen(fd, "wb") as raw:
            packed = (
                gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0)
                if path.suffix == ".gz"
                else None
            )
            text = io.TextIOWrapper(cast(IO[bytes], packed or raw), encoding="utf-8", newline="\n")
            yield text
            text.flush()
            text.detach()  # leaves the byte streams open, to be closed in order below
            if packed is not None:
                packed.close()  # writes the gzip trailer into raw
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
