"""Who can assume a role through Roles Anywhere, derived from the IAM evaluator.

INTERFACE STUB: the types below are the contract that checks and proposals build on; the
implementation of :func:`analyze_trust` lives with the evaluator (``remediations.evaluator``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True, slots=True)
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
    #: The analysed document (for proposals).
    document: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    def admits(self, cert: CertificateContext) -> bool:
        """True when Roles Anywhere can assume the role for this certificate (all 3 actions)."""
        raise NotImplementedError


def analyze_trust(document: dict[str, Any]) -> TrustAnalysis:
    """Analyse a parsed trust policy. Never raises on odd shapes: unknown parts are ignored."""
    raise NotImplementedError
