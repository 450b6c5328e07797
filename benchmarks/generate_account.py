"""Generate a real-shaped account in the AWS CLI formats that ``--from-file`` reads.

Every role, profile and anchor carries literals of its own, as in a real account, so that no
analysis is paid for once and reused by luck: each Roles Anywhere role has its own certificate
subject (CN, CN pattern, SAN URI or DNS name, issuer) and its own anchors, each role's
permissions name its own buckets, tables, queues, secrets and keys, each profile has its own
session policy, and the trust anchors are spread over five regions, each with its own CA
certificate and CRLs.

The trust policies of Roles Anywhere roles take their *shapes* from the corpus of real policies
(``../shared/corpus/trust``, when it is beside the checkout) plus a few built-in shapes that the
corpus lacks (fail-open operators, ``IfExists``, ``aws:SourceIp``, mixed principals): every
literal of the shape is replaced by one of the role's own, wildcards kept where the real policy
had them. The other roles trust services, accounts, SAML and OIDC providers.

Deterministic for a seed (the CA keys too), so runs compare like with like.

    python benchmarks/generate_account.py OUT_DIR [--roles 10000] [--seed 7] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus"

ACCOUNT = "111122223333"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
RA_SERVICE = "rolesanywhere.amazonaws.com"
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
CREATED = "2026-01-15T09:30:00Z"
ENVS = ("prod", "stage", "dev", "qa")
WORDS = [
    "billing",
    "ledger",
    "payments",
    "orders",
    "catalog",
    "search",
    "render",
    "ingest",
    "export",
    "backup",
    "metrics",
    "audit",
    "gateway",
    "identity",
    "reports",
    "invoices",
    "shipping",
    "pricing",
    "fraud",
    "media",
    "thumbnails",
    "notify",
    "inventory",
    "scheduler",
    "crawler",
    "etl",
    "warehouse",
    "forecasting",
    "sync",
    "mailer",
    "archive",
    "vault",
    "edge",
    "telemetry",
]

Json = dict[str, Any]


# ---------------------------------------------------------------- literals of one workload


class Workload:
    """The literals one role (one workload) owns: names, subject, resources."""

    def __init__(self, rng: random.Random, index: int, n_teams: int) -> None:
        self.index = index
        self.team = f"team-{rng.randrange(n_teams):04d}"
        self.env = rng.choice(ENVS)
        self.name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{index}"
        self.region = rng.choice(REGIONS)
        self.domain = f"{self.team}.{self.env}.corp.example"
        self.cn = f"{self.name}.{self.domain}"
        self.ou = self.team
        self.key_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))

    @property
    def role_name(self) -> str:
        return f"{self.env}-{self.name}"


def slug(value: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in value).strip("-").lower() or "x"


def subject_value(key: str, original: str, w: Workload, ca_name: str) -> str:
    """The workload's own value for an x509 condition key, in the original's form."""
    attr = key.rsplit("/", 1)[-1]
    if "x509Issuer" in key:
        value = {"CN": ca_name, "O": "Example Corp", "OU": "PKI", "C": "US"}.get(attr, ca_name)
    elif "x509SAN/URI" in key:
        value = f"spiffe://{w.env}.corp.example/ns/{w.team}/sa/{w.name}"
    elif "x509SAN/DNS" in key or attr == "CN":
        value = w.cn
    elif attr == "OU":
        value = w.ou
    elif attr == "O":
        value = "Example Corp"
    elif attr == "C":
        value = "US"
    else:
        value = f"{attr.lower()}-{w.name}"
    if "*" in original or "?" in original:
        # Keep the wildcard where the real policy had it, around the workload's own literal.
        head, _, rest = value.partition(".")
        if original.startswith("*"):
            return f"*.{rest}" if rest else f"*-{head}"
        if original.endswith("*"):
            return f"{head}-*" if not rest else f"{head}-*.{rest}"
        return f"{head}-??.{rest}" if rest else f"{head}-??"
    return value


# --------------------------------------------------------------------- trust policies


def corpus_shapes(corpus: Path | None) -> list[Json]:
    """The real trust policies of the corpus that trust Roles Anywhere (their shapes)."""
    if corpus is None or not (corpus / "trust").is_dir():
        return []
    shapes = []
    for path in sorted((corpus / "trust").glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and RA_SERVICE in json.dumps(doc):
            shapes.append(doc)
    return shapes


def builtin_shapes() -> list[Json]:
    """Shapes real accounts have that the corpus does not (placeholders are rewritten)."""
    ra = {"Service": RA_SERVICE}
    anchor = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/placeholder"
    cn = "aws:PrincipalTag/x509Subject/CN"

    def doc(*statements: Json) -> Json:
        return {"Version": "2012-10-17", "Statement": list(statements)}

    return [
        doc(
            {
                "Effect": "Allow",
                "Principal": ra,
                "Action": ACTIONS,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": anchor},
                    "StringNotEquals": {cn: "blocked.example"},
                },
            }
        ),
        doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": [RA_SERVICE]},
                "Action": "sts:*",
                "Condition": {
                    "StringEqualsIfExists": {cn: "placeholder.example"},
                    "ArnEquals": {"aws:SourceArn": anchor},
                },
            }
        ),
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Principal": ra,
                "Action": ACTIONS,
                "Condition": {
                    "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                    "StringEquals": {cn: "placeholder.example"},
                },
            },
        },
        doc(
            {
                "Effect": "Allow",
                "Principal": ra,
                "Action": ACTIONS,
                "Condition": {"ArnEquals": {"aws:SourceArn": anchor}},
            },
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
        ),
        doc(
            {
                "Effect": "Allow",
                "Principal": ra,
                "Action": ACTIONS,
                "Condition": {
                    "ArnLike": {"aws:SourceArn": anchor},
                    "StringLike": {cn: "prod-*"},
                },
            }
        ),
        doc(
            {
                "Effect": "Allow",
                "Principal": ra,
                "Action": ACTIONS,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": [anchor, anchor]},
                    "StringEquals": {
                        cn: ["a.example", "b.example", "c.example"],
                        "aws:PrincipalTag/x509Issuer/CN": "placeholder",
                    },
                },
            }
        ),
        doc(
            {
                "Effect": "Allow",
                "Principal": ra,
                "Action": ACTIONS,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": anchor},
                    "StringLike": {"aws:PrincipalTag/x509SAN/DNS": "*.placeholder.example"},
                },
            }
        ),
    ]


class Rewriter:
    """Rewrites a shape's literals into one workload's own."""

    def __init__(self, w: Workload, anchors: list[tuple[str, str]], rng: random.Random) -> None:
        self.w = w
        self.anchors = anchors  # (arn, CA name) in the workload's region
        self.rng = rng
        self.variant = 0

    def anchor(self) -> tuple[str, str]:
        return self.rng.choice(self.anchors)

    def document(self, doc: Json) -> Json:
        out: Json = {}
        for key, value in doc.items():
            if key == "Statement":
                if isinstance(value, list):
                    out[key] = [self.statement(s) for s in value]
                else:
                    out[key] = self.statement(value)
            else:
                out[key] = value
        return out

    def statement(self, st: Any) -> Any:
        if not isinstance(st, dict):
            return st
        out: Json = {}
        for key, value in st.items():
            if key == "Condition" and isinstance(value, dict):
                out[key] = {op: self.block(kv) for op, kv in value.items()}
            elif key == "Sid" and isinstance(value, str) and value:
                out[key] = f"{slug(value)[:40]}{self.w.index}".replace("-", "")
            elif key == "Principal" and isinstance(value, dict):
                out[key] = {k: self.principal(v) for k, v in value.items()}
            else:
                out[key] = value
        return out

    def principal(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.principal(v) for v in value]
        if isinstance(value, str) and value.startswith("arn:aws:iam::"):
            kind = value.split(":", 5)[5].split("/", 1)[0]
            if kind == "root":
                return value
            return f"arn:aws:iam::{ACCOUNT}:{kind}/{self.w.role_name}-{kind}"
        return value

    def block(self, kv: Any) -> Any:
        if not isinstance(kv, dict):
            return kv
        return {key: self.values(key, value) for key, value in kv.items()}

    def values(self, key: str, value: Any) -> Any:
        if isinstance(value, list):
            return [self.value(key, v, i) for i, v in enumerate(value)]
        return self.value(key, value, 0)

    def value(self, key: str, value: Any, position: int) -> Any:
        if not isinstance(value, str):
            return value
        lowered = key.lower()
        if lowered == "aws:sourcearn":
            return self.anchors[(self.w.index + position) % len(self.anchors)][0]
        if lowered == "aws:sourceaccount":
            return ACCOUNT
        if "x509" in key:
            if "${" in value:
                return value
            ca = self.anchors[self.w.index % len(self.anchors)][1]
            own = subject_value(key, value, self.w, ca)
            # A list of several subjects: each its own (several workloads on one role).
            return own if position == 0 else own.replace(self.w.name, f"{self.w.name}-{position}")
        if lowered == "aws:sourceip":
            return f"198.51.{self.w.index % 250}.0/24"
        return value


def other_trust(rng: random.Random, w: Workload) -> Json:
    """A role that does not trust Roles Anywhere: services, accounts, SAML, OIDC."""
    kind = rng.randrange(6)
    statement: Json = {"Effect": "Allow", "Action": "sts:AssumeRole"}
    if kind == 0:
        statement["Principal"] = {
            "Service": rng.choice(
                ["ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"]
            )
        }
    elif kind == 1:
        partner = f"{rng.randrange(10**11, 10**12):012d}"
        statement["Principal"] = {"AWS": f"arn:aws:iam::{partner}:role/{w.team}-deployer"}
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": f"ext-{w.key_id[:13]}"}}
    elif kind == 2:
        statement["Principal"] = {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/{w.team}-idp"}
        statement["Action"] = "sts:AssumeRoleWithSAML"
        statement["Condition"] = {
            "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}
        }
    elif kind == 3:
        statement["Principal"] = {
            "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
        }
        statement["Action"] = "sts:AssumeRoleWithWebIdentity"
        statement["Condition"] = {
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": f"repo:example/{w.name}:*"},
        }
    elif kind == 4:
        statement["Principal"] = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    else:
        statement["Principal"] = {"Service": "glue.amazonaws.com"}
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    return {"Version": "2012-10-17", "Statement": [statement]}


# ---------------------------------------------------------------- permission policies


def permission_statements(rng: random.Random, w: Workload) -> list[Json]:
    """What the workload may do, on resources of its own."""
    region, a, n = w.region, ACCOUNT, w.name
    pool: list[Json] = [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"arn:aws:s3:::{w.team}-{n}-data/*",
        },
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{w.team}-{n}-data",
        },
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
            "Resource": f"arn:aws:dynamodb:{region}:{a}:table/{n}",
        },
        {
            "Effect": "Allow",
            "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
            "Resource": f"arn:aws:sqs:{region}:{a}:{n}-queue",
        },
        {
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": f"arn:aws:sns:{region}:{a}:{w.team}-{n}-events",
        },
        {
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": f"arn:aws:secretsmanager:{region}:{a}:secret:{w.team}/{n}/*",
        },
        {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": f"arn:aws:kms:{region}:{a}:key/{w.key_id}",
        },
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{region}:{a}:log-group:/{w.team}/{n}:*",
        },
        {
            "Effect": "Allow",
            "Action": "ssm:GetParameter*",
            "Resource": f"arn:aws:ssm:{region}:{a}:parameter/{w.env}/{n}/*",
        },
    ]
    chosen = rng.sample(pool, k=rng.randint(1, 3))
    roll = rng.random()
    if roll < 0.04:  # may hand out roles: PassRole on its own task roles
        chosen.append(
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": f"arn:aws:iam::{a}:role/{w.env}-{n}-task-*",
            }
        )
    elif roll < 0.06:  # may change IAM in its own path
        chosen.append(
            {
                "Effect": "Allow",
                "Action": ["iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"],
                "Resource": f"arn:aws:iam::{a}:role/{w.team}/*",
            }
        )
    elif roll < 0.07:  # chains into other roles of the account
        chosen.append(
            {
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Resource": f"arn:aws:iam::{a}:role/{w.team}-{n}-*",
            }
        )
    elif roll < 0.08:  # the subject check put in the wrong policy (corpus trust/020)
        chosen.append(
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": f"arn:aws:s3:::{w.team}-{n}-shared/*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": w.cn}},
            }
        )
    elif roll < 0.085:  # admin by NotAction
        chosen.append(
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}
        )
    return chosen


def managed_policy(name: str, statements: list[Json]) -> Json:
    doc = {"Version": "2012-10-17", "Statement": statements}
    return {
        "PolicyName": name,
        "PolicyId": "ANPA" + hashlib.sha1(name.encode()).hexdigest()[:17].upper(),
        "Arn": f"arn:aws:iam::{ACCOUNT}:policy/{name}",
        "Path": "/",
        "DefaultVersionId": "v1",
        "AttachmentCount": 1,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "CreateDate": CREATED,
        "UpdateDate": CREATED,
        "PolicyVersionList": [
            {"Document": doc, "VersionId": "v1", "IsDefaultVersion": True, "CreateDate": CREATED}
        ],
    }


AWS_MANAGED = (
    ("ReadOnlyAccess", 0.05),
    ("AmazonS3FullAccess", 0.03),
    ("PowerUserAccess", 0.01),
    ("AdministratorAccess", 0.008),
)


# ------------------------------------------------------------ trust anchors and CRLs


def ca_certificate(seed: int, name: str, self_signed_leafish: bool) -> str:
    """A CA certificate (PEM) with a key derived from the seed, signed deterministically."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    secret = int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest(), "big")
    key = ec.derive_private_key(secret % (2**255) + 1, ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    start = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    years = 20 if self_signed_leafish else 5
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(secret % (2**64) + 1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * years))
        .add_extension(
            x509.BasicConstraints(ca=not self_signed_leafish, path_length=None), critical=True
        )
    )
    if not self_signed_leafish:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    cert = builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def anchors_for(
    rng: random.Random, seed: int, n_roles: int
) -> tuple[list[Json], dict[str, list[tuple[str, str]]]]:
    # One CA per region per 1,000 roles, up to ten: a large account adds workloads much faster
    # than CAs (and every anchor multiplies the roles its blast-radius finding lists).
    per_region = max(2, min(10, n_roles // 1000))
    anchors: list[Json] = []
    by_region: dict[str, list[tuple[str, str]]] = {}
    for region in REGIONS:
        for j in range(per_region):
            anchor_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            ca_name = f"Example {region} Issuing CA {j:02d}"
            arn = f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:trust-anchor/{anchor_id}"
            by_region.setdefault(region, []).append((arn, ca_name))
            if j % 3 == 0:
                source: Json = {
                    "sourceType": "AWS_ACM_PCA",
                    "sourceData": {
                        "acmPcaArn": f"arn:aws:acm-pca:{region}:{ACCOUNT}:certificate-authority/{uuid.UUID(int=rng.getrandbits(128), version=4)}"
                    },
                }
            else:
                source = {
                    "sourceType": "CERTIFICATE_BUNDLE",
                    "sourceData": {
                        "x509CertificateData": ca_certificate(seed, ca_name, j % 7 == 5)
                    },
                }
            anchors.append(
                {
                    "trustAnchorId": anchor_id,
                    "trustAnchorArn": arn,
                    "name": slug(ca_name),
                    "enabled": j % 11 != 10,
                    "source": source,
                    "notificationSettings": [
                        {
                            "enabled": True,
                            "event": "CA_CERTIFICATE_EXPIRY",
                            "threshold": 45,
                            "channel": "ALL",
                            "configuredBy": RA_SERVICE,
                        },
                        {
                            "enabled": j % 4 != 1,
                            "event": "END_ENTITY_CERTIFICATE_EXPIRY",
                            "threshold": 30 + j % 30,
                            "channel": "ALL",
                            "configuredBy": RA_SERVICE,
                        },
                    ],
                    "createdAt": CREATED,
                    "updatedAt": CREATED,
                }
            )
    return anchors, by_region


# ------------------------------------------------------------------------- profiles


def session_policy(rng: random.Random, members: list[Workload]) -> str:
    """A profile's own session policy: its workloads' resources, denials of the dangerous."""
    statements: list[Json] = []
    for w in members:
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "sqs:*"],
                "Resource": [
                    f"arn:aws:s3:::{w.team}-{w.name}-data/*",
                    f"arn:aws:sqs:{w.region}:{ACCOUNT}:{w.name}-queue",
                ],
            }
        )
    if rng.random() < 0.7:
        statements.append(
            {"Effect": "Deny", "Action": ["iam:*", "organizations:*"], "Resource": "*"}
        )
    if rng.random() < 0.5:
        statements.append(
            {
                "Effect": "Deny",
                "Action": ["s3:DeleteBucket", "dynamodb:DeleteTable", "rds:DeleteDBInstance"],
                "Resource": "*",
            }
        )
    doc = {"Version": "2012-10-17", "Statement": statements}
    # The service returns the string as it was sent: compact from Terraform, indented by hand.
    return (
        json.dumps(doc, sort_keys=True, separators=(",", ":"))
        if rng.random() < 0.6
        else json.dumps(doc, indent=2)
    )


def profiles_for(rng: random.Random, ra: list[Workload]) -> list[Json]:
    """Profiles group one to four roles of a team, in the team's region."""
    by_team: dict[str, list[Workload]] = {}
    for w in ra:
        by_team.setdefault(w.team, []).append(w)
    profiles: list[Json] = []
    for team in sorted(by_team):
        members = by_team[team]
        i = 0
        while i < len(members):
            group = members[i : i + rng.randint(1, 4)]
            i += len(group)
            k = len(profiles)
            region = group[0].region
            pid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            profile: Json = {
                "profileId": pid,
                "profileArn": f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:profile/{pid}",
                "name": f"{team}-{group[0].name}",
                "enabled": rng.random() > 0.05,
                "roleArns": [f"arn:aws:iam::{ACCOUNT}:role/{w.role_name}" for w in group],
                "durationSeconds": rng.choice([900, 3600, 3600, 3600, 7200, 43200]),
                "acceptRoleSessionName": rng.random() < 0.1,
                "requireInstanceProperties": False,
                "createdAt": CREATED,
                "updatedAt": CREATED,
            }
            if rng.random() < 0.1:
                profile["managedPolicyArns"] = [
                    rng.choice(
                        [
                            "arn:aws:iam::aws:policy/ReadOnlyAccess",
                            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
                            "arn:aws:iam::aws:policy/AdministratorAccess",
                        ]
                    )
                ]
            if rng.random() < 0.55:
                profile["sessionPolicy"] = session_policy(rng, group)
            if k % 5 == 0:
                profile["attributeMappings"] = [
                    {
                        "certificateField": "x509Subject",
                        "mappingRules": [{"specifier": "CN"}, {"specifier": "OU"}],
                    },
                    {"certificateField": "x509Issuer", "mappingRules": [{"specifier": "*"}]},
                    {
                        "certificateField": "x509SAN",
                        "mappingRules": [{"specifier": "DNS"}, {"specifier": "URI"}],
                    },
                ]
            profiles.append(profile)
    # A few profiles that list roles of several teams, and one that lists a role twice over.
    for k in range(max(1, len(ra) // 500)):
        picked = rng.sample(ra, k=min(len(ra), 3))
        region = picked[0].region
        pid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        profiles.append(
            {
                "profileId": pid,
                "profileArn": f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:profile/{pid}",
                "name": f"shared-{k}",
                "enabled": True,
                "roleArns": [f"arn:aws:iam::{ACCOUNT}:role/{w.role_name}" for w in picked],
                "durationSeconds": 3600,
                "createdAt": CREATED,
                "updatedAt": CREATED,
            }
        )
    return profiles


# -------------------------------------------------------------------------- account


def generate(
    out: Path, n_roles: int, seed: int = 7, corpus: Path | None = DEFAULT_CORPUS
) -> dict[str, int]:
    rng = random.Random(seed)
    shapes = corpus_shapes(corpus) + builtin_shapes()
    n_teams = max(4, n_roles // 12)
    anchors, anchors_by_region = anchors_for(rng, seed, n_roles)

    roles: list[Json] = []
    policies: list[Json] = []
    ra: list[Workload] = []
    team_policies: dict[str, str] = {}
    for i in range(n_roles):
        w = Workload(rng, i, n_teams)
        if rng.random() < 0.4:
            shape = shapes[i % len(shapes)] if rng.random() < 0.8 else rng.choice(shapes)
            trust = Rewriter(w, anchors_by_region[w.region], rng).document(shape)
            ra.append(w)
        else:
            trust = other_trust(rng, w)
        attached = []
        team_policy = team_policies.get(w.team)
        if team_policy is None and rng.random() < 0.5:
            team_policy = f"{w.team}-baseline"
            team_policies[w.team] = team_policy
            policies.append(managed_policy(team_policy, permission_statements(rng, w)))
        if team_policy is not None:
            attached.append(
                {
                    "PolicyName": team_policy,
                    "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/{team_policy}",
                }
            )
        for name, p in AWS_MANAGED:
            if rng.random() < p:
                attached.append(
                    {"PolicyName": name, "PolicyArn": f"arn:aws:iam::aws:policy/{name}"}
                )
        role: Json = {
            "Path": "/",
            "RoleName": w.role_name,
            "RoleId": "AROA" + hashlib.sha1(f"{seed}:{i}".encode()).hexdigest()[:17].upper(),
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/{w.role_name}",
            "CreateDate": CREATED,
            "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": [],
            "RolePolicyList": [
                {
                    "PolicyName": f"{w.name}-access",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": permission_statements(rng, w),
                    },
                }
            ],
            "AttachedManagedPolicies": attached,
            "Tags": [{"Key": "team", "Value": w.team}, {"Key": "workload", "Value": w.name}],
            "RoleLastUsed": {"LastUsedDate": CREATED, "Region": w.region} if i % 3 else {},
        }
        if rng.random() < 0.03:
            role["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/{w.team}-baseline",
            }
        roles.append(role)

    profiles = profiles_for(rng, ra)
    crls = []
    for anchor in anchors:
        if rng.random() < 0.6:
            region = anchor["trustAnchorArn"].split(":")[3]
            cid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            crls.append(
                {
                    "crlId": cid,
                    "crlArn": f"arn:aws:rolesanywhere:{region}:{ACCOUNT}:crl/{cid}",
                    "name": f"crl-{anchor['name']}",
                    "enabled": rng.random() < 0.8,
                    "trustAnchorArn": anchor["trustAnchorArn"],
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
    return {
        "roles": len(roles),
        "ra_roles": len(ra),
        "policies": len(policies),
        "profiles": len(profiles),
        "anchors": len(anchors),
        "crls": len(crls),
    }


def write(path: Path, data: Json) -> None:
    # Indented like the AWS CLI prints it, so the parse cost is realistic.
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")


def distinct_literals(out: Path) -> Iterator[str]:
    """Every condition value and Resource of the account (for a quick look at the spread)."""
    iam = json.loads((out / "iam.json").read_text(encoding="utf-8"))
    for role in iam["RoleDetailList"]:
        for st in _statements(role["AssumeRolePolicyDocument"]):
            for kv in (st.get("Condition") or {}).values():
                for v in kv.values():
                    yield from v if isinstance(v, list) else [v]
        for p in role["RolePolicyList"]:
            for st in _statements(p["PolicyDocument"]):
                r = st.get("Resource", [])
                yield from r if isinstance(r, list) else [r]


def _statements(doc: Json) -> list[Json]:
    st = doc.get("Statement", [])
    return [st] if isinstance(st, dict) else list(st)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--roles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="the corpus whose trust shapes to use (default: ../shared/corpus beside the checkout)",
    )
    args = parser.parse_args()
    counts = generate(args.out, args.roles, args.seed, args.corpus)
    sizes = ", ".join(
        f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(args.out.glob("*.json"))
    )
    literals = list(distinct_literals(args.out))
    spread = f"{len(set(literals))} distinct of {len(literals)} condition values and Resources"
    print(
        f"wrote {args.out}: {sizes}; "
        + ", ".join(f"{v} {k}" for k, v in counts.items())
        + f"; {spread}"
    )


if __name__ == "__main__":
    main()
