"""``rafix export``: the inventory written back in the AWS CLI formats ``--from-file`` reads.

Objects are written from ``raw``, exactly as read (built from the model's fields only for an
object that has none), so ``rafix scan --from-file DIR/*.json`` sees the same inventory and
gives the same findings as the source the export was made from.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from remediations.errors import InputError

if TYPE_CHECKING:
    from remediations.sources.organization import OrgInventory
from remediations.files import write_output
from remediations.model import (
    JSON,
    Crl,
    Inventory,
    ManagedPolicy,
    Profile,
    Role,
    Subject,
    TrustAnchor,
)

T = TypeVar("T")


def export_inventory(inventory: Inventory, out_dir: str | Path) -> list[Path]:
    """Write ``iam.json``, ``anchors.json``, ``profiles.json``, ``crls.json``, ``subjects.json``.

    Each file is written when the source could see that part of the account (its coverage) or
    the inventory holds such objects, so that reading the files back gives the same coverage.

    Returns:
        The files written, in that order.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"{out}: cannot create the output folder ({exc.strerror or exc})"
        ) from None
    written = []
    for name, content in export_documents(inventory).items():
        path = out / name
        write_output(
            path, json.dumps(content, indent=4, ensure_ascii=False) + "\n", what="the export"
        )
        written.append(path)
    return written


def export_organization(org: OrgInventory, out_dir: str | Path) -> list[Path]:
    """Each account read into ``out_dir/ACCOUNT_ID/`` and the list of accounts into
    ``out_dir/organization.json`` (``--from-file out_dir`` reads the organisation back).

    Returns:
        The files written.
    """
    from remediations.sources.organization import ORG_EXPORT_FILE

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"{out}: cannot create the output folder ({exc.strerror or exc})"
        ) from None
    written: list[Path] = []
    listing = []
    for result in org.accounts:
        account = result.account
        entry = {**account.to_json(), "read": result.inventory is not None, "error": result.error}
        listing.append(entry)
        if result.inventory is not None:
            written += export_inventory(result.inventory, out / account.account_id)
    path = out / ORG_EXPORT_FILE
    document = {
        "schema": "rafix.organization/v1",
        "management_account_id": org.management_account_id,
        "accounts": listing,
    }
    write_output(path, json.dumps(document, indent=2) + "\n", what="the export")
    written.append(path)
    return written


def export_documents(inventory: Inventory) -> dict[str, JSON]:
    """File name -> the JSON document ``export_inventory`` writes there."""
    cov = inventory.coverage
    # Coarse "rolesanywhere" coverage (live reads) stands for anchors and profiles together.
    coarse = "rolesanywhere" in cov and not {"trust_anchors", "profiles"} & cov
    docs: dict[str, JSON] = {}
    if "iam" in cov or inventory.roles or inventory.policies:
        docs["iam.json"] = {
            "UserDetailList": [u.raw for u in inventory.users.values()],
            "GroupDetailList": [g.raw for g in inventory.groups.values()],
            "RoleDetailList": _each(inventory.roles.values(), role_detail),
            "Policies": _each(inventory.policies.values(), policy_detail),
            "IsTruncated": False,
        }
    parts: list[tuple[str, str, bool, dict[str, Any], Callable[[Any], JSON]]] = [
        (
            "anchors.json",
            "trustAnchors",
            coarse or "trust_anchors" in cov,
            inventory.trust_anchors,
            anchor_detail,
        ),
        (
            "profiles.json",
            "profiles",
            coarse or "profiles" in cov,
            inventory.profiles,
            profile_detail,
        ),
        ("crls.json", "crls", "crls" in cov, inventory.crls, crl_detail),
        ("subjects.json", "subjects", "subjects" in cov, inventory.subjects, subject_detail),
    ]
    for file_name, key, covered, store, detail in parts:
        if covered or store:
            docs[file_name] = {key: _each(store.values(), detail)}
    return docs


def _each(items: Iterable[T], detail: Callable[[T], JSON]) -> list[JSON]:
    return [detail(item) for item in items]


def _complete(raw: JSON, fields: JSON) -> JSON:
    """``raw`` exactly as read; built from the model's fields only for objects without one."""
    if raw:
        return dict(raw)
    return {key: value for key, value in fields.items() if value is not None}


def role_detail(role: Role) -> JSON:
    """A GAAD ``RoleDetail``, with MaxSessionDuration kept (ListRoles has it, GAAD does not)."""
    boundary = role.permissions_boundary_arn
    return _complete(
        role.raw,
        {
            "Path": role.path,
            "RoleName": role.name,
            "RoleId": role.role_id or None,
            "Arn": role.arn,
            "AssumeRolePolicyDocument": role.trust_policy,
            "MaxSessionDuration": role.max_session_duration,
            "RolePolicyList": [
                {"PolicyName": name, "PolicyDocument": doc} for name, doc in role.inline_policies
            ],
            "AttachedManagedPolicies": [
                {"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn}
                for arn in role.attached_policy_arns
            ],
            "PermissionsBoundary": (
                {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
                if boundary
                else None
            ),
            "Tags": [{"Key": k, "Value": v} for k, v in role.tags.items()] or None,
        },
    )


def policy_detail(policy: ManagedPolicy) -> JSON:
    """A GAAD ``ManagedPolicyDetail`` whose default version holds the document."""
    versions = None
    if policy.document is not None:
        versions = [{"Document": policy.document, "VersionId": "v1", "IsDefaultVersion": True}]
    return _complete(
        policy.raw,
        {
            "PolicyName": policy.name,
            "Arn": policy.arn,
            "DefaultVersionId": "v1" if versions else None,
            "PolicyVersionList": versions,
        },
    )


def anchor_detail(anchor: TrustAnchor) -> JSON:
    """A ``TrustAnchorDetail``."""
    data = {"x509CertificateData": anchor.certificate_pem} if anchor.certificate_pem else {}
    if anchor.acm_pca_arn:
        data = {"acmPcaArn": anchor.acm_pca_arn}
    return _complete(
        anchor.raw,
        {
            "trustAnchorArn": anchor.arn,
            "trustAnchorId": anchor.anchor_id,
            "name": anchor.name,
            "enabled": anchor.enabled,
            "source": {"sourceType": anchor.source_type, "sourceData": data},
            "notificationSettings": anchor.notification_settings,
            "createdAt": anchor.created_at,
            "updatedAt": anchor.updated_at,
        },
    )


def profile_detail(profile: Profile) -> JSON:
    """A ``ProfileDetail``; the session policy as the exact string it was stored as."""
    session = profile.session_policy_text
    if session is None and profile.session_policy is not None:
        session = json.dumps(profile.session_policy)
    return _complete(
        profile.raw,
        {
            "profileArn": profile.arn,
            "profileId": profile.profile_id,
            "name": profile.name,
            "enabled": profile.enabled,
            "roleArns": profile.role_arns,
            "managedPolicyArns": profile.managed_policy_arns or None,
            "sessionPolicy": session,
            "durationSeconds": profile.duration_seconds,
            "acceptRoleSessionName": profile.accept_role_session_name,
            "attributeMappings": profile.attribute_mappings,
            "requireInstanceProperties": profile.require_instance_properties,
        },
    )


def crl_detail(crl: Crl) -> JSON:
    """A ``CrlDetail``; ``crlData`` as base64 text, as the CLI prints blobs."""
    data = base64.b64encode(crl.crl_data).decode("ascii") if crl.crl_data is not None else None
    return _complete(
        crl.raw,
        {
            "crlArn": crl.arn,
            "crlId": crl.crl_id,
            "name": crl.name,
            "enabled": crl.enabled,
            "trustAnchorArn": crl.trust_anchor_arn or None,
            "crlData": data,
            "createdAt": crl.created_at,
            "updatedAt": crl.updated_at,
        },
    )


def subject_detail(subject: Subject) -> JSON:
    """A ``SubjectSummary``."""
    return _complete(
        subject.raw,
        {
            "subjectArn": subject.arn,
            "subjectId": subject.subject_id,
            "x509Subject": subject.x509_subject,
            "enabled": subject.enabled,
            "lastSeenAt": subject.last_seen_at,
        },
    )
