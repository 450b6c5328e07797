"""``rafix onboard`` as a new user runs it, on a sandbox: create, scan, re-run, second
workload, save the plan for ``rafix apply``, JSON output, roll back."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml

from remediations.cli import main
from remediations.sources.sandbox import read_inventory
from tests import hcl_eval

EU_ANCHOR = (
    "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/3071b7f4-b645-5100-a7e7-85ac0dd169d6"
)
Run = tuple[int, str, str]


def rafix(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def onboard(capsys: pytest.CaptureFixture[str], sandbox: Path, *extra: str) -> Run:
    return rafix(
        capsys,
        "onboard",
        "--sandbox",
        str(sandbox),
        "--trust-anchor",
        EU_ANCHOR,
        "--env",
        "prod",
        "--team",
        "payments",
        *extra,
    )


def findings_on(capsys: pytest.CaptureFixture[str], sandbox: Path, arns: set[str]) -> list[str]:
    code, out, err = rafix(capsys, "scan", "--sandbox", str(sandbox), "--format", "json")
    assert code in (0, 1), err
    return [
        f"{f['id']} {f['resource_arn']}"
        for f in json.loads(out)["findings"]
        if f["resource_arn"] in arns
    ]


def credential_process(out: str) -> dict[str, str]:
    line = next(x for x in out.splitlines() if "credential_process = " in x)
    words = shlex.split(line.split("credential_process = ", 1)[1])
    assert words[:2] == ["aws_signing_helper", "credential-process"]
    return dict(zip(words[2::2], words[3::2], strict=True))


def test_onboard_scan_rerun_second_workload_and_rollback(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path
) -> None:
    code, out, err = onboard(
        capsys, sandbox_dir, "--workload", "orders", "--service", "s3", "--yes"
    )
    assert code == 0, err
    inventory = read_inventory(sandbox_dir)
    role_arn = "arn:aws:iam::111122223333:role/ra-orders-prod"
    assert role_arn in inventory.roles
    [profile] = [p for p in inventory.profiles.values() if p.name == "ra-payments-prod"]
    assert profile.role_arns == [role_arn] and profile.enabled
    # The printed configuration is complete and names what was created.
    assert "Certificate subject to request from the CA: CN=orders.prod, OU=payments" in out
    assert "openssl req -new" in out and "-subj /CN=orders.prod/OU=payments" in out
    assert "[profile ra-orders-prod]" in out and "region = eu-west-1" in out
    helper = credential_process(out)
    assert helper == {
        "--certificate": "/etc/rolesanywhere/orders.prod.pem",
        "--private-key": "/etc/rolesanywhere/orders.prod.key",
        "--trust-anchor-arn": EU_ANCHOR,
        "--profile-arn": profile.arn,
        "--role-arn": role_arn,
    }
    snapshot = next(
        line.split("rafix rollback ")[1].split()[0].rstrip("`.")
        for line in out.splitlines()
        if "Undo with `rafix rollback" in line
    )
    assert findings_on(capsys, sandbox_dir, {role_arn, profile.arn}) == []

    # Re-running changes nothing and says so.
    state = (sandbox_dir / "state" / "profiles.json").read_text()
    code, out, err = onboard(
        capsys, sandbox_dir, "--workload", "orders", "--service", "s3", "--yes"
    )
    assert code == 0, err
    assert out.startswith("Already onboarded: role ra-orders-prod and profile ra-payments-prod")
    assert credential_process(out)["--profile-arn"] == profile.arn
    assert (sandbox_dir / "state" / "profiles.json").read_text() == state

    # A second workload of the team joins the same profile, through a saved plan.
    plan_file = sandbox_dir.parent / "onboard-plan.json"
    code, out, err = onboard(
        capsys,
        sandbox_dir,
        "--workload",
        "refunds",
        "--service",
        "sqs",
        "--spiffe-uri",
        "spiffe://corp.example/payments/refunds",
        "--out",
        str(plan_file),
    )
    assert code == 0, err
    assert "wrote the onboarding plan (2 change(s))" in err
    assert "arn:aws:iam::111122223333:role/ra-refunds-prod" not in read_inventory(sandbox_dir).roles
    code, out, err = rafix(capsys, "apply", str(plan_file), "--sandbox", str(sandbox_dir), "--yes")
    assert code == 0, err
    both = read_inventory(sandbox_dir)
    [profile] = [p for p in both.profiles.values() if p.name == "ra-payments-prod"]
    refunds = "arn:aws:iam::111122223333:role/ra-refunds-prod"
    assert profile.role_arns == [role_arn, refunds]
    assert findings_on(capsys, sandbox_dir, {role_arn, refunds, profile.arn}) == []

    # Rolling back the first onboarding's snapshot removes what it created.
    code, out, err = rafix(
        capsys, "rollback", snapshot, "--sandbox", str(sandbox_dir), "--yes", "--force"
    )
    assert code == 0, err
    gone = read_inventory(sandbox_dir)
    assert role_arn not in gone.roles
    assert not [p for p in gone.profiles.values() if p.name == "ra-payments-prod"]


def test_rollback_restores_an_extended_profile(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path
) -> None:
    code, out, err = onboard(
        capsys, sandbox_dir, "--workload", "orders", "--service", "s3", "--yes"
    )
    assert code == 0, err
    before = read_inventory(sandbox_dir)
    [profile] = [p for p in before.profiles.values() if p.name == "ra-payments-prod"]
    code, out, err = onboard(
        capsys,
        sandbox_dir,
        "--workload",
        "refunds",
        "--service",
        "sqs",
        "--yes",
        "--format",
        "json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "applied" and result["profile_arn"] == profile.arn
    assert result["client"]["profile_arn"] == profile.arn
    assert result["client"]["role_arn"] == "arn:aws:iam::111122223333:role/ra-refunds-prod"
    assert "--profile-arn " + profile.arn in result["client"]["aws_config"]
    assert result["plan"]["schema"] == "rafix.plan/v1"
    code, out, err = rafix(
        capsys, "rollback", result["snapshot_id"], "--sandbox", str(sandbox_dir), "--yes"
    )
    assert code == 0, err
    after = read_inventory(sandbox_dir)
    assert "arn:aws:iam::111122223333:role/ra-refunds-prod" not in after.roles
    restored = after.profiles[profile.arn]
    assert restored.role_arns == profile.role_arns
    assert restored.session_policy == profile.session_policy


def test_bad_input_is_one_line_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path
) -> None:
    state = (sandbox_dir / "state" / "iam.json").read_text()
    code, _out, err = onboard(
        capsys, sandbox_dir, "--workload", "orders", "--service", "s4", "--yes"
    )
    assert code == 2
    assert err == "rafix: error: --service s4: unknown AWS service prefix 's4'\n"
    missing = sandbox_dir / "nope.pem"
    code, _out, err = onboard(
        capsys,
        sandbox_dir,
        "--workload",
        "orders",
        "--service",
        "s3",
        "--certificate",
        str(missing),
    )
    assert code == 2 and err.startswith(f"rafix: error: {missing}: cannot read the certificate")
    assert (sandbox_dir / "state" / "iam.json").read_text() == state


def test_without_a_terminal_or_yes_nothing_is_written(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path
) -> None:
    code, _out, err = onboard(capsys, sandbox_dir, "--workload", "orders", "--service", "s3")
    assert code == 1
    assert "pass --yes to confirm; nothing was written" in err
    assert "arn:aws:iam::111122223333:role/ra-orders-prod" not in read_inventory(sandbox_dir).roles


def test_every_option_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["onboard", "--help"])
    out = capsys.readouterr().out
    for option in (
        "--workload",
        "--env",
        "--team",
        "--trust-anchor",
        "--issuer-cn",
        "--service",
        "--resource",
        "--managed-policy",
        "--spiffe-uri",
        "--certificate",
        "--out",
        "--format",
        "--yes",
    ):
        assert option in out


def test_onboarding_as_terraform_and_cloudformation_writes_code_not_the_account(
    capsys: pytest.CaptureFixture[str], sandbox_dir: Path, tmp_path: Path
) -> None:
    """Teams that manage Roles Anywhere as code get the workload's role and profile as code:
    the documents equal the onboarding plan's, and the account is not touched."""

    def ledger(fmt: str, *extra: str) -> tuple[str, str]:
        argv = ("--workload", "ledger", "--service", "dynamodb", "--format", fmt, *extra)
        code, out, err = onboard(capsys, sandbox_dir, *argv)
        assert code == 0, err
        return out, err

    state = {p.name: p.read_bytes() for p in (sandbox_dir / "state").iterdir()}
    changes = json.loads(ledger("json", "--out", str(tmp_path / "plan.json"))[0])["plan"]["changes"]
    after = {c["resource_arn"]: c["after"] for c in changes}
    role_after = after["arn:aws:iam::111122223333:role/ra-ledger-prod"]
    [profile_after] = [a for arn, a in after.items() if ":profile/" in arn]

    blocks = {
        (b.labels[0], b.labels[1]): b.attributes for b in hcl_eval.parse(ledger("terraform")[0])
    }
    role = blocks[("aws_iam_role", "ra-ledger-prod")]
    assert role["name"] == "ra-ledger-prod"
    assert role["assume_role_policy"] == role_after["trustPolicy"]
    profile = blocks[("aws_rolesanywhere_profile", "ra-payments-prod")]
    assert profile["session_policy"] == profile_after["sessionPolicy"]
    assert profile["role_arns"] == ["arn:aws:iam::111122223333:role/ra-ledger-prod"]
    assert profile["duration_seconds"] == 3600
    assert profile["accept_role_session_name"] is False

    target = tmp_path / "ledger.yaml"
    assert ledger("cloudformation", "-o", str(target)) == (
        "",
        f"rafix: wrote the onboarding of ledger.prod as CloudFormation to {target}\n",
    )
    template = yaml.safe_load(target.read_text(encoding="utf-8"))
    types = {r["Type"]: r["Properties"] for r in template["Resources"].values()}
    assert types["AWS::IAM::Role"]["AssumeRolePolicyDocument"] == role_after["trustPolicy"]
    # CloudFormation takes a profile's session policy as a JSON string.
    session_policy = json.loads(types["AWS::RolesAnywhere::Profile"]["SessionPolicy"])
    assert session_policy == profile_after["sessionPolicy"]
    assert {p.name: p.read_bytes() for p in (sandbox_dir / "state").iterdir()} == state
