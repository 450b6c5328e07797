"""``rafix apply`` / ``snapshots`` / ``rollback`` as a user runs them, on a sandbox account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from remediations.apply.executor import Executor, is_mutating
from remediations.cli import main
from remediations.sources.sandbox import init_sandbox, open_sandbox
from remediations.state import NEUTRAL_SESSION_POLICY, equivalent, is_detailed

Run = tuple[int, str, str]


def rafix(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def make_plan(capsys: pytest.CaptureFixture[str], sandbox: Path) -> tuple[Path, dict[str, Any]]:
    path = sandbox.parent / "plan.json"
    code, _, err = rafix(capsys, "plan", "--sandbox", str(sandbox), "--out", str(path))
    assert code == 0, err
    plan = json.loads(path.read_text())
    assert plan["changes"], "the demo account should need fixes"
    return path, plan


def phase_one(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """What ``rafix apply`` applies without ``--phase``."""
    return [c for c in plan["changes"] if c["phase"] == 1]


def account_states(sandbox: Path, plan: dict[str, Any]) -> dict[str, Any]:
    """The current state of every resource the plan touches (created roles with their
    permissions; None for one that does not exist)."""
    detailed = {
        c["resource_arn"]
        for c in plan["changes"]
        if is_detailed(c["resource_type"], c["before"], c["after"])
    }
    with open_sandbox(sandbox) as account:
        reader = Executor(account)
        return {
            arn: reader.read_state(c["resource_type"], arn, detailed=arn in detailed)
            for c in plan["changes"]
            for arn in [c["resource_arn"]]
        }


def kind_of(plan: dict[str, Any], arn: str) -> str:
    return str(next(c["resource_type"] for c in plan["changes"] if c["resource_arn"] == arn))


def test_apply_snapshots_rollback_round_trip(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path
) -> None:
    path, plan = make_plan(capsys, sandbox_dir)
    before = account_states(sandbox_dir, plan)
    sandbox = ("--sandbox", str(sandbox_dir))

    # No terminal and no --yes: refused, with what to do; nothing written.
    code, out, err = rafix(capsys, "apply", str(path), *sandbox)
    assert code == 1 and "pass --yes" in err and "nothing was written" in err
    assert "About to apply" in out
    assert account_states(sandbox_dir, plan) == before

    code, out, err = rafix(capsys, "apply", str(path), *sandbox, "--yes")
    assert code == 0, err
    assert "the account is as planned" in out
    after = account_states(sandbox_dir, plan)
    assert all(
        equivalent(c["resource_type"], after[c["resource_arn"]], c["after"])
        for c in phase_one(plan)
    )

    code, out, _ = rafix(capsys, "snapshots", *sandbox, "--format", "json")
    listed = json.loads(out)["snapshots"]
    assert code == 0 and len(listed) == 1
    snapshot = listed[0]
    assert set(snapshot) >= {"id", "created_at", "resources", "plan"}
    assert sorted(snapshot["resources"]) == sorted({c["resource_arn"] for c in phase_one(plan)})
    assert snapshot["plan"] == str(path.resolve())
    code, out, _ = rafix(capsys, "snapshots", *sandbox)
    assert snapshot["id"] in out

    # The same plan again: every resource is already as planned.
    code, out, _ = rafix(capsys, "apply", str(path), *sandbox, "--yes")
    assert code == 0 and "already matches this plan" in out

    code, out, err = rafix(capsys, "rollback", snapshot["id"], *sandbox, "--yes")
    assert code == 0, err
    restored = account_states(sandbox_dir, plan)
    for arn, state in before.items():
        assert equivalent(kind_of(plan, arn), restored[arn], state)
    # The rollback took its own snapshot, so it can be undone too. (Newest first only holds
    # across seconds: snapshot IDs and created_at have one-second resolution, and two
    # snapshots of one second sort by their random suffix; see snapshots.new_snapshot_id.)
    code, out, _ = rafix(capsys, "snapshots", *sandbox, "--format", "json")
    assert sorted(s["plan"] for s in json.loads(out)["snapshots"]) == sorted(
        [f"rollback of {snapshot['id']}", str(path.resolve())]
    )


def test_stale_plan_is_refused(capsys: pytest.CaptureFixture[str], sandbox_dir: Path) -> None:
    path, plan = make_plan(capsys, sandbox_dir)
    role = next(c for c in phase_one(plan) if c["resource_type"] == "role" and c["before"])
    name = role["resource_arn"].rsplit("/", 1)[-1]
    edited = json.loads(json.dumps(role["before"]["trustPolicy"]))
    edited["Statement"][0]["Sid"] = "EditedByHand"
    with open_sandbox(sandbox_dir) as account:
        account.client("iam").update_assume_role_policy(
            RoleName=name, PolicyDocument=json.dumps(edited)
        )
    before = account_states(sandbox_dir, plan)
    code, _, err = rafix(capsys, "apply", str(path), "--sandbox", str(sandbox_dir), "--yes")
    assert code == 1
    assert "stale plan" in err and role["resource_arn"] in err and "nothing was written" in err
    assert account_states(sandbox_dir, plan) == before
    assert not (sandbox_dir / "snapshots").exists() or not list(
        (sandbox_dir / "snapshots").glob("*.json")
    )


def test_offline_plans_and_sources_are_refused(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path, tmp_path: Path
) -> None:
    path, plan = make_plan(capsys, sandbox_dir)
    offline = tmp_path / "offline.json"
    offline.write_text(json.dumps({**plan, "source": "files"}))
    code, _, err = rafix(capsys, "apply", str(offline), "--sandbox", str(sandbox_dir), "--yes")
    assert code == 1 and "offline files" in err
    code, _, err = rafix(capsys, "apply", str(path), "--from-file", str(offline), "--yes")
    assert code == 1 and "--from-file is read-only" in err
    other = tmp_path / "other-sandbox"
    init_sandbox(other)
    code, _, err = rafix(capsys, "apply", str(path), "--sandbox", str(other), "--yes")
    assert code == 1 and f"made for sandbox:{sandbox_dir.resolve()}" in err


def test_rollback_of_a_damaged_or_unknown_snapshot(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path
) -> None:
    path, _ = make_plan(capsys, sandbox_dir)
    assert rafix(capsys, "apply", str(path), "--sandbox", str(sandbox_dir), "--yes")[0] == 0
    (snapshot_file,) = (sandbox_dir / "snapshots").glob("*.json")
    snapshot_file.write_text(
        snapshot_file.read_text().replace('"enabled": false', '"enabled": true')
    )
    code, _, err = rafix(
        capsys, "rollback", snapshot_file.stem, "--sandbox", str(sandbox_dir), "--yes"
    )
    assert code == 2 and "fails its checksum" in err
    code, _, err = rafix(capsys, "rollback", "nope", "--sandbox", str(sandbox_dir), "--yes")
    assert code == 2 and "no snapshot 'nope'" in err


def test_profile_without_session_policy_is_restored_with_the_neutral_one(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path
) -> None:
    path, plan = make_plan(capsys, sandbox_dir)
    before = account_states(sandbox_dir, plan)
    bare = [
        c["resource_arn"]
        for c in phase_one(plan)
        if c["resource_type"] == "profile"
        and c["before"]["sessionPolicy"] is None
        and c["after"]["sessionPolicy"] is not None
    ]
    assert bare, "the demo account has profiles without a session policy"
    assert rafix(capsys, "apply", str(path), "--sandbox", str(sandbox_dir), "--yes")[0] == 0
    (snapshot_file,) = (sandbox_dir / "snapshots").glob("*.json")
    code, out, _ = rafix(
        capsys, "rollback", snapshot_file.stem, "--sandbox", str(sandbox_dir), "--yes"
    )
    assert code == 0
    assert "the profile had no session policy" in out and "neutral" in out
    restored = account_states(sandbox_dir, plan)
    for arn in bare:
        assert restored[arn]["sessionPolicy"] == NEUTRAL_SESSION_POLICY
        assert {**restored[arn], "sessionPolicy": None} == before[arn]


def interrupt_apply(sandbox: Path, plan_path: Path, after_writes: int) -> None:
    """Run the plan's apply and "kill" it right after its ``after_writes``-th write."""
    from remediations.apply.snapshots import SnapshotStore
    from remediations.plan import Plan
    from tests.builders import apply_now

    writes = 0

    class Killed(BaseException):
        pass

    def kill_after(model: Any, **_: Any) -> None:
        nonlocal writes
        if is_mutating(model.name):
            writes += 1
            if writes == after_writes:
                raise Killed

    with open_sandbox(sandbox) as account:  # closing saves the writes that were made
        executor = Executor(account, read_only=False, poll_timeout=0.0)
        for service, region in (("iam", None), ("rolesanywhere", "eu-west-1")):
            executor.client(service, region).meta.events.register("after-call", kill_after)
        with pytest.raises(Killed):
            apply_now(
                Plan.load(plan_path),
                executor,
                SnapshotStore(sandbox / "snapshots"),
                lambda _q: True,
            )


@pytest.mark.parametrize("recovery", ["apply", "rollback"])
def test_an_interrupted_apply_is_finished_or_undone(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path, recovery: str
) -> None:
    path, plan = make_plan(capsys, sandbox_dir)
    before = account_states(sandbox_dir, plan)
    interrupt_apply(sandbox_dir, path, after_writes=3)
    sandbox = ("--sandbox", str(sandbox_dir))
    code, out, _ = rafix(capsys, "snapshots", *sandbox)
    assert "(interrupted)" in out
    snapshot_id = json.loads(rafix(capsys, "snapshots", *sandbox, "--format", "json")[1])[
        "snapshots"
    ][0]["id"]
    if recovery == "apply":
        code, out, err = rafix(capsys, "apply", str(path), *sandbox, "--yes")
        assert code == 0, err
        assert (
            f"snapshot {snapshot_id}) was interrupted after 2 call(s) (and one more in flight); this apply finishes it"
            in out
        )
        after = account_states(sandbox_dir, plan)
        for c in phase_one(plan):
            assert equivalent(c["resource_type"], after[c["resource_arn"]], c["after"])
    else:
        code, out, err = rafix(capsys, "rollback", snapshot_id, *sandbox, "--yes")
        assert code == 0, err
        assert (
            "was interrupted after 2 call(s) (and one more in flight); this rollback undoes it"
            in out
        )
        after = account_states(sandbox_dir, plan)
        for arn, state in before.items():
            assert equivalent(kind_of(plan, arn), after[arn], state)
    code, out, _ = rafix(capsys, "snapshots", *sandbox)
    assert "(interrupted)" not in out


def test_a_plan_made_with_a_relative_sandbox_path_applies_from_elsewhere(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(sandbox_dir.parent)
    plan_path = sandbox_dir.parent / "relative-plan.json"
    code, _, err = rafix(capsys, "plan", "--sandbox", sandbox_dir.name, "--out", str(plan_path))
    assert code == 0, err
    assert json.loads(plan_path.read_text())["source"] == f"sandbox:{sandbox_dir.resolve()}"
    monkeypatch.chdir(sandbox_dir)
    code, _, err = rafix(capsys, "apply", str(plan_path), "--sandbox", ".", "--yes")
    assert code == 0, err


SHARED = "arn:aws:iam::111122223333:role/ra-shared-ci"
MIXED = "arn:aws:iam::111122223333:role/ra-build-agents"
SPLIT_IDS = {"RA-TRUST-MULTIPLE-SUBJECTS", "RA-TRUST-MIXED-PRINCIPALS"}


def scan_findings(capsys: pytest.CaptureFixture[str], sandbox: Path) -> set[tuple[str, str]]:
    code, out, err = rafix(capsys, "scan", "--sandbox", str(sandbox), "--format", "json")
    assert code in (0, 1), err
    return {(f["id"], f["resource_arn"]) for f in json.loads(out)["findings"]}


def admits_cn(trust: dict[str, Any], cn: str) -> bool:
    from remediations.trust import CertificateContext, analyze_trust

    anchor = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/a14e2cea-f3c8-5d7c-9d19-78ef0015846a"
    cert = CertificateContext(source_arn=anchor, subject={"CN": cn}, issuer={}, san={})
    return analyze_trust(trust).admits(cert)


def latest_snapshot(capsys: pytest.CaptureFixture[str], sandbox: Path) -> str:
    listed = rafix(capsys, "snapshots", "--sandbox", str(sandbox), "--format", "json")[1]
    return str(json.loads(listed)["snapshots"][0]["id"])


def test_plain_apply_then_splitting_shared_and_mixed_roles_in_two_more_phases(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path
) -> None:
    sandbox = ("--sandbox", str(sandbox_dir))
    code, text, err = rafix(capsys, "plan", *sandbox)
    assert code == 0, err
    assert "[phase 2]" in text and "why: Phase 2, first step of splitting ra-shared-ci" in text
    assert "[phase 3]" in text
    assert "why: Phase 3: waits until every workload has switched its --role-arn" in text
    path, plan = make_plan(capsys, sandbox_dir)
    created = [c for c in plan["changes"] if c["before"] is None]
    assert {c["resource_arn"].rsplit("/", 1)[-1] for c in created} == {
        "ra-shared-ci-ci-runner-01.build",
        "ra-shared-ci-ci-runner-02.build",
        "ra-shared-ci-release-bot.build",
        "ra-build-agents-build-agent.corp",
    }
    assert all(c["phase"] == 2 for c in created)
    # Each phase starts where the phases before it leave the resource.
    last_after: dict[str, Any] = {}
    for change in sorted(plan["changes"], key=lambda c: c["phase"]):
        if change["resource_arn"] in last_after:
            assert change["before"] == last_after[change["resource_arn"]]
        last_after[change["resource_arn"]] = change["after"]
    original = account_states(sandbox_dir, plan)
    findings_before = scan_findings(capsys, sandbox_dir)

    # A later phase alone is refused while the earlier ones are not in the account.
    code, _, err = rafix(capsys, "apply", str(path), *sandbox, "--yes", "--phase", "3")
    assert code == 1 and "not applied yet" in err and "nothing was written" in err
    assert account_states(sandbox_dir, plan) == original

    # A plain apply: the fixes that need no input; nothing changes which role a workload
    # uses, and no finding appears that was not there before.
    code, out, err = rafix(capsys, "apply", str(path), *sandbox, "--yes")
    assert code == 0, err
    assert "are not applied now" in out
    after_plain = scan_findings(capsys, sandbox_dir)
    assert after_plain < findings_before
    assert all(
        states is None
        for states in (account_states(sandbox_dir, plan)[c["resource_arn"]] for c in created)
    )
    phase1 = account_states(sandbox_dir, plan)
    snapshot_one = latest_snapshot(capsys, sandbox_dir)

    code, out, err = rafix(capsys, "apply", str(path), *sandbox, "--yes", "--phase", "2")
    assert code == 0, err
    assert "switch each workload's --role-arn to its new role" in out and "--phase 3" in out
    phase2 = account_states(sandbox_dir, plan)
    for change in created:
        state = phase2[change["resource_arn"]]
        assert state == change["after"]
        shared = MIXED if "build-agents" in change["resource_arn"] else SHARED
        with open_sandbox(sandbox_dir) as account:
            copied = Executor(account).read_state("role", shared, detailed=True)
        assert copied is not None
        assert state["create"] == copied["create"]  # policies, boundary, duration, path, tags
    # The profiles list the new roles, and the shared role still admits every subject.
    profiles = [c for c in plan["changes"] if c["phase"] == 2 and c["resource_type"] == "profile"]
    listed = {a for c in profiles for a in phase2[c["resource_arn"]]["roleArns"]}
    assert {c["resource_arn"] for c in created} <= listed and SHARED in listed
    for cn in ("ci-runner-01.build", "ci-runner-02.build", "release-bot.build"):
        assert admits_cn(phase2[SHARED]["trustPolicy"], cn)
        dedicated = phase2[f"{SHARED}-{cn}"]["trustPolicy"]
        assert admits_cn(dedicated, cn) and not admits_cn(dedicated, "ci-runner-03.build")
    # A rescan: the new roles bring no finding their shared role did not have (the profile
    # that offers both roles for one certificate is the transitional fan-out phase 3 ends).
    new_roles = {
        c["resource_arn"]: (SHARED if "shared-ci" in c["resource_arn"] else MIXED) for c in created
    }
    after_two = scan_findings(capsys, sandbox_dir)
    for fid, arn in after_two - after_plain:
        if arn in new_roles:
            assert (fid, new_roles[arn]) in after_plain
        else:
            assert fid == "RA-PROFILE-ROLE-FANOUT-WITHOUT-BINDING", (fid, arn)
    snapshot_two = latest_snapshot(capsys, sandbox_dir)

    code, out, err = rafix(capsys, "apply", str(path), *sandbox, "--yes", "--phase", "3")
    assert code == 0, err
    phase3 = account_states(sandbox_dir, plan)
    for cn in ("ci-runner-01.build", "release-bot.build"):
        assert not admits_cn(phase3[SHARED]["trustPolicy"], cn)
        assert admits_cn(phase3[f"{SHARED}-{cn}"]["trustPolicy"], cn)
    assert not any(SHARED in phase3[c["resource_arn"]]["roleArns"] for c in profiles)
    after_three = scan_findings(capsys, sandbox_dir)
    assert not {(fid, arn) for fid, arn in after_three if fid in SPLIT_IDS}
    assert after_three <= after_two | {(fid, arn) for fid, arn in after_three if arn in new_roles}
    snapshot_three = latest_snapshot(capsys, sandbox_dir)
    assert len({snapshot_one, snapshot_two, snapshot_three}) == 3

    # Each rollback restores exactly; undoing phase 2 deletes the roles it created.
    assert rafix(capsys, "rollback", snapshot_three, *sandbox, "--yes")[0] == 0
    assert account_states(sandbox_dir, plan) == phase2
    code, out, err = rafix(capsys, "rollback", snapshot_two, *sandbox, "--yes")
    assert code == 0, err
    assert "deletes it" in out
    assert account_states(sandbox_dir, plan) == phase1
    assert rafix(capsys, "rollback", snapshot_one, *sandbox, "--yes")[0] == 0
    restored = account_states(sandbox_dir, plan)
    for arn, state in original.items():
        assert equivalent(kind_of(plan, arn), restored[arn], state), arn
    assert all(restored[c["resource_arn"]] is None for c in created)
    assert scan_findings(capsys, sandbox_dir) == findings_before


def test_apply_and_rollback_in_read_only_mode_show_the_calls_and_write_nothing(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path
) -> None:
    path, plan = make_plan(capsys, sandbox_dir)
    before = account_states(sandbox_dir, plan)
    sandbox = ("--sandbox", str(sandbox_dir))
    code, out, err = rafix(capsys, "apply", str(path), *sandbox, "--yes", "--read-only")
    assert code == 0 and "read-only mode" in err and "nothing was written" in err
    assert "rafix: error" not in err  # a dry run that did what was asked is a success
    assert "About to apply" in out and "UpdateAssumeRolePolicy" in out
    assert account_states(sandbox_dir, plan) == before
    assert json.loads(rafix(capsys, "snapshots", *sandbox, "--format", "json")[1]) == {
        "snapshots": []
    }
    # A real apply, then a read-only rollback of it: shown, refused, nothing restored.
    assert rafix(capsys, "apply", str(path), *sandbox, "--yes")[0] == 0
    applied = account_states(sandbox_dir, plan)
    snapshot = json.loads(rafix(capsys, "snapshots", *sandbox, "--format", "json")[1])["snapshots"][
        0
    ]["id"]
    code, _, err = rafix(capsys, "rollback", snapshot, *sandbox, "--yes", "--read-only")
    assert code == 0 and "read-only mode" in err and "rafix: error" not in err
    assert account_states(sandbox_dir, plan) == applied
