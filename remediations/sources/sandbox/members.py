"""The documents of the member accounts of a sandbox organisation, in different shapes.

A member is the demo account re-addressed (:func:`readdress`: its account ID, resource IDs and
IAM unique IDs rewritten so that no two accounts share a literal), a generated account of
Roles Anywhere workloads in the trust shapes real accounts use, a hardened one, an account with
no Roles Anywhere at all, or documents the caller passes (the tests seed members from
``../shared/corpus``). Every member holds the role the management account reads it through
(:func:`with_access_role`); a generated member also holds a role that trusts a Roles Anywhere
role of the management account (role chaining across accounts).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import uuid
from typing import Any

ACCESS_ROLE = "OrganizationAccountAccessRole"
MANAGEMENT_ACCOUNT_ID = "111122223333"
SHAPES = ("demo", "generated", "hardened", "iam-only")
_OWNER = re.compile(
    r'"(?:Arn|trustAnchorArn|profileArn|crlArn|subjectArn)": '
    r'"arn:aws[\w-]*:(?:iam|rolesanywhere):[\w-]*:(\d{12}):'
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_IAM_ID = re.compile(r"\b(AROA|ANPA|AIDA)[0-9A-Z]{17}\b")
TEAMS = (
    "payments", "ledger", "search", "checkout", "fraud", "identity", "billing", "catalog",
    "logistics", "pricing", "reporting", "support", "telemetry", "media", "mobile", "edge",
)  # fmt: skip
_SYSTEMS = (
    "batch", "sync", "ingest", "export", "scheduler", "gateway", "worker", "indexer",
    "backup", "agent", "collector", "relay", "importer", "builder", "notifier", "archiver",
)  # fmt: skip
_REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1", "us-west-2")
_RA = {"Service": "rolesanywhere.amazonaws.com"}
_RA_ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]


def member_ids(count: int, management: str = MANAGEMENT_ACCOUNT_ID) -> list[str]:
    """``count`` distinct, stable 12-digit member account IDs."""
    ids: list[str] = []
    index = 0
    while len(ids) < count:
        digest = hashlib.sha256(f"rafix-member-{index}".encode()).hexdigest()
        candidate = str(200000000000 + int(digest[:12], 16) % 700000000000)
        if candidate not in ids and candidate != management:
            ids.append(candidate)
        index += 1
    return ids


def readdress(documents: dict[str, Any], account_id: str) -> dict[str, Any]:
    """Documents of one account moved to ``account_id``: its account ID, resource IDs and
    IAM unique IDs rewritten (consistently), so that no two accounts share a literal."""
    text = json.dumps(documents)
    # The accounts the resources themselves live in (an export may mix several).
    owners = set(_OWNER.findall(text)) - {account_id}
    for old in owners:
        text = text.replace(old, account_id)
    text = _UUID.sub(lambda m: str(uuid.uuid5(uuid.NAMESPACE_URL, account_id + m.group())), text)
    text = _IAM_ID.sub(
        lambda m: (
            m.group(1) + hashlib.sha256((account_id + m.group()).encode()).hexdigest()[:17].upper()
        ),
        text,
    )
    result: dict[str, Any] = json.loads(text)
    return result


def with_access_role(iam: Any, account_id: str, management: str) -> dict[str, Any]:
    """``iam.json`` with the role the management account reads the member through (as AWS
    Organizations creates it in every account it creates: AdministratorAccess, trusting the
    management account)."""
    document: dict[str, Any] = dict(iam) if isinstance(iam, dict) else {}
    roles = [r for r in document.get("RoleDetailList") or [] if r.get("RoleName") != ACCESS_ROLE]
    roles.append(
        {
            "Path": "/",
            "RoleName": ACCESS_ROLE,
            "RoleId": "AROA" + hashlib.sha256(account_id.encode()).hexdigest()[:17].upper(),
            "Arn": f"arn:aws:iam::{account_id}:role/{ACCESS_ROLE}",
            "CreateDate": "2024-02-01T08:00:00Z",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{management}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "MaxSessionDuration": 3600,
            "InstanceProfileList": [],
            "RolePolicyList": [],
            "AttachedManagedPolicies": [
                {
                    "PolicyName": "AdministratorAccess",
                    "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
                }
            ],
            "Tags": [],
        }
    )
    document["RoleDetailList"] = roles
    document.setdefault("Policies", [])
    document.setdefault("UserDetailList", [])
    document.setdefault("GroupDetailList", [])
    return document


def add_chained_role(iam: dict[str, Any], account_id: str, source_role: str) -> None:
    """A deploy role in the member that trusts a Roles Anywhere role of another account: a
    certificate that reaches ``source_role`` reaches this role too (role chaining)."""
    token = account_id[-4:]
    name = f"deploy-from-{source_role.rsplit('/', 1)[-1]}-{token}"
    iam.setdefault("RoleDetailList", []).append(
        _role(
            account_id,
            name,
            "2025-09-12T08:30:00Z",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": source_role},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            inline={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:PutObject", "cloudfront:CreateInvalidation"],
                        "Resource": "*",
                    }
                ],
            },
            tags={"purpose": "cross-account-deploy"},
        )
    )


def member_account(account_id: str, shape: str, *, seed: int, size: int = 1) -> dict[str, Any]:
    """The documents of a member account of ``shape`` (see :data:`SHAPES`)."""
    if shape == "demo":
        from remediations.sources.sandbox import demo_files

        documents = {
            p.name: json.loads(p.read_text(encoding="utf-8"))
            for p in demo_files()
            if p.name != "tags.json"
        }
        return readdress(documents, account_id)
    rng = random.Random(f"{account_id}-{seed}")
    if shape == "iam-only":
        return _generated(account_id, rng, workloads=0, others=6 * size, hardened=False)
    return _generated(
        account_id,
        rng,
        workloads=(6 + rng.randrange(8)) * size,
        others=4 * size,
        hardened=shape == "hardened",
    )


def _pem_of_demo_anchor() -> str:
    from remediations.sources.sandbox import demo_files

    anchors = json.loads(next(p for p in demo_files() if p.name == "anchors.json").read_text())
    for anchor in anchors["trustAnchors"]:
        data = anchor["source"].get("sourceData", {}).get("x509CertificateData")
        if data:
            return str(data)
    raise AssertionError("the demo account has a certificate bundle anchor")


def _generated(
    account: str, rng: random.Random, *, workloads: int, others: int, hardened: bool
) -> dict[str, Any]:
    """A member account: Roles Anywhere workloads with trust shapes real accounts use (or
    only hardened ones), their profiles and anchors, and roles for other AWS services."""
    created = f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 28):02d}T10:00:00Z"
    token = account[-4:]
    regions = rng.sample(_REGIONS, 2 if workloads > 8 else 1)
    anchors: list[dict[str, Any]] = []
    for n, region in enumerate(regions):
        anchor_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}/anchor/{n}"))
        anchors.append(
            {
                "trustAnchorId": anchor_id,
                "trustAnchorArn": f"arn:aws:rolesanywhere:{region}:{account}:trust-anchor/{anchor_id}",
                "name": f"issuing-ca-{token}-{region}",
                "source": {
                    "sourceType": "CERTIFICATE_BUNDLE",
                    "sourceData": {"x509CertificateData": _pem_of_demo_anchor()},
                },
                "enabled": True,
                "createdAt": created,
                "updatedAt": created,
                "notificationSettings": [],
            }
        )
    roles: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    teams = rng.sample(TEAMS, min(len(TEAMS), max(1, workloads // 3 + 1)))
    for n in range(workloads):
        team = teams[n % len(teams)]
        system = _SYSTEMS[(n + rng.randrange(len(_SYSTEMS))) % len(_SYSTEMS)]
        name = f"ra-{team}-{system}-{token}-{n}"
        anchor = anchors[n % len(anchors)]
        cn = f"{team}-{system}-{n}.{token}.svc"
        shape = 0 if hardened else rng.randrange(7)
        condition: dict[str, Any] = {}
        principal: dict[str, Any] = dict(_RA)
        if shape in (0, 5):
            condition = {
                "ArnEquals": {"aws:SourceArn": anchor["trustAnchorArn"]},
                "StringEquals": {
                    "aws:PrincipalTag/x509Subject/CN": cn,
                    "aws:PrincipalTag/x509Subject/OU": team,
                },
            }
        elif shape == 1:  # any certificate of any anchor
            condition = {}
        elif shape == 2:  # several workloads on one role
            condition = {
                "StringEquals": {"aws:PrincipalTag/x509Subject/CN": [cn, f"{cn}-v2", f"old-{cn}"]}
            }
        elif shape == 3:  # wildcard
            condition = {"StringLike": {"aws:PrincipalTag/x509Subject/CN": f"{team}-*"}}
        elif shape == 4:  # mixed identity paths
            principal = {"Service": ["rolesanywhere.amazonaws.com", "ec2.amazonaws.com"]}
            condition = {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": cn}}
        elif shape == 6:  # SourceIp that can never match
            condition = {
                "IpAddress": {"aws:SourceIp": f"10.{n % 250}.{rng.randrange(250)}.0/24"},
                "StringEquals": {"aws:PrincipalTag/x509Subject/CN": cn},
            }
        statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal}
        statement["Action"] = _RA_ACTIONS
        if condition:
            statement["Condition"] = condition
        roles.append(
            _role(
                account,
                name,
                created,
                {"Version": "2012-10-17", "Statement": [statement]},
                inline={
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject", "s3:ListBucket"],
                            "Resource": [
                                f"arn:aws:s3:::{team}-{system}-{token}-{n}",
                                f"arn:aws:s3:::{team}-{system}-{token}-{n}/*",
                            ],
                        }
                    ],
                },
                tags={"team": team, "env": "prod"},
            )
        )
        if n % 2 == 0 or not profiles:
            region = anchor["trustAnchorArn"].split(":")[3]
            profile_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}/profile/{n}"))
            profile: dict[str, Any] = {
                "profileId": profile_id,
                "profileArn": f"arn:aws:rolesanywhere:{region}:{account}:profile/{profile_id}",
                "name": f"{team}-{system}-{token}-{n}",
                "requireInstanceProperties": False,
                "enabled": True,
                "createdBy": f"arn:aws:sts::{account}:assumed-role/PlatformAdmin/{team}",
                "roleArns": [],
                "managedPolicyArns": [],
                "createdAt": created,
                "updatedAt": created,
                "durationSeconds": 3600 if hardened or n % 3 else 43200,
                "acceptRoleSessionName": False,
                "attributeMappings": [
                    {"certificateField": "x509Subject", "mappingRules": [{"specifier": "*"}]},
                    {"certificateField": "x509Issuer", "mappingRules": [{"specifier": "*"}]},
                ],
            }
            if hardened or n % 4 == 0:
                profile["sessionPolicy"] = json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
                            {
                                "Effect": "Deny",
                                "Action": ["s3:DeleteBucket", "rds:DeleteDBInstance"],
                                "Resource": "*",
                            },
                            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                        ],
                    }
                )
            profiles.append(profile)
        profiles[-1]["roleArns"].append(roles[-1]["Arn"])
    for n in range(others):
        service = ("lambda", "ec2", "ecs-tasks", "glue")[n % 4]
        roles.append(
            _role(
                account,
                f"{service}-{rng.choice(_SYSTEMS)}-{token}-{n}",
                created,
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": f"{service}.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
            )
        )
    documents: dict[str, Any] = {
        "iam.json": {
            "UserDetailList": [],
            "GroupDetailList": [],
            "RoleDetailList": roles,
            "Policies": [],
            "IsTruncated": False,
        }
    }
    if workloads:
        documents["anchors.json"] = {"trustAnchors": anchors}
        documents["profiles.json"] = {"profiles": profiles}
        documents["crls.json"] = {"crls": []}
    return documents


def _role(
    account: str,
    name: str,
    created: str,
    trust: dict[str, Any],
    *,
    inline: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": "AROA" + hashlib.sha256(f"{account}/{name}".encode()).hexdigest()[:17].upper(),
        "Arn": f"arn:aws:iam::{account}:role/{name}",
        "CreateDate": created,
        "AssumeRolePolicyDocument": trust,
        "MaxSessionDuration": 3600,
        "InstanceProfileList": [],
        "RolePolicyList": [{"PolicyName": f"{name}-access", "PolicyDocument": inline}]
        if inline
        else [],
        "AttachedManagedPolicies": [],
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }
