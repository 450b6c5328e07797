"""Progress reports and cancellation for long reads and scans (plain data, thread-safe use).

A front end passes ``on_progress`` (called with a :class:`Progress` after each step) and
``should_stop`` (polled between steps; True raises :class:`~remediations.errors.Cancelled`).
Both may be called from reader threads: a callback must be thread-safe (a Textual app posts a
message; the CLI ignores progress).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from remediations.errors import Cancelled

StopCheck = Callable[[], bool]


class Stage(StrEnum):
    """What is being done: reading the account, or running the checks."""

    LOAD = "load"
    CHECK = "check"


@dataclass(frozen=True, slots=True)
class Progress:
    """One finished step: ``done`` of ``total`` steps of ``stage``; ``step`` names it
    (e.g. ``"rolesanywhere:ListProfiles in eu-west-1"`` or a check's finding IDs)."""

    stage: Stage
    step: str
    done: int
    total: int


#: The names the facade contract uses.
LoadProgress = Progress
ScanProgress = Progress


def stop_if_asked(should_stop: StopCheck | None, what: str = "") -> None:
    """Raise :class:`Cancelled` when the caller asked to stop."""
    if should_stop is not None and should_stop():
        raise Cancelled(f"cancelled{': ' + what if what else ''}; nothing more was read")


class Tracker:
    """Counts steps (from any thread) and reports each to ``on_progress``."""

    def __init__(
        self,
        stage: Stage,
        total: int,
        on_progress: Callable[[Progress], None] | None,
        should_stop: StopCheck | None,
    ) -> None:
        self.stage = stage
        self.total = total
        self._on_progress = on_progress
        self._should_stop = should_stop
        self._done = 0
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise :class:`Cancelled` when the caller asked to stop."""
        stop_if_asked(self._should_stop)

    def step(self, name: str) -> None:
        """One step finished."""
        with self._lock:
            self._done += 1
            report = Progress(self.stage, name, self._done, max(self.total, self._done))
        if self._on_progress is not None:
            self._on_progress(report)
