"""An organisation end to end, as a new user would try it (the issue's "Done when"): a
sandbox organisation of three members, scanned with the account of each finding, exported
and read back, planned as one plan grouped by account, applied with a failure injected into
the second account (only that account is rolled back, and the report says so), then listed
and rolled back per account."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from remediations.cli import main
from remediations.sources.sandbox.organization import FAULTS_ENV, read_org

MANAGEMENT = "111122223333"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def state_text(folder: Path) -> str:
    return "".join(p.read_text() for p in sorted((folder / "state").glob("*.json")))


@pytest.fixture
def org(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "org"
    code, _out, _err = run(capsys, "sandbox", "init", str(folder), "--accounts", "3")
    assert code == 0
    return folder


def folder_of(org: Path, account: str) -> Path:
    return org if account == MANAGEMENT else org / "accounts" / account


def test_done_when(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = [MANAGEMENT, *sorted(read_org(org).accounts)]  # as ListAccounts gives them
    first, second, third = accounts[1:]

    # scan: findings with the account of each
    code, out, _err = run(capsys, "scan", "--sandbox", str(org), "--org", "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert {f["account_id"] for f in report["findings"]} >= {MANAGEMENT, first, second}

    # export round trip: the same findings offline, account by account
    export = tmp_path / "export"
    code, out, _err = run(capsys, "export", "--sandbox", str(org), "--org", "--out", str(export))
    assert code == 0
    assert sorted(p.name for p in export.iterdir()) == sorted([*accounts, "organization.json"])
    code, out, _err = run(capsys, "scan", "--from-file", str(export), "--format", "json")
    offline = json.loads(out)
    assert offline["findings"] == report["findings"]
    assert offline["accounts"] == report["accounts"]

    # one plan over the organisation, grouped by account
    plan_file = tmp_path / "plan.json"
    code, out, _err = run(capsys, "plan", "--sandbox", str(org), "--org", "--out", str(plan_file))
    assert code == 0
    plan = json.loads(plan_file.read_text())
    assert plan["accounts"] == accounts
    headers = [line for line in out.splitlines() if line.startswith("== account ")]
    assert [h.split()[2].rstrip(":") for h in headers] == [
        a for a in accounts if any(c["resource_arn"].split(":")[4] == a for c in plan["changes"])
    ]
    touched = {c["resource_arn"].split(":")[4] for c in plan["changes"] if c["phase"] == 1}
    assert {MANAGEMENT, first, second} <= touched

    # apply with a failure injected into the second account's third write
    before = {a: state_text(folder_of(org, a)) for a in accounts}
    fault = [{"account": second, "kind": "access-denied", "writes_only": True, "at": 3}]
    monkeypatch.setenv(FAULTS_ENV, json.dumps(fault))
    code, out, err = run(capsys, "apply", str(plan_file), "--sandbox", str(org), "--yes")
    monkeypatch.delenv(FAULTS_ENV)
    assert code == 1, err
    by_account = out[out.index("By account:") :].splitlines()
    assert by_account[1].startswith(f"  {MANAGEMENT}: applied")
    assert by_account[2].startswith(f"  {first}: applied")
    assert by_account[3].startswith(f"  {second}: rolled back")
    assert "this account's changes were undone" in by_account[3]
    assert by_account[4].startswith(f"  {third}: untouched") and second in by_account[4]
    after = {a: state_text(folder_of(org, a)) for a in accounts}
    assert after[MANAGEMENT] != before[MANAGEMENT]
    assert after[first] != before[first]
    assert after[third] == before[third], "the account after the failure is not touched"
    code, out, _err = run(capsys, "scan", "--sandbox", str(org), "--org", "--format", "json")
    rescan = json.loads(out)

    def of(document: dict[str, Any], account: str) -> list[Any]:
        return [f for f in document["findings"] if f["account_id"] == account]

    assert of(rescan, second) == of(report, second), "the failed account is as before"
    assert of(rescan, third) == of(report, third)
    assert len(of(rescan, first)) < len(of(report, first)), "the first member was fixed"
    assert not list((folder_of(org, third) / "snapshots").glob("*.json"))

    # snapshots per account, and a rollback of one account
    code, out, _err = run(capsys, "snapshots", "--sandbox", str(org), "--org", "--format", "json")
    snapshots = json.loads(out)["snapshots"]
    assert {s["account_id"] for s in snapshots} == {MANAGEMENT, first, second}
    mine = next(s["id"] for s in snapshots if s["account_id"] == first)
    code, out, err = run(capsys, "rollback", mine, "--sandbox", str(org), "--org", "--yes")
    assert code == 0, err
    code, out, _err = run(capsys, "scan", "--sandbox", str(org), "--org", "--format", "json")
    restored = json.loads(out)
    # (A removed session policy comes back as the neutral Allow-all, so compare what is found,
    # not how it is worded.)
    assert [(f["id"], f["resource_arn"]) for f in of(restored, first)] == [
        (f["id"], f["resource_arn"]) for f in of(report, first)
    ], "the rollback restored that account"
    assert of(restored, MANAGEMENT) == of(rescan, MANAGEMENT), "and only that account"


def test_apply_of_an_org_plan_to_one_account_sandbox_is_refused(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = tmp_path / "plan.json"
    run(capsys, "plan", "--sandbox", str(org), "--org", "--out", str(plan_file))
    single = tmp_path / "single"
    run(capsys, "sandbox", "init", str(single))
    code, _out, err = run(capsys, "apply", str(plan_file), "--sandbox", str(single), "--yes")
    assert code == 2
    assert "not an organisation" in err
    assert "Traceback" not in err


def test_plan_of_one_account_picked_with_account(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    member = next(iter(read_org(org).accounts))
    plan_file = tmp_path / "plan.json"
    code, out, _err = run(
        capsys, "plan", "--sandbox", str(org), "--account", member, "--out", str(plan_file)
    )
    assert code == 0
    plan: dict[str, Any] = json.loads(plan_file.read_text())
    assert plan["accounts"] == [member]
    assert {c["resource_arn"].split(":")[4] for c in plan["changes"]} == {member}
    before = state_text(org)
    code, out, err = run(capsys, "apply", str(plan_file), "--sandbox", str(org), "--yes")
    assert code == 0, err
    assert f"  {member}: applied" in out
    assert state_text(org) == before, "the management account was not written"
    assert list((org / "accounts" / member / "snapshots").glob("*.json"))
    assert not list((org / "snapshots").glob("*.json"))


def test_an_unread_account_is_listed_in_the_export_and_its_scan(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = next(iter(read_org(org).accounts))
    path = org / "accounts" / broken / "state" / "iam.json"
    iam = json.loads(path.read_text())
    iam["RoleDetailList"] = [
        r for r in iam["RoleDetailList"] if r["RoleName"] != "OrganizationAccountAccessRole"
    ]
    path.write_text(json.dumps(iam))
    export = tmp_path / "export"
    code, _out, err = run(capsys, "export", "--sandbox", str(org), "--org", "--out", str(export))
    assert code == 0 and broken in err
    assert not (export / broken).exists()
    code, out, err = run(capsys, "scan", "--from-file", str(export), "--format", "json")
    assert code == 2 and "the scan is incomplete" in err
    code, out, err = run(
        capsys, "scan", "--from-file", str(export), "--format", "json", "--allow-partial"
    )
    summary = {a["account_id"]: a for a in json.loads(out)["accounts"]}
    assert summary[broken]["read"] is False
    assert "not in the export" in summary[broken]["error"]
    assert os.path.isdir(export / MANAGEMENT)


def test_onboard_in_one_member_account(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """onboard works in one account: --account ID of an organisation, through its role."""
    member = next(a for a, m in read_org(org).accounts.items() if m["shape"] == "demo")
    anchors = json.loads((org / "accounts" / member / "state" / "anchors.json").read_text())
    anchor = next(
        a["trustAnchorArn"]
        for a in anchors["trustAnchors"]
        if a["source"]["sourceType"] == "CERTIFICATE_BUNDLE"
    )
    options = ["--workload", "ledger-sync", "--env", "prod", "--team", "payments"]
    options += ["--trust-anchor", anchor, "--service", "s3", "--yes"]
    code, _out, err = run(capsys, "onboard", "--sandbox", str(org), "--org", *options)
    assert code == 2 and "--account ID" in err
    code, _out, err = run(capsys, "onboard", "--sandbox", str(org), "--account", member, *options)
    assert code == 0, err
    roles = json.loads((org / "accounts" / member / "state" / "iam.json").read_text())
    assert any(r["RoleName"] == "ra-ledger-sync-prod" for r in roles["RoleDetailList"])
    management = json.loads((org / "state" / "iam.json").read_text())
    assert not any(r["RoleName"] == "ra-ledger-sync-prod" for r in management["RoleDetailList"])
