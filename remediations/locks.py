"""Local locks that keep two rafix processes from writing one account at once.

Two ``rafix apply`` of different plans on one sandbox, a fraction of a second apart, each
loaded the state, applied, and saved: one plan's changes were lost, or one was refused at save
after it had said "as planned". A sandbox is now opened under a lock on its folder (shared to
read, exclusive to write, taken before the state is loaded and held until it is saved); an
apply to a live account holds a local lock per account and region it writes (IAM is the region
``global``), so two applies from this machine never interleave their writes.

The locks are ``flock`` locks on small files rafix owns (``DIR/.rafix.lock`` in a sandbox,
``$XDG_STATE_HOME/rafix/locks/`` for live accounts), created 0600 and never followed through a
symbolic link; the kernel releases them when the process ends, even on ``kill -9``.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from remediations.errors import ApplyError, SourceError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no local locking
    fcntl = None  # type: ignore[assignment]

#: How long to wait for another rafix process to finish with an account, in seconds.
LOCK_WAIT = 120.0
_POLL = 0.05
_PLAIN = re.compile(r"^[a-z0-9-]{1,32}$")


class Lock:
    """One held lock; :meth:`release` (or closing the process) lets the next one in."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the flock

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire(path: Path, *, what: str, shared: bool = False, wait: float | None = None) -> Lock:
    """Lock ``path`` (created 0600 if missing), waiting up to ``wait`` seconds for another
    process to let go.

    Raises:
        ApplyError: an exclusive lock still held by another process after ``wait``.
        SourceError: a shared lock (reading) likewise, or the lock file cannot be opened.
    """
    if fcntl is None:  # pragma: no cover
        return Lock(None)
    wait = LOCK_WAIT if wait is None else wait
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise SourceError(f"{path}: cannot open the lock of {what} ({exc.strerror})") from None
    mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, mode)
            return Lock(fd)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                error = SourceError if shared else ApplyError
                raise error(
                    f"{what} is in use by another rafix process (waited {wait:g} s); "
                    "nothing was written. Try again when it has finished"
                ) from None
            time.sleep(_POLL)
        except BaseException:
            os.close(fd)
            raise


def default_lock_dir() -> Path:
    """``$XDG_STATE_HOME/rafix/locks`` (``~/.local/state/rafix/locks``), created 0700."""
    base = os.environ.get("XDG_STATE_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    folder = root / "rafix" / "locks"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


@contextmanager
def account_locks(
    folder: Path,
    source: str,
    account_id: str | None,
    regions: Iterable[str],
    *,
    wait: float | None = None,
) -> Iterator[None]:
    """Hold the local write lock of each region (``global`` for IAM) of one account, taken in
    a fixed order so that two applies cannot each wait for the other."""
    key = f"{source}|{account_id or 'unknown'}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    with ExitStack() as stack:
        for region in sorted(set(regions)):
            # Names from a plan file are not trusted into a path: only plain region names.
            part = region if _PLAIN.match(region) else hashlib.sha256(region.encode()).hexdigest()
            account = account_id if account_id and _PLAIN.match(account_id) else "account"
            name = f"{account}-{digest}-{part[:32]}.lock"
            what = f"account {account_id or source} ({region})"
            stack.enter_context(acquire(folder / name, what=what, wait=wait))
        yield


__all__ = ["LOCK_WAIT", "Lock", "account_locks", "acquire", "default_lock_dir"]
