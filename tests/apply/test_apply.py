"""apply (preview + execute) / rollback on a moto IAM account: stale plans, snapshots, verify, restore."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError

from remediations.apply.execute import ROLLBACK_ATTEMPTS
from remediations.apply.executor import Executor
from remediations.apply.preview import check_target
from remediations.apply.results import AS_BEFORE, AS_PLANNED, NOTHING, PARTIAL
from remediations.apply.snapshots import SnapshotStore
from remediations.errors import ApplyError
from remediations.plan import Plan
from tests.builders import (
    MOTO_ACCOUNT,
    MOTO_SOURCE,
    ROLES,
    MotoAccount,
    apply_now,
    pinned,
    plan_change,
    role_arn,
    role_plan,
    rollback_now,
    someone_else,
    states,
    t_plan,
    trust_policy,
    writer,
    yes,
)


def test_apply_then_rollback_restores_exactly(account: MotoAccount, tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "snapshots")
    original = states(account)
    lines: list[str] = []
    report = apply_now(role_plan(), writer(account), store, yes, out=lines.append)
    assert report.outcome == AS_PLANNED and report.applied == ["c1", "c2", "c3"]
    reader = Executor(account)
    for name in ROLES:
        assert reader.read_state("role", role_arn(name)) == {"trustPolicy": pinned(name)}
    assert any("iam:UpdateAssumeRolePolicy ra-beta" in line for line in lines)
    assert report.snapshot_id is not None
    back = rollback_now(report.snapshot_id, writer(account), store, yes)
    assert back.outcome == AS_PLANNED and states(account) == original
    # The snapshot records what it restored from, and a second rollback has nothing to do.
    assert rollback_now(report.snapshot_id, writer(account), store, yes).outcome == NOTHING


def test_rollback_applies_in_reverse_order(account: MotoAccount, tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    report = apply_now(role_plan(), writer(account), store, yes)
    seen: list[str] = []
    executor = writer(account)
    executor.client("iam").meta.events.register(
        "before-parameter-build.iam.UpdateAssumeRolePolicy",
        lambda params, **_: seen.append(params["RoleName"]),
    )
    assert report.snapshot_id
    rollback_now(report.snapshot_id, executor, store, yes)
    assert seen == list(reversed(ROLES))


def test_stale_plan_is_refused_and_nothing_is_written(account: MotoAccount, tmp_path: Path) -> None:
    someone_else(account).update_assume_role_policy(
        RoleName="ra-gamma", PolicyDocument=json.dumps(pinned("someone-else"))
    )
    before = states(account)
    store = SnapshotStore(tmp_path / "snapshots")
    with pytest.raises(ApplyError, match=r"stale plan: .*role/ra-gamma"):
        apply_now(role_plan(), writer(account), store, yes)
    assert states(account) == before
    assert store.list_snapshots() == []


def test_cancelled_apply_writes_nothing(account: MotoAccount, tmp_path: Path) -> None:
    before = states(account)
    with pytest.raises(ApplyError, match="cancelled"):
        apply_now(role_plan(), writer(account), SnapshotStore(tmp_path), lambda _q: False)
    assert states(account) == before


def test_read_only_executor_cannot_apply(account: MotoAccount, tmp_path: Path) -> None:
    with pytest.raises(ApplyError, match="read-only"):
        apply_now(role_plan(), Executor(account), SnapshotStore(tmp_path), yes)


def test_verify_mismatch_rolls_back(account: MotoAccount, tmp_path: Path) -> None:
    """A write AWS acknowledges but that never shows up is a failure: the rest is undone."""
    executor = writer(account)

    def swallow(model: Any, params: dict[str, Any], **_: Any) -> Any:
        if params["body"].get("RoleName") == "ra-beta":
            ok = AWSResponse("https://iam.amazonaws.com/", 200, HTTPHeaders(), None)
            return (ok, {"ResponseMetadata": {}})  # short-circuit: nothing reaches IAM
        return None

    original = states(account)
    executor.client("iam").meta.events.register("before-call.iam.UpdateAssumeRolePolicy", swallow)
    report = apply_now(role_plan(), executor, SnapshotStore(tmp_path), yes)
    assert report.outcome == AS_BEFORE
    assert report.failed == "c2" and report.rolled_back == ["c1"]
    assert "verify failed" in (report.error or "")
    assert states(account) == original


def test_phase_two_waits_unless_asked(account: MotoAccount, tmp_path: Path) -> None:
    plan = role_plan()
    plan.changes[2].phase = 2
    lines: list[str] = []
    report = apply_now(plan, writer(account), SnapshotStore(tmp_path), yes, out=lines.append)
    assert report.applied == ["c1", "c2"]
    assert any("--phase" in line for line in lines)
    report = apply_now(plan, writer(account), SnapshotStore(tmp_path), yes, phases=(2,))
    assert report.applied == ["c3"]


def test_rollback_refuses_a_resource_changed_since_unless_forced(
    account: MotoAccount, tmp_path: Path
) -> None:
    store = SnapshotStore(tmp_path)
    original = states(account)
    report = apply_now(role_plan(), writer(account), store, yes)
    someone_else(account).update_assume_role_policy(
        RoleName="ra-alpha", PolicyDocument=json.dumps(pinned("hand-edited"))
    )
    assert report.snapshot_id
    with pytest.raises(ApplyError, match=r"role/ra-alpha changed since"):
        rollback_now(report.snapshot_id, writer(account), store, yes)
    assert states(account)["ra-beta"] != original["ra-beta"]  # nothing was written
    forced = rollback_now(report.snapshot_id, writer(account), store, yes, force=True)
    assert forced.outcome == AS_PLANNED and states(account) == original


def test_damaged_plan_fingerprint_is_refused(account: MotoAccount, tmp_path: Path) -> None:
    plan = role_plan()
    plan.changes[0].before = copy.deepcopy(plan.changes[0].after)
    with pytest.raises(ApplyError, match="fingerprint"):
        apply_now(plan, writer(account), SnapshotStore(tmp_path), yes)


@pytest.mark.parametrize(
    ("plan_source", "plan_account", "target", "account_id", "message"),
    [
        ("files", MOTO_ACCOUNT, "live", MOTO_ACCOUNT, "offline files"),
        ("sandbox:/a", MOTO_ACCOUNT, "sandbox:/b", MOTO_ACCOUNT, "made for sandbox:/a"),
        ("live", "111122223333", "live", MOTO_ACCOUNT, "account 111122223333"),
        ("sandbox:/a", MOTO_ACCOUNT, "live", MOTO_ACCOUNT, "not live"),
    ],
)
def test_plan_must_target_its_own_account(
    plan_source: str, plan_account: str, target: str, account_id: str, message: str
) -> None:
    with pytest.raises(ApplyError, match=message):
        check_target(plan_source, plan_account, target, account_id)


def test_same_sandbox_written_differently_is_accepted(tmp_path: Path) -> None:
    check_target(f"sandbox:{tmp_path}/./", MOTO_ACCOUNT, f"sandbox:{tmp_path}", MOTO_ACCOUNT)


def test_apply_checks_target_before_anything(account: MotoAccount, tmp_path: Path) -> None:
    plan = role_plan()
    plan.source = "files"
    with pytest.raises(ApplyError, match="offline files"):
        apply_now(plan, writer(account), SnapshotStore(tmp_path), yes, source=MOTO_SOURCE)


def test_a_failed_rollback_names_what_differs_and_the_snapshot_to_retry(
    account: MotoAccount, tmp_path: Path
) -> None:
    """c3 is refused, and so is every attempt to restore ra-alpha: the report says exactly
    which resource is left changed, and `rollback SNAPSHOT` finishes the job later."""
    store = SnapshotStore(tmp_path)
    original = states(account)
    executor = writer(account)
    writes: list[str] = []

    def deny(params: dict[str, Any], **_: Any) -> None:
        name = params["RoleName"]
        writes.append(name)
        if name == "ra-gamma" or (name == "ra-alpha" and writes.count("ra-alpha") > 1):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "Update")

    executor.client("iam").meta.events.register(
        "before-parameter-build.iam.UpdateAssumeRolePolicy", deny
    )
    lines: list[str] = []
    report = apply_now(role_plan(), executor, store, yes, out=lines.append)
    assert report.outcome == PARTIAL and not report.ok
    assert report.failed == "c3" and report.rolled_back == ["c2"]
    assert report.differing == [role_arn("ra-alpha")]
    assert writes.count("ra-alpha") == 1 + ROLLBACK_ATTEMPTS
    assert report.snapshot_id and f"rafix rollback {report.snapshot_id}" in lines[-1]
    now = states(account)
    assert now["ra-beta"] == original["ra-beta"] and now["ra-alpha"] != original["ra-alpha"]
    executor.client("iam").meta.events.unregister(
        "before-parameter-build.iam.UpdateAssumeRolePolicy", deny
    )  # access granted again
    retried = rollback_now(report.snapshot_id, writer(account), store, yes)
    assert retried.ok and states(account) == original


def created_role_plan(name: str = "ra-split") -> Plan:
    """Phase 1 creates a role, phase 2 narrows ra-alpha (a split, in miniature)."""
    state = {
        "trustPolicy": pinned(name),
        "create": {
            "path": "/",
            "maxSessionDuration": 3600,
            "permissionsBoundary": None,
            "managedPolicyArns": [],
            "inlinePolicies": {},
            "tags": {},
        },
    }
    create = plan_change("c1", role_arn(name), "role", None, state)
    narrow = plan_change(
        "c2",
        role_arn("ra-alpha"),
        "role",
        {"trustPolicy": trust_policy()},
        {"trustPolicy": pinned("ra-alpha")},
        phase=2,
    )
    return t_plan([create, narrow])


def test_a_plan_whose_new_role_exists_already_is_stale(
    account: MotoAccount, tmp_path: Path
) -> None:
    someone_else(account).create_role(
        RoleName="ra-split", AssumeRolePolicyDocument=json.dumps(trust_policy())
    )
    store = SnapshotStore(tmp_path)
    with pytest.raises(ApplyError, match="the plan creates it, but it exists now"):
        apply_now(created_role_plan(), writer(account), store, yes)
    assert not store.list_snapshots()


def test_phase_two_is_refused_until_phase_one_shows(account: MotoAccount, tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    original = states(account)
    with pytest.raises(ApplyError, match="phase 1 of this plan is not applied yet"):
        apply_now(created_role_plan(), writer(account), store, yes, phases=(2,))
    assert states(account) == original
    assert apply_now(created_role_plan(), writer(account), store, yes).ok
    report = apply_now(created_role_plan(), writer(account), store, yes, phases=(2,))
    assert report.ok and report.applied == ["c2"]
    # Rolling back phase 1 deletes the role it created.
    first = next(s for s in store.list_snapshots() if s.resource(role_arn("ra-split")))
    assert rollback_now(first.id, writer(account), store, yes).ok
    assert Executor(account).read_state("role", role_arn("ra-split"), detailed=True) is None
