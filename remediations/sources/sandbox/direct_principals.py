"""IAM users and groups as a sandbox's GetAccountAuthorizationDetails returns them, computed
from its state files (``direct.py``): what ``seed._seed_principals`` puts into moto, then what
moto's ``UserDetailList`` and ``GroupDetailList`` answer for it, after botocore's parser."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from remediations.model import JSON, Inventory, SourceWarning
from remediations.sources.sandbox.iam_values import iso, plain, returned_document
from remediations.sources.sandbox.ra_lists import Unanswerable
from remediations.sources.sandbox.seed import (
    parse_moment,
    principal_id,
    principal_path,
    skip_warning,
)


class _Managed(Protocol):
    name: str
    arn: str
    attachments: int


class Seeding(Protocol):
    """What ``direct._Seeding`` offers: the account, its policies as moto holds them."""

    account_id: str
    created: datetime
    warnings: list[SourceWarning]

    def policy(self, arn: str) -> Any: ...


def principals(seed: Seeding, state: Inventory) -> tuple[list[JSON], list[JSON]]:
    """The ``UserDetailList`` and ``GroupDetailList`` entries, in moto's order.

    Raises:
        Unanswerable: a name XML would change, two users or groups of one name, an ARN moto
            would write otherwise.
    """
    groups: dict[str, JSON] = {}
    members: dict[str, list[str]] = {}
    for group in state.groups.values():
        detail = _common(seed, "group", group, "AGPA")
        if detail is None:
            continue
        detail["GroupPolicyList"] = _inline(group.inline_policies)
        detail["AttachedManagedPolicies"] = _attached(seed, group.attached_policy_arns, group.arn)
        if group.name in groups:
            raise Unanswerable(f"two groups named {group.name!r}")
        groups[group.name] = detail
        members[group.name] = []
    users: dict[str, JSON] = {}
    for user in state.users.values():
        detail = _common(seed, "user", user, "AIDA")
        if detail is None:
            continue
        detail["UserPolicyList"] = _inline(user.inline_policies)
        detail["GroupList"] = []  # filled below, in the order of the groups
        detail["AttachedManagedPolicies"] = _attached(seed, user.attached_policy_arns, user.arn)
        if user.permissions_boundary_arn:
            plain(user.permissions_boundary_arn)
            detail["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                "PermissionsBoundaryArn": user.permissions_boundary_arn,
            }
        tags: dict[str, str] = {}
        for tag in user.raw.get("Tags") or []:
            if isinstance(tag, dict) and "Key" in tag:
                tags[str(tag["Key"])] = str(tag.get("Value", ""))
        for key, value in tags.items():
            plain(key, value)
        if tags:
            detail["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        if user.name in users:
            raise Unanswerable(f"two users named {user.name!r}")
        users[user.name] = detail
        for name in user.groups:
            if name not in members:
                seed.warnings.append(
                    SourceWarning(f"group {name} is unknown", "sandbox", resource_arn=user.arn)
                )
            elif user.name not in members[name]:
                members[name].append(user.name)
    for group_name, names in members.items():
        for name in names:
            users[name]["GroupList"].append(group_name)
    return list(users.values()), list(groups.values())


def _common(seed: Seeding, kind: str, principal: Any, prefix: str) -> JSON | None:
    """The fields users and groups share; None (with a warning) for one of another account."""
    account = principal.arn.split(":")[4]
    if account != seed.account_id:
        seed.warnings.append(skip_warning(principal.arn, f"it belongs to account {account}"))
        return None
    path = principal_path(principal.arn, kind)
    name = principal.name
    arn = f"arn:aws:iam::{seed.account_id}:{kind}{path}{name}"
    if arn != principal.arn:
        raise Unanswerable(f"moto names the {kind} {principal.arn} {arn}")
    ident = str(
        principal.raw.get("UserId" if kind == "user" else "GroupId")
        or principal_id(prefix, seed.account_id, principal.arn)
    )
    plain(name, path, ident)
    created = parse_moment(principal.raw.get("CreateDate")) or seed.created
    title = kind.capitalize()
    return {
        "Path": path,
        f"{title}Name": name,
        f"{title}Id": ident,
        "Arn": arn,
        "CreateDate": iso(created),
    }


def _inline(policies: list[tuple[str, Any]]) -> list[JSON]:
    inline: dict[str, Any] = {}
    for name, doc in policies:
        plain(name)
        inline[name] = returned_document(doc if doc is not None else {})
    return [{"PolicyName": name, "PolicyDocument": doc} for name, doc in inline.items()]


def _attached(seed: Seeding, arns: list[str], owner: str) -> list[JSON]:
    attached: dict[str, _Managed] = {}
    for arn in arns:
        managed = seed.policy(arn)
        if managed is None:
            seed.warnings.append(
                SourceWarning(f"attached policy {arn} is unknown", "sandbox", resource_arn=owner)
            )
            continue
        managed.attachments += 1
        attached[managed.arn] = managed
    return [{"PolicyName": p.name, "PolicyArn": p.arn} for p in attached.values()]


__all__ = ["Seeding", "principals"]
