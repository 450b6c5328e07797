"""The per-user secret that keys snapshot checksums (HMAC-SHA256).

An unkeyed SHA-256 only detects accidents: whoever can write a snapshot can recompute it, and a
snapshot rewritten with ``Principal {"AWS": "*"}`` was restored on rollback. Keyed with a secret
only the user can read, a rewritten snapshot fails its check unless the writer also read the
secret. The secret is created on first use, 0600, in ``$XDG_STATE_HOME/rafix/snapshot.key``
(default ``~/.local/state/rafix/``), atomically (two first uses at once agree on one secret),
and never read through a symbolic link.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from remediations.errors import InputError

KEY_FILE = "snapshot.key"
_KEY_BYTES = 32


def key_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "rafix" / KEY_FILE


def snapshot_key(path: Path | None = None) -> bytes:
    """The user's secret, created on first use.

    Raises:
        InputError: the key file is a link, not the user's, readable by others, or damaged.
    """
    path = path or key_path()
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    except OSError as exc:  # a symbolic link (O_NOFOLLOW), a folder...
        raise InputError(f"{path}: cannot read the snapshot key ({exc.strerror})") from None
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{KEY_FILE}.{secrets.token_hex(6)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, secrets.token_hex(_KEY_BYTES).encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)  # fails if another process created it first: use theirs
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    return _read(path)


def _read(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        problem = None
        if not stat.S_ISREG(info.st_mode):
            problem = "is not a regular file"
        elif hasattr(os, "getuid") and info.st_uid != os.getuid():
            problem = "belongs to another user"
        elif info.st_mode & 0o077:
            problem = f"is readable by others (mode {stat.S_IMODE(info.st_mode):o}; chmod 600 it)"
        if problem:
            raise InputError(f"{path}: the snapshot key {problem}; refusing to use it")
        text = os.read(fd, 4096).decode("ascii", "replace").strip()
    finally:
        os.close(fd)
    try:
        key = bytes.fromhex(text[: 2 * _KEY_BYTES]) if len(text) >= 2 * _KEY_BYTES else b""
    except ValueError:
        key = b""
    if key:
        return key
    raise InputError(f"{path}: the snapshot key is damaged; refusing to use it")


def keyed_checksum(text: str, key: bytes) -> str:
    return "hmac-sha256:" + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
