"""Fault injection at every API call position of a multi-resource apply.

A clean apply of the three-role plan makes ``CALLS`` calls (one read per resource for the stale
check, then per change one write and one verifying read). For each position and each fault the
apply is run again with that one call failing, and the account must end exactly as before or
exactly as planned, with the report (or the refusal) saying which. "Killed" faults stop the
process between two calls (a BaseException from botocore's ``after-call`` hook, which no
``except Exception`` catches); recovery then runs ``rafix apply`` again or ``rafix rollback``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from remediations.apply import AS_BEFORE, AS_PLANNED, ApplyReport, apply_plan, rollback
from remediations.errors import ApplyError
from remediations.snapshots import SnapshotStore
from remediations.state import fingerprint
from tests.test_apply import ROLES, MotoAccount, account, role_plan, states, writer, yes

__all__ = ["account"]  # the fixture, imported so that pytest finds it here

#: Calls a clean apply of ``role_plan()`` makes (asserted by ``test_clean_apply_call_count``).
CALLS = 3 + 2 * len(ROLES)


class Killed(BaseException):
    """The process dying between two calls (like SIGKILL: no handler runs)."""


def client_error(code: str) -> Callable[[str], BaseException]:
    def make(operation: str) -> BaseException:
        return ClientError({"Error": {"Code": code, "Message": f"injected {code}"}}, operation)

    return make


def dropped(_operation: str) -> BaseException:
    return ConnectionClosedError(endpoint_url="https://iam.amazonaws.com/")


def killed(_operation: str) -> BaseException:
    return Killed()


#: fault name -> (hook event the fault fires on, exception factory, how to recover)
FAULTS: dict[str, tuple[str, Callable[[str], BaseException], str]] = {
    "throttling": ("before-call", client_error("Throttling"), ""),
    "access-denied": ("before-call", client_error("AccessDenied"), ""),
    "malformed-policy": ("before-call", client_error("MalformedPolicyDocument"), ""),
    "limit-exceeded": ("before-call", client_error("LimitExceeded"), ""),
    "dropped-before-call": ("before-call", dropped, ""),
    # The request reached IAM (the write happened) but the response was lost.
    "dropped-after-call": ("after-call", dropped, ""),
    "killed-then-apply": ("after-call", killed, "apply"),
    "killed-then-rollback": ("after-call", killed, "rollback"),
}
CASES = [(position, fault) for position in range(CALLS) for fault in FAULTS]


class FaultInjector:
    """Counts every API call on a client and fails the one at ``position``, once."""

    def __init__(self, position: int, event: str, make: Callable[[str], BaseException]) -> None:
        self.position, self.event, self.make = position, event, make
        self.seen: list[str] = []
        self.fired = False

    def install(self, client: Any) -> None:
        client.meta.events.register("before-call", self._before)
        client.meta.events.register("after-call", self._after)

    def _before(self, model: Any, **_: Any) -> None:
        self.seen.append(model.name)
        self._maybe_fire("before-call", model.name)

    def _after(self, model: Any, **_: Any) -> None:
        self._maybe_fire("after-call", model.name)

    def _maybe_fire(self, event: str, operation: str) -> None:
        if event == self.event and not self.fired and len(self.seen) - 1 == self.position:
            self.fired = True
            raise self.make(operation)


def planned_states() -> dict[str, str]:
    return {c.resource_arn.rsplit("/", 1)[-1]: fingerprint(c.after) for c in role_plan().changes}


def test_clean_apply_call_count(account: MotoAccount, tmp_path: Path) -> None:
    counter = FaultInjector(-1, "", killed)
    counter.install(account.client("iam"))
    apply_plan(role_plan(), writer(account), SnapshotStore(tmp_path), yes)
    assert len(counter.seen) == CALLS
    assert counter.seen.count("UpdateAssumeRolePolicy") == len(ROLES)


def test_case_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(CASES) == CALLS * len(FAULTS) == 72
    with capsys.disabled():
        print(
            f"\nfault injection: {len(CASES)} cases ({CALLS} call positions x {len(FAULTS)} faults)"
        )


def run_with_fault(
    acct: MotoAccount, store: SnapshotStore, injector: FaultInjector
) -> tuple[ApplyReport | None, str]:
    """One apply with the fault; returns its report (None when refused) and its message."""
    executor = writer(acct)
    injector.install(executor.client("iam"))
    lines: list[str] = []
    try:
        report = apply_plan(role_plan(), executor, store, yes, out=lines.append)
    except ApplyError as exc:
        return None, str(exc)
    return report, "\n".join(lines)


def recover(acct: MotoAccount, store: SnapshotStore, how: str) -> tuple[str, list[str]]:
    """What a user does after a kill: apply the same plan again, or roll back."""
    lines: list[str] = []
    if how == "apply":
        report = apply_plan(role_plan(), writer(acct), store, yes, out=lines.append)
        return report.outcome, lines
    unfinished = store.unfinished()
    if not unfinished:  # killed before the first write: nothing to undo
        return AS_BEFORE, lines
    report = rollback(unfinished[0].id, writer(acct), store, yes, out=lines.append)
    assert report.ok
    return AS_BEFORE, lines


@pytest.mark.parametrize(("position", "fault"), CASES, ids=[f"call{p}-{f}" for p, f in CASES])
def test_fault_leaves_account_as_before_or_as_planned(
    account: MotoAccount, tmp_path: Path, position: int, fault: str
) -> None:
    event, make, recovery = FAULTS[fault]
    store = SnapshotStore(tmp_path / "snapshots")
    original = states(account)
    injector = FaultInjector(position, event, make)
    if recovery:
        with pytest.raises(Killed):
            run_with_fault(account, store, injector)
        interrupted = bool(store.unfinished())
        outcome, lines = recover(account, store, recovery)
        if interrupted:
            assert any("interrupted" in line for line in lines)
        assert not store.unfinished()
    else:
        report, message = run_with_fault(account, store, injector)
        assert injector.fired
        if report is None:  # refused before the first write
            outcome = AS_BEFORE
            assert "nothing was written" in message
        else:
            outcome = report.outcome
            assert f"the account is {outcome}" in message.lower()
            assert report.failed is not None and not report.differing
    assert outcome in (AS_BEFORE, AS_PLANNED)
    assert states(account) == (original if outcome == AS_BEFORE else planned_states())
    if fault.endswith("apply"):
        assert outcome == AS_PLANNED
    else:
        assert outcome == AS_BEFORE
