"""Fixes as code as a new user tries them: a sandbox copy of an account built from the corpus,
``rafix plan --format terraform|cloudformation``, and the drift warning of ``rafix apply``.

The account: the corpus's trust/002 (CN and OU pinned, no trust anchor pinned) and two
variants of it, the corpus's real trust anchor (trust_anchors/001) and profile (profiles/001,
a real API response) moved into one account and region. Without the corpus beside the
checkout, the same shapes are built here (a generated CA), so the tests run everywhere. One role is tagged by a
CloudFormation stack, one carries ``ManagedBy = terraform``, one is unmanaged.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from remediations.cli import main
from remediations.sources.sandbox import open_sandbox
from tests import hcl_eval
from tests.pki import make_ca
from tests.shared import CORPUS

ACCOUNT = "111122223333"
REGION = "eu-west-1"
ANCHOR_ID = "0c5c7c4e-1b7a-4a57-9a55-5a1d1e0a0001"
PROFILE_ID = "0c5c7c4e-1b7a-4a57-9a55-5a1d1e0a0002"
ANCHOR_ARN = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/{ANCHOR_ID}"
PROFILE_ARN = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:profile/{PROFILE_ID}"
CFN_TAGS = {
    "aws:cloudformation:stack-name": "ra-workloads",
    "aws:cloudformation:logical-id": "FredRole",
    "aws:cloudformation:stack-id": (
        f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/ra-workloads/6d1f0a10-0000-0000-0000-1"
    ),
}
DRIFT = (
    "the next stack update will revert this; use the CloudFormation output: "
    "rafix plan --format cloudformation"
)

Run = tuple[int, str, str]


def rafix(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


#: What the corpus files hold, for a checkout without ../shared/corpus.
_FALLBACK: dict[str, Any] = {
    "trust/002.json": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["rolesanywhere.amazonaws.com"]},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                "Condition": {
                    "StringEquals": {
                        "aws:PrincipalTag/x509Subject/CN": "Fred",
                        "aws:PrincipalTag/x509Subject/OU": "Technology",
                    }
                },
            }
        ],
    },
    "trust_anchors/001.json": {
        "enabled": True,
        "notificationSettings": [
            {"channel": "ALL", "enabled": True, "event": e, "threshold": 45}
            for e in ("CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY")
        ],
        "source": {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {}},
    },
    "profiles/001.json": {
        "acceptRoleSessionName": False,
        "durationSeconds": 3600,
        "enabled": True,
    },
}


def _corpus(path: str) -> Any:
    if CORPUS.is_dir():
        return json.loads((CORPUS / path).read_text(encoding="utf-8"))
    doc = copy.deepcopy(_FALLBACK[path])
    if path.startswith("trust_anchors/"):
        doc["source"]["sourceData"]["x509CertificateData"] = make_ca("Corp Root CA").pem
    return doc


def _role(name: str, trust: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": "AROA" + name.upper().replace("-", "")[:17].ljust(17, "X"),
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "CreateDate": "2025-06-02T09:14:03Z",
        "AssumeRolePolicyDocument": trust,
        "RolePolicyList": [
            {
                "PolicyName": "read",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                },
            }
        ],
        "AttachedManagedPolicies": [],
        "InstanceProfileList": [],
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }


@pytest.fixture
def account_files(tmp_path: Path) -> list[Path]:
    fred = _corpus("trust/002.json")
    terraform_trust = copy.deepcopy(fred)
    terraform_trust["Statement"][0]["Condition"]["StringEquals"] = {
        "aws:PrincipalTag/x509Subject/CN": "Devin"
    }
    plain_trust = copy.deepcopy(fred)
    plain_trust["Statement"][0]["Condition"]["StringEquals"] = {
        "aws:PrincipalTag/x509Subject/CN": "plain"
    }
    # An IAM policy variable: rafix does not prove a patch of it safe, so leaves the role.
    plain_trust["Statement"][0]["Condition"]["StringLike"] = {
        "aws:PrincipalTag/x509SAN/URI": "spiffe://corp/${aws:PrincipalTag/x509Subject/OU}/*"
    }
    roles = [
        _role("ra-fred", fred, CFN_TAGS),
        _role("ra-devin", terraform_trust, {"ManagedBy": "terraform", "team": "sfdc"}),
        _role("ra-plain", plain_trust, {"team": "ops"}),
    ]
    anchor = _corpus("trust_anchors/001.json")
    anchor.update(
        trustAnchorId=ANCHOR_ID, trustAnchorArn=ANCHOR_ARN, name="corp-root", enabled=True
    )
    profile = _corpus("profiles/001.json")
    profile.update(
        profileId=PROFILE_ID,
        profileArn=PROFILE_ARN,
        name="workloads",
        roleArns=[r["Arn"] for r in roles],
        createdBy=f"arn:aws:iam::{ACCOUNT}:user/admin",
    )
    folder = tmp_path / "export"
    folder.mkdir()
    files = {
        "iam.json": {"RoleDetailList": roles, "Policies": []},
        "anchors.json": {"trustAnchors": [anchor]},
        "profiles.json": {"profiles": [profile]},
    }
    for name, doc in files.items():
        (folder / name).write_text(json.dumps(doc), encoding="utf-8")
    return sorted(folder.iterdir())


@pytest.fixture
def sandbox(tmp_path: Path, account_files: list[Path], capsys: pytest.CaptureFixture[str]) -> Path:
    directory = tmp_path / "sb"
    code, _, err = rafix(
        capsys, "sandbox", "init", str(directory), "--from-file", *map(str, account_files)
    )
    assert code == 0, err
    return directory


def plan_json(capsys: pytest.CaptureFixture[str], sandbox: Path) -> dict[str, Any]:
    code, out, err = rafix(capsys, "plan", "--sandbox", str(sandbox), "--format", "json")
    assert code == 0, err
    plan: dict[str, Any] = json.loads(out)
    return plan


def final_after_states(plan: dict[str, Any]) -> dict[str, Any]:
    """Each resource's state after the whole plan (a later phase wins)."""
    return {c["resource_arn"]: c["after"] for c in plan["changes"]}


def test_plan_as_terraform_parses_and_equals_the_plans_after_states(
    capsys: pytest.CaptureFixture[str], sandbox: Path
) -> None:
    plan = plan_json(capsys, sandbox)
    roles = {c["resource_arn"].rsplit("/", 1)[-1] for c in plan["changes"]}
    assert {"ra-fred", "ra-devin"} <= roles, "the roles should get their anchor pinned"

    code, out, err = rafix(capsys, "plan", "--sandbox", str(sandbox), "--format", "terraform")
    assert code == 0, err
    blocks = hcl_eval.parse(out)
    by_name = {
        (b.labels[0], b.attributes["name"]): b.attributes for b in blocks if b.type == "resource"
    }
    for arn, after in final_after_states(plan).items():
        name = arn.rsplit("/", 1)[-1]
        if ":role/" in arn and after and "create" not in after:
            assert by_name[("aws_iam_role", name)] == {
                "name": name,
                "assume_role_policy": after["trustPolicy"],
            }
        if ":profile/" in arn and after:
            profile = by_name[("aws_rolesanywhere_profile", "workloads")]
            assert profile["session_policy"] == after["sessionPolicy"]
            assert profile["role_arns"] == after["roleArns"]
            assert profile["duration_seconds"] == after["durationSeconds"]
    assert "# managed by CloudFormation (stack ra-workloads)" in out
    assert "# managed by Terraform (tag ManagedBy=terraform)" in out


def test_plan_as_cloudformation_uses_the_stacks_logical_id(
    capsys: pytest.CaptureFixture[str], sandbox: Path, tmp_path: Path
) -> None:
    plan = plan_json(capsys, sandbox)
    target = tmp_path / "fix.yaml"
    code, out, err = rafix(
        capsys, "plan", "--sandbox", str(sandbox), "--format", "cloudformation", "-o", str(target)
    )
    assert code == 0, err
    assert out == ""
    assert f"as CloudFormation to {target}" in err
    template = yaml.safe_load(target.read_text(encoding="utf-8"))
    fred = template["Resources"]["FredRole"]
    assert fred["Type"] == "AWS::IAM::Role"
    assert fred["Properties"]["RoleName"] == "ra-fred"
    after = final_after_states(plan)[f"arn:aws:iam::{ACCOUNT}:role/ra-fred"]
    assert fred["Properties"]["AssumeRolePolicyDocument"] == after["trustPolicy"]


def test_scan_marks_findings_on_managed_roles(
    capsys: pytest.CaptureFixture[str], sandbox: Path
) -> None:
    code, out, _ = rafix(capsys, "scan", "--sandbox", str(sandbox), "--format", "json")
    assert code in (0, 1)
    findings = json.loads(out)["findings"]
    managed = {
        f["resource_arn"].rsplit("/", 1)[-1]: (f["managed_by"] or {}).get("tool")
        for f in findings
        if ":role/" in f["resource_arn"]
    }
    assert managed["ra-fred"] == "cloudformation"
    assert managed["ra-devin"] == "terraform"
    assert managed["ra-plain"] is None
    assert all("managed_by" in f and "id" in f and "resource_arn" in f for f in findings)

    code, out, _ = rafix(capsys, "scan", "--sandbox", str(sandbox), "--format", "sarif")
    assert code in (0, 1)
    sarif_managed = {
        r["locations"][0]["logicalLocations"][0]["name"]: r["properties"].get("managedBy")
        for r in json.loads(out)["runs"][0]["results"]
        if ":role/" in r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
    }
    assert sarif_managed["ra-fred"]["tool"] == "cloudformation"
    assert sarif_managed["ra-fred"]["stack"] == "ra-workloads"
    assert sarif_managed["ra-devin"]["tool"] == "terraform"
    assert sarif_managed["ra-plain"] is None


def test_plan_reads_the_tags_of_the_roles_anywhere_resources_it_changes(
    capsys: pytest.CaptureFixture[str], sandbox: Path
) -> None:
    with open_sandbox(sandbox) as account:
        account.client("rolesanywhere", REGION).tag_resource(
            resourceArn=ANCHOR_ARN,
            tags=[{"key": "aws:cloudformation:stack-name", "value": "ra-pki"}],
        )
    # The corpus anchor has default notifications; make the plan change it by disabling them.
    with open_sandbox(sandbox) as account:
        account.client("rolesanywhere", REGION).put_notification_settings(
            trustAnchorId=ANCHOR_ID,
            notificationSettings=[
                {"enabled": False, "event": "CA_CERTIFICATE_EXPIRY"},
                {"enabled": False, "event": "END_ENTITY_CERTIFICATE_EXPIRY"},
            ],
        )
    plan = plan_json(capsys, sandbox)
    anchor = [c for c in plan["changes"] if c["resource_arn"] == ANCHOR_ARN]
    assert anchor, "disabled notifications should be fixed"
    assert anchor[0]["managed_by"]["tool"] == "cloudformation"
    assert anchor[0]["resource_name"] == "corp-root"


def _save_plan(capsys: pytest.CaptureFixture[str], sandbox: Path) -> Path:
    path = sandbox.parent / "plan.json"
    code, _, err = rafix(capsys, "plan", "--sandbox", str(sandbox), "--out", str(path))
    assert code == 0, err
    changes = json.loads(path.read_text())["changes"]
    assert any((c["managed_by"] or {}).get("tool") == "cloudformation" for c in changes)
    return path


def _trust(sandbox: Path, name: str) -> Any:
    with open_sandbox(sandbox) as account:
        return account.client("iam").get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]


def test_apply_without_a_terminal_refuses_to_drift_even_with_yes(
    capsys: pytest.CaptureFixture[str], sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _save_plan(capsys, sandbox)
    before = _trust(sandbox, "ra-fred")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    code, _, err = rafix(capsys, "apply", str(path), "--sandbox", str(sandbox), "--yes")
    assert code == 1
    assert DRIFT in err
    assert "--allow-drift" in err
    assert "Traceback" not in err
    assert _trust(sandbox, "ra-fred") == before


def test_apply_asks_again_before_drifting_and_no_means_nothing_is_written(
    capsys: pytest.CaptureFixture[str], sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _save_plan(capsys, sandbox)
    before = _trust(sandbox, "ra-fred")
    questions: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)

    def answer_no(question: str) -> str:
        questions.append(question)
        return "n"

    monkeypatch.setattr("builtins.input", answer_no)
    code, _, err = rafix(capsys, "apply", str(path), "--sandbox", str(sandbox), "--yes")
    assert code == 1
    assert len(questions) == 1 and "managed as code" in questions[0]
    assert DRIFT in err
    assert _trust(sandbox, "ra-fred") == before


def test_allow_drift_applies(
    capsys: pytest.CaptureFixture[str], sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _save_plan(capsys, sandbox)
    after = next(
        c["after"]
        for c in json.loads(path.read_text())["changes"]
        if c["resource_arn"].endswith(":role/ra-fred") and c["phase"] == 1
    )
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    code, _, err = rafix(
        capsys, "apply", str(path), "--sandbox", str(sandbox), "--yes", "--allow-drift"
    )
    assert code == 0, err
    assert DRIFT not in err
    assert _trust(sandbox, "ra-fred") == after["trustPolicy"]
