"""The access map's typed data: requirements, constraints, paths, roles, the map."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from remediations.iam.evaluator import (
    Clause,
    ContextValue,
)
from remediations.trust import CertificateContext, certificate_request_context

SCHEMA = "rafix.access/v1"

TAG = "aws:principaltag/"
CERT_PREFIXES = ("x509subject/", "x509issuer/", "x509san/")
#: Keys whose value the path fixes (the trust anchor named in CreateSession).
FIXED_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount"})
#: Keys that Roles Anywhere always sets (never absent).
ALWAYS_PRESENT = frozenset({"sts:sourceidentity", "sts:rolesessionname"})
IP_KEYS = frozenset({"aws:sourceip", "aws:vpcsourceip", "aws:sourcevpc", "aws:sourcevpce"})
FRESH = "rafix-unnamed-value"
#: Bounds that keep one role's map cheap on pathological documents.
MAX_ALTERNATIVES = 64
MAX_WITNESSES = 256
#: Post-quantum signature algorithms Prowler's rolesanywhere_trust_anchor_pqc_pki accepts.
PQC_KEY_ALGORITHMS = frozenset({"ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ML-DSA"})


def path_context(
    certificate: CertificateContext, anchor_arn: str, dropped: Iterable[str] = ()
) -> dict[str, ContextValue]:
    """The request context of a certificate presented through ``anchor_arn``, without the
    attributes the profile's mapping drops."""
    cert = CertificateContext(
        source_arn=anchor_arn,
        subject=certificate.subject,
        issuer=certificate.issuer,
        san=certificate.san,
        source_identity=certificate.source_identity,
        role_session_name=certificate.role_session_name,
        extra=certificate.extra,
    )
    context = certificate_request_context(cert)
    for key in dropped:
        context.pop(key, None)
    return context


# --- typed data ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Requirement:
    """One condition a certificate must meet on a path: a clause of the trust policy (from an
    Allow statement), or the negation of one (from a Deny statement)."""

    clause: Clause
    negated: bool
    statement_index: int

    def holds(self, context: Mapping[str, ContextValue]) -> bool:
        return self.clause.matches(context) != self.negated

    @property
    def key(self) -> str:
        return self.clause.key

    def describe(self) -> str:
        values = ", ".join(self.clause.values)
        text = f"{self.clause.operator.name} {self.clause.key_as_written} [{values}]"
        return f"not ({text})" if self.negated else text


@dataclass(frozen=True, slots=True)
class Constraint:
    """What a path makes one attribute match, summarised for people and scripts.

    ``attribute`` is the part after ``aws:PrincipalTag/`` for certificate attributes
    (``x509Subject/CN``), else the condition key as written (``sts:SourceIdentity``).
    """

    attribute: str
    #: Values or IAM wildcard patterns the attribute must equal one of; None: any value.
    one_of: tuple[str, ...] | None
    #: Values or patterns it must not have.
    not_in: tuple[str, ...] = ()
    #: A certificate without the attribute (or whose profile drops it) passes.
    absent_passes: bool = False
    #: The value is bound to another request value (``${...}``) rather than pinned.
    binding: bool = False

    def to_json(self) -> Any:
        """``[...]`` (must equal one of), ``{"not": [...]}`` (must not, absence passes), or the
        long form ``{"one_of": [...], "not": [...], "absent_passes": bool}`` when neither
        short form says it exactly."""
        if self.one_of is not None and not self.not_in and not self.absent_passes:
            return list(self.one_of)
        if self.one_of is None and self.not_in and self.absent_passes:
            return {"not": list(self.not_in)}
        out: dict[str, Any] = {}
        if self.one_of is not None:
            out["one_of"] = list(self.one_of)
        if self.not_in:
            out["not"] = list(self.not_in)
        out["absent_passes"] = self.absent_passes
        return out

    def describe(self) -> str:
        if self.binding:
            return f"{self.attribute} = {' | '.join(self.one_of or ())}"
        parts = []
        if self.one_of is not None:
            shown = " | ".join(self.one_of) if self.one_of else "(no value: must be absent)"
            parts.append(shown)
        if self.not_in:
            parts.append("not " + " | ".join(self.not_in))
        if self.absent_passes and self.one_of is not None:
            parts.append("or absent")
        if not parts:
            return self.attribute
        return (
            f"{self.attribute} {' '.join(parts)}"
            if self.one_of is None
            else (f"{self.attribute}={' '.join(parts)}")
        )


@dataclass(frozen=True, slots=True)
class SessionScope:
    """What a session through one profile can do: the role's power narrowed by the session
    policy (inline ``sessionPolicy`` plus ``managedPolicyArns``)."""

    has_session_policy: bool
    #: True / False / None (cannot be decided: unknown policy documents).
    privileged: bool | None
    #: Service prefixes the session can use (``("*",)``: every service), sorted.
    services: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "has_session_policy": self.has_session_policy,
            "privileged": self.privileged,
            "services": list(self.services),
        }


@dataclass(frozen=True, slots=True)
class AnchorInfo:
    """A trust anchor as the map shows it: its CA and the CA's key."""

    arn: str
    name: str
    region: str
    enabled: bool
    source_type: str
    #: Subject of the issuing CA (bundle anchors), else None.
    ca_subject: str | None
    #: Issuing CA CNs (bundle anchors); empty when unknown (ACM PCA).
    issuer_cns: tuple[str, ...]
    #: RSA | EC | Ed25519 | ML-DSA | ... ; None when unknown (ACM PCA without its details).
    key_algorithm: str | None
    key_size: int | None
    #: Post-quantum readiness as Prowler reports it (rolesanywhere_trust_anchor_pqc_pki):
    #: True for an ML-DSA key of an ACM PCA, False for any non-PCA anchor ("by design") or a
    #: PCA with another key, None when the PCA's key is unknown.
    pqc_ready: bool | None
    pqc_note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "trust_anchor_arn": self.arn,
            "name": self.name,
            "region": self.region,
            "enabled": self.enabled,
            "source_type": self.source_type,
            "ca_subject": self.ca_subject,
            "key_algorithm": self.key_algorithm,
            "key_size": self.key_size,
            "pqc_ready": self.pqc_ready,
            "pqc_note": self.pqc_note,
        }


@dataclass(frozen=True, slots=True)
class AccessPath:
    """One way a certificate reaches a role: trust anchor -> profile -> role, under the
    requirements of one alternative of the trust policy."""

    profile_arn: str
    profile_name: str
    trust_anchor_arn: str
    trust_anchor_name: str
    region: str
    #: Every certificate of the anchor's CA gets in this way.
    any_certificate: bool
    constraints: tuple[Constraint, ...]
    #: The exact conditions (evaluated by :meth:`admits`).
    requirements: tuple[Requirement, ...] = field(repr=False)
    #: Allow statements (0-based indexes) this way in uses.
    statements: tuple[int, ...] = ()
    #: Certificate attributes (``x509Subject/OU``) that the trust policy conditions on but the
    #: profile's attribute mapping drops (their conditions see no value on this path).
    dropped_attributes: tuple[str, ...] = ()
    session: SessionScope = SessionScope(False, None, ())

    def admits(self, certificate: CertificateContext) -> bool:
        """Whether a certificate (from this path's trust anchor) meets this path's conditions."""
        context = path_context(certificate, self.trust_anchor_arn, self.dropped_keys)
        return all(r.holds(context) for r in self.requirements)

    @property
    def dropped_keys(self) -> frozenset[str]:
        return frozenset(TAG + a.lower() for a in self.dropped_attributes)

    def to_json(self) -> dict[str, Any]:
        return {
            "profile_arn": self.profile_arn,
            "trust_anchor_arn": self.trust_anchor_arn,
            "any_certificate": self.any_certificate,
            "constraints": {c.attribute: c.to_json() for c in self.constraints},
            "profile_name": self.profile_name,
            "trust_anchor_name": self.trust_anchor_name,
            "region": self.region,
            "statements": [i + 1 for i in self.statements],
            "dropped_attributes": list(self.dropped_attributes),
            "session": self.session.to_json(),
        }


@dataclass(frozen=True, slots=True)
class ChainLink:
    """A role this role's sessions can assume in turn (its trust admits this role)."""

    role_arn: str
    #: "role": the trust names this role (or its session); "account": the trust names the
    #: account and this role's own policies allow sts:AssumeRole on it.
    via: str
    #: The trust (or the identity grant) has conditions: possible, not certain.
    conditional: bool

    def to_json(self) -> dict[str, Any]:
        return {"role_arn": self.role_arn, "via": self.via, "conditional": self.conditional}


@dataclass(frozen=True, slots=True)
class RoleAccess:
    """Every way in to one role that trusts Roles Anywhere."""

    role_arn: str
    role_name: str
    account_id: str
    reachable: bool
    unreachable_reason: str | None
    #: Some path admits every certificate of its anchor.
    any_certificate: bool
    #: The role's own permissions (before session policies): True / False / None (unknown).
    privileged: bool | None
    #: Privilege probes the role passes (``*:*``, ``iam:*``, ``iam:PassRole``...).
    privilege_grants: tuple[str, ...]
    #: Service prefixes the role's policies grant (``("*",)``: every service).
    services: tuple[str, ...]
    paths: tuple[AccessPath, ...]
    #: Roles whose trust admits this role (role chaining).
    chains_to: tuple[ChainLink, ...] = ()
    #: A trust anchor that does not exist yet (e.g. one an attacker creates) would get in.
    open_to_new_anchors: bool = False

    @property
    def any_privileged_path(self) -> bool:
        return any(p.session.privileged for p in self.paths)

    def to_json(self) -> dict[str, Any]:
        return {
            "role_arn": self.role_arn,
            "account_id": self.account_id,
            "reachable": self.reachable,
            "unreachable_reason": self.unreachable_reason,
            "any_certificate": self.any_certificate,
            "privileged": bool(self.privileged),
            "paths": [p.to_json() for p in self.paths],
            "role_name": self.role_name,
            "privilege": {
                "privileged": self.privileged,
                "grants": list(self.privilege_grants),
                "services": list(self.services),
            },
            "open_to_new_anchors": self.open_to_new_anchors,
            "chains_to": [c.to_json() for c in self.chains_to],
        }


@dataclass(frozen=True, slots=True)
class AccessMatch:
    """One answer to the reverse question: the certificate reaches ``role_arn`` this way."""

    role_arn: str
    path: AccessPath
    #: The certificate's issuer matches the anchor's CA (True), does not (never listed), or
    #: the anchor's CA is unknown to rafix (None: holds if that CA issued the certificate).
    issuer_confirmed: bool | None

    def to_json(self) -> dict[str, Any]:
        return {
            "role_arn": self.role_arn,
            "profile_arn": self.path.profile_arn,
            "trust_anchor_arn": self.path.trust_anchor_arn,
            "issuer_confirmed": self.issuer_confirmed,
            "session": self.path.session.to_json(),
        }


@dataclass(frozen=True, slots=True)
class CertificateQuery:
    """The certificate of the reverse question (from a PEM file, or typed in)."""

    subject: dict[str, str]
    issuer: dict[str, str] = field(default_factory=dict)
    san: dict[str, str] = field(default_factory=dict)
    #: Only this trust anchor (its ARN); None: every anchor whose CA could have issued it.
    trust_anchor_arn: str | None = None

    def context(self, anchor_arn: str) -> CertificateContext:
        return CertificateContext(
            source_arn=anchor_arn,
            subject=dict(self.subject),
            issuer=dict(self.issuer),
            san=dict(self.san),
        )

    def describe(self) -> str:
        text = ",".join(f"{k}={v}" for k, v in self.subject.items())
        if self.issuer:
            text += " issued by " + ",".join(f"{k}={v}" for k, v in self.issuer.items())
        return text


@dataclass(slots=True)
class AccessMap:
    """The access map of an account (or of the roles asked for)."""

    roles: list[RoleAccess]
    anchors: dict[str, AnchorInfo]
    #: Set when the map answers a reverse question.
    query: CertificateQuery | None = None
    matches: list[AccessMatch] = field(default_factory=list)

    def role(self, arn: str) -> RoleAccess | None:
        return next((r for r in self.roles if r.role_arn == arn), None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "roles": [r.to_json() for r in self.roles],
            "trust_anchors": [a.to_json() for a in self.anchors.values()],
        }
        if self.query is not None:
            out["query"] = {
                "subject": self.query.subject,
                "issuer": self.query.issuer,
                "san": self.query.san,
                "trust_anchor_arn": self.query.trust_anchor_arn,
            }
            out["matches"] = [m.to_json() for m in self.matches]
        return out
