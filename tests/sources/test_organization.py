"""Every account of an AWS Organization: the sandbox organisation, reading it (--org,
--account, --assume-role, --external-id), and the reports that carry each finding's account."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remediations.cli import main
from remediations.errors import InputError
from remediations.session import Session
from remediations.source import OrgSource, SandboxSource
from remediations.sources.organization import check_account_ids, check_role_name
from remediations.sources.sandbox.organization import (
    ACCESS_ROLE,
    init_organization,
    member_ids,
    open_organization,
    read_org,
    readdress,
)
from tests.shared import CORPUS

MANAGEMENT = "111122223333"


@pytest.fixture(scope="module")
def org_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("org-template") / "org"
    init_organization(folder, 3)
    return folder


@pytest.fixture
def org(org_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of a management account and three members."""
    import shutil

    target = tmp_path / "org"
    shutil.copytree(org_template, target)
    return target


def members(folder: Path) -> list[str]:
    return list(read_org(folder).accounts)


def iam_of(folder: Path, account: str) -> dict[str, Any]:
    path = folder / "accounts" / account / "state" / "iam.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def write_iam(folder: Path, account: str, document: dict[str, Any]) -> None:
    path = folder / "accounts" / account / "state" / "iam.json"
    path.write_text(json.dumps(document))


def scan_json_partial(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """A scan that may refuse (no JSON on stdout then)."""
    code = main(["scan", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, out, err


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


# --- the sandbox organisation ----------------------------------------------------------


def test_init_lays_out_a_management_account_and_members(org: Path) -> None:
    info = read_org(org)
    assert info.management_account_id == MANAGEMENT
    assert len(info.accounts) == 3
    assert (org / "state" / "account.json").is_file()
    for account in info.accounts:
        state = org / "accounts" / account / "state"
        assert json.loads((state / "account.json").read_text())["account_id"] == account
        assert (org / "accounts" / account / "snapshots").is_dir()
        roles = {r["RoleName"]: r for r in iam_of(org, account)["RoleDetailList"]}
        trust = roles[ACCESS_ROLE]["AssumeRolePolicyDocument"]
        assert trust["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}
    shapes = {meta["shape"] for meta in info.accounts.values()}
    assert len(shapes) == 3, "members come in different shapes"


def test_members_share_no_literal_with_each_other(org: Path) -> None:
    """Distinct accounts: no role ID, resource ID or ARN of one member appears in another."""
    seen: dict[str, str] = {}
    for account in members(org):
        text = "".join(
            p.read_text() for p in sorted((org / "accounts" / account / "state").glob("*.json"))
        )
        ids = set(re.findall(r"AROA[0-9A-Z]{17}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f-]{19}", text))
        for ident in ids:
            assert seen.setdefault(ident, account) == account, f"{ident} in two accounts"
        others = [a for a in [MANAGEMENT, *members(org)] if a != account]
        assert not any(f":{other}:" in text for other in others if other != MANAGEMENT)


def test_init_refuses_a_non_empty_folder_and_bad_counts(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        init_organization(tmp_path / "x", 2)
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"
    with pytest.raises(InputError, match="at least one"):
        init_organization(tmp_path / "y", 0)


def test_cli_init_with_accounts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "init", str(tmp_path / "org"), "--accounts", "2"]) == 0
    out = capsys.readouterr().out
    assert "management account 111122223333" in out
    for account in members(tmp_path / "org"):
        assert account in out
    with pytest.raises(SystemExit) as exit_:
        main(["sandbox", "init", str(tmp_path / "o2"), "--accounts", "0"])
    assert exit_.value.code == 2
    assert "between 1 and 1000" in capsys.readouterr().err


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=60))
def test_member_ids_are_distinct_twelve_digit_ids(count: int) -> None:
    ids = member_ids(count)
    assert len(set(ids)) == count and MANAGEMENT not in ids
    assert all(re.fullmatch(r"[1-9]\d{11}", i) for i in ids)


@settings(max_examples=40, deadline=None)
@given(st.from_regex(r"[2-9][0-9]{11}", fullmatch=True))
def test_readdress_moves_every_arn_to_the_new_account(account: str) -> None:
    from remediations.sources.sandbox.organization import member_account

    documents = member_account("444455556666", "demo", seed=0)
    moved = readdress(documents, account)
    text = json.dumps(moved)
    assert "444455556666" not in text
    arns = re.findall(r"arn:aws:(?:iam|rolesanywhere):[\w-]*:(\d{12}):", text)
    assert arns and set(arns) == {account}


def test_assume_role_goes_through_sts_and_the_key_names_the_account(org: Path) -> None:
    """The member's session signs with the temporary key moto's STS issued, and the sandbox
    routes by that key, as AWS does."""
    from remediations.sources.organization import assume_account, list_accounts

    with open_organization(org) as management:
        listed = list_accounts(management)
        assert listed[0].account_id == MANAGEMENT and listed[0].management
        assert {a.account_id for a in listed} == {MANAGEMENT, *members(org)}
        target = members(org)[1]
        member = assume_account(management, target)
        key = member.boto_session.get_credentials().access_key
        assert key.startswith("ASIA")
        identity = member.client("sts").get_caller_identity()
        assert identity["Account"] == target
        assert "rafix" in identity["Arn"]
        assert management.faults.count(service="sts", operation="AssumeRole") == 1


def test_assume_role_is_refused_when_the_role_does_not_trust_the_caller(org: Path) -> None:
    from remediations.errors import SourceError
    from remediations.sources.organization import assume_account

    target = members(org)[0]
    iam = iam_of(org, target)
    for role in iam["RoleDetailList"]:
        if role["RoleName"] == ACCESS_ROLE:
            role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {
                "AWS": "arn:aws:iam::999988887777:root"
            }
    write_iam(org, target, iam)
    with (
        open_organization(org) as management,
        pytest.raises(SourceError, match=rf"account {target}: cannot assume .*AccessDenied"),
    ):
        assume_account(management, target)


# --- reading: --org, --account ---------------------------------------------------------


def test_scan_org_reports_every_account_with_its_findings(
    org: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, _err = scan_json(capsys, "--sandbox", str(org), "--org")
    assert code == 1
    accounts = {a["account_id"]: a for a in report["accounts"]}
    assert set(accounts) == {MANAGEMENT, *members(org)}
    assert all(a["read"] for a in accounts.values())
    seen = set()
    for finding in report["findings"]:
        assert finding["account_id"] == finding["resource_arn"].split(":")[4]
        seen.add(finding["account_id"])
    assert len(seen) >= 3
    for account_id, summary in accounts.items():
        assert summary["total"] == sum(
            1 for f in report["findings"] if f["account_id"] == account_id
        )
    assert sorted(report["source"]["account_ids"]) == sorted(accounts)


def test_scan_org_table_has_the_account_of_each_finding_and_a_summary_per_account(
    org: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["scan", "--sandbox", str(org), "--org", "--no-color"])
    out = capsys.readouterr().out
    assert "ACCOUNT" in out.splitlines()[0]
    assert "By account (4):" in out
    for account in members(org):
        assert re.search(rf"^  {account} \(.*\): \d+ finding", out, re.M)


def test_an_unreadable_account_is_one_warning_and_the_rest_is_read(
    org: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = members(org)[1]
    iam = iam_of(org, broken)
    iam["RoleDetailList"] = [r for r in iam["RoleDetailList"] if r["RoleName"] != ACCESS_ROLE]
    write_iam(org, broken, iam)
    code, _out, err = scan_json_partial(capsys, "--sandbox", str(org), "--org")
    assert code == 2 and broken in err  # the scan is partial: it does not pass as clean
    code, report, err = scan_json(capsys, "--sandbox", str(org), "--org", "--allow-partial")
    assert code == 1
    assert report["complete"] is False and report["not_read"][0]["where"] == broken
    summary = {a["account_id"]: a for a in report["accounts"]}
    assert summary[broken]["read"] is False
    assert all(summary[a]["read"] for a in summary if a != broken)
    notes = [line for line in err.splitlines() if broken in line]
    assert len(notes) == 1, err
    assert f"arn:aws:iam::{broken}:role/{ACCESS_ROLE}" in notes[0]
    assert "sts:AssumeRole" in notes[0]
    assert not any(f["account_id"] == broken for f in report["findings"])


def test_account_picks_accounts_with_and_without_org(
    org: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = members(org)[2]
    _code, report, _err = scan_json(capsys, "--sandbox", str(org), "--account", chosen)
    assert {f["account_id"] for f in report["findings"]} == {chosen}
    _code, report, _err = scan_json(
        capsys, "--sandbox", str(org), "--org", "--account", chosen, "--account", MANAGEMENT
    )
    assert {a["account_id"] for a in report["accounts"]} == {chosen, MANAGEMENT}
    assert main(["scan", "--sandbox", str(org), "--org", "--account", "123456789012"]) == 2
    assert "not an ACTIVE account" in capsys.readouterr().err
    assert main(["scan", "--sandbox", str(org), "--account", "12345"]) == 2
    assert "12 digits" in capsys.readouterr().err


def test_suspended_accounts_are_not_read(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = org / "organization.json"
    data = json.loads(path.read_text())
    suspended = data["accounts"][0]["id"]
    data["accounts"][0]["status"] = "SUSPENDED"
    path.write_text(json.dumps(data))
    _code, report, _err = scan_json(capsys, "--sandbox", str(org), "--org")
    assert suspended not in {a["account_id"] for a in report["accounts"]}
    assert len(report["accounts"]) == 3


def test_external_id_and_assume_role_name(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A read-only role that needs an external ID: read only with both options."""
    target = members(org)[0]
    iam = iam_of(org, target)
    iam["RoleDetailList"].append(
        {
            "RoleName": "rafix-read",
            "Path": "/",
            "Arn": f"arn:aws:iam::{target}:role/rafix-read",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"sts:ExternalId": "rafix-7f3e"}},
                    }
                ],
            },
            "RolePolicyList": [],
            "AttachedManagedPolicies": [],
        }
    )
    write_iam(org, target, iam)
    base = ["--sandbox", str(org), "--account", target, "--assume-role", "rafix-read"]
    code, _report, err = scan_json_partial(capsys, *base)
    assert code == 2 and "the scan is incomplete" in err  # an account not read is not clean
    _code, report, err = scan_json(capsys, *base, "--allow-partial")
    assert report["accounts"][0]["read"] is False and "rafix-read" in err
    _code, report, err = scan_json(capsys, *base, "--external-id", "rafix-7f3e")
    assert report["accounts"][0]["read"] is True
    assert {f["account_id"] for f in report["findings"]} == {target}


def test_org_options_need_org_or_account(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--sandbox", "nowhere", "--assume-role", "x"]) == 2
    assert "--assume-role needs --org or --account" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["scan", "--sandbox", "x", "--org", "--parallel", "0"])
    assert exit_.value.code == 2
    assert "between 1 and 64" in capsys.readouterr().err


def test_org_on_a_single_account_sandbox_says_how_to_make_an_organisation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", "init", str(tmp_path / "sb")]) == 0
    capsys.readouterr()
    assert main(["scan", "--sandbox", str(tmp_path / "sb"), "--org"]) == 2
    assert "--accounts 3" in capsys.readouterr().err


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=20))
def test_account_ids_are_twelve_digits_or_refused(text: str) -> None:
    if re.fullmatch(r"\d{12}", text, re.ASCII):
        assert check_account_ids([text, text]) == (text,)
    else:
        with pytest.raises(InputError, match="12 digits"):
            check_account_ids([text])


def test_role_name_check() -> None:
    assert check_role_name("rafix-read") == "rafix-read"
    assert check_role_name("arn:aws:iam::111122223333:role/ops/rafix-read") == "rafix-read"
    with pytest.raises(InputError):
        check_role_name("bad name!")


def test_facade_scan_of_an_organisation_checks_each_account_alone(org: Path) -> None:
    """A check never mixes two accounts: the organisation's findings are exactly each
    account's own findings, read alone."""
    result = Session(OrgSource(SandboxSource(org))).scan()
    assert {a.account_id for a in result.accounts} == {MANAGEMENT, *members(org)}
    alone = Session(SandboxSource(org)).scan()  # the management account by itself
    mine = [f for f in result.findings if f.account_id == MANAGEMENT]
    assert [f.to_json() for f in mine] == [f.to_json() for f in alone.findings]


@pytest.mark.corpus
def test_members_seeded_from_the_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    authz = sorted((CORPUS / "authz").glob("*.json"))
    if not authz:
        pytest.skip("../shared/corpus is not beside the checkout")
    documents = [{"iam.json": json.loads(path.read_text())} for path in authz[:2]]
    init_organization(tmp_path / "org", 3, member_documents=documents)
    code, report, _err = scan_json(capsys, "--sandbox", str(tmp_path / "org"), "--org")
    assert code in (0, 1)
    info = read_org(tmp_path / "org")
    assert [m["shape"] for m in info.accounts.values()][:2] == ["given", "given"]
    assert all(a["read"] for a in report["accounts"])
    corpus_accounts = list(info.accounts)[:2]
    for account in corpus_accounts:
        roles = iam_of(tmp_path / "org", account)["RoleDetailList"]
        assert all(r["Arn"].split(":")[4] == account for r in roles)


def test_cross_account_chaining_is_part_of_the_workloads_reach(
    org: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A role in a member that trusts a Roles Anywhere role of the management account is in
    that workload's reach; so is every member the management's admin workload can enter."""
    code = main(["access", "--sandbox", str(org), "--org", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code in (0, 1)
    chains = {
        r["role_arn"]: {c["role_arn"] for c in r["chains_to"]}
        for r in report["roles"]
        if r["chains_to"]
    }
    crossing = {
        (source.split(":")[4], target.split(":")[4])
        for source, targets in chains.items()
        for target in targets
        if source.split(":")[4] != target.split(":")[4]
    }
    assert crossing, "some workload reaches a role of another account"
    generated = next(a for a, m in read_org(org).accounts.items() if m["shape"] == "generated")
    deploy = [t for ts in chains.values() for t in ts if f"{generated}:role/deploy-from-" in t]
    assert deploy, "the generated member's deploy role is reached from the management account"
    # Read alone, the member's deploy role has no Roles Anywhere path into it at all.
    main(["access", "--sandbox", str(org / "accounts" / generated), "--format", "json"])
    alone = json.loads(capsys.readouterr().out)
    assert not any(c for r in alone["roles"] for c in r["chains_to"] if c["role_arn"] in deploy)


# --- the live path (moto for Organizations, STS and IAM; no Roles Anywhere needed) -------


@pytest.fixture
def live_org(monkeypatch: pytest.MonkeyPatch) -> Any:
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


def test_live_list_and_assume_through_boto3(live_org: Any) -> None:
    """The live code path: ListAccounts (paginated), then AssumeRole and a session on the
    returned credentials that reaches the member account."""
    import boto3  # type: ignore[import-untyped]

    from remediations.sources.aws_session import AccountSession
    from remediations.sources.organization import SESSION_NAME, assume_account, list_accounts

    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    for n in range(3):
        client.create_account(AccountName=f"member-{n}", Email=f"m{n}@example.com")
    with AccountSession() as management:
        accounts = list_accounts(management)
        assert len(accounts) == 4 and accounts[0].management
        assert accounts[0].account_id == management.account_id
        member_id = accounts[1].account_id
        member = assume_account(management, member_id)
        try:
            identity = member.client("sts").get_caller_identity()
            assert identity["Account"] == member_id
            assert f"/{SESSION_NAME}" in identity["Arn"]
            names = [r["RoleName"] for r in member.client("iam").list_roles()["Roles"]]
            assert "OrganizationAccountAccessRole" in names
        finally:
            member.close()


def test_org_on_a_folder_of_one_account_is_refused(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "one"
    assert main(["export", "--sandbox", str(org), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["scan", "--from-file", str(out), "--org"]) == 2
    assert "no per-account folders" in capsys.readouterr().err
    assert main(["scan", "--from-file", str(out)]) == 1  # one account, read as before


def test_a_suppression_for_one_account_leaves_the_others(
    org: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = members(org)[0]
    config = tmp_path / "rafix.toml"
    config.write_text(
        f'[[rafix.suppress]]\nid = "RA-*"\naccount = "{quiet}"\nreason = "sandbox account"\n'
    )
    _code, report, _err = scan_json(capsys, "--sandbox", str(org), "--org", "--config", str(config))
    assert not any(f["account_id"] == quiet for f in report["findings"])
    assert {s["account_id"] for s in report["suppressed"]} == {quiet}
    assert any(f["account_id"] == MANAGEMENT for f in report["findings"])
    summary = {a["account_id"]: a for a in report["accounts"]}
    assert summary[quiet]["total"] == 0 and summary[quiet]["read"]
