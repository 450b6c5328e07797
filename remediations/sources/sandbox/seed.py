"""Loading a sandbox: the state files -> moto's IAM backend and the Roles Anywhere emulator.

IAM is seeded straight into moto's backend objects rather than through CreateRole calls:
moto's CreateRole scans every role for a duplicate name, so seeding through the API grows
quadratically (minutes for a few thousand roles); building the objects directly is linear
(about 0.1 s per thousand roles, see tests/sources/test_sandbox.py). This ties the seeder to moto's
IAM model, which pyproject pins exactly.

Seeding is deterministic: what the state files leave out (a role's ID, a creation date) is
filled in the same way at every open (IDs from the ARN, dates from the sandbox's creation), so
two reads of the same state return the same account, and ``direct.py`` can tell what a read
through boto3 would return without making it.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from remediations.errors import InputError
from remediations.model import JSON, Inventory, Role, SourceWarning

if TYPE_CHECKING:  # the emulator imports botocore: only seeding needs it
    from remediations.sources.sandbox.emulator import RolesAnywhereEmulator

#: The sandbox's lock file, in its folder (``remediations.locks``).
LOCK_FILE = ".rafix.lock"
ACCOUNT_FILE = "account.json"
STATE_FILES = ("iam.json", "anchors.json", "profiles.json", "crls.json", "subjects.json")
TAGS_FILE = "tags.json"


def state_dir(directory: str | Path) -> Path:
    return Path(directory) / "state"


def read_account_file(directory: str | Path) -> JSON:
    path = state_dir(directory) / ACCOUNT_FILE
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{directory}: not a rafix sandbox (no state/{ACCOUNT_FILE}); "
            f"create one with `rafix sandbox init {directory}`"
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the sandbox account file ({exc})") from None
    if not isinstance(data, dict) or not re.fullmatch(r"\d{12}", str(data.get("account_id"))):
        raise InputError(f"{path}: no 12-digit account_id")
    return data


def load_state(folder: Path) -> tuple[Inventory, dict[str, dict[str, str]]]:
    """The sandbox's state files, read as ``--from-file`` reads them, and its RA tags."""
    from remediations.sources.offline import load_files

    state = folder / "state"
    files = [state / name for name in STATE_FILES if (state / name).is_file()]
    inventory = load_files(files) if files else Inventory()
    tags_path = state / TAGS_FILE
    tags: dict[str, dict[str, str]] = {}
    if tags_path.is_file():
        try:
            loaded = json.loads(tags_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{tags_path}: cannot read the sandbox tags ({exc})") from None
        if isinstance(loaded, dict):
            tags = {str(k): dict(v) for k, v in loaded.items() if isinstance(v, dict)}
    return inventory, tags


def creation_stamp() -> str:
    """``account.json``'s ``created``: now, in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def created_moment(folder: Path) -> datetime:
    """When the sandbox was created (naive UTC, whole seconds): the date of whatever its state
    files do not date themselves. ``account.json``'s ``created`` (``sandbox init`` writes it),
    else that file's modification time (for sandboxes made before it did)."""
    path = folder / "state" / "account.json"
    try:
        text = json.loads(path.read_text(encoding="utf-8")).get("created")
    except (OSError, ValueError, AttributeError):
        text = None
    moment = parse_moment(text)
    if moment is None:
        try:
            moment = datetime.fromtimestamp(int(path.stat().st_mtime), UTC).replace(tzinfo=None)
        except OSError:
            moment = datetime(2024, 1, 1)
    return moment.replace(microsecond=0)


def role_id_for(account_id: str, arn: str) -> str:
    """A role ID for a role whose files give none: ``AROA`` and 17 characters of the ARN's
    hash, so that every open gives the role the same ID."""
    digest = hashlib.sha256(f"{account_id}/{arn}".encode()).hexdigest().upper()
    return "AROA" + digest[:17]


def _text(document: Any) -> str:
    """A policy document as IAM stores it: the original text, or compact JSON."""
    return document if isinstance(document, str) else json.dumps(document)


def parse_moment(value: Any) -> datetime | None:
    """An export timestamp as moto keeps it (naive UTC)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def seed_iam(
    account_id: str, inventory: Inventory, *, created: datetime | None = None
) -> list[SourceWarning]:
    """Customer-managed policies, then roles with their inline and attached policies.

    ``created``: the date of what the files leave undated (default: now).

    Policies are built as moto's own objects, like roles, without moto's policy grammar
    check: the files hold what AWS accepted when the policies were made, and a policy moto's
    stricter validator refused would silently drop out of the account.
    """
    from moto.iam.models import ManagedPolicy, iam_backends

    backend = iam_backends[account_id]["aws"]
    created = created or datetime.now(UTC).replace(tzinfo=None)
    warnings: list[SourceWarning] = []
    for policy in inventory.policies.values():
        if policy.document is None:
            warnings.append(skip_warning(policy.arn, "its document is missing or malformed"))
            continue
        if policy.arn.startswith(AWS_POLICY_PREFIX):
            # An AWS managed policy stays AWS managed (its ARN names account "aws"), with the
            # document the export holds: a customer copy would plan differently (issue 9).
            _seed_aws_managed(backend, policy.arn, policy.document)
            continue
        path = policy_path(policy.arn)
        update = parse_moment(policy.raw.get("UpdateDate")) or parse_moment(
            policy.raw.get("CreateDate")
        )
        made = ManagedPolicy(  # type: ignore[abstract]
            policy.name,
            account_id=account_id,
            region=HOME_REGION,
            description=str(policy.raw.get("Description") or ""),
            document=json.dumps(policy.document),
            path=path,
            create_date=parse_moment(policy.raw.get("CreateDate")) or created,
            update_date=update or created,
        )
        backend.managed_policies[made.arn] = made
    policies = dict(backend.managed_policies)
    for role in inventory.roles.values():
        if role.account_id != account_id:
            warnings.append(skip_warning(role.arn, f"it belongs to account {role.account_id}"))
            continue
        moto_role = _moto_role(account_id, role, created)
        for name, document in role.inline_policies:
            moto_role.policies[name] = _text(document if document is not None else "{}")
        for arn in role.attached_policy_arns:
            managed = policies.get(arn) or _aws_managed(backend, arn, policies)
            if managed is None:
                warnings.append(
                    SourceWarning(
                        f"attached policy {arn} is unknown", "sandbox", resource_arn=role.arn
                    )
                )
                continue
            managed.attach_to(moto_role)
        backend.roles[moto_role.id] = moto_role
    warnings += _seed_principals(backend, account_id, inventory, policies, created)
    return warnings


def principal_id(prefix: str, account_id: str, arn: str) -> str:
    """A user's or group's ID (``AIDA``/``AGPA``) when its files give none, from its ARN."""
    digest = hashlib.sha256(f"{account_id}/{arn}".encode()).hexdigest().upper()
    return prefix + digest[:17]


def principal_path(arn: str, kind: str) -> str:
    """The path of a user or group, from its ARN (``/`` when it has none)."""
    return arn.split(f":{kind}", 1)[-1].rsplit("/", 1)[0] + "/"


def _seed_principals(
    backend: Any, account_id: str, inventory: Inventory, policies: dict[str, Any], created: datetime
) -> list[SourceWarning]:
    """IAM groups, then users (inline and attached policies, permissions boundary, tags,
    group memberships), as moto's own objects: who can administer Roles Anywhere."""
    from moto.iam.models import Group, User

    warnings: list[SourceWarning] = []

    def attach(arns: list[str], owner: Any, arn: str) -> None:
        for policy_arn in arns:
            managed = policies.get(policy_arn) or _aws_managed(backend, policy_arn, policies)
            if managed is None:
                warnings.append(
                    SourceWarning(
                        f"attached policy {policy_arn} is unknown", "sandbox", resource_arn=arn
                    )
                )
                continue
            managed.attach_to(owner)

    for group in inventory.groups.values():
        if group.arn.split(":")[4] != account_id:
            warnings.append(
                skip_warning(group.arn, f"it belongs to account {group.arn.split(':')[4]}")
            )
            continue
        made = Group(account_id, HOME_REGION, group.name, principal_path(group.arn, "group"))
        made.id = str(group.raw.get("GroupId") or principal_id("AGPA", account_id, group.arn))
        made.create_date = parse_moment(group.raw.get("CreateDate")) or created
        for name, document in group.inline_policies:
            made.policies[name] = _text(document if document is not None else "{}")
        attach(group.attached_policy_arns, made, group.arn)
        backend.groups[made.name] = made
    for user in inventory.users.values():
        if user.arn.split(":")[4] != account_id:
            warnings.append(
                skip_warning(user.arn, f"it belongs to account {user.arn.split(':')[4]}")
            )
            continue
        person = User(account_id, HOME_REGION, user.name, principal_path(user.arn, "user"))  # type: ignore[abstract]
        person.id = str(user.raw.get("UserId") or principal_id("AIDA", account_id, user.arn))
        person.create_date = parse_moment(user.raw.get("CreateDate")) or created
        for name, document in user.inline_policies:
            person.policies[name] = _text(document if document is not None else "{}")
        attach(user.attached_policy_arns, person, user.arn)
        if user.permissions_boundary_arn:
            # moto has no user boundary API; GetAccountAuthorizationDetails serves this one.
            person.permissions_boundary = {  # type: ignore[attr-defined]
                "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": user.permissions_boundary_arn,
            }
        tags = [
            {"Key": str(t["Key"]), "Value": str(t.get("Value", ""))}
            for t in user.raw.get("Tags") or []
            if isinstance(t, dict) and "Key" in t
        ]
        if tags:
            backend.tagger.tag_resource(person.arn, tags)
        backend.users[person.name] = person
        for name in user.groups:
            group = backend.groups.get(name)
            if group is None:
                warnings.append(
                    SourceWarning(f"group {name} is unknown", "sandbox", resource_arn=user.arn)
                )
            elif person not in group.users:
                group.users.append(person)
    return warnings


def policy_path(arn: str) -> str:
    """The path of a customer managed policy, from its ARN (``/`` when it has none)."""
    return arn.split(":policy", 1)[-1].rsplit("/", 1)[0] + "/"


HOME_REGION = "us-east-1"


def _moto_role(account_id: str, role: Role, created: datetime) -> Any:
    from moto.iam.models import Role as MotoRole

    raw = role.raw
    document = (
        role.trust_policy
        if role.trust_policy is not None
        else raw.get("AssumeRolePolicyDocument", "{}")
    )
    moto_role = MotoRole(  # type: ignore[abstract]
        account_id=account_id,
        partition="aws",
        role_id=role.role_id or role_id_for(account_id, role.arn),
        name=role.name,
        assume_role_policy_document=_text(document),
        path=role.path,
        permissions_boundary=role.permissions_boundary_arn,
        description=str(raw.get("Description") or ""),
        tags=[{"Key": k, "Value": v} for k, v in role.tags.items()],
        max_session_duration=str(role.max_session_duration or 3600),
    )
    moto_role.create_date = parse_moment(raw.get("CreateDate")) or created
    last_used = parse_moment(role.last_used)
    if last_used is not None:
        moto_role.last_used = last_used
        region = (raw.get("RoleLastUsed") or {}).get("Region")
        if isinstance(region, str) and region:
            moto_role.last_used_region = region  # type: ignore[assignment]
    return moto_role


_AWS_POLICY_DATA: dict[str, Any] = {}
AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"


def _seed_aws_managed(backend: Any, arn: str, document: Any) -> Any:
    """An AWS managed policy with the given document, under its own ARN."""
    from moto.iam.models import AWSManagedPolicy

    tail = arn.removeprefix(AWS_POLICY_PREFIX)
    path, _, name = tail.rpartition("/")
    moment = datetime(2015, 2, 6, 18, 39, 46).isoformat()
    data = {
        "DefaultVersionId": "v1",
        "Path": f"/{path}/" if path else "/",
        "Document": document,
        "CreateDate": moment,
        "UpdateDate": moment,
    }
    policy = AWSManagedPolicy.from_data(name, backend.account_id, "us-east-1", data)
    backend.managed_policies[policy.arn] = policy
    backend.aws_managed_policies.append(policy)
    return policy


def _aws_managed(backend: Any, arn: str, policies: dict[str, Any]) -> Any:
    """An AWS managed policy, created on demand from moto's bundled copies (moto does not
    load them by default: 1,300 policies per account would cost a second per open)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy

    if not arn.startswith(AWS_POLICY_PREFIX):
        return None
    if not _AWS_POLICY_DATA:
        _AWS_POLICY_DATA.update(json.loads(aws_managed_policies_data))
    name = arn.rsplit("/", 1)[-1]
    data = _AWS_POLICY_DATA.get(name)
    if data is None:
        return None
    policy = AWSManagedPolicy.from_data(name, backend.account_id, "us-east-1", data)
    backend.managed_policies[policy.arn] = policy
    backend.aws_managed_policies.append(policy)
    policies[policy.arn] = policy
    return policy


def skip_warning(arn: str, why: str) -> SourceWarning:
    return SourceWarning(f"not loaded into the sandbox: {why}", where="sandbox", resource_arn=arn)


def seed_emulator(
    emulator: RolesAnywhereEmulator,
    inventory: Inventory,
    tags: dict[str, dict[str, str]],
    *,
    created: datetime | None = None,
) -> list[SourceWarning]:
    """Trust anchors, profiles, CRLs and subjects, each in its ARN's region, and their tags.

    ``created``: the date of records the files leave undated (default: now)."""
    from remediations.sources.sandbox.emulator import seed_record

    moment = created.replace(tzinfo=UTC) if created is not None else None
    warnings = []
    stores: list[tuple[str, dict[str, Any]]] = [
        ("trust_anchors", inventory.trust_anchors),
        ("profiles", inventory.profiles),
        ("crls", inventory.crls),
        ("subjects", inventory.subjects),
    ]
    for kind, store in stores:
        for arn, obj in store.items():
            raw: JSON = obj.raw
            try:
                seed_record(emulator, kind, raw, created=moment)
            except (ValueError, TypeError) as exc:
                warnings.append(skip_warning(arn, str(exc)))
    for arn, resource_tags in tags.items():
        region = arn.split(":")[3] if arn.count(":") >= 5 else ""
        state = emulator.regions.get(region)
        if state is not None and state.by_arn(arn) is not None:
            state.tags[arn] = {str(k): str(v) for k, v in resource_tags.items()}
    return warnings
