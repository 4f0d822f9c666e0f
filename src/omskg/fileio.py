"""Atomic writes: a reader sees the old file (or folder) or the new one, never a mix."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import gzip
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TextIO, cast

from omskg.errors import OmsError


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once, at import: os.umask sets while it reads


def new_folder(parent: Path, prefix: str) -> Path:
    """A new empty folder in ``parent`` (as :func:`tempfile.mkdtemp` makes), with the mode a
    plain ``mkdir`` would give it rather than mkdtemp's 0700."""
    fresh = Path(tempfile.mkdtemp(dir=parent, prefix=prefix))
    os.chmod(fresh, 0o777 & ~_UMASK)
    return fresh


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


@contextmanager
def replaced_folder(target: Path, *, marker: str) -> Iterator[Path]:
    """A new, empty folder beside ``target`` to fill; when the block ends without an
    error it takes the place of ``target`` (whose old content is then deleted), else it
    is deleted and ``target`` stays as it was.

    On Linux the two folders trade places in one step (``renameat2`` with
    ``RENAME_EXCHANGE``), so a reader, or a crash at any moment, finds the old folder or
    the new one, complete. Where that call is missing (other systems, some network file
    systems) the old folder is renamed aside and the new one renamed in: between those
    two renames ``target`` is missing, and a crash there leaves the old folder complete
    beside it, which the next call puts back first.

    Leftovers of interrupted calls beside ``target`` are deleted first, except those of
    a call still running (each holds a lock on its folder). ``target`` must be missing,
    empty, or hold a file named ``marker`` (an earlier output of the same kind), so that
    a mistyped name never deletes an unrelated folder; a symbolic link is followed.
    """
    target = Path(os.path.realpath(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target)
    _check_replaceable(target, marker)
    fresh = new_folder(target.parent, _prefix(target, "new"))
    lock = os.open(fresh, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield fresh
            _sync_tree(fresh)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        _swap(fresh, target)
    finally:
        os.close(lock)


def _prefix(target: Path, kind: str) -> str:
    return f".{target.name}.{kind}-"


def _leftovers(target: Path, kind: str) -> list[Path]:
    prefix = _prefix(target, kind)
    return sorted(p for p in target.parent.iterdir() if p.name.startswith(prefix))


def clean_leftovers(target: Path) -> None:
    """Put back an old folder left aside by a crash (see :func:`replaced_folder`), then
    delete the folders of interrupted calls that no running call holds."""
    target = Path(os.path.realpath(target))
    aside = _leftovers(target, "old")
    if aside and not target.exists():
        aside.pop().rename(target)
    for folder in aside + _leftovers(target, "new"):
        try:
            held = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:  # gone meanwhile, or not a folder
            _remove(folder)
            continue
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # another call is filling it
        else:
            _remove(folder)
        finally:
            os.close(held)


def _check_replaceable(target: Path, marker: str) -> None:
    if not os.path.lexists(target):
        return
    if os.path.ismount(target):
        raise OmsError(
            f"{target} is a mount point, which cannot be swapped for a new folder; nothing was written; "
            "name a folder inside it instead"
        )
    if not target.is_dir() or (any(target.iterdir()) and not (target / marker).is_file()):
        raise OmsError(
            f"{target} is neither an empty folder nor an earlier output (it holds no {marker}); "
            "nothing was written; name a new or empty folder, or move its content away"
        )


def _sync_tree(folder: Path) -> None:
    """Flush the entries of ``folder`` and its sub-folders, so the files in them outlive a power cut."""
    for path, _, _ in os.walk(folder):
        _sync_folder(Path(path))


def _sync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _swap(fresh: Path, target: Path) -> None:
    """Put ``fresh`` where ``target`` is, in one step where the system allows it."""
    if not os.path.lexists(target):
        fresh.rename(target)
    elif _exchange(fresh, target):
        _remove(fresh)  # now the old content
    else:
        _rename_aside(fresh, target)
    _sync_folder(target.parent)


def _rename_aside(fresh: Path, target: Path) -> None:
    """The swap of :func:`replaced_folder` where folders cannot trade places in one step."""
    aside = target.with_name(fresh.name.replace(_prefix(target, "new"), _prefix(target, "old"), 1))
    target.rename(aside)
    fresh.rename(target)
    _remove(aside)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    C library or the file system does not offer it."""
    renameat2 = getattr(_LIBC, "renameat2", None)
    if renameat2 is None:
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
