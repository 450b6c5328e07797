"""Plans and plan files, and `rafix plan` end to end on offline files."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from remediations.checks.run import run_checks
from remediations.cli import main
from remediations.errors import InputError
from remediations.model import Inventory, Profile, Role, TrustAnchor
from remediations.plan import SCHEMA, Plan, build_plan
from remediations.proposals import propose
from remediations.state import fingerprint

ACCOUNT = "111122223333"
TA = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/11111111-aaaa"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app-prod"
PROFILE = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:profile/pppp"
OPEN_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        }
    ],
}


def _inventory() -> Inventory:
    inv = Inventory(account_id=ACCOUNT, origin="files", regions=["us-east-1"])
    inv.coverage = {"iam", "rolesanywhere"}
    inv.roles[ROLE] = Role(arn=ROLE, name="app-prod", trust_policy=OPEN_TRUST)
    inv.trust_anchors[TA] = TrustAnchor(
        arn=TA, anchor_id="11111111-aaaa", name="ta", region="us-east-1"
    )
    inv.profiles[PROFILE] = Profile(
        arn=PROFILE,
        profile_id="pppp",
        name="p",
        region="us-east-1",
        role_arns=[ROLE],
        duration_seconds=43200,
    )
    return inv


def _plan(values: dict[str, str] | None = None) -> Plan:
    inv = _inventory()
    return build_plan(inv, propose(inv, run_checks(inv), values=values or {"cn": "app.prod"}))


def test_changes_carry_fingerprint_calls_and_diffs_in_apply_order() -> None:
    plan = _plan()
    assert [c.id for c in plan.changes] == [f"c{i}" for i in range(1, len(plan.changes) + 1)]
    kinds = [c.resource_type for c in plan.changes]
    assert kinds.index("role") < kinds.index("profile")
    role = next(c for c in plan.changes if c.resource_type == "role")
    assert role.fingerprint == fingerprint({"trustPolicy": OPEN_TRUST})
    (call,) = role.calls
    assert (call.service, call.operation) == ("iam", "UpdateAssumeRolePolicy")
    assert role.after is not None
    assert json.loads(call.params["PolicyDocument"]) == role.after["trustPolicy"]
    assert any("aws:SourceArn" in line for line in role.semantic_diff)
    assert role.text_diff.startswith("--- before")
    profile = next(c for c in plan.changes if c.resource_type == "profile")
    assert profile.calls[0].operation == "UpdateProfile"
    assert profile.calls[0].params["durationSeconds"] == 3600


def test_round_trip_and_file_permissions(tmp_path: Path) -> None:
    plan = _plan()
    path = tmp_path / "plan.json"
    plan.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = Plan.load(path)
    assert loaded.to_json() == plan.to_json()
    data = json.loads(path.read_text())
    assert data["schema"] == SCHEMA and data["source"] == "files"
    assert {"id", "phase", "fingerprint", "before", "after", "calls", "diff"} <= set(
        data["changes"][0]
    )
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temp file left behind


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        json.dumps({"schema": "other"}),
        json.dumps({"schema": SCHEMA, "changes": [{}]}),
    ],
)
def test_bad_plan_files_are_input_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(InputError):
        Plan.load(path)


def test_missing_plan_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        Plan.load(tmp_path / "absent.json")


def _write_account(directory: Path) -> None:
    role: dict[str, Any] = {
        "RoleName": "app-prod",
        "RoleId": "AROAEXAMPLE",
        "Arn": ROLE,
        "Path": "/",
        "AssumeRolePolicyDocument": OPEN_TRUST,
        "RolePolicyList": [],
        "AttachedManagedPolicies": [],
    }
    (directory / "iam.json").write_text(json.dumps({"RoleDetailList": [role], "Policies": []}))
    anchor = {
        "trustAnchorArn": TA,
        "trustAnchorId": "11111111-aaaa",
        "name": "ta",
        "enabled": True,
        "source": {"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": "arn:aws:acm-pca:x"}},
        "notificationSettings": [],
    }
    (directory / "anchors.json").write_text(json.dumps({"trustAnchors": [anchor]}))
    profile = {
        "profileArn": PROFILE,
        "profileId": "pppp",
        "name": "p",
        "enabled": True,
        "roleArns": [ROLE],
        "durationSeconds": 43200,
    }
    (directory / "profiles.json").write_text(json.dumps({"profiles": [profile]}))


def test_rafix_plan_on_offline_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    account = tmp_path / "account"
    account.mkdir()
    _write_account(account)
    out = tmp_path / "plan.json"
    code = main(["plan", "--from-file", str(account), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "iam:UpdateAssumeRolePolicy app-prod" in printed
    assert "Needs input" in printed and "--set app-prod.cn=VALUE" in printed
    assert "applying needs a plan made against a live or sandbox account" in printed
    assert "Nothing was written to the account" in printed
    plan = Plan.load(out)
    assert any(n.key == "cn" for n in plan.needs_input)
    code = main(
        [
            "plan",
            "--from-file",
            str(account),
            "--set",
            "cn=app.prod",
            "--format",
            "json",
            "--finding",
            "RA-TRUST-NO-SUBJECT-CONDITION",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    (change,) = data["changes"]
    assert change["finding_ids"] == ["RA-TRUST-NO-SUBJECT-CONDITION"]
    assert change["after"]["trustPolicy"]["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "app.prod"}
    }


def test_rafix_plan_rejects_unknown_ids_and_bad_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--from-file", str(tmp_path), "--finding", "RA-NOPE"]) == 2
    assert main(["plan", "--from-file", str(tmp_path), "--set", "colour=red"]) == 2
    errors = capsys.readouterr().err
    assert "unknown finding ID" in errors and "unknown key 'colour'" in errors


def test_a_split_plan_round_trips_with_created_roles_and_later_phases(tmp_path: Path) -> None:
    inv = _inventory()
    inv.roles[ROLE].trust_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": TA},
                    "StringEquals": {"aws:PrincipalTag/x509Subject/CN": ["a.prod", "b.prod"]},
                },
            }
        ],
    }
    findings = [f for f in run_checks(inv) if f.id == "RA-TRUST-MULTIPLE-SUBJECTS"]
    plan = build_plan(inv, propose(inv, findings))
    created = [c for c in plan.changes if c.before is None]
    assert len(created) == 2 and all(c.phase == 2 for c in created)
    assert created[0].fingerprint == fingerprint(None)
    assert [c.operation for c in created[0].calls] == ["CreateRole"]
    assert created[0].semantic_diff[0].startswith("creates the role")
    assert [c.phase for c in plan.changes] == sorted(c.phase for c in plan.changes)
    path = tmp_path / "plan.json"
    plan.save(path)
    loaded = Plan.load(path)
    assert loaded.to_json() == plan.to_json()
    assert [c.before is None for c in loaded.changes] == [c.before is None for c in plan.changes]
