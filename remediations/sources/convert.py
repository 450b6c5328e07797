"""API-shaped dicts -> model objects, shared by every source (files, live, sandbox).

The input is what the AWS CLI prints, or what boto3 returns after :func:`to_jsonable`: IAM
objects in PascalCase (``RoleDetail``, ``Role``, ``ManagedPolicyDetail``), Roles Anywhere
objects in camelCase (``TrustAnchorDetail``, ``ProfileDetail``, ``CrlDetail``,
``SubjectSummary``). Each object keeps the dict it came from as ``raw``, untouched.

Converting must stay cheap (an account of 10,000 roles converts in a fraction of the time
``json.load`` takes to read it), so these are plain field look-ups; a policy document that is
already a dict is used as is.

A malformed policy document never stops the conversion: trust and session policies set
``trust_policy_error`` / ``session_policy_error`` (the scan reports them), and other documents
become ``None`` with a :class:`SourceWarning` appended to ``warnings`` when one is given. An
object that lacks its identity (no ARN) raises :class:`ShapeError`, which names the field.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from remediations.errors import InputError, PolicyError
from remediations.iam.policy import as_list, decode_policy_document
from remediations.model import (
    GLOBAL_REGION,
    JSON,
    Crl,
    IamGroup,
    IamUser,
    ManagedPolicy,
    Profile,
    Role,
    SourceWarning,
    Subject,
    TrustAnchor,
)

Warnings = list[SourceWarning] | None


class ShapeError(InputError):
    """An API object that lacks a field rafix cannot do without (its ARN, its name)."""


def to_jsonable(value: Any) -> Any:
    """A boto3 value made JSON-ready, as the AWS CLI would print it.

    ``datetime`` becomes ISO-8601 UTC with a ``Z``; ``bytes`` (API blobs such as ``crlData``)
    become base64 text, which is what the CLI prints for blobs; containers are converted
    recursively (tuples and sets become lists).
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return _iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:  # botocore always sets one; a naive value is taken as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def region_from_arn(arn: str) -> str:
    """The region of an ARN; IAM (and any ARN without one) is ``global``."""
    parts = arn.split(":", 5)
    return parts[3] if len(parts) > 4 and parts[3] else GLOBAL_REGION


def account_from_arn(arn: str) -> str | None:
    """The account ID of an ARN, or None (AWS managed policies say ``aws``)."""
    parts = arn.split(":", 5)
    account = parts[4] if len(parts) > 4 else ""
    return account if account.isdigit() else None


# --- IAM ---------------------------------------------------------------------------------


#: The keys that hold a resource's ARN in the API shapes rafix reads.
ARN_KEYS = ("Arn", "trustAnchorArn", "profileArn", "crlArn", "subjectArn")


def role_from_api(d: JSON, warnings: Warnings = None) -> Role:
    """A role from a GAAD ``RoleDetail`` or a ListRoles/GetRole ``Role``."""
    arn = _required_str(d, "Arn", "role")
    get = d.get
    role = Role(
        arn=arn,
        name=str(get("RoleName") or arn.rsplit("/", 1)[-1]),
        role_id=str(get("RoleId") or ""),
        path=str(get("Path") or "/"),
        max_session_duration=_duration(
            get("MaxSessionDuration"), "MaxSessionDuration", arn, warnings
        ),
        inline_policies=_inline_policies(get("RolePolicyList"), arn, warnings),
        attached_policy_arns=[
            p["PolicyArn"]
            for p in as_list(get("AttachedManagedPolicies"))
            if type(p) is dict and isinstance(p.get("PolicyArn"), str)
        ],
        permissions_boundary_arn=_optional_str(
            _mapping(get("PermissionsBoundary")).get("PermissionsBoundaryArn")
        ),
        tags=_tags(get("Tags"), "Key", "Value"),
        last_used=_optional_str(_mapping(get("RoleLastUsed")).get("LastUsedDate")),
        raw=d,
    )
    if "AssumeRolePolicyDocument" in d:
        try:
            role.trust_policy = decode_policy_document(d["AssumeRolePolicyDocument"])
        except PolicyError as exc:
            role.trust_policy_error = str(exc)
    return role


def user_from_api(d: JSON, warnings: Warnings = None) -> IamUser:
    """A user from a GAAD ``UserDetail``."""
    arn = _required_str(d, "Arn", "user")
    get = d.get
    return IamUser(
        arn=arn,
        name=str(get("UserName") or arn.rsplit("/", 1)[-1]),
        inline_policies=_inline_policies(get("UserPolicyList"), arn, warnings),
        attached_policy_arns=_attached(get("AttachedManagedPolicies")),
        permissions_boundary_arn=_optional_str(
            _mapping(get("PermissionsBoundary")).get("PermissionsBoundaryArn")
        ),
        groups=[g for g in as_list(get("GroupList")) if isinstance(g, str)],
        raw=d,
    )


def group_from_api(d: JSON, warnings: Warnings = None) -> IamGroup:
    """A group from a GAAD ``GroupDetail``."""
    arn = _required_str(d, "Arn", "group")
    get = d.get
    return IamGroup(
        arn=arn,
        name=str(get("GroupName") or arn.rsplit("/", 1)[-1]),
        inline_policies=_inline_policies(get("GroupPolicyList"), arn, warnings),
        attached_policy_arns=_attached(get("AttachedManagedPolicies")),
        raw=d,
    )


def _attached(value: Any) -> list[str]:
    return [
        p["PolicyArn"]
        for p in as_list(value)
        if type(p) is dict and isinstance(p.get("PolicyArn"), str)
    ]


def _inline_policies(value: Any, arn: str, warnings: Warnings) -> list[tuple[str, JSON | None]]:
    out: list[tuple[str, JSON | None]] = []
    for entry in as_list(value):
        if type(entry) is dict:
            name = str(entry.get("PolicyName") or "")
            doc = entry.get("PolicyDocument")
            if type(doc) is not dict:  # the common case (a parsed object) needs no decoding
                doc = _document(doc, "inline policy", name, arn, warnings)
            out.append((name, doc))
    return out


def policy_from_api(d: JSON, warnings: Warnings = None) -> ManagedPolicy:
    """A managed policy from a GAAD ``ManagedPolicyDetail`` (its default version's document).

    Also accepts a GetPolicy ``Policy`` (no document: ``document`` stays None).
    """
    arn = _required_str(d, "Arn", "managed policy")
    policy = ManagedPolicy(arn=arn, name=str(d.get("PolicyName") or arn.rsplit("/", 1)[-1]), raw=d)
    version = _default_version(d)
    if version is not None and "Document" in version:
        policy.document = _document(version["Document"], "default version", "", arn, warnings)
    return policy


def _default_version(d: JSON) -> Mapping[str, Any] | None:
    default_id = d.get("DefaultVersionId")
    versions = [v for v in as_list(d.get("PolicyVersionList")) if isinstance(v, dict)]
    for version in versions:
        if version.get("IsDefaultVersion") is True:
            return version
    for version in versions:
        if default_id and version.get("VersionId") == default_id:
            return version
    return versions[0] if len(versions) == 1 else None


def _document(value: Any, what: str, name: str, arn: str, warnings: Warnings) -> JSON | None:
    """A parsed policy document, or None (with a warning) when it is malformed."""
    if value is None:
        return None
    try:
        return decode_policy_document(value)
    except PolicyError as exc:
        if warnings is not None:
            label = f"{what} {name!r}" if name else what
            warnings.append(SourceWarning(f"{label} is malformed: {exc}", resource_arn=arn))
        return None


# --- Roles Anywhere ------------------------------------------------------------------------


def anchor_from_api(d: JSON, warnings: Warnings = None) -> TrustAnchor:
    """A trust anchor from a ``TrustAnchorDetail``."""
    arn = _required_str(d, "trustAnchorArn", "trust anchor")
    source = _mapping(d.get("source"))
    data = _mapping(source.get("sourceData"))
    return TrustAnchor(
        arn=arn,
        anchor_id=str(d.get("trustAnchorId") or arn.rsplit("/", 1)[-1]),
        name=str(d.get("name") or ""),
        region=region_from_arn(arn),
        enabled=d.get("enabled") is not False,
        source_type=str(source.get("sourceType") or ""),
        certificate_pem=_optional_str(data.get("x509CertificateData")),
        acm_pca_arn=_optional_str(data.get("acmPcaArn")),
        notification_settings=[
            n for n in as_list(d.get("notificationSettings")) if isinstance(n, dict)
        ],
        created_at=_optional_str(d.get("createdAt")),
        updated_at=_optional_str(d.get("updatedAt")),
        raw=d,
    )


def profile_from_api(d: JSON, warnings: Warnings = None) -> Profile:
    """A profile from a ``ProfileDetail``; a malformed session policy sets ``session_policy_error``."""
    arn = _required_str(d, "profileArn", "profile")
    profile = Profile(
        arn=arn,
        profile_id=str(d.get("profileId") or arn.rsplit("/", 1)[-1]),
        name=str(d.get("name") or ""),
        region=region_from_arn(arn),
        enabled=d.get("enabled") is not False,
        role_arns=_strings(d.get("roleArns")),
        managed_policy_arns=_strings(d.get("managedPolicyArns")),
        accept_role_session_name=d.get("acceptRoleSessionName") is True,
        require_instance_properties=d.get("requireInstanceProperties") is True,
        raw=d,
    )
    profile.duration_seconds = _duration(d.get("durationSeconds"), "durationSeconds", arn, warnings)
    mappings = d.get("attributeMappings")
    if isinstance(mappings, list):
        profile.attribute_mappings = [m for m in mappings if isinstance(m, dict)]
    _set_session_policy(profile, d.get("sessionPolicy"))
    return profile


def _set_session_policy(profile: Profile, value: Any) -> None:
    if value is None or value == "":
        return
    profile.session_policy_text = value if isinstance(value, str) else None
    try:
        profile.session_policy = decode_policy_document(value)
    except PolicyError as exc:
        profile.session_policy_error = str(exc)


def crl_from_api(d: JSON, warnings: Warnings = None) -> Crl:
    """A CRL from a ``CrlDetail``; ``crlData`` is base64 text (CLI) or PEM text."""
    arn = _required_str(d, "crlArn", "CRL")
    return Crl(
        arn=arn,
        crl_id=str(d.get("crlId") or arn.rsplit("/", 1)[-1]),
        name=str(d.get("name") or ""),
        region=region_from_arn(arn),
        enabled=d.get("enabled") is not False,
        trust_anchor_arn=_optional_str(d.get("trustAnchorArn")) or "",
        crl_data=_blob(d.get("crlData")),
        created_at=_optional_str(d.get("createdAt")),
        updated_at=_optional_str(d.get("updatedAt")),
        raw=d,
    )


def _blob(value: Any) -> bytes | None:
    """CRL bytes from CLI/boto3 output: base64 text of DER or PEM; PEM text is kept as is."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str) or not value:
        return None
    if value.lstrip().startswith("-----BEGIN"):
        return value.encode("utf-8")
    try:
        return base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        return value.encode("utf-8", "replace")


def subject_from_api(d: JSON, warnings: Warnings = None) -> Subject:
    """A subject from a ``SubjectSummary`` (ListSubjects) or ``SubjectDetail`` (GetSubject)."""
    arn = _required_str(d, "subjectArn", "subject")
    return Subject(
        arn=arn,
        subject_id=str(d.get("subjectId") or arn.rsplit("/", 1)[-1]),
        region=region_from_arn(arn),
        x509_subject=str(d.get("x509Subject") or ""),
        enabled=d.get("enabled") is not False,
        last_seen_at=_optional_str(d.get("lastSeenAt")),
        raw=d,
    )


# --- helpers -------------------------------------------------------------------------------


def _required_str(d: Any, key: str, what: str) -> str:
    if not isinstance(d, dict):
        raise ShapeError(f"a {what} entry is a {type(d).__name__}, not an object")
    value = d.get(key)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"a {what} entry has no {key}")
    if not value.startswith("arn:") or value.count(":") < 5:
        raise ShapeError(f"a {what} entry has {key} {value[:80]!r}, which is not an ARN")
    return value


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [v for v in as_list(value) if isinstance(v, str)]


def _optional_int(value: Any) -> int | None:
    return value if type(value) is int else None  # bool is an int subclass: excluded


#: The longest session AWS allows (profiles' durationSeconds, roles' MaxSessionDuration).
MAX_AWS_SESSION_SECONDS = 43200
#: Past this a duration is no number AWS returns (it would not even fit its 32-bit field).
_DURATION_CEILING = 2**31 - 1


def _duration(value: Any, key: str, arn: str, warnings: Warnings) -> int | None:
    """A session duration in seconds; a negative one or one past any integer AWS returns
    (a 4,300-digit number) is read as AWS's longest, with a warning about that resource."""
    number = _optional_int(value)
    if number is None or 0 <= number <= _DURATION_CEILING:
        return number
    if warnings is not None:
        size = (
            "negative"
            if number < 0
            else "more than 50 digits long"
            if number >= 10**50
            else f"{len(str(number))} digits long"
        )
        warnings.append(
            SourceWarning(
                f"{arn}: {key} is {size}, "
                f"which AWS never returns; read as {MAX_AWS_SESSION_SECONDS:,} (its longest)",
                resource_arn=arn,
            )
        )
    return MAX_AWS_SESSION_SECONDS


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _tags(value: Any, key: str, val: str) -> dict[str, str]:
    if not value:
        return {}
    return {
        str(t[key]): str(t.get(val, "")) for t in as_list(value) if type(t) is dict and key in t
    }
