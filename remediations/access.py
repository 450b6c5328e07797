"""Who can assume each role from the internet: the access map (CA -> trust anchor -> profile ->
role), and the reverse question (which roles does this certificate reach?).

Everything here is derived from the IAM evaluator's own compiled statements and clauses
(:mod:`remediations.iam.evaluator`), never from a second reading of policy text:

- A *path* is one enabled profile listing the role and one enabled trust anchor of the same
  account and region. On it ``aws:SourceArn`` and ``aws:SourceAccount`` are fixed, and the
  certificate attributes that the profile's attribute mapping drops are absent.
- IAM needs ``sts:AssumeRole``, ``sts:TagSession`` and ``sts:SetSourceIdentity`` each allowed
  by some Allow statement, and no Deny on any of them (FINDINGS 3.4 rule 1). So each way in is
  one Allow statement per action (their conditions ANDed) minus every applicable Deny; a Deny
  whose conditions still depend on the certificate contributes the negation of one of its
  clauses (NOT (a AND b) = NOT a OR NOT b), which splits the way in into *alternatives*.
- Each alternative keeps its exact :class:`Requirement` list (clause, negated?): the map
  answers "does this certificate get in?" by evaluating those clauses, and tests check that
  answer against :func:`remediations.iam.evaluator.evaluate` for all three actions. The
  ``constraints`` shown to people (and in ``rafix access --format json``) summarise the
  requirements per attribute: the values or IAM patterns it must equal one of, or
  ``{"not": [...]}``.
- Whether an alternative can be met at all, and whether it admits any certificate, is decided
  on witness values (every literal the clauses name, a string for each pattern, a fresh value,
  and absence), the same method as :mod:`remediations.trust`.

Pure functions over an :class:`~remediations.model.Inventory`; nothing here talks to AWS.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from remediations.iam.evaluator import (
    Clause,
    CompiledPolicy,
    CompiledStatement,
    ContextValue,
    Decision,
    compile_policy,
    has_variables,
    has_wildcard,
    variable_keys,
)
from remediations.model import REQUIRED_ACTIONS, Inventory, Profile, Role, TrustAnchor
from remediations.trust import RA_PRINCIPAL, CertificateContext, certificate_request_context

SCHEMA = "rafix.access/v1"

_TAG = "aws:principaltag/"
_CERT_PREFIXES = ("x509subject/", "x509issuer/", "x509san/")
#: Keys whose value the path fixes (the trust anchor named in CreateSession).
_FIXED_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount"})
#: Keys that Roles Anywhere always sets (never absent).
_ALWAYS_PRESENT = frozenset({"sts:sourceidentity", "sts:rolesessionname"})
_IP_KEYS = frozenset({"aws:sourceip", "aws:vpcsourceip", "aws:sourcevpc", "aws:sourcevpce"})
_FRESH = "rafix-unnamed-value"
#: Bounds that keep one role's map cheap on pathological documents.
MAX_ALTERNATIVES = 64
MAX_WITNESSES = 256
#: Post-quantum signature algorithms Prowler's rolesanywhere_trust_anchor_pqc_pki accepts.
PQC_KEY_ALGORITHMS = frozenset({"ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ML-DSA"})


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
        return frozenset(_TAG + a.lower() for a in self.dropped_attributes)

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


# --- certificate contexts -----------------------------------------------------------------------


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


def parse_dn(text: str) -> dict[str, str]:
    """``CN=app.prod,OU=platform,OU=eng`` -> {"CN": "app.prod", "OU": "platform/eng"}.

    Multi-valued RDNs are joined with ``/`` in order, as Roles Anywhere does (FINDINGS 3.1).
    A comma inside a value is written ``\\,``.

    Raises:
        ValueError: a part that is not ``NAME=value``.
    """
    out: dict[str, list[str]] = {}
    parts, current, escaped = [], "", False
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",+":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    for part in parts:
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{part.strip()!r} is not NAME=value (e.g. CN=app.prod,OU=platform)")
        key = _RDN_NAMES.get(name.strip().upper(), name.strip())
        out.setdefault(key, []).append(value.strip())
    return {k: "/".join(v) for k, v in out.items()}


_RDN_NAMES = {
    "CN": "CN",
    "OU": "OU",
    "O": "O",
    "C": "C",
    "ST": "ST",
    "L": "L",
    "UID": "UID",
    "DC": "DC",
    "EMAILADDRESS": "emailAddress",
}


def query_from_certificate(data: bytes, trust_anchor_arn: str | None = None) -> CertificateQuery:
    """The reverse question for a PEM/DER certificate (subject, issuer, first URI/DNS SAN).

    Raises:
        ValueError: not a certificate (the message says why in one line).
    """
    from remediations.iam.x509 import parse_workload_certificate

    cert = parse_workload_certificate(data)
    if cert.kind != "certificate":
        raise ValueError("a certificate signing request has no issuer yet; give the certificate")

    def joined(rdns: Sequence[tuple[str, str]]) -> dict[str, str]:
        out: dict[str, list[str]] = {}
        for name, value in rdns:
            out.setdefault(_RDN_NAMES.get(name.upper(), name), []).append(value)
        return {k: "/".join(v) for k, v in out.items()}

    san: dict[str, str] = {}
    if cert.dns_names:
        san["DNS"] = cert.dns_names[0]
    if cert.uris:
        san["URI"] = cert.uris[0]
    return CertificateQuery(
        subject=joined(cert.subject),
        issuer=joined(cert.issuer or ()),
        san=san,
        trust_anchor_arn=trust_anchor_arn,
    )


# --- attribute mapping --------------------------------------------------------------------------


def _is_cert_key(key: str) -> bool:
    return key.startswith(_TAG) and key[len(_TAG) :].startswith(_CERT_PREFIXES)


def _attribute_name(key: str, as_written: str) -> str:
    """``x509Subject/CN`` for a certificate key (canonical case), else the key as written."""
    if not _is_cert_key(key):
        return as_written
    tail = key[len(_TAG) :]
    field_name, _, rest = tail.partition("/")
    pretty = {"x509subject": "x509Subject", "x509issuer": "x509Issuer", "x509san": "x509SAN"}
    if field_name == "x509san":
        head, _, sub = rest.partition("/")
        rest = {"dns": "DNS", "uri": "URI", "name": "Name"}.get(head, head) + (
            "/" + sub.upper() if sub else ""
        )
    else:
        rest = rest.upper() if len(rest) <= 3 else rest
    return f"{pretty[field_name]}/{rest}"


def dropped_by_mapping(profile: Profile, keys: Iterable[str]) -> frozenset[str]:
    """The certificate keys (lower case) among ``keys`` that the profile's mapping drops."""
    from remediations.checks.profile import key_is_mapped, mapped_specifiers

    mapped = mapped_specifiers(profile.attribute_mappings)
    return frozenset(k for k in keys if key_is_mapped(k, mapped) is False)


# --- the alternatives of one path ---------------------------------------------------------------


@dataclass(slots=True)
class _Alternative:
    statements: tuple[int, ...]
    requirements: list[Requirement]


def _covers_required(statement: CompiledStatement) -> bool:
    return any(statement.covers_action(a) for a in REQUIRED_ACTIONS)


def _ra_statements(
    policy: CompiledPolicy,
) -> tuple[list[list[CompiledStatement]], list[CompiledStatement]]:
    """Per required action the Allow statements for Roles Anywhere; and the Denies that
    block any required action (one denied action blocks the whole assumption)."""
    ra = [s for s in policy.statements if s.effect and s.covers_principal(RA_PRINCIPAL)]
    per_action = [
        [s for s in ra if s.effect == "Allow" and s.covers_action(a)] for a in REQUIRED_ACTIONS
    ]
    denies = [s for s in ra if s.effect == "Deny" and _covers_required(s)]
    return per_action, denies


def _fixed_verdict(
    clause: Clause, fixed: Mapping[str, ContextValue], dropped: frozenset[str]
) -> bool | None:
    """A clause's verdict when the path alone decides it (anchor keys, dropped attributes,
    network keys the service never carries); None when the certificate decides it."""
    if clause.uses_variables:
        return None
    if clause.key in _FIXED_KEYS:
        return clause.matches(fixed)
    if clause.key in dropped or clause.key in _IP_KEYS:
        return clause.matches({})
    return None


def _alternatives(
    per_action: list[list[CompiledStatement]],
    denies: list[CompiledStatement],
    fixed: Mapping[str, ContextValue],
    dropped: frozenset[str],
) -> tuple[list[_Alternative], list[str]]:
    """The ways in on one path, and why each way that is closed is closed."""
    reasons: list[str] = []
    if not all(per_action):
        missing = [a for a, found in zip(REQUIRED_ACTIONS, per_action, strict=True) if not found]
        return [], [f"the trust policy does not allow {', '.join(missing)} for Roles Anywhere"]
    out: list[_Alternative] = []
    seen: set[frozenset[int]] = set()
    for combo in itertools.islice(itertools.product(*per_action), MAX_ALTERNATIVES):
        chosen = {s.index: s for s in combo}
        if frozenset(chosen) in seen:
            continue
        seen.add(frozenset(chosen))
        requirements: list[Requirement] = []
        closed = None
        for statement in chosen.values():
            for clause in statement.clauses:
                verdict = _fixed_verdict(clause, fixed, dropped)
                if verdict is False:
                    closed = _closed_reason(statement, clause, dropped)
                    break
                if verdict is None:
                    requirements.append(Requirement(clause, False, statement.index))
            if closed:
                break
        if closed:
            reasons.append(closed)
            continue
        branches: list[list[Requirement]] = [requirements]
        for deny in denies:
            live: list[Clause] = []
            inert = False
            for clause in deny.clauses:
                verdict = _fixed_verdict(clause, fixed, dropped)
                if verdict is False:
                    inert = True
                    break
                if verdict is None:
                    live.append(clause)
            if inert:
                continue
            if not live:
                branches = []
                reasons.append(f"statement {deny.index + 1} denies every certificate on this path")
                break
            branches = [
                [*branch, Requirement(clause, True, deny.index)]
                for branch in branches
                for clause in live
            ][:MAX_ALTERNATIVES]
        out.extend(_Alternative(tuple(sorted(chosen)), b) for b in branches)
        if len(out) >= MAX_ALTERNATIVES:
            break
    return out[:MAX_ALTERNATIVES], reasons


def _closed_reason(statement: CompiledStatement, clause: Clause, dropped: frozenset[str]) -> str:
    where = f"statement {statement.index + 1}"
    if clause.key in dropped:
        return (
            f"{where} requires {_attribute_name(clause.key, clause.key_as_written)}, which the "
            "profile's attribute mapping drops"
        )
    if clause.key in _IP_KEYS:
        return (
            f"{where} conditions on {clause.key_as_written}, which never matches: the caller is "
            "the Roles Anywhere service, not the workload"
        )
    return (
        f"{where}: {clause.operator.name} {clause.key_as_written} does not admit this trust anchor"
    )


# --- witnesses ----------------------------------------------------------------------------------


def _witness(pattern: str) -> str:
    return pattern.replace("*", "rafix").replace("?", "r")


def _literal_candidates(clause: Clause) -> Iterator[str]:
    if not clause.operator.known or clause.operator.base == "Null":
        return
    for value in clause.values:
        if clause.uses_variables and has_variables(value):
            continue
        if has_wildcard(value) and "Like" in clause.operator.base:
            yield _witness(value)
        yield value
        if "IgnoreCase" in clause.operator.base:
            yield value.swapcase()


#: Candidate "whatever the ${...} binding on this key resolves to" (IAM refuses control
#: characters in policies, so no literal can equal it).
_BOUND = "\x00bound\x00"

#: The candidate key that stands for the certificate's CN in witnesses (sts:SourceIdentity is
#: derived from it, so the two are searched together).
_CN = _TAG + "x509subject/cn"


def _domains(
    requirements: Sequence[Requirement], dropped: frozenset[str]
) -> dict[str, list[str | None]]:
    """Candidate values per request key for a witness search."""
    literals: dict[str, list[str]] = {}
    bound = {r.key for r in requirements if r.clause.uses_variables and not r.negated}
    for req in requirements:
        keys = [req.key, *(k for v in req.clause.values for k in variable_keys(v))]
        for key in keys:
            literals.setdefault(key, [])
        bucket = literals.setdefault(req.key, [])
        for value in _literal_candidates(req.clause):
            if value not in bucket:
                bucket.append(value)
    if "sts:sourceidentity" in literals:
        cn = literals.setdefault(_CN, [])
        for value in literals.pop("sts:sourceidentity"):
            if value.startswith("CN=") and value[3:] not in cn:
                cn.append(value[3:])
        cn.append("x" * 62)  # a CN too long for CN=<cn>: the source identity is empty
    domains: dict[str, list[str | None]] = {}
    for key, values in literals.items():
        if key in _FIXED_KEYS:
            continue
        if key in dropped or (key.startswith(_TAG) and not _is_cert_key(key)):
            # Dropped by the mapping, or a tag Roles Anywhere never sets: always absent.
            domains[key] = [None]
            continue
        domain: list[str | None] = [_BOUND] if key in bound else []
        domain += [_FRESH, *values]
        if key not in _ALWAYS_PRESENT:
            domain.append(None)
        domains[key] = domain
    return domains


def _context(
    choice: Mapping[str, str | None],
    fixed: Mapping[str, ContextValue],
    requirements: Sequence[Requirement] = (),
) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = dict(fixed)
    for key, value in choice.items():
        if value is not None and value != _BOUND:
            context[key] = value
    if "sts:sourceidentity" not in context:
        cn = choice.get(_CN)
        context["sts:sourceidentity"] = (
            "ID=00" if cn is None or cn == _BOUND else (f"CN={cn}" if len(cn) <= 61 else "")
        )
    for key, value in choice.items():
        if value == _BOUND:
            context[key] = _bound_value(key, context, requirements)
    return context


def _bound_value(
    key: str, context: Mapping[str, ContextValue], requirements: Sequence[Requirement]
) -> str:
    """A value the positive ``${...}`` clauses on ``key`` accept in this context."""
    from remediations.iam.evaluator import substitute

    for req in requirements:
        if req.key != key or req.negated or not req.clause.uses_variables:
            continue
        for value in req.clause.values:
            segments = substitute(value, context)
            if segments is not None:
                return "".join(t if literal else _witness(t) for t, literal in segments)
    return _FRESH


def _search(
    requirements: Sequence[Requirement],
    domains: Mapping[str, list[str | None]],
    fixed: Mapping[str, ContextValue],
) -> dict[str, ContextValue] | None:
    """A request context meeting every requirement, or None. Per-key requirements filter each
    key's candidates first; then whole contexts are tried (bounded)."""
    by_key: dict[str, list[Requirement]] = {}
    cross: list[Requirement] = []
    for req in requirements:
        if req.clause.uses_variables or req.key == "sts:sourceidentity":
            cross.append(req)
        else:
            by_key.setdefault(req.key, []).append(req)
    filtered: dict[str, list[str | None]] = {}
    for key, domain in domains.items():
        reqs = by_key.get(key, [])
        kept = [
            v
            for v in domain
            if v == _BOUND or all(r.holds({} if v is None else {key: v}) for r in reqs)
        ]
        if not kept:
            return None
        filtered[key] = kept
    for key in by_key:
        # A key no candidate was built for (cannot happen; be safe).
        if key not in filtered and not all(r.holds({}) for r in by_key[key]):
            return None
    keys = list(filtered)
    base = {k: v[0] for k, v in filtered.items()}
    for choice in itertools.islice(
        itertools.chain(
            [base],
            ({**base, k: v} for k in keys for v in filtered[k][1:]),
            (
                dict(zip(keys, combo, strict=True))
                for combo in itertools.product(*(filtered[k] for k in keys))
            ),
        ),
        MAX_WITNESSES,
    ):
        context = _context(choice, fixed, requirements)
        if all(r.holds(context) for r in cross):
            return context
    return None


# --- constraints (the summary people read) ------------------------------------------------------


def _constraints(
    requirements: Sequence[Requirement], domains: Mapping[str, list[str | None]]
) -> tuple[Constraint, ...]:
    by_key: dict[str, list[Requirement]] = {}
    for req in requirements:
        by_key.setdefault(req.key, []).append(req)
    out: list[Constraint] = []
    for key, reqs in by_key.items():
        name = _attribute_name(key, reqs[0].clause.key_as_written)
        if any(r.clause.uses_variables for r in reqs):
            values = tuple(dict.fromkeys(v for r in reqs for v in r.clause.values))
            out.append(Constraint(name, values, (), False, binding=True))
            continue

        def holds(value: str | None, rs: list[Requirement] = reqs, k: str = key) -> bool:
            return all(r.holds({} if value is None else {k: value}) for r in rs)

        absent = key not in _ALWAYS_PRESENT and holds(None)
        fresh = holds(_FRESH)
        raw_values = list(
            dict.fromkeys(
                v for r in reqs if r.clause.operator.base != "Null" for v in r.clause.values
            )
        )

        def passes(value: str, h: Any = holds) -> bool:
            return bool(h(_witness(value) if has_wildcard(value) else value))

        if fresh:
            not_in = tuple(v for v in raw_values if not passes(v))
            if not not_in and absent:
                continue  # nothing this attribute could hold is refused
            out.append(Constraint(name, None if not_in or absent else ("*",), not_in, absent))
            continue
        one_of = tuple(v for v in raw_values if passes(v))
        not_in = tuple(v for v in raw_values if not passes(v) and _under(v, one_of))
        out.append(Constraint(name, one_of, not_in, absent))
    return tuple(sorted(out, key=lambda c: _ATTRIBUTE_ORDER.get(c.attribute, 99)))


def _under(value: str, patterns: Sequence[str]) -> bool:
    from remediations.iam.evaluator import wildcard_match

    return any(has_wildcard(p) and wildcard_match(p, value) for p in patterns)


_ATTRIBUTE_ORDER = {
    "x509Subject/CN": 0,
    "x509Subject/OU": 1,
    "x509Subject/O": 2,
    "x509SAN/URI": 3,
    "x509SAN/DNS": 4,
    "sts:SourceIdentity": 5,
    "x509Issuer/CN": 6,
}

#: Keys that identify the workload: a path with no requirement on them admits any certificate
#: (issuer requirements narrow the CA, not the workload: see :func:`_any_certificate`).
_WORKLOAD_PREFIXES = (_TAG + "x509subject/", _TAG + "x509san/")


def _any_certificate(
    requirements: Sequence[Requirement],
    domains: Mapping[str, list[str | None]],
    fixed: Mapping[str, ContextValue],
    issuer_cns: Sequence[str],
) -> bool:
    """A certificate that the trust policy never names gets in: some request whose workload
    attributes (subject, SANs, source identity) are all fresh or absent meets every
    requirement, with the issuer CN one of the anchor's issuing CAs when rafix knows them."""
    restricted: dict[str, list[str | None]] = {}
    for key, domain in domains.items():
        if key.startswith(_WORKLOAD_PREFIXES):
            restricted[key] = [v for v in domain if v is None or v in (_FRESH, _BOUND)]
        elif key == _TAG + "x509issuer/cn" and issuer_cns and domain != [None]:
            restricted[key] = list(issuer_cns)
        else:
            restricted[key] = domain
    return _search(requirements, restricted, fixed) is not None


# --- roles --------------------------------------------------------------------------------------


def anchor_info(anchor: TrustAnchor) -> AnchorInfo:
    """The CA facts the map shows for a trust anchor."""
    from remediations.iam.x509 import issuing_ca_cns, parse_certificate_bundle

    subject = algorithm = None
    size = None
    cns: tuple[str, ...] = ()
    if anchor.certificate_pem:
        bundle = parse_certificate_bundle(anchor.certificate_pem)
        certs = list(bundle.certificates)
        if certs:
            cns = tuple(issuing_ca_cns(anchor.certificate_pem))
            issuing = next((c for c in certs if c.rdn("CN") in cns), certs[0])
            subject, algorithm, size = issuing.subject_text, issuing.key_type, issuing.key_size
    pca_key = anchor.pca_key_algorithm
    if anchor.source_type == "AWS_ACM_PCA":
        if pca_key:
            algorithm = pca_key
            size = _pca_key_size(pca_key)
            active = anchor.pca_status in (None, "ACTIVE")
            ready: bool | None = pca_key in PQC_KEY_ALGORITHMS and active
            note = f"ACM PCA key {pca_key}" + (
                "" if pca_key in PQC_KEY_ALGORITHMS else " is not ML-DSA"
            )
            if not active:
                note += f"; the CA is {anchor.pca_status}"
        else:
            ready, note = None, "ACM PCA: its key algorithm was not read (a live read describes it)"
    else:
        ready = False
        note = "not an ACM PCA: Prowler reports every such anchor as not post-quantum ready"
    return AnchorInfo(
        arn=anchor.arn,
        name=anchor.name,
        region=anchor.region,
        enabled=anchor.enabled,
        source_type=anchor.source_type,
        ca_subject=subject,
        issuer_cns=cns,
        key_algorithm=algorithm,
        key_size=size,
        pqc_ready=ready,
        pqc_note=note,
    )


def _pca_key_size(algorithm: str) -> int | None:
    """``RSA_2048`` -> 2048, ``EC_prime256v1`` -> 256, ``EC_secp384r1`` -> 384."""
    import re

    match = re.search(r"(\d{3,4})", algorithm)
    if algorithm.startswith("ML_DSA") or match is None:
        return None
    return int(match.group(1))


def _account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def _referenced_cert_keys(policy: CompiledPolicy) -> set[str]:
    keys: set[str] = set()
    for statement in policy.statements:
        for clause in statement.clauses:
            for key in [clause.key, *(k for v in clause.values for k in variable_keys(v))]:
                if _is_cert_key(key):
                    keys.add(key)
    return keys


def role_paths(
    role: Role,
    policy: CompiledPolicy,
    profiles: Sequence[Profile],
    anchors: Sequence[TrustAnchor],
    infos: Mapping[str, AnchorInfo],
    scopes: Mapping[str, SessionScope] | None = None,
) -> tuple[list[AccessPath], list[str]]:
    """Every way in to ``role`` through ``profiles`` (those listing it) and ``anchors``; and,
    when there is none, the reasons, most telling first."""
    per_action, denies = _ra_statements(policy)
    if not all(per_action):
        missing = [a for a, found in zip(REQUIRED_ACTIONS, per_action, strict=True) if not found]
        return [], [f"the trust policy does not allow {', '.join(missing)} for Roles Anywhere"]
    if not profiles:
        return [], ["no profile lists the role"]
    enabled = [p for p in profiles if p.enabled]
    if not enabled:
        return [], ["every profile that lists the role is disabled"]
    referenced = _referenced_cert_keys(policy)
    paths: list[AccessPath] = []
    reasons: list[str] = []
    for profile in sorted(enabled, key=lambda p: p.arn):
        usable = [
            a
            for a in anchors
            if a.enabled and _account(a.arn) == _account(profile.arn) and a.region == profile.region
        ]
        if not usable:
            reasons.append(
                f"no enabled trust anchor in {profile.region} for profile {profile.name}"
            )
            continue
        dropped = dropped_by_mapping(profile, referenced)
        scope = (scopes or {}).get(profile.arn, SessionScope(False, None, ()))
        for anchor in sorted(usable, key=lambda a: a.arn):
            fixed: dict[str, ContextValue] = {
                "aws:sourcearn": anchor.arn,
                "aws:sourceaccount": _account(anchor.arn),
            }
            alternatives, closed = _alternatives(per_action, denies, fixed, dropped)
            reasons.extend(closed)
            info = infos.get(anchor.arn)
            for alt in alternatives:
                domains = _domains(alt.requirements, dropped)
                if _search(alt.requirements, domains, fixed) is None:
                    reasons.append(
                        f"no certificate meets the conditions of statement(s) "
                        f"{', '.join(str(i + 1) for i in alt.statements)} together"
                    )
                    continue
                constraints = _constraints(alt.requirements, domains)
                path = AccessPath(
                    profile_arn=profile.arn,
                    profile_name=profile.name,
                    trust_anchor_arn=anchor.arn,
                    trust_anchor_name=anchor.name,
                    region=profile.region,
                    any_certificate=_any_certificate(
                        alt.requirements, domains, fixed, info.issuer_cns if info else ()
                    ),
                    constraints=constraints,
                    requirements=tuple(alt.requirements),
                    statements=alt.statements,
                    dropped_attributes=tuple(sorted(_attribute_name(k, k) for k in dropped)),
                    session=scope,
                )
                if not any(_same(path, p) for p in paths):
                    paths.append(path)
    if not paths and not reasons:
        reasons.append("no enabled trust anchor in the profiles' regions")
    return paths, list(dict.fromkeys(reasons))


def _same(a: AccessPath, b: AccessPath) -> bool:
    return (
        a.profile_arn == b.profile_arn
        and a.trust_anchor_arn == b.trust_anchor_arn
        and a.constraints == b.constraints
        and {r.describe() for r in a.requirements} == {r.describe() for r in b.requirements}
    )


def _unreachable_reason(
    role: Role, policy: CompiledPolicy, reasons: Sequence[str], inventory: Inventory
) -> str:
    """One sentence: why no certificate reaches the role."""
    from remediations.trust import analyze_trust

    if role.trust_policy is not None:
        analysis = analyze_trust(role.trust_policy)
        pins = sorted(analysis.pinned_source_arns)
        if pins and not analysis.source_arn_wildcards:
            live = [
                a
                for a in pins
                if a in inventory.trust_anchors and inventory.trust_anchors[a].enabled
            ]
            if not live:
                gone = [a for a in pins if a not in inventory.trust_anchors]
                if gone and len(gone) == len(pins):
                    return f"aws:SourceArn pins only trust anchors that do not exist ({', '.join(gone)})"
                if not gone:
                    return "aws:SourceArn pins only disabled trust anchors"
    if not reasons:
        return "no certificate can reach it"
    return reasons[0]


# --- what a role can do -------------------------------------------------------------------------


def granted_services(documents: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """Service prefixes the Allow statements of ``documents`` grant (``*``: every service)."""
    from remediations.iam.statements import compile_statements

    out: set[str] = set()
    for document in documents:
        for statement in compile_statements(document)[1]:
            if statement.effect != "Allow" or statement.actions.patterns is None:
                continue
            if statement.actions.negated:
                out.add("*")
                continue
            for pattern in statement.actions.patterns:
                service = pattern.partition(":")[0].lower()
                out.add("*" if has_wildcard(service) or ":" not in pattern else service)
    return frozenset(out)


def narrow(services: frozenset[str], limit: frozenset[str] | None) -> tuple[str, ...]:
    """The services of ``services`` that ``limit`` (a session policy's grant) also allows."""
    if limit is None:
        kept = services
    elif "*" in services:
        kept = limit
    elif "*" in limit:
        kept = services
    else:
        kept = services & limit
    return ("*",) if "*" in kept else tuple(sorted(kept))


# --- the map ------------------------------------------------------------------------------------


def build_access_map(
    inventory: Inventory,
    *,
    roles: Sequence[str] = (),
    query: CertificateQuery | None = None,
    context: Any = None,
) -> AccessMap:
    """The access map of every role that trusts Roles Anywhere (or of the ARNs in ``roles``),
    and with ``query`` the roles that certificate reaches.

    Args:
        context: a :class:`~remediations.checks.context.ScanContext` to share its caches (optional).
    """
    from remediations.checks.context import ScanContext
    from remediations.iam.managed_policies import resolve_policy
    from remediations.iam.session_policies import analyze_session_policies

    ctx = context if context is not None else ScanContext(inventory)
    infos = {arn: anchor_info(a) for arn, a in sorted(inventory.trust_anchors.items())}
    anchors = list(inventory.trust_anchors.values())
    wanted = set(roles)
    scopes_cache: dict[str, SessionScope] = {}
    result: list[RoleAccess] = []
    chain_targets = _chain_targets(inventory)
    for role, analysis in sorted(ctx.ra_roles, key=lambda item: item[0].arn):
        if wanted and role.arn not in wanted and role.name not in wanted:
            continue
        policy = (
            analysis.compiled
            if analysis.compiled is not None
            else compile_policy(role.trust_policy)
        )
        privilege = ctx.privilege(role)
        identity_docs = [d for _, d in role.inline_policies if d is not None] + [
            d
            for arn in role.attached_policy_arns
            if (d := resolve_policy(arn, inventory.policies)) is not None
        ]
        services = granted_services(identity_docs)
        if role.permissions_boundary_arn:
            boundary = resolve_policy(role.permissions_boundary_arn, inventory.policies)
            if boundary is not None:
                services = frozenset(narrow(services, granted_services([boundary])))
        profiles = ctx.profiles_listing(role)
        scopes: dict[str, SessionScope] = {}
        for profile in profiles:
            key = f"{profile.arn}|{role.arn}"
            scope = scopes_cache.get(key)
            if scope is None:
                session = analyze_session_policies(
                    profile.arn,
                    profile.session_policy,
                    profile.managed_policy_arns,
                    inventory.policies,
                    ctx.policy_memo,
                )
                limit = None
                if session.has_session_policy:
                    docs = [profile.session_policy] if profile.session_policy is not None else []
                    docs += [
                        d
                        for arn in profile.managed_policy_arns
                        if (d := resolve_policy(arn, inventory.policies)) is not None
                    ]
                    limit = granted_services(docs) if session.complete else None
                narrowed = narrow(services, limit)
                privileged = _session_privileged(privilege.privileged, session, narrowed)
                keeps = session.keeps_allow or not session.has_session_policy
                scope = scopes_cache[key] = SessionScope(
                    session.has_session_policy, privileged, narrowed if keeps else ()
                )
            scopes[profile.arn] = scope
        paths, reasons = role_paths(role, policy, profiles, anchors, infos, scopes)
        reachable = bool(paths)
        result.append(
            RoleAccess(
                role_arn=role.arn,
                role_name=role.name,
                account_id=role.account_id,
                reachable=reachable,
                unreachable_reason=None
                if reachable
                else _unreachable_reason(role, policy, reasons, inventory),
                any_certificate=any(p.any_certificate for p in paths),
                privileged=privilege.privileged,
                privilege_grants=privilege.grants,
                services=narrow(services, None),
                paths=tuple(paths),
                chains_to=tuple(_chains(role, identity_docs, chain_targets, paths))
                if reachable
                else (),
                open_to_new_anchors=analysis.usable and analysis.open_to_any_anchor,
            )
        )
    access = AccessMap(result, infos)
    if query is not None:
        access.query = query
        access.matches = reverse(access, query)
    return access


def _session_privileged(
    role_privileged: bool | None, session: Any, narrowed: Sequence[str]
) -> bool | None:
    """The role's verdict, unless the session policy provably takes the power away: it keeps
    no Allow, or it neither allows ``*:*``/``iam:*`` nor leaves IAM reachable."""
    if not session.has_session_policy or role_privileged is not True:
        return role_privileged
    if not session.complete:
        return None
    if not session.keeps_allow:
        return False
    if {"*:*", "iam:*"} & set(session.dangerous_allowed):
        return True
    return not session.denies_iam and ("iam" in narrowed or "*" in narrowed)


def reverse(access: AccessMap, query: CertificateQuery) -> list[AccessMatch]:
    """The roles ``query``'s certificate reaches, each with the path it takes."""
    out: list[AccessMatch] = []
    for role in access.roles:
        for path in role.paths:
            if query.trust_anchor_arn and path.trust_anchor_arn != query.trust_anchor_arn:
                continue
            confirmed = _issuer_confirmed(query, access.anchors.get(path.trust_anchor_arn))
            if confirmed is False and not query.trust_anchor_arn:
                continue
            if path.admits(query.context(path.trust_anchor_arn)):
                out.append(AccessMatch(role.role_arn, path, confirmed))
    return out


def _issuer_confirmed(query: CertificateQuery, info: AnchorInfo | None) -> bool | None:
    if info is None or not info.issuer_cns or "CN" not in query.issuer:
        return None
    return query.issuer["CN"] in info.issuer_cns


# --- role chaining ------------------------------------------------------------------------------


def _chain_targets(inventory: Inventory) -> list[tuple[Role, CompiledPolicy]]:
    """Roles whose trust policy has an Allow for some AWS principal (chaining candidates)."""
    out = []
    for role in inventory.roles.values():
        if role.trust_policy is None:
            continue
        policy = compile_policy(role.trust_policy)
        if any(
            s.effect == "Allow"
            and s.principals is not None
            and any(kind.lower() in ("aws", "*") for kind, _ in s.principals)
            for s in policy.statements
        ):
            out.append((role, policy))
    return out


def _chains(
    role: Role,
    identity_docs: Sequence[Mapping[str, Any]],
    targets: Sequence[tuple[Role, CompiledPolicy]],
    paths: Sequence[AccessPath],
) -> Iterator[ChainLink]:
    """Roles the role's sessions can assume: the target's trust names this role (or its
    account, and the role's own policies allow sts:AssumeRole on the target)."""
    from remediations.iam.permissions import Applies, compile_document, evaluate_action

    partition = role.arn.split(":")[1] if role.arn.count(":") >= 5 else "aws"
    root = f"arn:{partition}:iam::{role.account_id}:root"
    session_arn = f"arn:{partition}:sts::{role.account_id}:assumed-role/{role.name}/rafix"
    compiled = [compile_document(d) for d in identity_docs]
    base = {"aws:principalarn": role.arn, "aws:principalaccount": role.account_id}
    for target, policy in targets:
        if target.arn == role.arn:
            continue
        direct = any(
            policy.evaluate(action="sts:AssumeRole", principal=("AWS", who), context=base)
            is Decision.ALLOW
            for who in (role.arn, session_arn)
        )
        named = direct or any(
            s.effect == "Allow"
            and s.principals is not None
            and any(v in (role.arn, session_arn) for _, v in s.principals)
            for s in policy.statements
        )
        if named:
            yield ChainLink(target.arn, "role", not direct)
            continue
        by_account = [
            s
            for s in policy.statements
            if s.effect == "Allow"
            and s.covers_action("sts:AssumeRole")
            and s.principals is not None
            and any(v in (root, role.account_id) for _, v in s.principals)
        ]
        if not by_account:
            continue
        grant = evaluate_action(compiled, "sts:AssumeRole", [target.arn])
        if grant.allow is Applies.NO or grant.deny is Applies.ALWAYS:
            continue
        conditional = grant.allow is Applies.CONDITIONAL or not all(s.vacuous for s in by_account)
        yield ChainLink(target.arn, "account", conditional)
