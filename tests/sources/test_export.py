"""rafix export: the CLI formats written back, read again by --from-file, same findings."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from remediations.checks.run import run_checks
from remediations.model import Inventory, Profile, Role, TrustAnchor
from remediations.settings import Settings
from remediations.sources.export import export_inventory
from remediations.sources.offline import load_files
from tests.pki import NOW, make_ca, make_crl

ACCOUNT = "111122223333"
REGION = "eu-west-1"
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
RA = {"Service": "rolesanywhere.amazonaws.com"}


def ca_material() -> tuple[str, str]:
    """A self-signed CA certificate (PEM) and a CRL it signed (base64 DER, as the CLI prints)."""
    ca = make_ca("Corp Issuing CA Zoë", not_after=NOW + timedelta(days=365))
    crl = make_crl(ca, NOW + timedelta(days=6), pem=False)
    return ca.pem, base64.b64encode(crl).decode()


PROFILE_SPECS: list[tuple[str, str, int, dict[str, Any]]] = [
    ("open", "ra-open", 43200, {}),
    (
        "build",
        "ra-build",
        3600,
        {
            "sessionPolicy": '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}'
        },
    ),
    ("Ünïcødé 🙂", "ra-Zoë-🚀", 900, {"sessionPolicy": "{malformed"}),
    (
        "ghost",
        "does-not-exist",
        3600,
        {"managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
    ),
]


def statement(condition: dict[str, Any] | None = None) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": RA, "Action": ACTIONS}
    if condition:
        stmt["Condition"] = condition
    return stmt


def account_files(tmp_path: Path) -> list[Path]:
    """A small but realistic account: GAAD + list-roles + the four Roles Anywhere lists."""
    pem, crl_data = ca_material()
    anchor_arn = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/ta-1"
    admin = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    hardened = {
        "Version": "2012-10-17",
        "Statement": [
            statement(
                {
                    "ArnEquals": {"aws:SourceArn": anchor_arn},
                    "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "build.corp.example"},
                }
            )
        ],
    }
    roles = [
        ("ra-open", {"Version": "2012-10-17", "Statement": [statement()]}, [("admin", admin)]),
        ("ra-build", quote(json.dumps(hardened)), []),
        (
            "ra-Zoë-🚀",
            {
                "Version": "2012-10-17",
                "Statement": statement({"StringLike": {"aws:PrincipalTag/x509Subject/CN": "*"}}),
            },
            [],
        ),
        ("broken", '{"Version": "2012-10-17", "Statement": [', []),
        (
            "ec2",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            [],
        ),
    ]
    gaad = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [
            {
                "Path": "/",
                "RoleName": name,
                "RoleId": f"AROA{index:016d}",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
                "CreateDate": "2025-01-01T00:00:00Z",
                "AssumeRolePolicyDocument": trust,
                "InstanceProfileList": [],
                "RolePolicyList": [{"PolicyName": n, "PolicyDocument": d} for n, d in inline],
                "AttachedManagedPolicies": [
                    {"PolicyName": "app", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/app"}
                ],
                "Tags": [{"Key": "owner", "Value": "Zoë"}],
                "RoleLastUsed": {},
            }
            for index, (name, trust, inline) in enumerate(roles)
        ],
        "Policies": [
            {
                "PolicyName": "app",
                "PolicyId": "ANPAEXAMPLE",
                "Arn": f"arn:aws:iam::{ACCOUNT}:policy/app",
                "Path": "/",
                "DefaultVersionId": "v2",
                "AttachmentCount": 5,
                "IsAttachable": True,
                "PolicyVersionList": [
                    {"Document": admin, "VersionId": "v1", "IsDefaultVersion": False},
                    {
                        "Document": quote(
                            json.dumps(
                                {
                                    "Version": "2012-10-17",
                                    "Statement": [
                                        {
                                            "Effect": "Allow",
                                            "Action": "s3:GetObject",
                                            "Resource": "*",
                                        }
                                    ],
                                }
                            )
                        ),
                        "VersionId": "v2",
                        "IsDefaultVersion": True,
                    },
                ],
            }
        ],
    }
    list_roles = {
        "Roles": [
            {
                "RoleName": name,
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
                "MaxSessionDuration": 3600 * (i + 1),
            }
            for i, (name, _trust, _inline) in enumerate(roles)
        ]
    }
    anchors = {
        "trustAnchors": [
            {
                "trustAnchorArn": anchor_arn,
                "trustAnchorId": "ta-1",
                "name": "corp",
                "enabled": True,
                "source": {
                    "sourceType": "CERTIFICATE_BUNDLE",
                    "sourceData": {"x509CertificateData": pem},
                },
                "notificationSettings": [
                    {
                        "channel": "ALL",
                        "configuredBy": "rolesanywhere.amazonaws.com",
                        "enabled": True,
                        "event": "CA_CERTIFICATE_EXPIRY",
                        "threshold": 45,
                    }
                ],
                "createdAt": "2025-01-01T00:00:00Z",
                "updatedAt": "2025-01-01T00:00:00Z",
            }
        ]
    }
    profiles = {
        "profiles": [
            {
                "profileArn": f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:profile/p-{i}",
                "profileId": f"p-{i}",
                "name": name,
                "enabled": True,
                "roleArns": [f"arn:aws:iam::{ACCOUNT}:role/{role}"],
                "durationSeconds": duration,
                "acceptRoleSessionName": False,
                **extra,
            }
            for i, (name, role, duration, extra) in enumerate(PROFILE_SPECS)
        ]
    }
    crls = {
        "crls": [
            {
                "crlArn": f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:crl/c-1",
                "crlId": "c-1",
                "name": "corp-crl",
                "enabled": True,
                "trustAnchorArn": anchor_arn,
                "crlData": crl_data,
                "createdAt": "2025-01-01T00:00:00Z",
                "updatedAt": "2025-01-01T00:00:00Z",
            }
        ]
    }
    subjects = {
        "subjects": [
            {
                "subjectArn": f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:subject/s-1",
                "subjectId": "s-1",
                "x509Subject": "CN=build.corp.example",
                "enabled": True,
                "lastSeenAt": "2026-05-30T00:00:00Z",
            }
        ]
    }
    src = tmp_path / "src"
    src.mkdir()
    paths = []
    for name, doc in [
        ("gaad.json", gaad),
        ("roles.json", list_roles),
        ("ta.json", anchors),
        ("p.json", profiles),
        ("c.json", crls),
        ("s.json", subjects),
    ]:
        path = src / name
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


def model_view(inventory: Inventory) -> dict[str, Any]:
    """Everything but ``raw`` and ``warnings.where`` (file names differ after an export)."""
    stores = ("roles", "policies", "trust_anchors", "profiles", "crls", "subjects")
    view: dict[str, Any] = {
        name: {
            arn: {k: getattr(obj, k) for k in obj.__slots__ if k != "raw"}
            for arn, obj in getattr(inventory, name).items()
        }
        for name in stores
    }
    view.update(
        account=inventory.account_id, regions=inventory.regions, coverage=inventory.coverage
    )
    view["warnings"] = sorted((w.message, w.resource_arn) for w in inventory.warnings)
    return view


def test_round_trip_gives_the_same_inventory_and_findings(tmp_path: Path) -> None:
    original = load_files(account_files(tmp_path))
    assert original.roles[f"arn:aws:iam::{ACCOUNT}:role/ra-open"].max_session_duration == 3600
    written = export_inventory(original, tmp_path / "out")
    assert [p.name for p in written] == [
        "iam.json",
        "anchors.json",
        "profiles.json",
        "crls.json",
        "subjects.json",
    ]

    again = load_files(sorted(written))
    assert model_view(again) == model_view(original)
    for name in ("roles", "trust_anchors", "profiles", "crls", "subjects", "policies"):
        assert {a: o.raw for a, o in getattr(again, name).items()} == {
            a: o.raw for a, o in getattr(original, name).items()
        }

    settings = Settings(now=NOW)
    before = [f.to_json() for f in run_checks(original, settings)]
    after = [f.to_json() for f in run_checks(again, settings)]
    assert before == after
    ids = {f["id"] for f in before}
    # MaxSessionDuration (from list-roles) survives the GAAD-shaped export.
    assert {"RA-INPUT-MALFORMED-POLICY", "RA-PROFILE-DURATION-EXCEEDS-ROLE-MAX"} <= ids


def test_export_files_are_cli_shaped(tmp_path: Path) -> None:
    written = export_inventory(load_files(account_files(tmp_path)), tmp_path / "out")
    docs = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in written}
    iam = docs["iam.json"]
    assert set(iam) >= {"RoleDetailList", "Policies", "UserDetailList", "GroupDetailList"}
    assert iam["IsTruncated"] is False
    assert all("MaxSessionDuration" in r for r in iam["RoleDetailList"])
    assert "Zoë" in (tmp_path / "out" / "iam.json").read_text(encoding="utf-8")  # not \\u-escaped
    assert [a["trustAnchorId"] for a in docs["anchors.json"]["trustAnchors"]] == ["ta-1"]
    assert docs["crls.json"]["crls"][0]["crlData"]  # base64 text, as the CLI prints blobs
    assert (
        len(docs["profiles.json"]["profiles"]) == 4 and len(docs["subjects.json"]["subjects"]) == 1
    )


def test_only_what_the_source_covered_is_written(tmp_path: Path) -> None:
    src = tmp_path / "ta.json"
    src.write_text(json.dumps({"trustAnchors": []}), encoding="utf-8")
    written = export_inventory(load_files([src]), tmp_path / "out")
    assert [p.name for p in written] == ["anchors.json"]
    assert load_files(written).coverage == {"trust_anchors"}


def test_objects_without_raw_are_built_from_the_model(tmp_path: Path) -> None:
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/r"
    trust = {"Version": "2012-10-17", "Statement": [statement()]}
    inventory = Inventory(
        roles={
            role_arn: Role(
                arn=role_arn,
                name="r",
                trust_policy=trust,
                max_session_duration=7200,
                tags={"a": "b"},
            )
        },
        trust_anchors={
            "arn:aws:rolesanywhere:us-east-1:1:trust-anchor/t": TrustAnchor(
                arn=f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/t",
                anchor_id="t",
                name="t",
                region="us-east-1",
                source_type="AWS_ACM_PCA",
                acm_pca_arn="arn:pca",
            )
        },
        profiles={
            "p": Profile(
                arn=f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:profile/p",
                profile_id="p",
                name="p",
                region="us-east-1",
                role_arns=[role_arn],
                session_policy=trust,
                duration_seconds=900,
            )
        },
        coverage={"iam", "rolesanywhere"},
    )
    again = load_files(export_inventory(inventory, tmp_path))
    role = again.roles[role_arn]
    assert (role.trust_policy, role.max_session_duration, role.tags) == (trust, 7200, {"a": "b"})
    [anchor] = again.trust_anchors.values()
    assert (anchor.source_type, anchor.acm_pca_arn) == ("AWS_ACM_PCA", "arn:pca")
    [profile] = again.profiles.values()
    assert (profile.session_policy, profile.duration_seconds, profile.role_arns) == (
        trust,
        900,
        [role_arn],
    )


def test_unwritable_output_is_an_input_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    from remediations.errors import InputError

    with pytest.raises(InputError, match="cannot create the output folder"):
        export_inventory(Inventory(coverage={"iam"}), blocker / "out")
