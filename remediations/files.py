"""Writing files the way users expect of ``> FILE``, never touching a node they did not name.

* a regular file (new or existing) is replaced atomically: a reader sees the old content or the
  new, never half a file; an existing file keeps its permission bits, and a file with several
  hard links is written in place so that every link sees the new content;
* a symlink is followed to its target, which is then treated as above (the link stays a link);
* a character device, FIFO or socket (``/dev/null``, ``/dev/stdout``, a named pipe) is written
  through as a stream and never replaced;
* ``-`` is standard output;
* a directory, or a path whose folder is missing or not writable, is refused with one line.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from remediations.errors import InputError

STDOUT = "-"


def write_output(
    path: str | os.PathLike[str],
    text: str | Iterable[str],
    *,
    private: bool = False,
    durable: bool = False,
    what: str = "the output",
) -> Path | None:
    """Write ``text`` (UTF-8) to ``path`` as described in the module docstring. ``text`` may
    come in pieces (a large report streamed as it is encoded, never held whole).

    ``private`` creates a new regular file owner-only (0600: snapshots); otherwise a new file
    gets the usual 0666 less the umask, like ``> FILE``. ``durable`` flushes the file and its
    folder to disk before returning (plans and snapshots must survive a crash right after rafix
    says they were written).

    Returns the regular file written, or None for standard output, a device or a FIFO.

    Raises:
        InputError: one line naming the path; nothing at the path was changed.
    """
    if os.fspath(path) == STDOUT:
        _write_text(sys.stdout, text)
        sys.stdout.flush()
        return None
    given = Path(path)
    target = Path(os.path.realpath(given))  # a symlink (or a chain of them) -> its final target
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(f"{given}: cannot write {what} ({_reason(exc)})") from None
    try:
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise InputError(f"{given}: is a folder; name a file to write {what} to")
        if info is not None and not stat.S_ISREG(info.st_mode):
            _write_stream(target, text)
            return None
        if info is not None and info.st_nlink > 1:
            _write_in_place(target, text, durable=durable)
            return target
        _replace_atomically(target, text, info, private=private, durable=durable)
        return target
    except OSError as exc:
        raise InputError(f"{given}: cannot write {what} ({_reason(exc)})") from None


def write_atomic(path: Path, text: str, *, durable: bool = False) -> None:
    """Replace the regular file ``path`` (owner-only when new) atomically, for rafix's own
    files (sandbox state, snapshots, journals) inside folders it manages.

    Raises:
        OSError: the folder cannot be written; nothing was changed at ``path``.
    """
    target = Path(path)
    try:
        info: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        # never rename over a link, device, FIFO or folder
        raise OSError(errno.EINVAL, "not a regular file", str(target))
    _replace_atomically(target, text, info, private=True, durable=durable)


def _replace_atomically(
    target: Path,
    text: str | Iterable[str],
    info: os.stat_result | None,
    *,
    private: bool,
    durable: bool,
) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        if info is not None:
            os.fchmod(fd, stat.S_IMODE(info.st_mode))
            if hasattr(os, "fchown") and os.geteuid() == 0:  # root keeps the owner it found
                with contextlib.suppress(OSError):
                    os.fchown(fd, info.st_uid, info.st_gid)
        elif not private:
            umask = _current_umask()
            os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
            _write_text(handle, text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(target.parent)


def _write_in_place(target: Path, text: str | Iterable[str], *, durable: bool) -> None:
    with open(target, "w", encoding="utf-8", errors="surrogateescape") as handle:
        _write_text(handle, text)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())


def _write_stream(target: Path, text: str | Iterable[str]) -> None:
    """A device, FIFO or socket: open for writing (no create, no truncate) and stream."""
    fd = os.open(target, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
        _write_text(handle, text)


#: Characters written at a time: a report of many megabytes is then never encoded whole.
_CHUNK = 1 << 20


def _write_text(handle: TextIO, text: str | Iterable[str]) -> None:
    if isinstance(text, str):
        for start in range(0, len(text), _CHUNK):
            handle.write(text[start : start + _CHUNK])
        return
    batch: list[str] = []
    size = 0
    for piece in text:
        batch.append(piece)
        size += len(piece)
        if size >= _CHUNK:
            handle.write("".join(batch))
            batch.clear()
            size = 0
    handle.write("".join(batch))


def _current_umask() -> int:
    """The process umask, read without changing it where Linux allows (thread-safe)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def fsync_dir(directory: Path) -> None:
    """Flush a folder's entries (a rename) to disk, where the file system allows it."""
    with contextlib.suppress(OSError):  # not every file system lets a directory be fsynced
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
