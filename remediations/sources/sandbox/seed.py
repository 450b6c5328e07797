"""Loading a sandbox: the state files -> moto's IAM backend and the Roles Anywhere emulator.

IAM is seeded straight into moto's backend objects rather than through CreateRole calls:
moto's CreateRole scans every role for a duplicate name, so seeding through the API grows
quadratically (minutes for a few thousand roles); building the objects directly is linear
(about 0.1 s per thousand roles, see tests/sources/test_sandbox.py). This ties the seeder to moto's
IAM model, which pyproject pins exactly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from remediations.errors import InputError
from remediations.model import JSON, Inventory, Role, SourceWarning
from remediations.sources.sandbox.emulator import RolesAnywhereEmulator, seed_record

STATE_FILES = ("iam.json", "anchors.json", "profiles.json", "crls.json", "subjects.json")
TAGS_FILE = "tags.json"


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


def _text(document: Any) -> str:
    """A policy document as IAM stores it: the original text, or compact JSON."""
    return document if isinstance(document, str) else json.dumps(document)


def _moment(value: Any) -> datetime | None:
    """An export timestamp as moto keeps it (naive UTC)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def seed_iam(account_id: str, inventory: Inventory) -> list[SourceWarning]:
    """Customer-managed policies, then roles with their inline and attached policies."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id]["aws"]
    warnings: list[SourceWarning] = []
    for policy in inventory.policies.values():
        if policy.document is None:
            warnings.append(_skip(policy.arn, "its document is missing or malformed"))
            continue
        if policy.arn.startswith(AWS_POLICY_PREFIX):
            # An AWS managed policy stays AWS managed (its ARN names account "aws"), with the
            # document the export holds: a customer copy would plan differently (issue 9).
            _seed_aws_managed(backend, policy.arn, policy.document)
            continue
        path = policy.arn.split(":policy", 1)[-1].rsplit("/", 1)[0] + "/"
        try:
            backend.create_policy(
                description="",
                path=path,
                policy_document=json.dumps(policy.document),
                policy_name=policy.name,
                tags=[],
            )
        except Exception as exc:  # moto's own validation: report it, seed the rest
            warnings.append(_skip(policy.arn, str(exc)))
    policies = dict(backend.managed_policies)
    for role in inventory.roles.values():
        if role.account_id != account_id:
            warnings.append(_skip(role.arn, f"it belongs to account {role.account_id}"))
            continue
        moto_role = _moto_role(account_id, role)
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
    return warnings


def _moto_role(account_id: str, role: Role) -> Any:
    from moto.iam.models import Role as MotoRole
    from moto.iam.utils import random_role_id

    raw = role.raw
    document = (
        role.trust_policy
        if role.trust_policy is not None
        else raw.get("AssumeRolePolicyDocument", "{}")
    )
    moto_role = MotoRole(  # type: ignore[abstract]
        account_id=account_id,
        partition="aws",
        role_id=role.role_id or random_role_id(account_id),
        name=role.name,
        assume_role_policy_document=_text(document),
        path=role.path,
        permissions_boundary=role.permissions_boundary_arn,
        description=str(raw.get("Description") or ""),
        tags=[{"Key": k, "Value": v} for k, v in role.tags.items()],
        max_session_duration=str(role.max_session_duration or 3600),
    )
    created = _moment(raw.get("CreateDate"))
    if created is not None:
        moto_role.create_date = created
    last_used = _moment(role.last_used)
    if last_used is not None:
        moto_role.last_used = last_used
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


def _skip(arn: str, why: str) -> SourceWarning:
    return SourceWarning(f"not loaded into the sandbox: {why}", where="sandbox", resource_arn=arn)


def seed_emulator(
    emulator: RolesAnywhereEmulator, inventory: Inventory, tags: dict[str, dict[str, str]]
) -> list[SourceWarning]:
    """Trust anchors, profiles, CRLs and subjects, each in its ARN's region, and their tags."""
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
                seed_record(emulator, kind, raw)
            except (ValueError, TypeError) as exc:
                warnings.append(_skip(arn, str(exc)))
    for arn, resource_tags in tags.items():
        region = arn.split(":")[3] if arn.count(":") >= 5 else ""
        state = emulator.regions.get(region)
        if state is not None and state.by_arn(arn) is not None:
            state.tags[arn] = {str(k): str(v) for k, v in resource_tags.items()}
    return warnings
