"""A sandbox AWS Organization: a management account and N member accounts in one folder.

Layout (``rafix sandbox init DIR --accounts N``)::

    DIR/organization.json          the organisation: management account, members, statuses
    DIR/state/, DIR/snapshots/     the management account (a sandbox account of its own)
    DIR/accounts/ID/state/, ...    each member account (each a sandbox account of its own)

Opening the organisation (:func:`open_organization`) starts one moto mock for every account:
moto keeps each account's IAM apart, the Roles Anywhere emulator keeps one state per account,
moto's Organizations lists the accounts and moto's STS answers ``AssumeRole``. Every request
goes through one :class:`Router`, which tells the account from the request's access key (the
management key, or the temporary key STS returned for a member) and hands it to that
account's :class:`~remediations.sources.sandbox.account.Dispatcher`: the credentials decide the
account, as in AWS. ``AssumeRole`` is allowed only as IAM would allow it: the role must exist
in the member and its trust policy must allow the caller's account (and the external ID).

Members are seeded with different shapes: the demo account re-addressed, generated accounts
of several sizes and trust shapes, an account with no Roles Anywhere at all, or documents the
caller passes (the tests seed members from ``../shared/corpus``).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs

from remediations.errors import InputError
from remediations.model import SourceWarning
from remediations.sources.sandbox.account import Dispatcher, SandboxSession

if TYPE_CHECKING:
    import boto3  # type: ignore[import-untyped]
    from botocore.awsrequest import AWSPreparedRequest, AWSResponse

ORG_FILE = "organization.json"
ACCOUNTS_DIR = "accounts"
ACCESS_ROLE = "OrganizationAccountAccessRole"
MANAGEMENT_ACCOUNT_ID = "111122223333"
#: Sandbox fault injection from outside the process (documented in the README): a JSON list
#: of faults, each with an "account" and the fields of ``sandbox.faults.Fault``.
FAULTS_ENV = "RAFIX_SANDBOX_FAULTS"
SHAPES = ("demo", "generated", "hardened", "iam-only")
_KEY = re.compile(r"Credential=([^/]+)/")
_OWNER = re.compile(
    r'"(?:Arn|trustAnchorArn|profileArn|crlArn|subjectArn)": '
    r'"arn:aws[\w-]*:(?:iam|rolesanywhere):[\w-]*:(\d{12}):'
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_IAM_ID = re.compile(r"\b(AROA|ANPA|AIDA)[0-9A-Z]{17}\b")
_TEAMS = (
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


@dataclass(frozen=True, slots=True)
class SandboxOrg:
    """What ``organization.json`` says."""

    directory: Path
    management_account_id: str
    organization_id: str
    #: account id -> {"name", "email", "status", "shape"}
    accounts: dict[str, dict[str, str]]

    def folder(self, account_id: str) -> Path:
        """The sandbox folder of an account (the organisation's folder for the management)."""
        if account_id == self.management_account_id:
            return self.directory
        return self.directory / ACCOUNTS_DIR / account_id


def is_organization(directory: str | Path) -> bool:
    return (Path(directory) / ORG_FILE).is_file()


def read_org(directory: str | Path) -> SandboxOrg:
    """The organisation in ``directory``.

    Raises:
        InputError: no organisation there, or an unreadable ``organization.json``.
    """
    folder = Path(directory).expanduser().resolve()
    path = folder / ORG_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{directory}: not a sandbox organisation (no {ORG_FILE}); create one with "
            f"`rafix sandbox init {directory} --accounts 3`"
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the sandbox organisation ({exc})") from None
    try:
        management = str(data["management_account_id"])
        accounts = {
            str(a["id"]): {k: str(v) for k, v in a.items() if k != "id"} for a in data["accounts"]
        }
        org_id = str(data.get("organization_id") or "o-sandbox")
    except (KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a rafix sandbox organisation ({exc})") from None
    bad = [a for a in [management, *accounts] if not re.fullmatch(r"\d{12}", a)]
    if bad:
        raise InputError(f"{path}: {bad[0]!r} is not a 12-digit account ID")
    return SandboxOrg(folder, management, org_id, accounts)


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


# --- creating ------------------------------------------------------------------------------


def init_organization(
    directory: str | Path,
    members: int,
    *,
    from_files: Sequence[str | Path] | None = None,
    force: bool = False,
    member_documents: Sequence[Mapping[str, Any]] = (),
    size: int = 1,
) -> list[Path]:
    """Create an organisation in ``directory``: the management account (the demo account,
    or the account in ``from_files``) and ``members`` member accounts of different shapes.

    Args:
        member_documents: documents (``iam.json``... by file name) for the first members,
            instead of generated ones; their account ID is rewritten to the member's.
        size: scales the generated members (1: a few dozen roles; 4: a few hundred).

    Returns:
        The files created.
    """
    from remediations.files import write_output
    from remediations.sources.sandbox import init_sandbox

    if members < 1:
        raise InputError("--accounts: at least one member account")
    if members > 1000:
        raise InputError("--accounts: at most 1000 member accounts in a sandbox")
    folder = Path(directory)
    created = init_sandbox(folder, from_files, force)
    management = str(json.loads((folder / "state" / "account.json").read_text())["account_id"])
    accounts_dir = folder / ACCOUNTS_DIR
    if accounts_dir.is_dir():
        shutil.rmtree(accounts_dir)
    ids = member_ids(members, management)
    listing = []
    for index, account_id in enumerate(ids):
        if index < len(member_documents):
            documents = readdress(dict(member_documents[index]), account_id)
            shape = "given"
        else:
            shape = SHAPES[index % len(SHAPES)]
            documents = member_account(account_id, shape, seed=index, size=size)
        documents["iam.json"] = with_access_role(documents.get("iam.json"), account_id, management)
        created += _write_account(folder / ACCOUNTS_DIR / account_id, account_id, documents)
        team = _TEAMS[index % len(_TEAMS)]
        listing.append(
            {
                "id": account_id,
                "name": f"{team}-{'prod' if index % 2 == 0 else 'staging'}-{index + 1}",
                "email": f"aws+{team}-{index + 1}@example.com",
                "status": "ACTIVE",
                "shape": shape,
            }
        )
    org = {
        "format": 1,
        "organization_id": "o-" + hashlib.sha256(management.encode()).hexdigest()[:10],
        "management_account_id": management,
        "accounts": listing,
    }
    path = folder / ORG_FILE
    write_output(path, json.dumps(org, indent=2) + "\n", what="the sandbox organisation")
    created.append(path)
    return created


def _write_account(folder: Path, account_id: str, documents: dict[str, Any]) -> list[Path]:
    from remediations.files import write_output

    state = folder / "state"
    snapshots = folder / "snapshots"
    state.mkdir(parents=True, exist_ok=True)
    snapshots.mkdir(mode=0o700, exist_ok=True)
    os.chmod(snapshots, 0o700)
    documents["account.json"] = {"account_id": account_id, "source": "organization", "format": 1}
    created = []
    for name, document in documents.items():
        path = state / name
        write_output(
            path, json.dumps(document, indent=2, ensure_ascii=False) + "\n", what="the sandbox"
        )
        created.append(path)
    return created


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
    teams = rng.sample(_TEAMS, min(len(_TEAMS), max(1, workloads // 3 + 1)))
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


# --- opening -------------------------------------------------------------------------------


class Router:
    """The one ``before-send`` hook of an organisation: the request's access key names the
    account; that account's :class:`Dispatcher` serves it."""

    def __init__(self, org: SandboxOrg) -> None:
        self.org = org
        self.dispatchers: dict[str, Dispatcher] = {}
        self._lock: Any = threading.Lock()

    def account_of(self, request: AWSPreparedRequest) -> str | None:
        from moto.iam.models import get_account_id_from

        auth = request.headers.get("Authorization") or b""
        text = auth.decode() if isinstance(auth, bytes) else str(auth)
        match = _KEY.search(text)
        key = match.group(1) if match else ""
        if key == "sandbox":
            return self.org.management_account_id
        with self._lock:
            account = get_account_id_from(key)
        return account if account in self.dispatchers else None

    def __call__(self, request: AWSPreparedRequest, event_name: str, **kwargs: Any) -> AWSResponse:
        from remediations.sources.sandbox.account import fail
        from remediations.sources.sandbox.faults import Fault

        _, service, operation = event_name.split(".", 2)
        account = self.account_of(request)
        if account is None:
            return fail(
                Fault(
                    "error",
                    code="InvalidClientTokenId",
                    status=403,
                    message="The security token included in the request is invalid.",
                ),
                request,
                service,
            )
        if service == "sts" and operation == "AssumeRole":
            refusal = self._refuse_assume_role(account, request)
            if refusal is not None:
                return fail(
                    Fault("access-denied", code="AccessDenied", status=403, message=refusal),
                    request,
                    service,
                )
        return self.dispatchers[account](request, event_name, **kwargs)

    def _refuse_assume_role(self, caller: str, request: AWSPreparedRequest) -> str | None:
        """Why IAM would refuse this AssumeRole, or None: the role must exist in an account of
        the organisation and trust the caller's account (with the external ID)."""
        from moto.iam.models import iam_backends

        from remediations.iam.evaluator import Decision, evaluate
        from remediations.sources.sandbox.account import _body_bytes

        body = _body_bytes(request.body).decode("utf-8", "replace")
        fields = {k: v[0] for k, v in parse_qs(body).items()}
        arn = fields.get("RoleArn", "")
        denied = (
            f"User: arn:aws:sts::{caller}:assumed-role/sandbox/rafix is not authorized to "
            f"perform: sts:AssumeRole on resource: {arn}"
        )
        match = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)", arn)
        if match is None or match.group(1) not in self.dispatchers:
            return denied
        target, name = match.groups()
        with self._lock:
            try:
                role = iam_backends[target]["global"].get_role(name)
            except Exception:
                return denied
            document = role.assume_role_policy_document
        try:
            trust = json.loads(document) if isinstance(document, str) else document
        except ValueError:
            return denied
        context = {"sts:ExternalId": fields["ExternalId"]} if "ExternalId" in fields else {}
        decision = evaluate(
            trust,
            action="sts:AssumeRole",
            principal=("AWS", f"arn:aws:iam::{caller}:root"),
            context=context,
        )
        return None if decision is Decision.ALLOW else denied


class _SharedMock:
    """The organisation's one moto mock: member sessions do not stop it; the management
    session stops it last."""

    def stop(self) -> None:
        return None


def open_organization(directory: str | Path, regions: list[str] | None = None) -> SandboxSession:
    """Open every account of the organisation in ``directory``; returns the management
    account's session (with ``member_session`` for the assume-role path). Closing it saves
    every account that changed and releases them all.

    Raises:
        InputError: not an organisation, unreadable state, or already open in this process.
    """
    from moto import mock_aws

    from remediations.sources.sandbox import account as sandbox_account
    from remediations.sources.sandbox.emulator import RolesAnywhereEmulator
    from remediations.sources.sandbox.faults import FaultInjector
    from remediations.sources.sandbox.seed import load_state, seed_emulator, seed_iam

    org = read_org(directory)
    ids = [org.management_account_id, *org.accounts]
    with sandbox_account._open_lock:
        busy = [a for a in ids if a in sandbox_account._open_accounts]
        if busy:
            raise InputError(f"{org.directory}: account {busy[0]} is already open in this process")
        sandbox_account._open_accounts.update(ids)
    mock = mock_aws()
    mock.start()
    try:
        router = Router(org)
        # moto's backends are shared by every account: one request at a time, org-wide.
        lock = threading.RLock()
        router._lock = lock
        warnings: dict[str, list[SourceWarning]] = {}
        model = sandbox_account._service_model()
        for account_id in ids:
            folder = org.folder(account_id)
            stated = str(sandbox_account.read_account_file(folder)["account_id"])
            if stated != account_id:
                raise InputError(
                    f"{folder}: holds account {stated}, but {ORG_FILE} says {account_id}"
                )
            inventory, tags = load_state(folder)
            found = list(inventory.warnings) + seed_iam(account_id, inventory)
            emulator = RolesAnywhereEmulator(account_id, model)
            found += seed_emulator(emulator, inventory, tags)
            dispatcher = sandbox_account.Dispatcher(account_id, emulator, FaultInjector())
            dispatcher._lock = lock
            router.dispatchers[account_id] = dispatcher
            warnings[account_id] = found
        _seed_organizations(org)
        _inject_env_faults(router)
        session = OrgSandboxSession(
            org,
            router,
            mock,
            regions,
            warnings,
            sandbox_account._boto_session(cast(Any, router)),
        )
    except BaseException:
        mock.stop()
        with sandbox_account._open_lock:
            sandbox_account._open_accounts.difference_update(ids)
        raise
    return session


def _seed_organizations(org: SandboxOrg) -> None:
    """moto's Organizations with the accounts of ``organization.json`` (their own IDs)."""
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[org.management_account_id]["aws"]
    backend.create_organization(region="us-east-1", FeatureSet="ALL")
    backend.accounts[0].name = "management"
    for account_id, meta in org.accounts.items():
        backend.create_account(AccountName=meta.get("name", account_id), Email=meta.get("email"))
        account = backend.accounts[-1]
        organizations_backends.master_accounts.pop(account.id, None)
        account.id = account_id
        account.status = meta.get("status", "ACTIVE")
        organizations_backends.master_accounts[account_id] = (org.management_account_id, "aws")


def _inject_env_faults(router: Router) -> None:
    """Faults from ``$RAFIX_SANDBOX_FAULTS`` (a JSON list; each fault names its account)."""
    text = os.environ.get(FAULTS_ENV)
    if not text:
        return
    try:
        faults = json.loads(text)
        if not isinstance(faults, list):
            raise ValueError("not a list")
        for fault in faults:
            options = dict(fault)
            account = str(options.pop("account"))
            kind = options.pop("kind")
            if account in router.dispatchers:
                router.dispatchers[account].faults.inject(kind, **options)
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(f"${FAULTS_ENV}: not a list of faults ({exc})") from None


class OrgSandboxSession(SandboxSession):
    """The management account of a sandbox organisation; members through ``AssumeRole``."""

    def __init__(
        self,
        org: SandboxOrg,
        router: Router,
        mock: Any,
        regions: list[str] | None,
        warnings: dict[str, list[SourceWarning]],
        boto_session: boto3.Session,
    ) -> None:
        management = org.management_account_id
        super().__init__(
            org.directory,
            management,
            boto_session,
            router.dispatchers[management],
            mock,
            regions,
            warnings[management],
        )
        self.org = org
        self.router = router
        self._warnings = warnings
        self._members: list[SandboxSession] = []
        self._members_lock = threading.Lock()

    def member_session(self, account_id: str, credentials: Mapping[str, Any]) -> SandboxSession:
        """The member's session on the credentials STS returned (the key names the account)."""
        from remediations.sources.sandbox.account import _boto_session

        boto_session = _boto_session(cast(Any, self.router))
        core = boto_session._session
        core.set_credentials(
            credentials["AccessKeyId"],
            credentials["SecretAccessKey"],
            credentials.get("SessionToken"),
        )
        member = SandboxSession(
            self.org.folder(account_id),
            account_id,
            boto_session,
            self.router.dispatchers[account_id],
            _SharedMock(),
            self.requested_regions,
            self._warnings.get(account_id, []),
        )
        with self._members_lock:
            self._members.append(member)
        return member

    def faults_of(self, account_id: str) -> Any:
        """The fault injector of one account of the organisation (tests, demos)."""
        return self.router.dispatchers[account_id].faults

    def close(self) -> None:
        from remediations.sources.sandbox import account as sandbox_account

        if self._closed:
            return
        try:
            with self._members_lock:
                members, self._members = self._members, []
            for member in members:
                member.close()  # saves a member that changed and was not closed yet
        finally:
            try:
                super().close()
            finally:
                with sandbox_account._open_lock:
                    sandbox_account._open_accounts.difference_update(self.org.accounts)


__all__ = [
    "ACCESS_ROLE",
    "FAULTS_ENV",
    "ORG_FILE",
    "OrgSandboxSession",
    "SandboxOrg",
    "init_organization",
    "is_organization",
    "open_organization",
    "read_org",
]
