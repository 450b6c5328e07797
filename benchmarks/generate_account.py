"""Generate a large synthetic account in the AWS CLI formats that ``--from-file`` reads.

10,000 roles (a third trust Roles Anywhere, in the shapes seen in the corpus), customer managed
policies, 600 profiles across 3 regions, trust anchors and CRLs. Deterministic (seeded), so
benchmark runs compare like with like.

    python benchmarks/generate_account.py OUT_DIR [--roles 10000] [--profiles 600]
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from pathlib import Path
from typing import Any

ACCOUNT = "111122223333"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
RA = {"Service": "rolesanywhere.amazonaws.com"}
CREATED = "2026-01-15T09:30:00Z"


def anchor_arn(region: str, anchor_id: str) -> str:
    return f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:trust-anchor/{anchor_id}"


def ra_trust(rng: random.Random, index: int, anchors: list[str]) -> dict[str, Any]:
    """A Roles Anywhere trust policy in one of the shapes real accounts use."""
    anchor = rng.choice(anchors)
    cn = f"app{index}.svc.prod"
    shape = index % 12
    cond: dict[str, Any]
    if shape == 0:  # unconditioned (the most common public example)
        return stmt_doc({"Effect": "Allow", "Principal": RA, "Action": ACTIONS})
    if shape == 1:  # anchor only
        cond = {"ArnEquals": {"aws:SourceArn": anchor}}
    elif shape == 2:  # hardened
        cond = {
            "ArnEquals": {"aws:SourceArn": [anchor]},
            "StringEquals": {
                "aws:PrincipalTag/x509Subject/CN": cn,
                "aws:PrincipalTag/x509Subject/OU": f"team{index % 40}",
                "aws:PrincipalTag/x509Issuer/CN": "Example Issuing CA 01",
            },
        }
    elif shape == 3:  # several CNs on one role
        cond = {
            "StringEquals": {"aws:PrincipalTag/x509Subject/CN": [cn, f"{cn}-v2", f"batch{index}"]}
        }
    elif shape == 4:  # wildcard subject
        cond = {
            "ArnLike": {"aws:SourceArn": anchor},
            "StringLike": {"aws:PrincipalTag/x509Subject/CN": "prod-*"},
        }
    elif shape == 5:  # OU only, no anchor
        cond = {"StringEquals": {"aws:PrincipalTag/x509Subject/OU": f"team{index % 40}"}}
    elif shape == 6:  # fail-open operator
        cond = {
            "ArnEquals": {"aws:SourceArn": anchor},
            "StringNotEquals": {"aws:PrincipalTag/x509Subject/CN": "blocked"},
        }
    elif shape == 7:  # EKS hybrid style: split statements
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": RA,
                    "Action": ["sts:TagSession", "sts:SetSourceIdentity"],
                    "Condition": {"ArnEquals": {"aws:SourceArn": anchor}},
                },
                {
                    "Effect": "Allow",
                    "Principal": RA,
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {
                            "sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"
                        }
                    },
                },
            ],
        }
    elif shape == 8:  # mixed principals
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": RA,
                    "Action": ACTIONS,
                    "Condition": {"ArnEquals": {"aws:SourceArn": anchor}},
                },
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                },
            ],
        }
    elif shape == 9:  # source IP, statement as an object
        return {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Principal": RA,
                "Action": ACTIONS,
                "Condition": {
                    "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                    "StringEquals": {"aws:PrincipalTag/x509Subject/CN": cn},
                },
            },
        }
    elif shape == 10:  # sts:* and IfExists
        return stmt_doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": ["rolesanywhere.amazonaws.com"]},
                "Action": "sts:*",
                "Condition": {
                    "StringEqualsIfExists": {"aws:PrincipalTag/x509Subject/CN": cn},
                    "ArnEquals": {"aws:SourceArn": anchor},
                },
            }
        )
    else:  # subject + anchor, no issuer
        cond = {
            "ArnEquals": {"aws:SourceArn": anchor},
            "StringEquals": {"aws:PrincipalTag/x509Subject/CN": cn},
        }
    return stmt_doc({"Effect": "Allow", "Principal": RA, "Action": ACTIONS, "Condition": cond})


def stmt_doc(statement: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [statement]}


def other_trust(index: int) -> dict[str, Any]:
    principal: dict[str, Any] = [
        {"Service": "ec2.amazonaws.com"},
        {"Service": "lambda.amazonaws.com"},
        {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"},
    ][index % 4]
    return stmt_doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def generate(out: Path, n_roles: int, n_profiles: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    ns = uuid.UUID("6f0b3f9e-7a55-4d0c-9f7e-0d1c2b3a4f5e")
    anchors_by_region = {r: [str(uuid.uuid5(ns, f"ta-{r}-{i}")) for i in range(3)] for r in REGIONS}
    all_anchor_arns = [anchor_arn(r, a) for r, ids in anchors_by_region.items() for a in ids]

    policies = []
    for i in range(50):
        doc = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "sqs:SendMessage"],
                    "Resource": f"arn:aws:s3:::bucket-{i}/*",
                }
            ],
        }
        policies.append(
            {
                "PolicyName": f"app-policy-{i}",
                "PolicyId": f"ANPA{i:016d}",
                "Arn": f"arn:aws:iam::{ACCOUNT}:policy/app-policy-{i}",
                "Path": "/",
                "DefaultVersionId": "v1",
                "AttachmentCount": 1,
                "IsAttachable": True,
                "CreateDate": CREATED,
                "UpdateDate": CREATED,
                "PolicyVersionList": [
                    {
                        "Document": doc,
                        "VersionId": "v1",
                        "IsDefaultVersion": True,
                        "CreateDate": CREATED,
                    }
                ],
            }
        )

    roles = []
    ra_role_arns = []
    for i in range(n_roles):
        name = f"role-{i:05d}"
        arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        trusts_ra = i % 3 == 0
        trust = ra_trust(rng, i // 3, all_anchor_arns) if trusts_ra else other_trust(i)
        if trusts_ra:
            ra_role_arns.append(arn)
        attached = [
            {
                "PolicyName": f"app-policy-{i % 50}",
                "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/app-policy-{i % 50}",
            }
        ]
        if i % 97 == 0:
            attached.append(
                {
                    "PolicyName": "AdministratorAccess",
                    "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
                }
            )
        roles.append(
            {
                "Path": "/",
                "RoleName": name,
                "RoleId": f"AROA{i:016d}",
                "Arn": arn,
                "CreateDate": CREATED,
                "AssumeRolePolicyDocument": trust,
                "InstanceProfileList": [],
                "RolePolicyList": [
                    {
                        "PolicyName": "inline",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}
                            ],
                        },
                    }
                ],
                "AttachedManagedPolicies": attached,
                "Tags": [{"Key": "team", "Value": f"team{i % 40}"}],
                "RoleLastUsed": {},
            }
        )

    anchors = []
    for region, ids in anchors_by_region.items():
        for j, anchor_id in enumerate(ids):
            anchors.append(
                {
                    "trustAnchorId": anchor_id,
                    "trustAnchorArn": anchor_arn(region, anchor_id),
                    "name": f"ca-{region}-{j}",
                    "enabled": True,
                    "source": {
                        "sourceType": "AWS_ACM_PCA",
                        "sourceData": {
                            "acmPcaArn": f"arn:aws:acm-pca:{region}:{ACCOUNT}:certificate-authority/{anchor_id}"
                        },
                    },
                    "notificationSettings": [
                        {
                            "enabled": True,
                            "event": "CA_CERTIFICATE_EXPIRY",
                            "threshold": 45,
                            "channel": "ALL",
                            "configuredBy": "rolesanywhere.amazonaws.com",
                        },
                        {
                            "enabled": j != 1,
                            "event": "END_ENTITY_CERTIFICATE_EXPIRY",
                            "threshold": 45,
                            "channel": "ALL",
                            "configuredBy": "rolesanywhere.amazonaws.com",
                        },
                    ],
                    "createdAt": CREATED,
                    "updatedAt": CREATED,
                }
            )

    profiles = []
    for k in range(n_profiles):
        region = REGIONS[k % len(REGIONS)]
        pid = str(uuid.uuid5(ns, f"profile-{k}"))
        listed = rng.sample(ra_role_arns, k=1 + k % 3)
        profile: dict[str, Any] = {
            "profileId": pid,
            "profileArn": f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:profile/{pid}",
            "name": f"profile-{k}",
            "enabled": k % 17 != 0,
            "roleArns": listed,
            "managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]
            if k % 23 == 0
            else [],
            "durationSeconds": [3600, 3600, 43200, 7200][k % 4],
            "acceptRoleSessionName": k % 11 == 0,
            "requireInstanceProperties": False,
            "createdAt": CREATED,
            "updatedAt": CREATED,
        }
        if k % 2 == 0:
            profile["sessionPolicy"] = json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
                    ],
                }
            )
        if k % 5 == 0:
            profile["attributeMappings"] = [
                {"certificateField": "x509Subject", "mappingRules": [{"specifier": "OU"}]},
                {"certificateField": "x509Issuer", "mappingRules": [{"specifier": "*"}]},
            ]
        profiles.append(profile)

    crls = []
    for n, arn in enumerate(all_anchor_arns[::2]):
        region = arn.split(":")[3]
        cid = str(uuid.uuid5(ns, f"crl-{n}"))
        crls.append(
            {
                "crlId": cid,
                "crlArn": f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:crl/{cid}",
                "name": f"crl-{n}",
                "enabled": n % 2 == 0,
                "trustAnchorArn": arn,
                "createdAt": CREATED,
                "updatedAt": CREATED,
            }
        )

    out.mkdir(parents=True, exist_ok=True)
    write(
        out / "iam.json",
        {
            "UserDetailList": [],
            "GroupDetailList": [],
            "RoleDetailList": roles,
            "Policies": policies,
            "IsTruncated": False,
        },
    )
    write(out / "anchors.json", {"trustAnchors": anchors})
    write(out / "profiles.json", {"profiles": profiles})
    write(out / "crls.json", {"crls": crls})


def write(path: Path, data: dict[str, Any]) -> None:
    # Indented like the AWS CLI prints it, so the parse cost is realistic.
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--roles", type=int, default=10_000)
    parser.add_argument("--profiles", type=int, default=600)
    args = parser.parse_args()
    generate(args.out, args.roles, args.profiles)
    sizes = ", ".join(
        f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(args.out.glob("*.json"))
    )
    print(f"wrote {args.out}: {sizes}")


if __name__ == "__main__":
    main()
