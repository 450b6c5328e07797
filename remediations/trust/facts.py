"""The public facts of a trust analysis: the certificate context of one CreateSession, the
conditions a policy puts on it, and what the analysis found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from remediations.iam.evaluator import (
    CompiledPolicy,
    ContextValue,
    compile_policy,
)
from remediations.model import RA_SERVICE_PRINCIPAL, REQUIRED_ACTIONS

RA_PRINCIPAL = ("Service", RA_SERVICE_PRINCIPAL)


@dataclass(frozen=True, slots=True)
class CertificateContext:
    """What one CreateSession puts into the trust-policy request context.

    ``None`` for a key means the key is absent from the request (e.g. dropped by the profile's
    attribute mapping). Keys of ``subject``/``issuer`` are RDN names (``CN``, ``OU``, ...);
    keys of ``san`` are ``DNS``, ``URI`` or ``Name/<RDN>``.
    """

    source_arn: str
    subject: dict[str, str] = field(default_factory=dict)
    issuer: dict[str, str] = field(default_factory=dict)
    san: dict[str, str] = field(default_factory=dict)
    #: None: derived as CN=<cn> (CN <= 61 chars) like Roles Anywhere does.
    source_identity: str | None = None
    role_session_name: str | None = None
    #: Any other request keys (lower-case key -> value or list of values).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConditionUse:
    """One (operator, key, values) triple of a statement that applies to Roles Anywhere."""

    statement_index: int
    effect: str
    operator: str
    key: str
    values: tuple[str, ...]
    #: subject | issuer | san | source_identity | source_arn | source_account |
    #: session_name | ip | request_tag | other
    category: str

    @property
    def canonical_key(self) -> str:
        """The key in lower case (IAM keys are case-insensitive)."""
        return self.key.lower()

    def to_json(self) -> dict[str, Any]:
        return {
            "statement_index": self.statement_index,
            "effect": self.effect,
            "operator": self.operator,
            "key": self.key,
            "values": list(self.values),
            "category": self.category,
        }


# Not slotted: analyses are shared between documents of the same shape and handed out as
# copies (``_rebind``), and a ``__dict__`` copy is what keeps that cheap on big accounts.
@dataclass(frozen=True)
class TrustAnalysis:
    """Facts about one trust policy, for the Roles Anywhere principal.

    All "admits"/"open" facts come from evaluating the policy per required action and
    intersecting (FINDINGS 3.4 rule 1), never from text patterns.
    """

    #: Some Allow statement covers rolesanywhere.amazonaws.com for a required action.
    trusts_ra: bool
    #: Required actions that some satisfiable path allows for Roles Anywhere.
    allowed_actions: frozenset[str]
    #: All three required actions are allowed together for some certificate: usable.
    usable: bool
    #: Indexes (in the Statement list) of statements whose principal covers Roles Anywhere.
    ra_statement_indexes: tuple[int, ...]
    #: A certificate whose subject/SAN/source identity the policy never names is admitted.
    open_to_any_subject: bool
    #: A trust anchor of the account that the policy never names is admitted.
    open_to_any_anchor: bool
    #: A certificate whose issuer the policy never names is admitted.
    open_to_any_issuer: bool
    #: Concrete trust-anchor ARNs named by positive aws:SourceArn conditions.
    pinned_source_arns: frozenset[str]
    #: aws:SourceArn patterns with wildcards that admit an unnamed trust anchor.
    source_arn_wildcards: tuple[str, ...]
    #: Concrete subject values admitted, per canonical key (e.g. "x509subject/cn").
    pinned_subjects: dict[str, frozenset[str]]
    #: Subject patterns that admit values the policy does not name: (canonical key, pattern).
    subject_wildcards: tuple[tuple[str, str], ...]
    #: Distinct workloads (subject identities) the policy admits by name.
    subject_count: int
    #: Conditions on Allow statements that pass when their key is absent (fail open).
    fail_open_conditions: tuple[ConditionUse, ...]
    #: ForAnyValue: on single-valued certificate keys (wrong, but fails closed).
    for_any_value_conditions: tuple[ConditionUse, ...]
    #: aws:SourceIp / VpcSourceIp / SourceVpc / SourceVpce conditions on RA statements.
    ip_conditions: tuple[ConditionUse, ...]
    #: Principals other than Roles Anywhere that Allow statements admit, e.g.
    #: "AWS:arn:aws:iam::111122223333:root", "Service:ec2.amazonaws.com", "Federated:...".
    other_principals: tuple[str, ...]
    #: "Principal": "*" or {"AWS": "*"} in an Allow statement.
    wildcard_principal: bool
    #: No Version 2012-10-17 while conditions use ${...} policy variables.
    legacy_version_with_variables: bool
    #: Certificate keys (canonical lower-case, e.g. "aws:principaltag/x509subject/cn") that RA
    #: conditions reference, mapped to "positive", "fail-open" or "both".
    referenced_keys: dict[str, str]
    #: The sts:AssumeRole path binds sts:RoleSessionName to a certificate attribute.
    session_name_bound: bool
    #: Every condition on statements that apply to Roles Anywhere.
    conditions: tuple[ConditionUse, ...]
    #: Required actions whose allowing paths admit an unnamed trust anchor on their own (a
    #: path-level gap even when another action's pin still closes the whole assumption).
    anchor_open_actions: frozenset[str] = frozenset()
    #: Required actions whose allowing paths admit an unnamed subject on their own.
    subject_open_actions: frozenset[str] = frozenset()
    #: Other principals whose every Allow statement requires x509 session tags, so only a
    #: session that came through Roles Anywhere qualifies (EKS hybrid intermediate-role
    #: chaining), or that can never qualify (another service under x509 conditions).
    certificate_bound_principals: tuple[str, ...] = ()
    #: Issuer patterns with wildcards (canonical key, pattern), e.g. ("x509issuer/cn", "CA-*").
    issuer_wildcards: tuple[tuple[str, str], ...] = ()
    #: The analysed document (for proposals).
    document: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    #: Statement Sids by index (None when a statement has none), for messages.
    statement_sids: dict[int, str | None] = field(repr=False, compare=False, default_factory=dict)
    #: The compiled policy that :meth:`admits` evaluates.
    compiled: CompiledPolicy | None = field(repr=False, compare=False, default=None)

    def admits(self, cert: CertificateContext) -> bool:
        """True when Roles Anywhere can assume the role for this certificate (all 3 actions)."""
        return admits_all_actions(self.policy(), certificate_request_context(cert))

    def admits_request(self, context: Mapping[str, ContextValue]) -> bool:
        """:meth:`admits` for a certificate's request context, built once by the caller
        (:func:`certificate_request_context`) when several policies judge one certificate."""
        return admits_all_actions(self.policy(), context)

    def policy(self) -> CompiledPolicy:
        """The compiled document (compiled once: a shared analysis rebound to this document
        compiles its own on first use)."""
        policy = self.compiled
        if policy is None:
            policy = compile_policy(self.document)
            object.__setattr__(self, "compiled", policy)
        return policy

    def describe_statement(self, index: int) -> str:
        """``statement 2 (Sid "X")`` style label for messages (1-based)."""
        sid = self.statement_sids.get(index)
        return f'statement {index + 1} (Sid "{sid}")' if sid else f"statement {index + 1}"


def admits_all_actions(policy: CompiledPolicy, context: Mapping[str, ContextValue]) -> bool:
    """``policy.evaluate`` allows Roles Anywhere every required action in ``context``.

    The same decisions as evaluating each action on its own, with each statement's condition
    evaluated once for the three actions (the witness proofs of a plan ask this thousands of
    times per role).
    """
    matched: dict[int, bool] = {}
    for action in REQUIRED_ACTIONS:
        allowed = False
        for index, statement in enumerate(policy.statements):
            if not statement.effect or (statement.effect == "Allow" and allowed):
                continue
            if not (statement.covers_action(action) and statement.covers_principal(RA_PRINCIPAL)):
                continue
            hit = matched.get(index)
            if hit is None:
                hit = matched[index] = statement.conditions_match(context)
            if not hit:
                continue
            if statement.effect == "Deny":
                return False
            allowed = True
        if not allowed:
            return False
    return True


def certificate_request_context(cert: CertificateContext) -> dict[str, ContextValue]:
    """The lower-case request context Roles Anywhere builds for a certificate (FINDINGS 3.1)."""
    context: dict[str, ContextValue] = {"aws:sourcearn": cert.source_arn}
    parts = cert.source_arn.split(":")
    if len(parts) > 4 and parts[4]:
        context["aws:sourceaccount"] = parts[4]
    for prefix, values in (
        ("x509subject", cert.subject),
        ("x509issuer", cert.issuer),
        ("x509san", cert.san),
    ):
        for name, value in values.items():
            if value is not None:
                context[f"aws:principaltag/{prefix}/{name}".lower()] = value
    context["sts:sourceidentity"] = _source_identity(cert)
    if cert.role_session_name is not None:
        context["sts:rolesessionname"] = cert.role_session_name
    for key, value in cert.extra.items():
        if value is None:
            context.pop(str(key).lower(), None)
        else:
            context[str(key).lower()] = value
    return context


def _source_identity(cert: CertificateContext) -> str:
    """``CN=<cn>`` for a CN of at most 61 characters, the bare CN up to 64 (RA-UG p.49)."""
    if cert.source_identity is not None:
        return cert.source_identity
    cn = cert.subject.get("CN")
    if cn is None:
        return "ID=00"
    return f"CN={cn}" if len(cn) <= 61 else ""
