"""A sandbox scanned from its state files (``sources/sandbox/direct.py``) reads exactly as it
reads through boto3: the same inventory (every field of every object, the warnings, coverage,
regions and order) and the same JSON report, byte for byte, on generated accounts of many
shapes, on every account of ``../shared/corpus``, after an apply and after a rollback; and
whatever only boto3 can answer (injected faults, values XML would change) still goes through
it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remediations.cli import main
from remediations.errors import RafixError
from remediations.model import Inventory
from remediations.source import SandboxSource
from remediations.sources.export import export_inventory
from remediations.sources.opening import load_inventory
from remediations.sources.sandbox import init_sandbox, open_sandbox, read_inventory
from remediations.sources.sandbox.direct import PCA_REGIONS, READ_ENV, read_direct
from remediations.sources.sandbox.faults import Fault, FaultInjector
from remediations.sources.sandbox.ra_lists import SHAPES
from tests.account_strategies import ACCOUNT as GENERATED
from tests.account_strategies import generated_accounts, whole_account_examples
from tests.corpus_accounts import accounts, write_account

KINDS = ("roles", "policies", "users", "groups", "trust_anchors", "profiles", "crls", "subjects")
ACCOUNT = "111122223333"


def view(inventory: Inventory) -> dict[str, Any]:
    """Everything an inventory holds, and the order of what the API lists in order."""
    out: dict[str, Any] = {
        "account_id": inventory.account_id,
        "regions": inventory.regions,
        "origin": inventory.origin,
        "coverage": sorted(inventory.coverage),
        "warnings": [dataclasses.asdict(w) for w in inventory.warnings],
    }
    for kind in KINDS:
        store = getattr(inventory, kind)
        out[kind] = {arn: dataclasses.asdict(obj) for arn, obj in store.items()}
        # moto lists customer managed policies from a set: their order is its own.
        if kind != "policies":
            out[f"{kind} order"] = list(store)
    return out


def report(capsys: pytest.CaptureFixture[str], sandbox: Path, *extra: str) -> str:
    code = main(["-q", "scan", "--sandbox", str(sandbox), "--format", "json", *extra])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), err
    assert "Traceback" not in err
    return out


def assert_same_both_ways(
    sandbox: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The direct read answers, and answers what boto3 reads; so does the scan's report."""
    direct = read_direct(sandbox)
    assert direct is not None, "the state files could not answer"
    assert view(direct) == view(read_inventory(sandbox))
    fast = report(capsys, sandbox, "--allow-partial")
    monkeypatch.setenv(READ_ENV, "api")
    slow = report(capsys, sandbox, "--allow-partial")
    monkeypatch.delenv(READ_ENV)
    assert fast == slow
    assert json.loads(fast)["source"]["origin"].startswith("sandbox:")


def apply_and_roll_back(
    sandbox: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plan, apply (through boto3, saved by reading back through it), compare; roll back,
    compare again."""
    plan = sandbox.parent / "plan.json"
    source = ("--sandbox", str(sandbox))
    main(["-q", "plan", *source, "--set", "services=s3", "-o", str(plan)])
    capsys.readouterr()
    changes = json.loads(plan.read_text(encoding="utf-8"))["changes"]
    if not any(c["phase"] == 1 for c in changes):
        return
    assert main(["-q", "apply", str(plan), *source, "--yes"]) in (0, 1)
    capsys.readouterr()
    assert_same_both_ways(sandbox, capsys, monkeypatch)
    main(["-q", "snapshots", *source, "--format", "json"])
    (snapshot,) = json.loads(capsys.readouterr().out)["snapshots"]
    assert main(["-q", "rollback", snapshot["id"], *source, "--yes"]) in (0, 1)
    capsys.readouterr()
    assert_same_both_ways(sandbox, capsys, monkeypatch)


# --- equivalence -----------------------------------------------------------------------------


@whole_account_examples(8)
@given(account=generated_accounts())
def test_generated_accounts_read_the_same_from_files_and_through_boto3(
    account: tuple[Inventory, dict[str, str]],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inventory, _values = account
    folder = tmp_path_factory.mktemp("generated")
    files = export_inventory(inventory, folder / "files")
    init_sandbox(folder / "sandbox", files)
    assert_same_both_ways(folder / "sandbox", capsys, monkeypatch)
    apply_and_roll_back(folder / "sandbox", capsys, monkeypatch)


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(accounts()) or ["(no corpus)"])
def test_corpus_accounts_read_the_same_from_files_and_through_boto3(
    name: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if name == "(no corpus)":
        pytest.skip("../shared/corpus is absent")
    files = write_account(name, tmp_path / "files")
    init_sandbox(tmp_path / "sandbox", files)
    assert_same_both_ways(tmp_path / "sandbox", capsys, monkeypatch)
    apply_and_roll_back(tmp_path / "sandbox", capsys, monkeypatch)


def test_the_demo_account_reads_the_same_and_so_does_a_region_subset(
    sandbox_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_same_both_ways(sandbox_dir, capsys, monkeypatch)
    for regions in (["eu-west-1"], ["us-west-2", "eu-west-1"], ["us-west-2"]):
        direct = read_direct(sandbox_dir, regions)
        assert direct is not None
        assert view(direct) == view(read_inventory(sandbox_dir, regions))


# --- what the state files cannot answer --------------------------------------------------------

_ODD_TEXT = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"), min_size=0, max_size=6
) | st.sampled_from(
    ["", " x", "a%41b", "line\nbreak", "cr\rlf", "\x7f", "\u202e", "tab\t", "\ud800"]
)


@st.composite
def odd_accounts(draw: st.DrawFn) -> dict[str, Any]:
    """One role, one policy and one profile with odd text where an account has text."""
    name = draw(_ODD_TEXT.filter(lambda s: s and "/" not in s and ":" not in s)) or "r"
    role: dict[str, Any] = {
        "RoleName": name,
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "Path": "/",
        "AssumeRolePolicyDocument": draw(
            st.sampled_from(
                [
                    {"Version": "2012-10-17", "Statement": []},
                    {"Statement": [{"Sid": draw(_ODD_TEXT)}]},
                    json.dumps({"Statement": [{"Sid": draw(_ODD_TEXT)}]}),
                    "%7B%22Statement%22%3A%5B%5D%7D",
                    "not json",
                ]
            )
        ),
        "RolePolicyList": [
            {"PolicyName": draw(_ODD_TEXT), "PolicyDocument": {"Statement": [{"Sid": "x"}]}}
        ],
        "Tags": [{"Key": draw(_ODD_TEXT), "Value": draw(_ODD_TEXT)}],
        "AttachedManagedPolicies": [
            {"PolicyName": "p", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/p"},
            {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        ],
    }
    if draw(st.booleans()):
        role["RoleId"] = "AROA" + draw(st.sampled_from(["X", "Y"])) * 17
    if draw(st.booleans()):
        role["CreateDate"] = draw(
            st.sampled_from(["2024-02-03T04:05:06Z", "2024-02-03T04:05:06.789123+02:00", "x"])
        )
    policy = {
        "PolicyName": "p",
        "Arn": f"arn:aws:iam::{ACCOUNT}:policy/p",
        "Description": draw(_ODD_TEXT),
        "DefaultVersionId": "v1",
        "PolicyVersionList": [
            {"Document": {"Statement": []}, "VersionId": "v1", "IsDefaultVersion": True}
        ],
    }
    profile: dict[str, Any] = {
        "profileArn": f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/p-1",
        "name": draw(_ODD_TEXT),
        "roleArns": [role["Arn"]],
    }
    if draw(st.booleans()):
        profile["createdAt"] = draw(
            st.sampled_from(["2024-02-03T04:05:06.123456Z", "2024-02-03", "soon"])
        )
    if draw(st.booleans()):
        profile["enabled"] = draw(st.sampled_from([False, "yes", None]))
    crl = {
        "crlArn": f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:crl/c-1",
        "name": "c",
        "crlData": draw(st.sampled_from(["TUlJ", "-----BEGIN X509 CRL-----", "%%%", "QQ"])),
    }
    group_name = draw(_ODD_TEXT.filter(lambda s: s and "/" not in s and ":" not in s)) or "g"
    group = {
        "GroupName": group_name,
        "Arn": f"arn:aws:iam::{ACCOUNT}:group/{group_name}",
        "GroupPolicyList": [{"PolicyName": draw(_ODD_TEXT), "PolicyDocument": {"Statement": []}}],
        "AttachedManagedPolicies": [
            {"PolicyName": "p", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/p"}
        ],
    }
    user_name = draw(_ODD_TEXT.filter(lambda s: s and "/" not in s and ":" not in s)) or "u"
    user: dict[str, Any] = {
        "UserName": user_name,
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/{draw(st.sampled_from(['', 'ops/']))}{user_name}",
        "GroupList": [group_name, "ghost"],
        "UserPolicyList": [
            {"PolicyName": "pass", "PolicyDocument": {"Statement": [{"Action": "iam:PassRole"}]}}
        ],
        "AttachedManagedPolicies": [
            {
                "PolicyName": "AdministratorAccess",
                "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
            }
        ],
        "Tags": [{"Key": draw(_ODD_TEXT), "Value": draw(_ODD_TEXT)}],
    }
    if draw(st.booleans()):
        user["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/p",
        }
    return {
        "iam.json": {
            "RoleDetailList": [role],
            "Policies": [policy],
            "UserDetailList": [user],
            "GroupDetailList": [group],
        },
        "profiles.json": {"profiles": [profile]},
        "crls.json": {"crls": [crl]},
    }


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(documents=odd_accounts())
def test_a_scan_reads_odd_state_as_boto3_does_directly_or_through_it(
    documents: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever the state holds, the scan's read (direct when it can answer, else through
    boto3) equals the read through boto3."""
    folder = tmp_path_factory.mktemp("odd")
    files = []
    for name, document in documents.items():
        (folder / name).write_text(json.dumps(document), encoding="utf-8")
        files.append(folder / name)
    init_sandbox(folder / "sandbox", files)
    assert outcome(lambda: load_inventory(SandboxSource(folder / "sandbox"))) == outcome(
        lambda: read_inventory(folder / "sandbox")
    )


def outcome(read: Callable[[], Inventory]) -> Any:
    """The inventory read, or the one line that says why it could not be (a name XML cannot
    carry makes moto's answer unreadable: both ways say so)."""
    try:
        return view(read())
    except RafixError as exc:
        return type(exc).__name__, str(exc)


def test_values_xml_would_change_are_read_through_boto3(tmp_path: Path) -> None:
    iam = {
        "RoleDetailList": [
            {
                "RoleName": "r",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/r",
                "AssumeRolePolicyDocument": {"Statement": []},
                "Tags": [{"Key": "note", "Value": "two\r\nlines"}],
            }
        ]
    }
    (tmp_path / "iam.json").write_text(json.dumps(iam), encoding="utf-8")
    init_sandbox(tmp_path / "sb", [tmp_path / "iam.json"])
    assert read_direct(tmp_path / "sb") is None
    scanned = load_inventory(SandboxSource(tmp_path / "sb"))
    assert view(scanned) == view(read_inventory(tmp_path / "sb"))


def test_injected_faults_and_the_api_setting_go_through_boto3(
    sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert read_direct(sandbox_dir) is not None
    monkeypatch.setenv(READ_ENV, "api")
    assert read_direct(sandbox_dir) is None
    monkeypatch.delenv(READ_ENV)
    from remediations.sources.sandbox import account

    fault = Fault("access-denied", service="rolesanywhere", operation="ListCrls", times=10**6)
    monkeypatch.setattr(account, "FaultInjector", lambda: FaultInjector(faults=[fault]))
    assert read_direct(sandbox_dir) is None
    doc = json.loads(report(capsys, sandbox_dir, "--allow-partial"))
    assert doc["complete"] is False
    assert any("ListCrls" in w["where"] for w in doc["not_read"])


def test_a_replaced_sandbox_opening_is_what_a_scan_reads_through(
    sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code that wraps how sandboxes open (to inject faults or watch calls) sees the scan's
    calls: the scan reads through that opening."""
    import remediations.sources.sandbox as sandbox

    opened: list[object] = []
    real_open = sandbox.open_sandbox

    def watched(*args: Any, **kwargs: Any) -> Any:
        session = real_open(*args, **kwargs)
        opened.append(session)
        return session

    monkeypatch.setattr(sandbox, "open_sandbox", watched)
    assert read_direct(sandbox_dir) is None
    load_inventory(SandboxSource(sandbox_dir))
    assert len(opened) == 1


def test_reading_through_boto3_twice_gives_the_same_account(tmp_path: Path) -> None:
    """What the files leave out (IDs, dates) is filled in the same way at every open."""
    iam = {
        "RoleDetailList": [
            {
                "RoleName": "r",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/r",
                "AssumeRolePolicyDocument": {"Statement": []},
                "AttachedManagedPolicies": [
                    {"PolicyName": "p", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/p"}
                ],
            }
        ],
        "Policies": [
            {
                "PolicyName": "p",
                "Arn": f"arn:aws:iam::{ACCOUNT}:policy/p",
                "PolicyVersionList": [{"Document": {"Statement": []}, "IsDefaultVersion": True}],
            }
        ],
    }
    profiles = {
        "profiles": [
            {"profileArn": f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/p", "name": "p"}
        ]
    }
    (tmp_path / "iam.json").write_text(json.dumps(iam), encoding="utf-8")
    (tmp_path / "profiles.json").write_text(json.dumps(profiles), encoding="utf-8")
    init_sandbox(tmp_path / "sb", [tmp_path / "iam.json", tmp_path / "profiles.json"])
    first = read_inventory(tmp_path / "sb")
    assert view(read_inventory(tmp_path / "sb")) == view(first)
    role = first.roles[f"arn:aws:iam::{ACCOUNT}:role/r"]
    assert role.role_id.startswith("AROA") and len(role.role_id) == 21
    created = json.loads((tmp_path / "sb" / "state" / "account.json").read_text())["created"]
    assert role.raw["CreateDate"] == created
    profile = next(iter(first.profiles.values()))
    assert profile.raw["createdAt"] == created


def test_a_policy_moto_would_refuse_is_in_the_sandbox_as_in_the_files(tmp_path: Path) -> None:
    """The files hold what AWS accepted; moto's stricter grammar check no longer drops it."""
    odd = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*"}]}
    iam = {
        "Policies": [
            {
                "PolicyName": "no-resource",
                "Arn": f"arn:aws:iam::{ACCOUNT}:policy/team/no-resource",
                "PolicyVersionList": [{"Document": odd, "IsDefaultVersion": True}],
            }
        ],
        "RoleDetailList": [],
    }
    (tmp_path / "iam.json").write_text(json.dumps(iam), encoding="utf-8")
    init_sandbox(tmp_path / "sb", [tmp_path / "iam.json"])
    with open_sandbox(tmp_path / "sb") as session:
        assert not session.seed_warnings
        got = session.client("iam").get_policy(
            PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/team/no-resource"
        )
        assert got["Policy"]["Path"] == "/team/"


def test_the_shapes_are_the_service_models_list_shapes() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("rolesanywhere")

    def walk(shape: Any) -> Any:
        if shape.type_name == "structure":
            return {name: walk(member) for name, member in shape.members.items()}
        if shape.type_name == "list":
            return [walk(shape.member)]
        return shape.type_name

    for kind, operation, key in (
        ("trust_anchors", "ListTrustAnchors", "trustAnchors"),
        ("profiles", "ListProfiles", "profiles"),
        ("crls", "ListCrls", "crls"),
        ("subjects", "ListSubjects", "subjects"),
    ):
        output: Any = model.operation_model(operation).output_shape
        listed = output.members[key].member
        assert SHAPES[kind][0] == walk(listed), kind


def test_the_pca_regions_are_those_moto_serves() -> None:
    from moto.acmpca.models import acmpca_backends

    assert set(acmpca_backends[ACCOUNT].regions) == PCA_REGIONS


def test_anchors_of_ca_in_regions_moto_lacks_read_through_boto3_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _s: None)
    anchors = {
        "trustAnchors": [
            {
                "trustAnchorArn": f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:trust-anchor/a-{i}",
                "name": f"a-{i}",
                "source": {
                    "sourceType": "AWS_ACM_PCA",
                    "sourceData": {
                        "acmPcaArn": f"arn:aws:acm-pca:{pca}:{ACCOUNT}:certificate-authority/c-{i}"
                    },
                },
            }
            for i, (region, pca) in enumerate(
                [("eu-west-1", "eu-west-1"), ("eu-west-1", ""), ("us-east-1", "xx-west-9")]
            )
        ]
    }
    (tmp_path / "anchors.json").write_text(json.dumps(anchors), encoding="utf-8")
    init_sandbox(tmp_path / "sb", [tmp_path / "anchors.json"])
    assert read_direct(tmp_path / "sb") is None
    scanned = load_inventory(SandboxSource(tmp_path / "sb"))
    assert view(scanned) == view(read_inventory(tmp_path / "sb"))
    (warning,) = [w for w in scanned.warnings if "key algorithm" in w.message]
    assert "xx-west-9" in warning.message


def test_every_account_of_a_sandbox_organisation_reads_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members come in other shapes (re-addressed demo, generated workloads, hardened, IAM
    only), each readable alone with --sandbox DIR/accounts/ID."""
    assert main(["-q", "sandbox", "init", str(tmp_path / "org"), "--accounts", "4"]) == 0
    capsys.readouterr()
    members = sorted((tmp_path / "org" / "accounts").iterdir())
    assert len(members) == 4
    for folder in [tmp_path / "org", *members]:
        assert json.loads((folder / "state" / "account.json").read_text())["created"]
        assert_same_both_ways(folder, capsys, monkeypatch)


def test_users_and_groups_are_served_and_a_sandbox_copy_reports_them_like_its_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Who can administer Roles Anywhere: users and groups of the export, their policies,
    memberships and boundaries, scan the same from the files and from a sandbox copy."""
    open_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            }
        ],
    }
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    iam = {
        "RoleDetailList": [
            {
                "RoleName": f"ra-{n}",
                "RoleId": f"AROAEXAMPLE{n:010d}",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/ra-{n}",
                "Path": "/",
                "CreateDate": "2025-01-02T03:04:05Z",
                "AssumeRolePolicyDocument": open_trust,
                "AttachedManagedPolicies": [
                    {"PolicyName": "AdministratorAccess", "PolicyArn": admin}
                ],
            }
            for n in range(3)
        ],
        "GroupDetailList": [
            {
                "GroupName": "ra-admins",
                "GroupId": "AGPAEXAMPLE000000001",
                "Arn": f"arn:aws:iam::{ACCOUNT}:group/ra-admins",
                "Path": "/",
                "CreateDate": "2025-01-02T03:04:05Z",
                "GroupPolicyList": [],
                "AttachedManagedPolicies": [
                    {"PolicyName": "AdministratorAccess", "PolicyArn": admin}
                ],
            }
        ],
        "UserDetailList": [
            {
                "UserName": "alice",
                "UserId": "AIDAEXAMPLE000000001",
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/ops/alice",
                "Path": "/ops/",
                "CreateDate": "2025-01-02T03:04:05Z",
                "GroupList": ["ra-admins"],
                "UserPolicyList": [],
                "AttachedManagedPolicies": [],
                "Tags": [{"Key": "team", "Value": "platform"}],
            },
            {
                "UserName": "bob",
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
                "Path": "/",
                "GroupList": [],
                "UserPolicyList": [
                    {
                        "PolicyName": "ra-operator",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": ["rolesanywhere:*", "iam:PassRole"],
                                    "Resource": "*",
                                }
                            ],
                        },
                    }
                ],
                "AttachedManagedPolicies": [],
                "PermissionsBoundary": {
                    "PermissionsBoundaryType": "Policy",
                    "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
                },
            },
        ],
        "Policies": [],
    }
    profiles = {
        "profiles": [
            {
                "profileArn": f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/p-1",
                "profileId": "p-1",
                "name": "workloads",
                "enabled": True,
                "roleArns": [f"arn:aws:iam::{ACCOUNT}:role/ra-{n}" for n in range(3)],
                "createdAt": "2025-01-02T03:04:05Z",
                "updatedAt": "2025-01-02T03:04:05Z",
            }
        ]
    }
    files = [tmp_path / "iam.json", tmp_path / "profiles.json"]
    files[0].write_text(json.dumps(iam), encoding="utf-8")
    files[1].write_text(json.dumps(profiles), encoding="utf-8")
    init_sandbox(tmp_path / "sb", files)
    served = read_inventory(tmp_path / "sb")
    assert set(served.users) == {
        f"arn:aws:iam::{ACCOUNT}:user/ops/alice",
        f"arn:aws:iam::{ACCOUNT}:user/bob",
    }
    alice = served.users[f"arn:aws:iam::{ACCOUNT}:user/ops/alice"]
    assert alice.groups == ["ra-admins"]
    bob = served.users[f"arn:aws:iam::{ACCOUNT}:user/bob"]
    assert bob.permissions_boundary_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert_same_both_ways(tmp_path / "sb", capsys, monkeypatch)

    def surface(*source: str) -> set[tuple[str, str]]:
        main(["-q", "scan", *source, "--format", "json", "--check", "RA-GOV-*"])
        found = json.loads(capsys.readouterr().out)["findings"]
        return {(f["id"], f["resource_arn"]) for f in found}

    from_files = surface(*[a for f in files for a in ("--from-file", str(f))])
    assert any("user/" in arn or "group/" in arn for _, arn in from_files), from_files
    assert surface("--sandbox", str(tmp_path / "sb")) == from_files


_GRANTS = {
    "admin": {"Effect": "Allow", "Action": "*", "Resource": "*"},
    "ra-operator": {
        "Effect": "Allow",
        "Action": ["rolesanywhere:*", "iam:PassRole"],
        "Resource": "*",
    },
    "ra-reader": {"Effect": "Allow", "Action": "rolesanywhere:List*", "Resource": "*"},
    "trust-editor": {"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy", "Resource": "*"},
    "deny-ra": {"Effect": "Deny", "Action": "rolesanywhere:*", "Resource": "*"},
}


@st.composite
def principals_of(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Users and groups of many shapes: admin, RA operators, readers, trust editors, denied;
    through inline policies, AWS managed policies, groups and boundaries."""
    groups = []
    for n in range(draw(st.integers(0, 3))):
        grants = draw(st.lists(st.sampled_from(sorted(_GRANTS)), max_size=2, unique=True))
        groups.append(
            {
                "GroupName": f"team-{n}",
                "Arn": f"arn:aws:iam::{GENERATED}:group/team-{n}",
                "Path": "/",
                "GroupPolicyList": [
                    {
                        "PolicyName": g,
                        "PolicyDocument": {"Version": "2012-10-17", "Statement": [_GRANTS[g]]},
                    }
                    for g in grants
                ],
                "AttachedManagedPolicies": draw(
                    st.sampled_from(
                        [
                            [],
                            [
                                {
                                    "PolicyName": "AdministratorAccess",
                                    "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
                                }
                            ],
                        ]
                    )
                ),
            }
        )
    users = []
    for n in range(draw(st.integers(1, 4))):
        grants = draw(
            st.lists(st.sampled_from(sorted(_GRANTS)), min_size=1, max_size=2, unique=True)
        )
        user: dict[str, Any] = {
            "UserName": f"person-{n}",
            "Arn": f"arn:aws:iam::{GENERATED}:user/{draw(st.sampled_from(['', 'staff/']))}person-{n}",
            "GroupList": draw(
                st.lists(
                    st.sampled_from([g["GroupName"] for g in groups] or ["none"]),
                    max_size=2,
                    unique=True,
                )
            ),
            "UserPolicyList": [
                {
                    "PolicyName": g,
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [_GRANTS[g]]},
                }
                for g in grants
            ],
            "AttachedManagedPolicies": [],
        }
        if draw(st.booleans()):
            user["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
            }
        users.append(user)
    return users, groups


@whole_account_examples(8)
@given(account=generated_accounts(), people=principals_of())
def test_a_sandbox_copy_reports_the_admin_surface_like_its_files(
    account: tuple[Inventory, dict[str, str]],
    people: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inventory, _values = account
    folder = tmp_path_factory.mktemp("people")
    files = export_inventory(inventory, folder / "files")
    iam_file = next(f for f in files if f.name == "iam.json")
    iam = json.loads(iam_file.read_text(encoding="utf-8"))
    iam["UserDetailList"], iam["GroupDetailList"] = people
    # One role any certificate of any anchor gets into: there is an admin surface to report.
    iam["RoleDetailList"].append(
        {
            "RoleName": "ra-open",
            "Arn": f"arn:aws:iam::{GENERATED}:role/ra-open",
            "Path": "/",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                    }
                ],
            },
        }
    )
    iam_file.write_text(json.dumps(iam), encoding="utf-8")
    init_sandbox(folder / "sandbox", files)
    assert_same_both_ways(folder / "sandbox", capsys, monkeypatch)

    def governance(*source: str) -> list[Any]:
        main(["-q", "scan", *source, "--format", "json", "--check", "RA-GOV-*", "--allow-partial"])
        found = json.loads(capsys.readouterr().out)["findings"]
        return sorted(json.dumps(f, sort_keys=True) for f in found)

    from_files = governance(*[a for f in files for a in ("--from-file", str(f))])
    assert governance("--sandbox", str(folder / "sandbox")) == from_files
