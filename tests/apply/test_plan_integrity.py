"""An apply makes only the calls the plan's before and after states need, and shows the diff it
works out from them: an edited plan file cannot run extra calls or hide what it changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from remediations.cli import main
from remediations.sources.sandbox import open_sandbox


def rafix(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def make_plan(capsys: pytest.CaptureFixture[str], sandbox: Path) -> tuple[Path, dict[str, Any]]:
    path = sandbox.parent / "plan.json"
    code, _, err = rafix(capsys, "plan", "--sandbox", str(sandbox), "--out", str(path))
    assert code == 0, err
    return path, json.loads(path.read_text())


def role_change(plan: dict[str, Any]) -> dict[str, Any]:
    return next(
        c
        for c in plan["changes"]
        if c["phase"] == 1 and c["resource_type"] == "role" and c["before"] is not None
    )


def attached(sandbox: Path, role_name: str) -> list[str]:
    with open_sandbox(sandbox) as account:
        iam = account.client("iam")
        reply = iam.list_attached_role_policies(RoleName=role_name)
        return [p["PolicyArn"] for p in reply["AttachedPolicies"]]


def test_appended_attach_role_policy_is_refused(
    sandbox_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, plan = make_plan(capsys, sandbox_dir)
    change = role_change(plan)
    role_name = change["resource_arn"].rsplit("/", 1)[-1]
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    change["calls"].append(
        {
            "service": "iam",
            "operation": "AttachRolePolicy",
            "region": None,
            "params": {"RoleName": role_name, "PolicyArn": admin},
        }
    )
    path.write_text(json.dumps(plan))
    code, out, err = rafix(capsys, "apply", str(path), "--sandbox", str(sandbox_dir), "--yes")
    assert code == 1
    assert "its API calls are not the ones its before and after states need" in err
    assert "AttachRolePolicy" in err and "nothing was written" in err
    assert "as planned" not in out
    assert admin not in attached(sandbox_dir, role_name)


def test_a_changed_call_parameter_is_refused(
    sandbox_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, plan = make_plan(capsys, sandbox_dir)
    change = role_change(plan)
    change["calls"][0]["params"]["RoleName"] = "some-other-role"
    path.write_text(json.dumps(plan))
    code, _out, err = rafix(capsys, "apply", str(path), "--sandbox", str(sandbox_dir), "--yes")
    assert code == 1 and "plan file was edited" in err


def test_the_preview_shows_the_diff_of_the_states_not_the_files_text(
    sandbox_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, plan = make_plan(capsys, sandbox_dir)
    change = role_change(plan)
    change["semantic_diff"] = ["nothing to see here"]
    change["diff"] = {"semantic": ["nothing to see here"], "text": ""}
    path.write_text(json.dumps(plan))
    code, out, err = rafix(capsys, "apply", str(path), "--sandbox", str(sandbox_dir), "--read-only")
    assert code == 0, err
    assert "nothing to see here" not in out
    assert any(line.startswith("      adds condition") for line in out.splitlines()), out


def test_an_unedited_plan_applies(sandbox_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _plan = make_plan(capsys, sandbox_dir)
    code, out, err = rafix(capsys, "apply", str(path), "--sandbox", str(sandbox_dir), "--yes")
    assert code == 0, err
    assert "the account is as planned" in out
