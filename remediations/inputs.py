"""Reading a file a user named, bounded in size and in waiting time.

``--from-file /dev/zero`` would grow until memory runs out, and a FIFO with no writer would
block forever (even ``open`` blocks on one). :func:`read_input` opens without blocking, refuses
anything larger than :attr:`InputLimits.max_bytes` (checked from the size of a regular file
before reading it, and counted while reading a pipe or device), and gives up when a pipe
stays silent for :attr:`InputLimits.timeout` seconds. Each refusal is one line naming the file
and the setting that changes the limit.

The limits are settings (``max_input_mib`` and ``input_timeout_seconds`` in the config file),
overridden by the environment variables ``RAFIX_MAX_INPUT_MIB`` and ``RAFIX_INPUT_TIMEOUT``.
"""

from __future__ import annotations

import os
import select
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from remediations.errors import InputError
from remediations.textsafe import shown

MIB = 1024 * 1024
#: Defaults: an account export of 10,000 roles is well under 256 MiB.
DEFAULT_MAX_INPUT_MIB = 256
DEFAULT_INPUT_TIMEOUT = 30.0
ENV_MAX_INPUT_MIB = "RAFIX_MAX_INPUT_MIB"
ENV_INPUT_TIMEOUT = "RAFIX_INPUT_TIMEOUT"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class InputLimits:
    """How much one input file may hold, and how long a read may wait for data."""

    max_bytes: int = DEFAULT_MAX_INPUT_MIB * MIB
    #: Seconds a pipe or device may stay silent before the read gives up (0: no limit).
    timeout: float = DEFAULT_INPUT_TIMEOUT

    @classmethod
    def resolve(
        cls, max_input_mib: float | None = None, timeout_seconds: float | None = None
    ) -> InputLimits:
        """The limits from settings (``None``: the default), overridden by the environment.

        Raises:
            InputError: an environment variable that is not a positive number.
        """
        mib = _env_number(ENV_MAX_INPUT_MIB, positive=True)
        if mib is None:
            mib = DEFAULT_MAX_INPUT_MIB if max_input_mib is None else max_input_mib
        timeout = _env_number(ENV_INPUT_TIMEOUT, positive=False)
        if timeout is None:
            timeout = DEFAULT_INPUT_TIMEOUT if timeout_seconds is None else timeout_seconds
        return cls(max_bytes=int(mib * MIB), timeout=float(timeout))


def _env_number(name: str, *, positive: bool) -> float | None:
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 if positive else value >= 0) or value == float("inf"):
        need = "a number above 0" if positive else "a number of seconds, 0 or more"
        raise InputError(f"{name}={shown(text, limit=40)!s}: expected {need}")
    return value


def read_input(path: Path | str, limits: InputLimits | None = None) -> bytes:
    """The bytes of ``path`` (a regular file, a pipe, a FIFO or a device), within ``limits``.

    Raises:
        InputError: missing, a directory, unreadable, too large, or silent for too long.
    """
    limits = limits or InputLimits()
    name = shown(path, limit=200)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{name}: is a directory")
        if stat.S_ISREG(info.st_mode):
            if info.st_size > limits.max_bytes:
                raise _too_large(name, limits)
            os.set_blocking(fd, True)
            data = _read_regular(fd, limits.max_bytes + 1, info.st_size)
        else:
            data = _read_stream(fd, name, limits)
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(data) > limits.max_bytes:
        raise _too_large(name, limits)
    return data


def _too_large(name: str, limits: InputLimits) -> InputError:
    most = limits.max_bytes
    size = f"{most / MIB:g} MiB" if most >= MIB else f"{most:,} bytes"
    return InputError(
        f"{name}: larger than the input limit of {size}; raise max_input_mib in the config "
        f"file or {ENV_MAX_INPUT_MIB} to read it"
    )


def _read_regular(fd: int, most: int, size: int) -> bytes:
    """Up to ``most`` bytes; the first read asks for the whole ``size`` the file had (and one
    byte more), so a file that does not change is one buffer, never copied to be joined."""
    parts: list[bytes] = []
    total = 0
    want = size + 1
    while total < most:
        chunk = os.read(fd, min(most - total, max(want, 16 * _CHUNK)))
        want = 0
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def _read_stream(fd: int, name: str, limits: InputLimits) -> bytes:
    """A pipe, FIFO or device, read as data comes; silence longer than the timeout gives up."""
    buffer = bytearray()
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    wait_ms = int(limits.timeout * 1000) if limits.timeout > 0 else -1
    while len(buffer) <= limits.max_bytes:
        started = time.monotonic()
        events = poller.poll(wait_ms)
        if not events:
            raise InputError(
                f"{name}: nothing to read for {limits.timeout:g} s (a pipe or FIFO with no "
                f"writer?); raise input_timeout_seconds in the config file or "
                f"{ENV_INPUT_TIMEOUT} to wait longer"
            )
        try:
            chunk = os.read(fd, min(_CHUNK, limits.max_bytes + 1 - len(buffer)))
        except BlockingIOError:  # woken without data (a spurious wake-up): wait again
            if wait_ms > 0:
                wait_ms = max(wait_ms - int((time.monotonic() - started) * 1000), 1)
            continue
        if not chunk:
            break
        buffer += chunk
        wait_ms = int(limits.timeout * 1000) if limits.timeout > 0 else -1
    return bytes(buffer)


__all__ = [
    "DEFAULT_INPUT_TIMEOUT",
    "DEFAULT_MAX_INPUT_MIB",
    "ENV_INPUT_TIMEOUT",
    "ENV_MAX_INPUT_MIB",
    "InputLimits",
    "read_input",
]
