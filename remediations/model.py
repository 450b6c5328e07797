"""The account inventory: one model, whatever the source (live, offline files, sandbox).

Every object keeps ``raw``, the API-shaped dict it was read from (JSON-ready: timestamps as
ISO-8601 strings, blobs as text), so that ``rafix export`` writes back exactly what was read
and plans can fingerprint the document they were made against.

Policy documents are kept parsed (``dict``) when they are valid JSON objects. A document that
is not (malformed JSON, not an object) is kept as its text with ``*_error`` set, so the scan can
report it as a warning and go on with the rest of the account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

RA_SERVICE_PRINCIPAL = "rolesanywhere.amazonaws.com"
#: IAM requires all three for CreateSession (RA user guide p.51).
REQUIRED_ACTIONS = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")
GLOBAL_REGION = "global"


@dataclass(slots=True)
class Role:
    arn: str
    name: str
    role_id: str = ""
    path: str = "/"
    #: Parsed trust policy, or None when it could not be parsed (see ``trust_policy_error``).
    trust_policy: JSON | None = None
    trust_policy_error: str | None = None
    #: Only known from ListRoles/GetRole output or a live scan (GAAD lacks it).
    max_session_duration: int | None = None
    #: (policy name, parsed document or None when malformed)
    inline_policies: list[tuple[str, JSON | None]] = field(default_factory=list)
    attached_policy_arns: list[str] = field(default_factory=list)
    permissions_boundary_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    last_used: str | None = None
    raw: JSON = field(default_factory=dict)

    @property
    def account_id(self) -> str:
        return self.arn.split(":")[4]


@dataclass(slots=True)
class IamUser:
    """An IAM user (GAAD ``UserDetailList``): who may administer Roles Anywhere."""

    arn: str
    name: str
    inline_policies: list[tuple[str, JSON | None]] = field(default_factory=list)
    attached_policy_arns: list[str] = field(default_factory=list)
    permissions_boundary_arn: str | None = None
    #: Names of the groups the user is in (their policies apply to the user).
    groups: list[str] = field(default_factory=list)
    raw: JSON = field(default_factory=dict)


@dataclass(slots=True)
class IamGroup:
    """An IAM group (GAAD ``GroupDetailList``)."""

    arn: str
    name: str
    inline_policies: list[tuple[str, JSON | None]] = field(default_factory=list)
    attached_policy_arns: list[str] = field(default_factory=list)
    raw: JSON = field(default_factory=dict)


@dataclass(slots=True)
class ManagedPolicy:
    arn: str
    name: str
    #: The default version's document, parsed; None when unknown or malformed.
    document: JSON | None = None
    raw: JSON = field(default_factory=dict)


@dataclass(slots=True)
class TrustAnchor:
    arn: str
    anchor_id: str
    name: str
    region: str
    enabled: bool = True
    #: AWS_ACM_PCA | CERTIFICATE_BUNDLE | SELF_SIGNED_REPOSITORY | an unknown value
    source_type: str = ""
    #: PEM text of the bundle (CERTIFICATE_BUNDLE), or None.
    certificate_pem: str | None = None
    acm_pca_arn: str | None = None
    #: The ACM PCA's key algorithm (e.g. ``EC_prime256v1``, ``ML_DSA_65``) and status, when
    #: a live read could describe it (acm-pca:DescribeCertificateAuthority); else None.
    pca_key_algorithm: str | None = None
    pca_status: str | None = None
    notification_settings: list[JSON] = field(default_factory=list)
    created_at: str | None = None
    updated_at: str | None = None
    #: Tags (ListTagsForResource); None when not read (the list APIs do not return them).
    tags: dict[str, str] | None = None
    raw: JSON = field(default_factory=dict)


@dataclass(slots=True)
class Profile:
    arn: str
    profile_id: str
    name: str
    region: str
    enabled: bool = True
    role_arns: list[str] = field(default_factory=list)
    managed_policy_arns: list[str] = field(default_factory=list)
    #: The session policy exactly as stored (a JSON string), or None when the profile has none.
    session_policy_text: str | None = None
    #: Parsed session policy; None when absent or malformed (see ``session_policy_error``).
    session_policy: JSON | None = None
    session_policy_error: str | None = None
    #: None when the field is absent: the API default (3600) applies.
    duration_seconds: int | None = None
    accept_role_session_name: bool = False
    #: None when the field is absent: read as the default mapping (FINDINGS F-MAP-01).
    attribute_mappings: list[JSON] | None = None
    require_instance_properties: bool = False
    #: Tags (ListTagsForResource); None when not read (the list APIs do not return them).
    tags: dict[str, str] | None = None
    raw: JSON = field(default_factory=dict)


@dataclass(slots=True)
class Crl:
    arn: str
    crl_id: str
    name: str
    region: str
    enabled: bool = True
    trust_anchor_arn: str = ""
    #: PEM (or DER) bytes of the CRL, when the source had them.
    crl_data: bytes | None = None
    created_at: str | None = None
    updated_at: str | None = None
    #: Tags (ListTagsForResource); None when not read (the list APIs do not return them).
    tags: dict[str, str] | None = None
    raw: JSON = field(default_factory=dict)


@dataclass(slots=True)
class Subject:
    arn: str
    subject_id: str
    region: str
    x509_subject: str = ""
    enabled: bool = True
    last_seen_at: str | None = None
    raw: JSON = field(default_factory=dict)


@dataclass(slots=True)
class SourceWarning:
    """Something the source could not read; the scan goes on without it."""

    message: str
    #: The file, or the AWS action (e.g. ``rolesanywhere:ListCrls``) and region.
    where: str = ""
    #: The resource concerned, when there is one (e.g. a role with a malformed trust policy).
    resource_arn: str | None = None
    #: Part of the account was not read at all (a denied list, a truncated export, a file that
    #: could not be read): a scan with such a warning is partial and never passes as clean.
    incomplete: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(slots=True)
class Inventory:
    account_id: str | None = None
    roles: dict[str, Role] = field(default_factory=dict)
    policies: dict[str, ManagedPolicy] = field(default_factory=dict)
    #: IAM users and groups (GAAD); read for the governance checks.
    users: dict[str, IamUser] = field(default_factory=dict)
    groups: dict[str, IamGroup] = field(default_factory=dict)
    trust_anchors: dict[str, TrustAnchor] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    crls: dict[str, Crl] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)
    #: Regions whose Roles Anywhere resources were read (successfully or in part).
    regions: list[str] = field(default_factory=list)
    warnings: list[SourceWarning] = field(default_factory=list)
    #: What the source could see: ``iam`` (roles were read), ``principals`` (users and
    #: groups were read), ``max_session_duration``
    #: (roles carry MaxSessionDuration), ``rolesanywhere`` (anchors/profiles were read),
    #: ``crls``, ``subjects``.
    coverage: set[str] = field(default_factory=set)
    #: Where it came from, for messages and reports: "live", "sandbox:DIR", "files".
    origin: str = ""

    @property
    def not_read(self) -> list[SourceWarning]:
        """What the source could not read at all (denied lists, truncated exports, unreadable
        files): a scan with any is partial."""
        return [w for w in self.warnings if w.incomplete]
