"""Accounts built from ``../shared/corpus``: one per public source repository.

The corpus keeps trust policies, profiles and trust anchors as separate files, each with a
``NNN.source.txt`` naming the repository it came from. Everything one repository published is
one account here: its profiles as published (roles named by their ``roleArns``), each role with
a trust policy of the same repository (in order; a repository without one trusts the service
with no condition, as ``rafix onboard`` never would), its trust anchors, an AWS Private CA
trust anchor for every other same-account ``aws:SourceArn`` its trusts pin, and the AWS managed
policies its description names attached to its roles (documents from moto's bundled copies,
listed in ``Policies`` as ``get-account-authorization-details`` prints them). A repository with
trusts but no profile gets one profile, as the AWS API fills it in (``profiles/001``).

``write_account(name, folder)`` writes ``iam.json``, ``profiles.json``, ``anchors.json`` and
an empty ``crls.json`` (the account has none) there:
the ``--from-file`` formats, so ``rafix sandbox init DIR --from-file folder/*.json`` reads it.
``python -m tests.corpus_accounts OUT`` writes every account under ``OUT/<name>/``.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from tests.shared import CORPUS

ACCOUNT = "111122223333"
_SHAPE_POLICY = re.compile(
    r"\b(AdministratorAccess|ReadOnlyAccess|PowerUserAccess|AmazonS3FullAccess|"
    r"AmazonS3ReadOnlyAccess|AmazonSQSReadOnlyAccess|AmazonEKSWorkerNodePolicy|"
    r"AmazonEC2ContainerRegistryReadOnly|AmazonSSMManagedInstanceCore)\b"
)
_ANCHOR_ARN = re.compile(r"^arn:aws:rolesanywhere:([a-z0-9-]+):(\d{12}):trust-anchor/([\w-]+)$")


def _source(path: Path) -> dict[str, str]:
    text = path.with_suffix(".source.txt").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key and not key.startswith(" ") and key not in out:
            out[key.strip()] = value.strip()
    out["_text"] = text
    return out


def _files(folder: str) -> list[Path]:
    return sorted((CORPUS / folder).glob("[0-9][0-9][0-9].json"))


@cache
def accounts() -> dict[str, dict[str, list[Path]]]:
    """Account name (the repository, ``owner__name``) -> corpus files by folder."""
    out: dict[str, dict[str, list[Path]]] = {}
    if not CORPUS.is_dir():
        return out
    for folder in ("trust", "profiles", "trust_anchors"):
        for path in _files(folder):
            repo = _source(path).get("repo", path.stem)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "__", repo)
            out.setdefault(name, {}).setdefault(folder, []).append(path)
    return {k: v for k, v in sorted(out.items()) if "trust" in v or "profiles" in v}


@cache
def _aws_managed() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data: dict[str, Any] = json.loads(aws_managed_policies_data)
    return data


def _managed_detail(name: str) -> dict[str, Any] | None:
    data = _aws_managed().get(name)
    if data is None:
        return None
    return {
        "PolicyName": name,
        "PolicyId": "ANPA" + uuid.uuid5(uuid.NAMESPACE_URL, name).hex[:17].upper(),
        "Arn": f"arn:aws:iam::aws:policy{data.get('Path', '/')}{name}",
        "Path": data.get("Path", "/"),
        "DefaultVersionId": data.get("DefaultVersionId", "v1"),
        "AttachmentCount": 1,
        "IsAttachable": True,
        "PolicyVersionList": [
            {
                "Document": data["Document"],
                "VersionId": data.get("DefaultVersionId", "v1"),
                "IsDefaultVersion": True,
            }
        ],
    }


def build(name: str) -> dict[str, Any]:
    """The account's three ``--from-file`` documents: ``iam``, ``profiles``, ``anchors``."""
    files = accounts()[name]
    trusts = [json.loads(p.read_text(encoding="utf-8")) for p in files.get("trust", [])]
    profiles = [json.loads(p.read_text(encoding="utf-8")) for p in files.get("profiles", [])]
    anchors = [json.loads(p.read_text(encoding="utf-8")) for p in files.get("trust_anchors", [])]
    text = " ".join(_source(p)["_text"] for group in files.values() for p in group)
    account = ACCOUNT
    if profiles:
        account = str(profiles[0]["profileArn"]).split(":")[4]
    if not profiles:
        pid = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
        profiles = [
            {
                "profileId": pid,
                "profileArn": f"arn:aws:rolesanywhere:us-east-1:{account}:profile/{pid}",
                "name": re.sub(r"[^a-zA-Z0-9_ -]", "-", name)[:60],
                "enabled": True,
                "durationSeconds": 3600,
                "acceptRoleSessionName": False,
                "roleArns": [
                    f"arn:aws:iam::{account}:role/corpus-{p.stem}" for p in files["trust"]
                ],
            }
        ]
    managed = [d for n in dict.fromkeys(_SHAPE_POLICY.findall(text)) if (d := _managed_detail(n))]
    role_arns = list(dict.fromkeys(a for p in profiles for a in p.get("roleArns", [])))
    roles = []
    for index, arn in enumerate(role_arns):
        if not arn.startswith(f"arn:aws:iam::{account}:role/"):
            continue
        trust: Any = trusts[index % len(trusts)] if trusts else None
        if trust is None:
            trust = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                    }
                ],
            }
        path, _, role_name = arn.split(":role", 1)[1].rpartition("/")
        roles.append(
            {
                "Path": (path or "") + "/",
                "RoleName": role_name,
                "RoleId": "AROA" + uuid.uuid5(uuid.NAMESPACE_URL, arn).hex[:17].upper(),
                "Arn": arn,
                "CreateDate": "2024-01-01T00:00:00Z",
                "AssumeRolePolicyDocument": trust,
                "RolePolicyList": [],
                "AttachedManagedPolicies": [
                    {"PolicyName": d["PolicyName"], "PolicyArn": d["Arn"]} for d in managed
                ],
                "Tags": [],
                "MaxSessionDuration": 3600,
            }
        )
    known = {a["trustAnchorArn"] for a in anchors}
    for trust in trusts:
        for arn in re.findall(r"arn:aws:rolesanywhere:[^\"]+", json.dumps(trust)):
            match = _ANCHOR_ARN.match(arn)
            if match is None or match.group(2) != account or arn in known:
                continue
            known.add(arn)
            region, _, anchor_id = match.groups()
            anchors.append(
                {
                    "trustAnchorArn": arn,
                    "trustAnchorId": anchor_id,
                    "name": f"anchor-{anchor_id[:8]}",
                    "enabled": True,
                    "source": {
                        "sourceType": "AWS_ACM_PCA",
                        "sourceData": {
                            "acmPcaArn": f"arn:aws:acm-pca:{region}:{account}:"
                            f"certificate-authority/{anchor_id}"
                        },
                    },
                    "notificationSettings": [
                        {
                            "channel": "ALL",
                            "configuredBy": "rolesanywhere.amazonaws.com",
                            "enabled": True,
                            "event": event,
                            "threshold": 45,
                        }
                        for event in ("CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY")
                    ],
                }
            )
    iam = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": roles,
        "Policies": managed,
    }
    return {
        "iam": iam,
        "profiles": {"profiles": profiles},
        "anchors": {"trustAnchors": anchors},
        "crls": {"crls": []},
    }


def answers(role_names: Iterable[str]) -> dict[str, str]:
    """What a user answers for a corpus account's plan: each role's own CN, the issuing CA and
    the services."""
    values = {"issuer_cn": "Corp Issuing CA G2", "services": "s3"}
    for name in role_names:
        values[f"{name}.cn"] = f"{name}.corp.example"
    return values


def write_account(name: str, folder: Path) -> list[Path]:
    """The account's files in ``folder`` (created); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for key, document in build(name).items():
        path = folder / f"{key}.json"
        path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        out.append(path)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1])
    for account_name in accounts():
        write_account(account_name, target / account_name)
        print(account_name)
