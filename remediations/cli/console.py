"""What the command line prints besides its result: notes, hints, warnings, progress, colour.

``--quiet`` silences everything here except errors (the report or plan itself still goes to
standard output); ``--no-color`` and ``NO_COLOR`` turn colour off; progress shows only when
stderr is a terminal. Every hint is a command line that runs as printed
(:func:`source_args` gives the options that name the account).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from remediations.textsafe import command_line as command_line
from remediations.textsafe import for_terminal, shown

_state = {"quiet": False, "color": True}


def configure(*, quiet: bool = False, color: bool = True) -> None:
    """Set by ``rafix`` from ``--quiet`` and ``--no-color`` before a command runs."""
    _state["quiet"] = quiet
    _state["color"] = color


def quiet() -> bool:
    return _state["quiet"]


def use_color(stream: TextIO | None = None) -> bool:
    """Colour for a terminal, unless ``--no-color`` or ``NO_COLOR`` (https://no-color.org)."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return _state["color"] and bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def note(text: str) -> None:
    """A line for the person at the terminal (stderr), unless ``--quiet``."""
    if not _state["quiet"]:
        print(for_terminal(text), file=sys.stderr, flush=True)


def warn(text: str) -> None:
    """``rafix: warning: ...`` on stderr, unless ``--quiet``."""
    note(f"rafix: warning: {shown(text)}")


def warnings(items: Iterable[object]) -> None:
    for item in items:
        warn(str(item))


def source_args(args: Any) -> list[str]:
    """The options that name the account ``args`` read, for a hint to repeat them."""
    return _base_source_args(args) + org_args(args)


def org_args(args: Any) -> list[str]:
    """``--org``, ``--account``, ``--assume-role``, ``--external-id``, ``--parallel`` as given."""
    out: list[str] = ["--org"] if getattr(args, "org", False) else []
    for account in getattr(args, "accounts", None) or []:
        out += ["--account", account]
    for option, name in (
        ("--assume-role", "assume_role"),
        ("--external-id", "external_id"),
        ("--parallel", "parallel"),
    ):
        value = getattr(args, name, None)
        if value is not None:
            out += [option, str(value)]
    return out


def _base_source_args(args: Any) -> list[str]:
    out: list[str] = []
    sandbox = getattr(args, "sandbox", None)
    if sandbox:
        return ["--sandbox", str(sandbox)]
    for path in getattr(args, "from_files", None) or []:
        out += ["--from-file", str(path)]
    if out:
        return out
    if getattr(args, "profile", None):
        out += ["--profile", args.profile]
    for region in getattr(args, "regions", None) or []:
        out += ["--region", region]
    if getattr(args, "endpoint_url", None):
        out += ["--endpoint-url", args.endpoint_url]
    return out


def hint(text: str) -> None:
    """A suggestion, e.g. ``Try: rafix plan --sandbox sb``; silenced by ``--quiet``."""
    note(text)


class Progress:
    """A one-line progress display on stderr, only when stderr is a terminal.

    ``update`` may be called from reader threads; the line is redrawn at most ten times a
    second and cleared by ``close``.
    """

    def __init__(self, what: str, stream: TextIO | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = not _state["quiet"] and bool(isatty and isatty())
        self.what = what
        self._lock = threading.Lock()
        self._last = 0.0
        self._shown = False

    def update(self, step: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        with self._lock:
            if now - self._last < 0.1 and done < total:
                return
            self._last = now
            text = f"{self.what}: {done}/{total} {shown(step)}"
            width = _width(self.stream) - 1
            if len(text) > width:
                text = text[: max(width - 1, 0)] + "…"
            self.stream.write("\r\033[K" + text)
            self.stream.flush()
            self._shown = True

    def start(self, text: str) -> None:
        """Show a line before the first step finishes (e.g. while connecting)."""
        if self.enabled:
            with self._lock:
                self.stream.write("\r\033[K" + f"{self.what}: {text}")
                self.stream.flush()
                self._shown = True

    def close(self) -> None:
        if self.enabled and self._shown:
            with self._lock:
                self.stream.write("\r\033[K")
                self.stream.flush()
                self._shown = False

    def callback(self) -> Callable[[Any], None]:
        """For ``on_progress``: takes the core's progress report (stage, step, done, total)."""

        labels = {"load": "reading the account", "check": "checking"}

        def report(progress: Any) -> None:
            stage = str(getattr(progress, "stage", ""))
            self.what = labels.get(stage, self.what)
            self.update(str(progress.step), int(progress.done), int(progress.total))

        return report

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _width(stream: TextIO) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 80
    return columns if columns >= 20 else 80  # a pseudo-terminal that reports no size


_DIFF_COLORS = (
    ("+++", "\033[1m"),
    ("---", "\033[1m"),
    ("@@", "\033[36m"),
    ("+", "\033[32m"),
    ("-", "\033[31m"),
)
_RESET = "\033[0m"


def color_diffs(text: str) -> str:
    """Unified-diff lines inside rendered text coloured (added green, removed red, hunks cyan).

    A line is a diff line when, after its indentation, it is in a block that follows a
    ``diff:`` heading, or is one of an apply preview's diff lines (six spaces of indent).
    """
    out: list[str] = []
    in_diff = False
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if stripped == "diff:":
            in_diff = True
            out.append(line)
            continue
        if in_diff and indent < 4:
            in_diff = False
        diffy = in_diff or (indent == 6 and not stripped.startswith("call "))
        color = next((c for prefix, c in _DIFF_COLORS if stripped.startswith(prefix)), None)
        out.append(f"{line[:indent]}{color}{stripped}{_RESET}" if diffy and color else line)
    return "\n".join(out)
