"""Fault injection for the sandbox: make the Nth matching AWS request fail.

Every HTTP attempt a sandbox client makes (IAM, STS, EC2 or Roles Anywhere, retries included)
passes through :meth:`FaultInjector.check` before it reaches moto or the emulator, and is
recorded in :attr:`FaultInjector.calls`. A :class:`Fault` matched there either fails the
attempt *before* it is served (nothing changes in the account) or *after* (the change is made
but the caller sees the failure: the ambiguous outcome an apply must survive).

Example (the apply engineer's tests)::

    with open_sandbox(tmp) as account:
        faults = account.faults
        faults.inject("throttle", service="rolesanywhere", times=3)   # absorbed by retries
        faults.inject("access-denied", operation="UpdateAssumeRolePolicy")
        faults.inject("drop", writes_only=True, at=2, when="after")   # 2nd write lost
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Literal

FaultKind = Literal["throttle", "access-denied", "error", "drop"]
FAULT_KINDS: tuple[FaultKind, ...] = ("throttle", "access-denied", "error", "drop")
_READ_PREFIXES = ("Get", "List", "Describe", "Simulate", "Generate")


def is_write(operation: str) -> bool:
    """Whether an operation changes the account (everything but Get/List/Describe...)."""
    return not operation.startswith(_READ_PREFIXES)


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP attempt seen by the sandbox."""

    service: str  # botocore service id, hyphenized: "iam", "rolesanywhere", "sts", "ec2"
    operation: str  # e.g. "UpdateAssumeRolePolicy"
    region: str
    #: The fault that failed this attempt, if any.
    fault: FaultKind | None = None


@dataclass(slots=True)
class Fault:
    """Fail ``times`` consecutive matching attempts, starting with the ``at``-th (1-based).

    ``service``/``operation``/``region`` are shell-style patterns (``"Update*"``); None
    matches everything. ``writes_only`` counts only mutating operations, so ``at=N`` is "the
    Nth write of an apply". ``code``/``message``/``status`` override the error for "error".
    """

    kind: FaultKind
    service: str | None = None
    operation: str | None = None
    region: str | None = None
    writes_only: bool = False
    at: int = 1
    times: int = 1
    when: Literal["before", "after"] = "before"
    code: str | None = None
    message: str | None = None
    status: int | None = None
    seen: int = 0
    fired: int = 0

    def matches(self, service: str, operation: str, region: str) -> bool:
        return (
            _match(self.service, service)
            and _match(self.operation, operation)
            and _match(self.region, region)
            and not (self.writes_only and not is_write(operation))
        )

    @property
    def exhausted(self) -> bool:
        return self.fired >= self.times


def _match(pattern: str | None, value: str) -> bool:
    return pattern is None or fnmatchcase(value, pattern)


@dataclass(slots=True)
class FaultInjector:
    """The faults to inject and the log of every attempt (thread-safe)."""

    faults: list[Fault] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    #: False while the sandbox reads its own state (saving): nothing is recorded or failed.
    active: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, kind: FaultKind, **options: object) -> Fault:
        """Add a fault (see :class:`Fault` for the options) and return it."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        fault = Fault(kind, **options)  # type: ignore[arg-type]
        if fault.at < 1 or fault.times < 1:
            raise ValueError("at and times start at 1")
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault and forget the recorded calls."""
        with self._lock:
            self.faults.clear()
            self.calls.clear()

    def check(self, service: str, operation: str, region: str) -> Fault | None:
        """Record one attempt; return the fault that fails it, if any."""
        if not self.active:
            return None
        with self._lock:
            chosen = None
            for fault in self.faults:
                if fault.exhausted or not fault.matches(service, operation, region):
                    continue
                fault.seen += 1
                if chosen is None and fault.seen >= fault.at:
                    fault.fired += 1
                    chosen = fault
            self.calls.append(Call(service, operation, region, chosen.kind if chosen else None))
            return chosen

    def count(
        self, service: str | None = None, operation: str | None = None, *, writes: bool = False
    ) -> int:
        """How many attempts matched (patterns as in :class:`Fault`)."""
        with self._lock:
            return sum(
                1
                for c in self.calls
                if _match(service, c.service)
                and _match(operation, c.operation)
                and not (writes and not is_write(c.operation))
            )
