"""The guarantees of a plan on a sandbox round trip, for every account built from
``../shared/corpus`` and for generated accounts of many shapes (issue 9), as a new user runs
them:

``rafix sandbox init DIR --from-file ...``; the sandbox copy plans exactly like its files;
``rafix plan`` + ``rafix apply --yes`` adds no finding and ends every finding it claims;
``rafix rollback`` restores the export exactly (timestamps the service sets aside).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from remediations.cli import main
from remediations.model import Inventory, Profile, Role, TrustAnchor
from remediations.sources.export import export_inventory
from remediations.state import NEUTRAL_SESSION_POLICY
from tests.account_strategies import (
    ACCOUNT,
    ACTIONS,
    RA,
    anchor_arn,
    generated_accounts,
    whole_account_examples,
)
from tests.corpus_accounts import accounts, write_account

#: Set by the service on every write (the API's own bookkeeping, not the account's state).
VOLATILE = {"updatedAt", "createdAt", "CreateDate", "UpdateDate"}


def rafix(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(["-q", *argv])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert "Traceback" not in err
    return out


def _answers(files: list[Path]) -> list[str]:
    """What a user answers with --set: each role's own CN, the issuing CA, the services."""
    iam = json.loads(next(f for f in files if f.name == "iam.json").read_text(encoding="utf-8"))
    out = ["--set", "issuer_cn=Corp Issuing CA G2", "--set", "services=s3"]
    for role in iam["RoleDetailList"]:
        out += ["--set", f"{role['RoleName']}.cn={role['RoleName'][:40]}.corp.example"]
    return out


def _plan_view(plan: dict[str, Any]) -> dict[str, Any]:
    """A plan without what names where and when it was made."""
    return {
        "changes": sorted(
            (
                c["phase"],
                c["resource_arn"],
                tuple(c["finding_ids"]),
                c["fingerprint"],
                json.dumps(c["after"], sort_keys=True),
            )
            for c in plan["changes"]
        ),
        "needs_input": sorted(
            (n["finding_id"], n["resource_arn"], n["key"]) for n in plan["needs_input"]
        ),
        "not_fixable": sorted((n["finding_id"], n["resource_arn"]) for n in plan["not_fixable"]),
    }


def _stable(value: Any) -> Any:
    """Without service timestamps; a profile's session policy as what it means: the API cannot
    clear one (UpdateProfile needs at least one character), so a rollback writes the neutral
    Allow-all that scan and apply read as "no session policy" (state.equivalent)."""
    if isinstance(value, dict):
        if value.get("sessionPolicy") is not None and "profileArn" in value:
            # Restored as the same document (its meaning), written compact: the export of a
            # profile whose policy was indented text differs in whitespace only.
            policy = value["sessionPolicy"]
            parsed = json.loads(policy) if isinstance(policy, str) else policy
            value = {k: v for k, v in value.items() if k != "sessionPolicy"}
            if parsed != NEUTRAL_SESSION_POLICY:
                value["sessionPolicy"] = parsed
        return {k: _stable(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _export(capsys: pytest.CaptureFixture[str], sandbox: Path, out: Path) -> dict[str, Any]:
    rafix(capsys, "export", "--sandbox", str(sandbox), "--out", str(out))
    return {
        p.name: _stable(json.loads(p.read_text(encoding="utf-8")))
        for p in sorted(out.glob("*.json"))
    }


def _findings(capsys: pytest.CaptureFixture[str], sandbox: Path) -> set[tuple[str, str]]:
    out = rafix(capsys, "scan", "--sandbox", str(sandbox), "--format", "json")
    return {(f["id"], f["resource_arn"]) for f in json.loads(out)["findings"]}


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(accounts()) or ["(no corpus)"])
def test_sandbox_round_trip_of_a_corpus_account(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if name == "(no corpus)":
        pytest.skip("../shared/corpus is absent")
    files = write_account(name, tmp_path / "files")
    round_trip(capsys, tmp_path, files, _answers(files))


@whole_account_examples(6)
@given(account=generated_accounts())
def test_sandbox_round_trip_of_generated_accounts(
    account: tuple[Inventory, dict[str, str]],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inventory, values = account
    folder = tmp_path_factory.mktemp("generated")
    files = export_inventory(inventory, folder / "files")
    answers = [a for key, value in sorted(values.items()) for a in ("--set", f"{key}={value}")]
    round_trip(capsys, folder, files, answers)


def round_trip(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, files: list[Path], answers: list[str]
) -> None:
    """sandbox init, plan (like the files), apply, scan, plan again, roll back, export."""
    sandbox = tmp_path / "sandbox"
    source = ("--sandbox", str(sandbox))
    rafix(capsys, "sandbox", "init", str(sandbox), "--from-file", *map(str, files))
    exported = _export(capsys, sandbox, tmp_path / "export-before")

    # The sandbox copy plans exactly like the files it was made from.
    from_files = tmp_path / "plan-files.json"
    rafix(capsys, "plan", "--from-file", *map(str, files), *answers, "-o", str(from_files))
    plan_path = tmp_path / "plan.json"
    rafix(capsys, "plan", *source, *answers, "-o", str(plan_path))
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    assert _plan_view(plan) == _plan_view(json.loads(from_files.read_text(encoding="utf-8")))

    before = _findings(capsys, sandbox)
    phase_one = [c for c in plan["changes"] if c["phase"] == 1]
    if not phase_one:
        return
    rafix(capsys, "apply", str(plan_path), *source, "--yes")
    after = _findings(capsys, sandbox)
    assert after <= before, after - before
    claimed = {(f, c["resource_arn"]) for c in phase_one for f in c["finding_ids"]}
    assert not claimed & after

    # A new plan proposes nothing more for what was fixed (a fixpoint in one step).
    again_path = tmp_path / "again.json"
    rafix(capsys, "plan", *source, *answers, "-o", str(again_path))
    again = json.loads(again_path.read_text(encoding="utf-8"))
    assert (
        not {
            (f, c["resource_arn"])
            for c in again["changes"]
            if c["phase"] == 1
            for f in c["finding_ids"]
        }
        & claimed
    )

    listed = json.loads(rafix(capsys, "snapshots", *source, "--format", "json"))["snapshots"]
    (snapshot,) = listed
    rafix(capsys, "rollback", snapshot["id"], *source, "--yes")
    assert _export(capsys, sandbox, tmp_path / "export-after") == exported


def test_a_plan_over_a_trust_that_allows_sts_star_applies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fix of a Roles Anywhere statement whose Action is ``sts:*`` (or ``*``) narrows it to
    the three actions Roles Anywhere asks for: IAM's trust-policy validation (the sandbox's, as
    moto's) refuses ``sts:*``, and the apply of the plan failed at that role and rolled back."""
    region = "us-east-1"
    anchor = anchor_arn(region, 1)
    inventory = Inventory(account_id=ACCOUNT, origin="files", regions=[region])
    inventory.coverage = {"iam", "rolesanywhere", "profiles", "trust_anchors", "crls"}
    inventory.trust_anchors[anchor] = TrustAnchor(
        arn=anchor,
        anchor_id=anchor.rsplit("/", 1)[1],
        name="corp-ca",
        region=region,
        source_type="AWS_ACM_PCA",
        acm_pca_arn=f"arn:aws:acm-pca:{region}:{ACCOUNT}:certificate-authority/ca-1",
    )
    roles = []
    for name, action in (("ra-star", "sts:*"), ("ra-all", "*"), ("ra-list", ["sts:*"])):
        arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": RA},
                    "Action": action,
                    "Condition": {
                        "StringEquals": {"aws:PrincipalTag/x509Subject/CN": f"{name}.corp"}
                    },
                }
            ],
        }
        inventory.roles[arn] = Role(arn=arn, name=name, trust_policy=trust)
        roles.append(arn)
    pid = "7d0c3a55-4f8e-4b8e-9a3c-0d6f1b2c3d4e"
    profile = f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:profile/{pid}"
    inventory.profiles[profile] = Profile(
        arn=profile, profile_id=pid, name="team", region=region, role_arns=roles
    )
    files = export_inventory(inventory, tmp_path / "files")
    answers = ["--set", f"trust_anchor_arn={anchor}", "--set", "issuer_cn=Corp Issuing CA"]
    answers += ["--set", "services=s3"]
    plan_path = tmp_path / "plan-files.json"
    rafix(capsys, "plan", "--from-file", *map(str, files), *answers, "-o", str(plan_path))
    changes = json.loads(plan_path.read_text(encoding="utf-8"))["changes"]
    trusts = [c for c in changes if c["resource_type"] == "role" and c["phase"] == 1]
    assert len(trusts) == 3
    for change in trusts:
        (statement,) = change["after"]["trustPolicy"]["Statement"]
        assert statement["Action"] == list(ACTIONS), change["summary"]
        assert "narrows Action" in change["summary"]
    # Applied on a sandbox copy: every change lands, nothing is added, what was claimed ends.
    sandbox = tmp_path / "sandbox"
    rafix(capsys, "sandbox", "init", str(sandbox), "--from-file", *map(str, files))
    before = _findings(capsys, sandbox)
    sandbox_plan = tmp_path / "plan.json"
    rafix(capsys, "plan", "--sandbox", str(sandbox), *answers, "-o", str(sandbox_plan))
    assert main(["-q", "apply", str(sandbox_plan), "--sandbox", str(sandbox), "--yes"]) == 0
    capsys.readouterr()
    after = _findings(capsys, sandbox)
    assert after <= before, after - before
    claimed = {(f, c["resource_arn"]) for c in trusts for f in c["finding_ids"]}
    assert not claimed & after
    iam = _export(capsys, sandbox, tmp_path / "export")["iam.json"]
    for role in iam["RoleDetailList"]:
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Action"] == list(ACTIONS)
    # Rolled back: the sandbox writes sts:* and * back as IAM does (moto alone refuses them),
    # so every trust policy is the one the account had before the apply.
    source = ["--sandbox", str(sandbox)]
    listed = json.loads(rafix(capsys, "snapshots", *source, "--format", "json"))["snapshots"]
    (snapshot,) = listed
    rafix(capsys, "rollback", snapshot["id"], *source, "--yes")
    restored = _export(capsys, sandbox, tmp_path / "restored")["iam.json"]
    trusts_now = {r["Arn"]: r["AssumeRolePolicyDocument"] for r in restored["RoleDetailList"]}
    assert trusts_now == {arn: inventory.roles[arn].trust_policy for arn in roles}
    assert _findings(capsys, sandbox) == before
