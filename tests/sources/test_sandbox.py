"""Sandbox accounts: ``rafix sandbox init``, opening/seeding, faults, ``rafix demo``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from remediations.cli import main
from remediations.errors import ApplyError, InputError
from remediations.sources.offline import load_files
from remediations.sources.sandbox import (
    DEMO_ACCOUNT_ID,
    demo_files,
    init_sandbox,
    open_sandbox,
    read_inventory,
    snapshot_dir,
)
from tests.shared import CORPUS, ra_trust

TRUST = ra_trust("x")


def _trust(session: object, role: str) -> object:
    return session.client("iam").get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]  # type: ignore[attr-defined]


def _update(session: object, role: str) -> None:
    session.client("iam").update_assume_role_policy(  # type: ignore[attr-defined]
        RoleName=role, PolicyDocument=json.dumps(TRUST)
    )


def test_init_cli_creates_the_demo_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "sb"
    assert main(["sandbox", "init", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"({DEMO_ACCOUNT_ID}) in {target}" in out
    assert "12 roles" in out and "3 trust anchors" in out and "eu-west-1, us-east-1" in out
    names = {p.name for p in (target / "state").iterdir()}
    assert {"iam.json", "anchors.json", "profiles.json", "crls.json", "account.json"} <= names
    assert snapshot_dir(target) == target / "snapshots"
    assert snapshot_dir(target).is_dir() and snapshot_dir(target).stat().st_mode & 0o077 == 0


def test_init_refuses_a_non_empty_folder_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["sandbox", "init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not empty" in err and "--force" in err
    assert main(["sandbox", "init", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "notes.txt").read_text() == "mine"  # --force replaces only the sandbox


def test_force_replaces_a_changed_sandbox(sandbox_dir: Path) -> None:
    with open_sandbox(sandbox_dir) as session:
        _update(session, "ra-legacy-backup")
    init_sandbox(sandbox_dir, force=True)
    with open_sandbox(sandbox_dir) as session:
        assert _trust(session, "ra-legacy-backup") != TRUST


def test_init_from_files_reads_them_like_from_file(tmp_path: Path) -> None:
    files = [p for p in demo_files() if p.name != "tags.json"]
    init_sandbox(tmp_path / "sb", from_files=files)
    expected = load_files(files)
    inventory = read_inventory(tmp_path / "sb")
    assert inventory.account_id == expected.account_id
    for kind in ("roles", "policies", "trust_anchors", "profiles", "crls", "subjects"):
        assert set(getattr(inventory, kind)) == set(getattr(expected, kind)), kind
    for arn, role in expected.roles.items():
        assert inventory.roles[arn].trust_policy == role.trust_policy
        assert inventory.roles[arn].max_session_duration == role.max_session_duration


@pytest.mark.corpus
def test_init_from_a_corpus_export(tmp_path: Path) -> None:
    authz = sorted((CORPUS / "authz").glob("*.json")) if CORPUS.is_dir() else []
    if not authz:
        pytest.skip("corpus not available")
    init_sandbox(tmp_path / "sb", from_files=authz[:1])
    inventory = read_inventory(tmp_path / "sb")
    expected = load_files(authz[:1])
    loaded = {
        arn for arn in expected.roles if expected.roles[arn].account_id == inventory.account_id
    }
    skipped = {w.resource_arn for w in inventory.warnings if w.where == "sandbox"}
    assert loaded - skipped <= set(inventory.roles)
    assert loaded - skipped


def test_init_from_an_unusable_file_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["sandbox", "init", str(tmp_path / "sb"), "--from-file", str(bad)]) == 2
    assert "bad.json" in capsys.readouterr().err


def test_opening_a_folder_that_is_not_a_sandbox(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a rafix sandbox"):
        open_sandbox(tmp_path)


def test_one_account_is_open_once_per_process(sandbox_dir: Path) -> None:
    with open_sandbox(sandbox_dir), pytest.raises(InputError, match="already open"):
        open_sandbox(sandbox_dir)
    with open_sandbox(sandbox_dir) as again:  # released on close
        assert again.account_id == DEMO_ACCOUNT_ID


def test_saving_never_overwrites_another_process_changes(sandbox_dir: Path) -> None:
    session = open_sandbox(sandbox_dir)
    _update(session, "ra-legacy-backup")
    iam = sandbox_dir / "state" / "iam.json"
    iam.write_text(iam.read_text().replace("ra-old-migration", "ra-old-migration2"))
    changed = iam.read_bytes()
    with pytest.raises(ApplyError, match="changed by another rafix process"):
        session.close()
    assert iam.read_bytes() == changed
    with open_sandbox(sandbox_dir) as again:  # the account was released all the same
        assert again.account_id == DEMO_ACCOUNT_ID


def test_fault_before_a_write_leaves_the_account_unchanged(sandbox_dir: Path) -> None:
    with open_sandbox(sandbox_dir) as session:
        session.faults.inject("access-denied", operation="UpdateAssumeRolePolicy")
        with pytest.raises(ClientError) as exc:
            _update(session, "ra-legacy-backup")
        assert exc.value.response["Error"]["Code"] == "AccessDenied"
        assert _trust(session, "ra-legacy-backup") != TRUST


def test_fault_after_a_write_keeps_the_change(sandbox_dir: Path) -> None:
    with open_sandbox(sandbox_dir) as session:
        # A non-retryable error after IAM made the change: the caller sees only the error.
        session.faults.inject(
            "error",
            operation="UpdateAssumeRolePolicy",
            when="after",
            code="MalformedPolicyDocument",
            status=400,
        )
        with pytest.raises(ClientError):
            _update(session, "ra-legacy-backup")
        assert _trust(session, "ra-legacy-backup") == TRUST
    with open_sandbox(sandbox_dir) as session:  # and the change was saved
        assert _trust(session, "ra-legacy-backup") == TRUST


def test_a_dropped_response_is_retried_by_botocore(sandbox_dir: Path) -> None:
    with open_sandbox(sandbox_dir) as session:
        session.faults.inject("drop", operation="UpdateAssumeRolePolicy", when="after")
        _update(session, "ra-old-migration")  # the retry (same document) succeeds
        assert session.faults.count("iam", "UpdateAssumeRolePolicy") == 2
        assert _trust(session, "ra-old-migration") == TRUST


def test_fault_at_the_nth_write(sandbox_dir: Path) -> None:
    with open_sandbox(sandbox_dir) as session:
        fault = session.faults.inject(
            "error", writes_only=True, at=2, code="LimitExceeded", status=409
        )
        ra = session.client("rolesanywhere", "eu-west-1")
        profile_id = ra.list_profiles()["profiles"][0]["profileId"]
        ra.disable_profile(profileId=profile_id)  # write 1
        with pytest.raises(ClientError) as exc:
            _update(session, "ra-legacy-backup")  # write 2
        assert exc.value.response["Error"]["Code"] == "LimitExceeded"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
        _update(session, "ra-old-migration")  # write 3: the fault fired once
        assert (fault.seen, fault.fired) == (2, 1)
        assert session.faults.count(writes=True) == 3
        assert [c.fault for c in session.faults.calls if c.fault] == ["error"]


def test_bad_fault_options_are_refused(sandbox_dir: Path) -> None:
    with open_sandbox(sandbox_dir) as session:
        with pytest.raises(ValueError, match="unknown fault kind"):
            session.faults.inject("explode")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="start at 1"):
            session.faults.inject("drop", at=0)


def test_seeding_many_roles(tmp_path: Path) -> None:
    roles = [
        {
            "RoleName": f"role-{i}",
            "RoleId": f"AROA{i:017d}",
            "Arn": f"arn:aws:iam::{DEMO_ACCOUNT_ID}:role/team/role-{i}",
            "Path": "/team/",
            "AssumeRolePolicyDocument": TRUST,
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": TRUST}],
            "AttachedManagedPolicies": [],
        }
        for i in range(1000)
    ]
    source = tmp_path / "iam.json"
    source.write_text(json.dumps({"RoleDetailList": roles, "Policies": []}))
    init_sandbox(tmp_path / "sb", from_files=[source])
    inventory = read_inventory(tmp_path / "sb")
    assert len(inventory.roles) == 1000
    role = inventory.roles[f"arn:aws:iam::{DEMO_ACCOUNT_ID}:role/team/role-999"]
    assert (role.path, role.role_id, role.inline_policies) == (
        "/team/",
        "AROA00000000000000999",
        [("p", TRUST)],
    )


def test_demo_prints_the_scan_and_the_sandbox(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["demo", "--print", "--keep"]) == 0
    captured = capsys.readouterr()
    assert "RA-TRUST-NO-SUBJECT-CONDITION" in captured.out and "ra-ops-admin" in captured.out
    folder = Path(captured.err.split("sandbox in ", 1)[1].split()[0])
    assert (folder / "state" / "account.json").is_file()
    assert f"rafix plan --sandbox {folder}" in captured.err


def test_saving_keeps_the_iam_users_and_groups_of_the_files(tmp_path: Path) -> None:
    """The sandbox serves the IAM users and groups of its files, so an apply's save (which
    reads the account back) keeps them in iam.json."""
    user = {
        "UserName": "alice",
        "UserId": "AIDAEXAMPLEALICE0001",
        "Arn": "arn:aws:iam::111122223333:user/ops/alice",
        "Path": "/ops/",
        "GroupList": ["admins"],
        "AttachedManagedPolicies": [],
    }
    group = {"GroupName": "admins", "Arn": "arn:aws:iam::111122223333:group/admins", "Path": "/"}
    role = {
        "RoleName": "r",
        "Arn": "arn:aws:iam::111122223333:role/r",
        "Path": "/",
        "AssumeRolePolicyDocument": TRUST,
    }
    iam = {"UserDetailList": [user], "GroupDetailList": [group], "RoleDetailList": [role]}
    (tmp_path / "iam.json").write_text(json.dumps(iam), encoding="utf-8")
    init_sandbox(tmp_path / "sb", [tmp_path / "iam.json"])
    with open_sandbox(tmp_path / "sb", exclusive=True) as session:
        session.client("iam").update_role(RoleName="r", Description="changed")
        session.commit()
    saved = json.loads((tmp_path / "sb" / "state" / "iam.json").read_text(encoding="utf-8"))
    (alice,) = saved["UserDetailList"]
    assert {k: alice[k] for k in user if k != "AttachedManagedPolicies"} == {
        k: v for k, v in user.items() if k != "AttachedManagedPolicies"
    }
    (admins,) = saved["GroupDetailList"]
    assert {k: admins[k] for k in group} == group
    assert [r["RoleName"] for r in saved["RoleDetailList"]] == ["r"]


def test_a_save_after_roles_anywhere_writes_alone_keeps_iam_json_as_it_is(
    sandbox_dir: Path,
) -> None:
    """Re-reading IAM (13 s of CPU at 10,000 roles) only when IAM changed."""
    iam_file = sandbox_dir / "state" / "iam.json"
    before = iam_file.read_bytes()
    with open_sandbox(sandbox_dir, exclusive=True) as session:
        client = session.client("rolesanywhere", "eu-west-1")
        profile = client.list_profiles()["profiles"][0]
        client.update_profile(profileId=profile["profileId"], name="renamed-profile")
    assert iam_file.read_bytes() == before
    assert "renamed-profile" in {p.name for p in read_inventory(sandbox_dir).profiles.values()}
    with open_sandbox(sandbox_dir, exclusive=True) as session:
        _update(session, "ra-legacy-backup")
    assert iam_file.read_bytes() != before
    with open_sandbox(sandbox_dir) as session:
        assert _trust(session, "ra-legacy-backup") == TRUST
