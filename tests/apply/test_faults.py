"""Fault injection at every API call position of a multi-resource apply.

A clean apply of the three-role plan makes ``CALLS`` calls (one read per resource in the preview, one for the stale
check, then per change one write and one verifying read). For each position and each fault the
apply is run again with that one call failing, and the account must end exactly as before or
exactly as planned, with the report (or the refusal) saying which. "Killed" faults stop the
process between two calls (a BaseException from botocore's ``after-call`` hook, which no
``except Exception`` catches); recovery then runs ``rafix apply`` again or ``rafix rollback``.

The same is done three times: on moto IAM alone (three roles), on moto IAM with a plan that
also creates a role (a split's phase 1: CreateRole, AttachRolePolicy, PutRolePolicy, and a
rollback that deletes it), and on a sandbox account with a plan
that touches a role, a profile (two calls: UpdateProfile and PutAttributeMapping), a trust
anchor and a CRL, so that a kill can also land between two calls on one resource.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from remediations.apply.executor import Executor
from remediations.apply.results import AS_BEFORE, AS_PLANNED, ApplyReport
from remediations.apply.snapshots import SnapshotStore
from remediations.errors import ApplyError
from remediations.plan import Plan
from remediations.state import calls_to_reach, equivalent, fingerprint
from tests.builders import (
    ROLES,
    MotoAccount,
    apply_now,
    plan_change,
    role_arn,
    role_plan,
    rollback_now,
    someone_else,
    states,
    t_plan,
    writer,
    yes,
)

#: Calls a clean apply of ``role_plan()`` makes (asserted by ``test_clean_apply_call_count``):
#: the preview reads each role, execute reads each again (time passed while the user was
#: asked), then per change a read just before its write (another writer since?), one write
#: and one verifying read.
CALLS = 2 * len(ROLES) + 3 * len(ROLES)


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

    def uninstall(self, client: Any) -> None:
        client.meta.events.unregister("before-call", self._before)
        client.meta.events.unregister("after-call", self._after)

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
    apply_now(role_plan(), writer(account), SnapshotStore(tmp_path), yes)
    assert len(counter.seen) == CALLS
    assert counter.seen.count("UpdateAssumeRolePolicy") == len(ROLES)


def test_case_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(CASES) == CALLS * len(FAULTS) == 120
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
        report = apply_now(role_plan(), executor, store, yes, out=lines.append)
    except ApplyError as exc:
        return None, str(exc)
    return report, "\n".join(lines)


def recover(acct: MotoAccount, store: SnapshotStore, how: str) -> tuple[str, list[str]]:
    """What a user does after a kill: apply the same plan again, or roll back."""
    lines: list[str] = []
    if how == "apply":
        report = apply_now(role_plan(), writer(acct), store, yes, out=lines.append)
        return report.outcome, lines
    unfinished = store.unfinished()
    if not unfinished:  # killed before the first write: nothing to undo
        return AS_BEFORE, lines
    report = rollback_now(unfinished[0].id, writer(acct), store, yes, out=lines.append)
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


# --- the same with a plan that creates a role (phase 1 of a split); before the sandbox
# suite, whose module-wide moto mock would otherwise keep the roles of these cases --------------------------

NEW_ROLE = role_arn("ra-alpha-worker")
NEW_MANAGED = "arn:aws:iam::123456789012:policy/ra-read"


def with_managed_policy(acct: MotoAccount) -> MotoAccount:
    """The account with the customer managed policy the new role attaches."""
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}],
    }
    someone_else(acct).create_policy(PolicyName="ra-read", PolicyDocument=json.dumps(document))
    return acct


def create_plan() -> Plan:
    """ra-alpha's trust pinned, then a new role with a managed and an inline policy."""
    pin = role_plan().changes[0]
    assert pin.after is not None
    created: dict[str, Any] = {
        "trustPolicy": pin.after["trustPolicy"],
        "create": {
            "path": "/",
            "maxSessionDuration": 3600,
            "permissionsBoundary": None,
            "managedPolicyArns": [NEW_MANAGED],
            "inlinePolicies": {
                "read": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}],
                }
            },
            "tags": {"team": "platform"},
        },
    }
    new = plan_change("c2", NEW_ROLE, "role", None, created)
    return t_plan([pin, new])


def create_states(acct: MotoAccount) -> dict[str, str]:
    reader = Executor(acct)
    return {
        "ra-alpha": fingerprint(reader.read_state("role", role_arn("ra-alpha"))),
        "new": fingerprint(reader.read_state("role", NEW_ROLE, detailed=True)),
    }


#: Reads of both roles (the new one: not there) in the preview and again in execute, the
#: read before the pin, the pin and its read, then the read before the creation (not there),
#: CreateRole, AttachRolePolicy, PutRolePolicy and the four reads that verify a created role.
CREATE_CALLS = 2 + 2 + 3 + 4 + 4
CREATE_CASES = [(position, fault) for position in range(CREATE_CALLS) for fault in FAULTS]


def test_create_plan_call_count(account: MotoAccount, tmp_path: Path, capsys: Any) -> None:
    with_managed_policy(account)
    counter = FaultInjector(-1, "", killed)
    counter.install(account.client("iam"))
    report = apply_now(create_plan(), writer(account), SnapshotStore(tmp_path), yes)
    assert report.outcome == AS_PLANNED and len(counter.seen) == CREATE_CALLS
    assert create_states(account)["new"] == fingerprint(create_plan().changes[1].after)
    with capsys.disabled():
        print(f"\nfault injection with a created role: {len(CREATE_CASES)} cases")


@pytest.mark.parametrize(
    ("position", "fault"), CREATE_CASES, ids=[f"create-call{p}-{f}" for p, f in CREATE_CASES]
)
def test_fault_in_a_plan_that_creates_a_role(
    account: MotoAccount, tmp_path: Path, position: int, fault: str
) -> None:
    event, make, recovery = FAULTS[fault]
    with_managed_policy(account)
    store = SnapshotStore(tmp_path / "snapshots")
    original = create_states(account)
    planned = {"ra-alpha": fingerprint(create_plan().changes[0].after)}
    planned["new"] = fingerprint(create_plan().changes[1].after)
    injector = FaultInjector(position, event, make)
    executor = writer(account)
    injector.install(executor.client("iam"))
    try:
        if recovery:
            with pytest.raises(Killed):
                apply_now(create_plan(), executor, store, yes)
        else:
            try:
                report = apply_now(create_plan(), executor, store, yes)
                outcome = report.outcome
                assert report.failed is not None and not report.differing
            except ApplyError as exc:
                assert "nothing was written" in str(exc)
                outcome = AS_BEFORE
    finally:
        injector.uninstall(executor.client("iam"))
    assert injector.fired
    if recovery == "apply":
        outcome = apply_now(create_plan(), writer(account), store, yes).outcome
    elif recovery == "rollback":
        for snapshot in store.unfinished():
            assert rollback_now(snapshot.id, writer(account), store, yes).ok
        outcome = AS_BEFORE
    assert not store.unfinished()
    assert outcome == (AS_BEFORE if recovery != "apply" else AS_PLANNED)
    assert create_states(account) == (original if outcome == AS_BEFORE else planned)


# --- the same on a sandbox account: roles, profiles, trust anchors and CRLs ---------------


SANDBOX_ACCOUNT = "111122223333"
SB_ROLE = f"arn:aws:iam::{SANDBOX_ACCOUNT}:role/ra-metrics-push"
#: A profile without a session policy: its restore needs the neutral policy (F-PROF-01).
SB_PROFILE = f"arn:aws:rolesanywhere:eu-west-1:{SANDBOX_ACCOUNT}:profile/a84ee497-c608-573f-b083-7e4216691bf6"
SB_ANCHOR = f"arn:aws:rolesanywhere:eu-west-1:{SANDBOX_ACCOUNT}:trust-anchor/55b190c3-0ac1-570e-ad03-8b681f51eb80"
SB_CRL = (
    f"arn:aws:rolesanywhere:eu-west-1:{SANDBOX_ACCOUNT}:crl/decc33ca-a619-5964-a5ee-c8fadd259fc5"
)
SB_RESOURCES = (
    ("role", SB_ROLE),
    ("profile", SB_PROFILE),
    ("trust-anchor", SB_ANCHOR),
    ("crl", SB_CRL),
)
GUARDRAIL = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
    ],
}
#: A clean apply of ``sandbox_plan``: 4 reads in the preview and 4 in execute, then per change
#: a read just before its writes, its writes and one read (the profile change takes
#: UpdateProfile + PutAttributeMapping).
SB_CALLS = 4 + 4 + (1 + 1 + 1) + (1 + 2 + 1) + (1 + 1 + 1) + (1 + 1 + 1)
SB_CASES = [(position, fault) for position in range(SB_CALLS) for fault in FAULTS]


def target_state(kind: str, before: dict[str, Any]) -> dict[str, Any]:
    after: dict[str, Any] = json.loads(json.dumps(before))
    if kind == "role":
        after["trustPolicy"]["Statement"][0].setdefault("Condition", {})["StringEquals"] = {
            "aws:PrincipalTag/x509Issuer/CN": "Partner Legacy CA"
        }
    elif kind == "profile":
        after["sessionPolicy"] = GUARDRAIL
        after["durationSeconds"] = 900
        for mapping in after["attributeMappings"]:
            if mapping["certificateField"] == "x509Subject":
                mapping["mappingRules"] = [{"specifier": "CN"}, {"specifier": "OU"}]
    elif kind == "trust-anchor":
        for setting in after["notificationSettings"]:
            setting["enabled"] = True
    else:
        after["enabled"] = not after["enabled"]
    return after


@pytest.fixture(scope="module")
def sandbox_account(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from remediations.sources.sandbox import init_sandbox, open_sandbox

    directory = tmp_path_factory.mktemp("faults") / "sandbox"
    init_sandbox(directory)
    with open_sandbox(directory) as opened:
        originals = {arn: Executor(opened).read_state(kind, arn) for kind, arn in SB_RESOURCES}
        yield opened, originals


def sb_states(acct: Any) -> dict[str, str]:
    reader = Executor(acct)
    return {arn: fingerprint(reader.read_state(kind, arn) or {}) for kind, arn in SB_RESOURCES}


def sandbox_plan(originals: dict[str, Any]) -> Plan:
    changes = [
        plan_change(f"c{i}", arn, kind, originals[arn], target_state(kind, originals[arn]))
        for i, (kind, arn) in enumerate(SB_RESOURCES, start=1)
    ]
    return t_plan(changes, source="sandbox:/ignored", account_id=SANDBOX_ACCOUNT)


def reset(acct: Any, originals: dict[str, Any]) -> None:
    """Put the shared sandbox back to its original state between cases."""
    fixer = Executor(acct, read_only=False)
    for kind, arn in SB_RESOURCES:
        current = fixer.read_state(kind, arn)
        assert current is not None
        for call in calls_to_reach(kind, arn, current, originals[arn]):
            fixer.run(call)


def test_sandbox_plan_touches_every_kind_and_counts_its_calls(
    sandbox_account: Any, tmp_path: Path
) -> None:
    acct, originals = sandbox_account
    reset(acct, originals)
    plan = sandbox_plan(originals)
    assert [len(c.calls) for c in plan.changes] == [1, 2, 1, 1]
    counter = FaultInjector(-1, "", killed)
    clients = [Executor(acct).client(*c) for c in (("iam", None), ("rolesanywhere", "eu-west-1"))]
    for client in clients:
        counter.install(client)
    try:
        report = apply_now(plan, writer(acct), SnapshotStore(tmp_path), yes)
    finally:
        for client in clients:
            counter.uninstall(client)
    assert report.outcome == AS_PLANNED and len(counter.seen) == SB_CALLS
    assert {
        arn: fingerprint(c.after)
        for arn, c in zip([a for _, a in SB_RESOURCES], plan.changes, strict=True)
    } == sb_states(acct)


def test_sandbox_case_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(SB_CASES) == SB_CALLS * len(FAULTS) == 168
    with capsys.disabled():
        print(
            f"\nfault injection on the sandbox: {len(SB_CASES)} cases "
            f"({SB_CALLS} call positions x {len(FAULTS)} faults); "
            f"{len(CASES) + len(SB_CASES)} in all"
        )


@pytest.mark.parametrize(
    ("position", "fault"), SB_CASES, ids=[f"sb-call{p}-{f}" for p, f in SB_CASES]
)
def test_sandbox_fault_leaves_account_as_before_or_as_planned(
    sandbox_account: Any, tmp_path: Path, position: int, fault: str
) -> None:
    acct, originals = sandbox_account
    reset(acct, originals)
    plan = sandbox_plan(originals)
    original = sb_states(acct)
    planned = {c.resource_arn: fingerprint(c.after) for c in plan.changes}
    event, make, recovery = FAULTS[fault]
    store = SnapshotStore(tmp_path)
    injector = FaultInjector(position, event, make)
    executor = writer(acct)
    clients = [executor.client("iam"), executor.client("rolesanywhere", "eu-west-1")]
    for client in clients:
        injector.install(client)
    try:
        if recovery:
            with pytest.raises(Killed):
                apply_now(plan, executor, store, yes)
        else:
            try:
                report = apply_now(plan, executor, store, yes)
                outcome = report.outcome
                assert report.failed is not None and not report.differing
            except ApplyError as exc:
                assert "nothing was written" in str(exc)
                outcome = AS_BEFORE
    finally:
        for client in clients:
            injector.uninstall(client)
    assert injector.fired
    if recovery == "apply":
        outcome = apply_now(plan, writer(acct), store, yes).outcome
    elif recovery == "rollback":
        for snapshot in store.unfinished():
            assert rollback_now(snapshot.id, writer(acct), store, yes).ok
        outcome = AS_BEFORE
    assert not store.unfinished()
    assert outcome == (AS_PLANNED if recovery == "apply" else AS_BEFORE)
    now = sb_states(acct)
    if outcome == AS_BEFORE:
        reader = Executor(acct)
        for kind, arn in SB_RESOURCES:  # equal, but for the neutral session policy
            assert now[arn] == original[arn] or equivalent(
                kind, reader.read_state(kind, arn), originals[arn]
            )
    else:
        assert now == planned
