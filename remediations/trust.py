"""Who can assume a role through Roles Anywhere, derived from the IAM evaluator.

:func:`analyze_trust` never reads policy text for meaning: every "admits"/"open" fact is the
answer of :mod:`remediations.evaluator` for some request. The requests are *witness
contexts*: for each condition key the policy mentions, the candidate values are absent (when
Roles Anywhere can leave the key out), a fresh value the policy never names, every literal it
names, and a witness string for each wildcard pattern. "Open to any subject" then means: some
context whose subject, SAN and source-identity values are all fresh or absent is allowed all
three required actions at once (FINDINGS 3.4 rule 1).

To stay linear on accounts with thousands of roles, the search picks one Allow statement per
action, filters each key's candidates against those statements key by key (clauses are
per-key), and only evaluates whole requests when Deny statements or ``${...}`` bindings make
keys interact, trying a bounded number of combinations (one dimension varied at a time).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from remediations.evaluator import (
    VARIABLES_VERSION,
    Clause,
    CompiledPolicy,
    CompiledStatement,
    ContextValue,
    Decision,
    compile_policy,
    has_variables,
    has_wildcard,
    substitute,
    variable_keys,
    wildcard_match,
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
        policy = self.compiled
        if policy is None:
            # A shared analysis rebound to this document: compile its own once, not per call.
            policy = compile_policy(self.document)
            object.__setattr__(self, "compiled", policy)
        context = certificate_request_context(cert)
        return all(
            policy.evaluate(action=a, principal=RA_PRINCIPAL, context=context) is Decision.ALLOW
            for a in REQUIRED_ACTIONS
        )

    def describe_statement(self, index: int) -> str:
        """``statement 2 (Sid "X")`` style label for messages (1-based)."""
        sid = self.statement_sids.get(index)
        return f'statement {index + 1} (Sid "{sid}")' if sid else f"statement {index + 1}"


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


# --- key classification ------------------------------------------------------------------------

_IP_KEYS = frozenset({"aws:sourceip", "aws:vpcsourceip", "aws:sourcevpc", "aws:sourcevpce"})
_TAG_PREFIXES = ("aws:principaltag/", "aws:requesttag/")
#: Categories that identify the workload (what a subject pin pins).
SUBJECT_CATEGORIES = frozenset({"subject", "san", "source_identity"})
#: Categories whose values come from the certificate or the trust anchor.
CERTIFICATE_CATEGORIES = frozenset({"subject", "issuer", "san", "source_identity", "source_arn"})
#: Keys Roles Anywhere always sets, so "absent" is never a candidate for them.
_ALWAYS_PRESENT = frozenset(
    {"aws:sourcearn", "aws:sourceaccount", "sts:sourceidentity", "sts:rolesessionname"}
)
_FRESH = "rafix-unnamed-value"
#: Condition-key prefixes a Roles Anywhere CreateSession request can carry: global ``aws:``
#: keys and ``sts:`` keys. Any other key (another service's, or no valid key at all such as
#: ``${a}``) has no value in the request: IAM then matches no positive operator and every
#: negated one, and a ``${...}`` of it resolves to nothing, so the statement does not take
#: effect (IAM User Guide, "Policy variables with no value").
_REQUEST_KEY_PREFIXES = ("aws:", "sts:")


def request_may_carry(key: str) -> bool:
    """Whether a CreateSession request can hold a value for this (lower-case) key."""
    return key.startswith(_REQUEST_KEY_PREFIXES)


def absent_keys(analysis: TrustAnalysis) -> list[str]:
    """Condition keys and ``${...}`` variables of the Roles Anywhere statements that no
    CreateSession request carries (see :func:`request_may_carry`)."""
    out: list[str] = []
    for use in analysis.conditions:
        refs = [use.key, *(k for v in use.values for k in variable_keys(v))]
        out += [r for r in refs if not request_may_carry(r.lower()) and r not in out]
    return out


_DEFAULT_ANCHOR_PARTS = ("arn", "aws", "rolesanywhere", "us-east-1", "111122223333")


def key_category(key: str) -> str:
    """The ConditionUse category of a (case-insensitive) condition key."""
    key = key.lower()
    if key.startswith("aws:principaltag/x509subject/"):
        return "subject"
    if key.startswith("aws:principaltag/x509issuer/"):
        return "issuer"
    if key.startswith("aws:principaltag/x509san/"):
        return "san"
    simple = {
        "sts:sourceidentity": "source_identity",
        "aws:sourcearn": "source_arn",
        "aws:sourceaccount": "source_account",
        "sts:rolesessionname": "session_name",
    }
    if key in simple:
        return simple[key]
    if key in _IP_KEYS:
        return "ip"
    if key.startswith("aws:requesttag/"):
        return "request_tag"
    return "other"


def _certificate_dimension(key: str) -> str | None:
    """ "subject" or "issuer" for keys whose value the certificate decides, else None.

    ``aws:RequestTag/x509...`` (unverified in trust policies, FINDINGS 3.1) mirrors the
    certificate when present, so it counts with the principal tags.
    """
    category = key_category(key)
    if category in SUBJECT_CATEGORIES:
        return "subject"
    if category == "issuer":
        return "issuer"
    if category == "request_tag":
        tail = key.lower()[len("aws:requesttag/") :]
        if tail.startswith(("x509subject/", "x509san/")):
            return "subject"
        if tail.startswith("x509issuer/"):
            return "issuer"
    return None


def canonical_subject_key(key: str) -> str:
    """``aws:PrincipalTag/x509Subject/CN`` -> ``x509subject/cn``; other keys lower-cased."""
    key = key.lower()
    return key[len("aws:principaltag/") :] if key.startswith("aws:principaltag/") else key


# --- witness contexts --------------------------------------------------------------------------


class _Bound:
    """Candidate value "whatever the ${...} binding of this key resolves to"."""

    def __repr__(self) -> str:
        return "BOUND"


BOUND = _Bound()
Candidate = str | None | _Bound


def _witness(pattern: str) -> str:
    """A string a wildcard pattern matches but that the policy does not name."""
    return pattern.replace("*", "rafix").replace("?", "r")


def _clause_candidates(clause: Clause) -> Iterator[str]:
    base = clause.operator.base
    if base == "Null" or not clause.operator.known:
        return
    for value in clause.values:
        if clause.uses_variables and has_variables(value):
            continue
        if base == "IpAddress" or base == "NotIpAddress":
            yield value.split("/")[0]
        elif has_wildcard(value) and ("Like" in base or base.startswith("Arn")):
            yield _witness(value)
            if base.startswith("String"):
                yield value
        else:
            yield value


class _Search:
    """Witness-context search over the Roles Anywhere statements of one compiled policy."""

    #: Bounds that keep one analysis cheap on pathological documents.
    MAX_STATEMENT_COMBOS = 64
    MAX_CONTEXTS = 48

    def __init__(
        self,
        policy: CompiledPolicy,
        ra_allows: list[CompiledStatement],
        ra_denies: list[CompiledStatement],
    ) -> None:
        self.policy = policy
        self.allows = ra_allows
        self.has_denies = bool(ra_denies)
        relevant = [*ra_allows, *ra_denies]
        self.keys: dict[str, list[Candidate]] = {}
        self._by_key: dict[tuple[int, str], list[Clause]] = {}
        self._var_keys: set[str] = set()
        literals: dict[str, list[str]] = {}
        for statement in relevant:
            for clause in statement.clauses:
                self._by_key.setdefault((statement.index, clause.key), []).append(clause)
                bucket = literals.setdefault(clause.key, [])
                bucket.extend(v for v in _clause_candidates(clause) if v not in bucket)
                if clause.uses_variables:
                    self._var_keys.add(clause.key)
                    for ref in (k for v in clause.values for k in variable_keys(v)):
                        literals.setdefault(ref, [])
        self.fresh_anchor = _fresh_anchor(literals.get("aws:sourcearn", []))
        for key, values in literals.items():
            self.keys[key] = self._domain(key, values)
        self._accepted_cache: dict[tuple[int, str], list[Candidate]] = {}

    def _domain(self, key: str, values: list[str]) -> list[Candidate]:
        if key in _IP_KEYS:
            # The caller is the Roles Anywhere service, never the workload: no usable IP.
            return [None]
        if not request_may_carry(key):
            return [None]
        # Fresh first: a witness that names nothing also answers the "open" questions.
        domain: list[Candidate] = [BOUND] if key in self._var_keys else []
        domain.append(self.fresh(key))
        domain.extend(values)
        if key not in _ALWAYS_PRESENT:
            domain.append(None)
        return domain

    def fresh(self, key: str) -> str:
        if key == "aws:sourcearn":
            return self.fresh_anchor
        if key == "sts:sourceidentity":
            return "CN=" + _FRESH
        return _FRESH

    def restricted(self, dimension: str) -> dict[str, list[Candidate]]:
        """Candidates that name nothing the policy names, for one certificate dimension."""
        out: dict[str, list[Candidate]] = {}
        for key in self.keys:
            if dimension == "anchor" and key == "aws:sourcearn":
                out[key] = [self.fresh_anchor]
            elif dimension != "anchor" and _certificate_dimension(key) == dimension:
                out[key] = [self.fresh(key)] + ([] if key in _ALWAYS_PRESENT else [None])
        return out

    def find(
        self, actions: Sequence[str], restrict: Mapping[str, list[Candidate]] | None = None
    ) -> dict[str, ContextValue] | None:
        """A request context allowed every action in ``actions``, or None."""
        restrict = restrict or {}
        per_action = [[s for s in self.allows if s.covers_action(a)] for a in actions]
        if not all(per_action):
            return None
        seen: set[frozenset[int]] = set()
        for combo in itertools.islice(itertools.product(*per_action), self.MAX_STATEMENT_COMBOS):
            needed = {s.index: s for s in combo}
            if frozenset(needed) in seen:
                continue
            seen.add(frozenset(needed))
            candidates = self._candidates(list(needed.values()), restrict)
            if candidates is None:
                continue
            found = self._first_allowed(candidates, actions, list(needed.values()))
            if found is not None:
                return found
        return None

    def _candidates(
        self, statements: list[CompiledStatement], restrict: Mapping[str, list[Candidate]]
    ) -> dict[str, list[Candidate]] | None:
        out: dict[str, list[Candidate]] = {}
        for key in self.keys:
            kept = self._accepted(statements[0], key)
            for statement in statements[1:]:
                others = self._accepted(statement, key)
                kept = [v for v in kept if v in others]
            if key in restrict:
                kept = [v for v in kept if v in restrict[key]]
            if not kept:
                return None
            out[key] = kept
        return out

    def _accepted(self, statement: CompiledStatement, key: str) -> list[Candidate]:
        """The candidates of a key that a statement's clauses on it accept (cached).

        Clauses with ``${...}`` bindings are left to the whole-request evaluation.
        """
        cache_key = (statement.index, key)
        cached = self._accepted_cache.get(cache_key)
        if cached is not None:
            return cached
        clauses = [c for c in self._by_key.get(cache_key, ()) if not c.uses_variables]
        domain = self.keys[key]
        if clauses:
            domain = [
                v
                for v in domain
                if isinstance(v, _Bound)
                or all(c.matches({} if v is None else {key: v}) for c in clauses)
            ]
        self._accepted_cache[cache_key] = domain
        return domain

    def _first_allowed(
        self,
        candidates: dict[str, list[Candidate]],
        actions: Sequence[str],
        statements: list[CompiledStatement],
    ) -> dict[str, ContextValue] | None:
        keys_interact = self.has_denies or any(
            c.uses_variables for s in statements for c in s.clauses
        )
        for choice in itertools.islice(_one_at_a_time(candidates), self.MAX_CONTEXTS):
            context = self._materialize(choice)
            if not keys_interact:
                return context  # every clause is per-key and the filter passed them all
            if all(
                self.policy.evaluate(action=a, principal=RA_PRINCIPAL, context=context)
                is Decision.ALLOW
                for a in actions
            ):
                return context
        return None

    def _materialize(self, choice: Mapping[str, Candidate]) -> dict[str, ContextValue]:
        context: dict[str, ContextValue] = {k: v for k, v in choice.items() if isinstance(v, str)}
        for key, value in choice.items():
            if isinstance(value, _Bound):
                context[key] = self._bound_value(key, context)
        return context

    def _bound_value(self, key: str, context: Mapping[str, ContextValue]) -> str:
        for (_, clause_key), clauses in self._by_key.items():
            if clause_key != key:
                continue
            for clause in clauses:
                if clause.uses_variables and clause.operator.positive:
                    for value in clause.values:
                        segments = substitute(value, context)
                        if segments is not None:
                            return "".join(t if literal else _witness(t) for t, literal in segments)
        return _FRESH


def _one_at_a_time(candidates: Mapping[str, list[Candidate]]) -> Iterator[dict[str, Candidate]]:
    """The first candidate of every key, then each alternative of one key at a time, then
    every combination (the caller bounds how many it takes)."""
    base = {k: v[0] for k, v in candidates.items()}
    yield base
    for key, values in candidates.items():
        for value in values[1:]:
            yield {**base, key: value}
    keys = list(candidates)
    for combination in itertools.product(*(candidates[k] for k in keys)):
        yield dict(zip(keys, combination, strict=True))


def _fresh_anchor(named: Iterable[str]) -> str:
    """A trust-anchor ARN in the partition/region/account the policy names, with a new ID."""
    parts = list(_DEFAULT_ANCHOR_PARTS)
    for value in named:
        pieces = value.split(":")
        if len(pieces) >= 6 and pieces[2] == "rolesanywhere":
            for i in (1, 3, 4):
                if pieces[i] and not has_wildcard(pieces[i]) and not has_variables(pieces[i]):
                    parts[i] = pieces[i]
            break
    return ":".join(parts) + ":trust-anchor/00000000-0000-4000-8000-rafixunnamed"


# --- analysis ----------------------------------------------------------------------------------


def _covers_required(statement: CompiledStatement) -> bool:
    return any(statement.covers_action(a) for a in REQUIRED_ACTIONS)


def _use(statement: CompiledStatement, clause: Clause) -> ConditionUse:
    return ConditionUse(
        statement_index=statement.index,
        effect=statement.effect,
        operator=clause.operator.name,
        key=clause.key_as_written,
        values=clause.values,
        category=key_category(clause.key),
    )


def _pins(
    allows: list[CompiledStatement], denies: list[CompiledStatement], keep: Any
) -> Iterator[tuple[str, str]]:
    """(lower-case key, value) named by restricting clauses: positive operators in Allow
    statements, negated ones in Deny statements (a Deny-side pin fails closed)."""
    for statements, wanted in ((allows, True), (denies, False)):
        for statement in statements:
            for clause in statement.clauses:
                op = clause.operator
                if not op.known or op.base == "Null" or not keep(clause.key):
                    continue
                if op.positive if wanted else op.negated:
                    for value in clause.values:
                        if not (clause.uses_variables and has_variables(value)):
                            yield clause.key, value


_PRIMARY_SUBJECT_KEYS = (
    "x509subject/cn",
    "x509san/uri",
    "x509san/dns",
    "sts:sourceidentity",
    "x509san/name/cn",
)


def _identity(key: str, value: str) -> tuple[str, str]:
    """One workload identity; ``sts:SourceIdentity`` ``CN=x`` is the same workload as CN x."""
    if key == "sts:sourceidentity" and value.startswith("CN="):
        return "x509subject/cn", value[3:]
    return key, value


def _subject_identities(
    statements: Iterable[CompiledStatement], positive: bool
) -> set[tuple[str, str]]:
    """The workloads named by each statement's most specific subject key."""
    identities: set[tuple[str, str]] = set()
    for statement in statements:
        named: dict[str, list[str]] = {}
        for clause in statement.clauses:
            op = clause.operator
            if key_category(clause.key) not in SUBJECT_CATEGORIES or not op.known:
                continue
            if (op.positive if positive else op.negated) and op.base != "Null":
                named.setdefault(canonical_subject_key(clause.key), []).extend(
                    v for v in clause.values if not has_variables(v)
                )
        if not named:
            continue
        primary = next((k for k in _PRIMARY_SUBJECT_KEYS if k in named), min(named))
        identities.update(_identity(primary, v) for v in named[primary])
    return identities


def _principal_labels(statement: CompiledStatement) -> tuple[list[str], bool]:
    """Other-principal labels of an Allow statement and whether it is a wildcard principal."""
    if statement.principals is None:
        # Allow + NotPrincipal admits everyone not listed: a wildcard in effect.
        return [], statement.not_principals is not None
    labels, wildcard = [], False
    for kind, value in statement.principals:
        if kind == "*" or (kind.lower() == "aws" and value == "*"):
            wildcard = True
        elif not (kind.lower() == "service" and value.lower() == RA_SERVICE_PRINCIPAL):
            labels.append(f"{kind}:{value}")
    return labels, wildcard


def _requires_certificate_tags(statement: CompiledStatement) -> bool:
    """A positive clause on (or bound to) an ``aws:PrincipalTag/x509...`` key."""
    for clause in statement.clauses:
        if not clause.operator.positive:
            continue
        refs = [clause.key, *(k for v in clause.values for k in variable_keys(v))]
        if any(k.startswith("aws:principaltag/x509") for k in refs):
            return True
    return False


def _referenced_keys(
    allows: list[CompiledStatement], denies: list[CompiledStatement]
) -> dict[str, str]:
    """x509 principal-tag keys, and whether dropping each one closes or opens a path."""
    states: dict[str, set[str]] = {}
    for statement in [*allows, *denies]:
        for clause in statement.clauses:
            refs = [clause.key] + [
                k for v in clause.values if clause.uses_variables for k in variable_keys(v)
            ]
            for key in refs:
                if not key.startswith("aws:principaltag/x509"):
                    continue
                if key != clause.key:
                    state = "positive"
                else:
                    passes_absent = clause.matches({})
                    opens = passes_absent if statement.effect == "Allow" else not passes_absent
                    state = "fail-open" if opens else "positive"
                states.setdefault(key, set()).add(state)
    return {k: "both" if len(v) > 1 else next(iter(v)) for k, v in states.items()}


def _session_name_bound(policy: CompiledPolicy, allows: list[CompiledStatement]) -> bool:
    paths = [s for s in allows if s.covers_action("sts:AssumeRole")]
    if not paths or not policy.variables:
        return False
    return all(
        any(
            clause.key == "sts:rolesessionname"
            and clause.operator.positive
            and any(
                k.startswith("aws:principaltag/x509")
                for v in clause.values
                for k in variable_keys(v)
            )
            for clause in s.clauses
        )
        for s in paths
    )


#: Analyses by document shape. Accounts repeat trust policies: every Lambda role, and every
#: role of one Terraform module with only the pinned CN changing. The key is the document with
#: certificate-attribute literals replaced by placeholders (see :func:`_abstract`), so roles
#: that differ only in which CN/OU/issuer they pin share one search; the scan must stay close
#: to parse time on accounts of thousands of roles.
_CACHE: dict[str, TrustAnalysis] = {}
#: Final analyses by the ``repr`` of the document (JSON values only: equal reprs are equal
#: documents, key order included). Most roles of an account share their trust policy verbatim
#: (every Lambda role, every copy of one module), and a hit skips even the renaming.
_EXACT: dict[str, TrustAnalysis] = {}
_CACHE_LIMIT = 4096
#: Placeholders cannot occur in real policies (IAM refuses control characters).
_TOKEN = "\x00rafix{}\x00"
#: Operators under which a literal only ever meets other values through exact equality, so
#: renaming it consistently cannot change any verdict.
_ABSTRACTABLE_OPERATORS = frozenset(
    {
        "stringequals",
        "stringnotequals",
        "stringlike",
        "stringnotlike",
        # IfExists changes only what an absent key does, not how present values compare.
        "stringequalsifexists",
        "stringnotequalsifexists",
        "stringlikeifexists",
        "stringnotlikeifexists",
    }
)
#: Operators under which aws:SourceArn literals may be renamed (see _source_arns_renamable).
_SOURCE_ARN_OPERATORS = frozenset({"arnequals", "arnlike", "stringequals", "stringlike"})
_ABSTRACTABLE_PREFIXES = (
    "aws:principaltag/x509subject/",
    "aws:principaltag/x509issuer/",
    "aws:principaltag/x509san/",
)


def analyze_trust(document: dict[str, Any]) -> TrustAnalysis:
    """Analyse a parsed trust policy. Never raises on odd shapes: unknown parts are ignored.

    Documents that differ only in the certificate values they pin share one analysis; the
    caller gets it back with its own values and its own ``document``.
    """
    if not isinstance(document, dict):
        document = {}
    if plainly_not_ra(document):
        return _not_ra(document)  # cheaper than the exact-repeat lookup below
    try:
        exact = repr(document)
    except RecursionError:
        return _analyze(document)
    same = _EXACT.get(exact)
    if same is not None:
        return _rebind(same, document, {})
    analysis = _analyze_shape(document)
    if len(_EXACT) >= _CACHE_LIMIT:
        _EXACT.clear()
    _EXACT[exact] = analysis
    return analysis


def _analyze_shape(document: dict[str, Any]) -> TrustAnalysis:
    """The analysis of a document not seen before, shared with documents of its shape."""
    if plainly_not_ra(document):
        return _not_ra(document)
    abstract, names = _abstract(document)
    abstract, had_sids = _without_sids(abstract)
    try:
        text = json.dumps(abstract, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return _analyze(document)
    cached = _CACHE.get(text)
    if cached is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        cached = _CACHE[text] = _analyze(abstract)
    rebound = _rebind(cached, document, names)
    if had_sids:
        # Sids name statements and change no verdict: each document gets its own back, and
        # its own compiled policy (the shared one was compiled without them).
        rebound.__dict__["statement_sids"] = _statement_sids(document)
        rebound.__dict__["compiled"] = None
    return rebound


def _without_sids(document: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The document without its statements' Sids (and whether it had any)."""
    statement_value = document.get("Statement")
    items = statement_value if isinstance(statement_value, list) else [statement_value]
    if not any(isinstance(st, dict) and "Sid" in st for st in items):
        return document, False

    def strip(st: Any) -> Any:
        if isinstance(st, dict) and "Sid" in st:
            return {k: v for k, v in st.items() if k != "Sid"}
        return st

    stripped = [strip(st) for st in items]
    return {
        **document,
        "Statement": stripped if isinstance(statement_value, list) else stripped[0],
    }, True


def _statement_sids(document: dict[str, Any]) -> dict[int, str | None]:
    """Statement Sids by index, as :func:`remediations.evaluator.compile_policy` reads them."""
    statement_value = document.get("Statement")
    if statement_value is None:
        return {}
    items = statement_value if isinstance(statement_value, list) else [statement_value]
    return {
        index: sid if isinstance(sid := st.get("Sid"), str) else None
        for index, st in enumerate(items)
        if isinstance(st, dict)
    }


def plainly_not_ra(document: dict[str, Any]) -> bool:
    """True when no statement can concern Roles Anywhere: no RA or wildcard principal, no
    NotPrincipal, and no x509 condition (which would make it part of a certificate chain)."""
    statement_value = document.get("Statement")
    statement_list = statement_value if isinstance(statement_value, list) else [statement_value]
    for statement in statement_list:
        if not isinstance(statement, dict) or "NotPrincipal" in statement:
            return False
        principal = statement.get("Principal")
        if not isinstance(principal, dict):
            return False  # "*" or an odd shape: let the evaluator decide
        for value in principal.values():
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, str) or item == "*" or "rolesanywhere" in item.lower():
                    return False
        condition = statement.get("Condition")
        if condition is not None:
            if not isinstance(condition, dict):
                return False
            for block in condition.values():
                if not isinstance(block, dict):
                    return False
                if "x509" in json.dumps(block).lower():
                    return False
    return True


def _not_ra(document: dict[str, Any]) -> TrustAnalysis:
    """The analysis of a document :func:`plainly_not_ra` cleared, without a search: only
    the other principals and Sids vary (no x509 condition binds any of them)."""
    statement_value = document.get("Statement")
    statement_list = statement_value if isinstance(statement_value, list) else [statement_value]
    labels: dict[str, None] = {}
    sids: dict[int, str | None] = {}
    for index, statement in enumerate(statement_list):
        sid = statement.get("Sid")
        sids[index] = sid if isinstance(sid, str) else None
        if statement.get("Effect") != "Allow":
            continue
        for kind, value in statement["Principal"].items():
            for item in value if isinstance(value, list) else [value]:
                labels[f"{kind}:{item}"] = None
    analysis = object.__new__(TrustAnalysis)
    analysis.__dict__.update(_NOT_RA_TEMPLATE.__dict__)
    analysis.__dict__.update(document=document, other_principals=tuple(labels), statement_sids=sids)
    return analysis


def _abstract(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The document with certificate-attribute literals renamed to placeholders.

    Renaming is consistent (one placeholder per distinct literal), and only applies to plain
    literals (no wildcard, no ``${...}``) under exact-match string operators on x509 keys, in
    documents without policy variables. Returns the abstract document and placeholder ->
    literal; the document itself when nothing can be renamed.
    """
    statement_value = document.get("Statement")
    if not isinstance(statement_value, (list, dict)) or _renaming_unsafe(statement_value):
        return document, {}
    names: dict[str, str] = {}
    tokens: dict[str, str] = {}

    def token(value: str) -> str:
        found = tokens.get(value)
        if found is None:
            found = tokens[value] = _TOKEN.format(len(tokens))
            names[found] = value
        return found

    source_arns = _source_arns_renamable(statement_value)

    def renamable(operator: str, key: str) -> bool:
        if key == "aws:sourcearn":
            return source_arns and operator in _SOURCE_ARN_OPERATORS
        return operator in _ABSTRACTABLE_OPERATORS and key.startswith(_ABSTRACTABLE_PREFIXES)

    patterns, fixed = _key_relations(statement_value, renamable)

    def literal_renamable(key: str, value: Any) -> bool:
        return (
            isinstance(value, str)
            and not has_wildcard(value)
            and _RESERVED not in value
            and not any(wildcard_match(p, value) or _may_match_token(p) for p in patterns[key])
        )

    def rename(key: str, value: Any) -> Any:
        if key in fixed:
            return value
        if isinstance(value, list):
            return [token(v) if literal_renamable(key, v) else v for v in value]
        return token(value) if literal_renamable(key, value) else value

    def statement(stmt: Any) -> Any:
        if not isinstance(stmt, dict) or not isinstance(stmt.get("Condition"), dict):
            return stmt
        condition = {}
        for operator, block in stmt["Condition"].items():
            if isinstance(block, dict):
                op = str(operator).lower()
                block = {
                    key: rename(str(key).lower(), value)
                    if renamable(op, str(key).lower())
                    else value
                    for key, value in block.items()
                }
            condition[operator] = block
        return {**stmt, "Condition": condition}

    if isinstance(statement_value, list):
        abstract_statements: Any = [statement(s) for s in statement_value]
    else:
        abstract_statements = statement(statement_value)
    if not names:
        return document, {}
    return {**document, "Statement": abstract_statements}, names


#: Text the witness search builds its own values from: a literal holding it is never renamed.
_RESERVED = "rafix"
#: The characters of a placeholder (``_TOKEN``).
_TOKEN_CHARACTERS = frozenset("\x00rafix0123456789")


def _key_relations(
    statement_value: Any, renamable: Callable[[str, str], bool]
) -> tuple[dict[str, list[str]], set[str]]:
    """Per condition key (lower-case): its wildcard patterns, and the keys whose literals must
    keep their text because one of their clauses is not renamed (another operator compares
    them otherwise, e.g. ignoring case).

    A literal renamed to a placeholder must stand in the same relation to every pattern of its
    key as before (``StringEquals CN=prod-x`` beside ``StringLike CN=prod-*`` in a Deny): so
    a literal that one of them matches, or beside a pattern that could match a placeholder,
    keeps its text.
    """
    patterns: dict[str, list[str]] = defaultdict(list)
    fixed: set[str] = set()
    for stmt in statement_value if isinstance(statement_value, list) else [statement_value]:
        condition = stmt.get("Condition") if isinstance(stmt, dict) else None
        if not isinstance(condition, dict):
            continue
        for operator, block in condition.items():
            for key, value in block.items() if isinstance(block, dict) else ():
                lowered = str(key).lower()
                if not renamable(str(operator).lower(), lowered):
                    fixed.add(lowered)
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, str) and has_wildcard(item):
                        patterns[lowered].append(item)
    return patterns, fixed


def _may_match_token(pattern: str) -> bool:
    """Whether a wildcard pattern could match some placeholder (all its literal characters
    are ones a placeholder is made of)."""
    return set(pattern.replace("*", "").replace("?", "")) <= _TOKEN_CHARACTERS


def _source_arns_renamable(statement_value: Any) -> bool:
    """Whether the document's aws:SourceArn literals can be renamed like certificate values.

    Only when every aws:SourceArn value is a plain literal under an exact positive operator:
    the search then compares them with its candidates by equality alone. A pattern anywhere
    makes the fresh anchor (built from the partition, region and account the named ARNs
    spell) matter, and a negated or case-insensitive operator compares them otherwise.
    """
    for stmt in statement_value if isinstance(statement_value, list) else [statement_value]:
        condition = stmt.get("Condition") if isinstance(stmt, dict) else None
        if not isinstance(condition, dict):
            continue
        for operator, block in condition.items():
            for key, value in block.items() if isinstance(block, dict) else ():
                if str(key).lower() != "aws:sourcearn":
                    continue
                if str(operator).lower() not in _SOURCE_ARN_OPERATORS:
                    return False
                for item in value if isinstance(value, list) else [value]:
                    if not isinstance(item, str) or has_wildcard(item):
                        return False
    return True


def _renaming_unsafe(statement_value: Any) -> bool:
    """Whether literals may be related across keys, so renaming them could change a verdict:
    ``${...}`` bindings, and ``sts:SourceIdentity`` (``CN=x`` names the same workload as CN x)."""
    for stmt in statement_value if isinstance(statement_value, list) else [statement_value]:
        condition = stmt.get("Condition") if isinstance(stmt, dict) else None
        if not isinstance(condition, dict):
            continue
        for block in condition.values():
            if not isinstance(block, dict):
                return True  # odd shape: do not rename anything
            for key, value in block.items():
                if str(key).lower() == "sts:sourceidentity":
                    return True
                for item in value if isinstance(value, list) else [value]:
                    if not isinstance(item, str) or "${" in item:
                        return True
    return False


def _rebind(
    analysis: TrustAnalysis, document: dict[str, Any], names: dict[str, str]
) -> TrustAnalysis:
    """A copy of a (shared) analysis for one caller: its document, its literals."""
    if not names:  # the common case (a verbatim repeat): one dict copy
        copy = object.__new__(TrustAnalysis)
        copy.__dict__.update(analysis.__dict__)
        copy.__dict__["document"] = document
        return copy
    values: dict[str, Any] = dict(analysis.__dict__)
    values["document"] = document

    def real(value: str) -> str:
        return names.get(value, value)

    def uses(items: tuple[ConditionUse, ...]) -> tuple[ConditionUse, ...]:
        return tuple(
            ConditionUse(
                u.statement_index,
                u.effect,
                u.operator,
                u.key,
                tuple(real(v) for v in u.values),
                u.category,
            )
            if any(v in names for v in u.values)
            else u
            for u in items
        )

    values["pinned_subjects"] = {
        k: frozenset(real(v) for v in vs) for k, vs in analysis.pinned_subjects.items()
    }
    values["pinned_source_arns"] = frozenset(real(v) for v in analysis.pinned_source_arns)
    for name in (
        "conditions",
        "fail_open_conditions",
        "for_any_value_conditions",
        "ip_conditions",
    ):
        values[name] = uses(values[name])
    values["compiled"] = None  # compiled from the abstract document: recompile on demand
    rebound = object.__new__(TrustAnalysis)
    rebound.__dict__.update(values)
    return rebound


def _analyze(document: dict[str, Any]) -> TrustAnalysis:
    policy = compile_policy(document)
    ra = [
        s
        for s in policy.statements
        if s.effect and s.covers_principal(RA_PRINCIPAL) and _covers_required(s)
    ]
    allows = [s for s in ra if s.effect == "Allow"]
    denies = [s for s in ra if s.effect == "Deny"]
    search = _Search(policy, allows, denies) if allows else None

    def find(actions: Sequence[str], restrict: Mapping[str, list[Candidate]] | None) -> bool:
        return search is not None and search.find(actions, restrict) is not None

    # One search answers all three actions at once in the common (usable) case.
    witness = None if search is None else search.find(REQUIRED_ACTIONS)
    usable = witness is not None
    allowed = (
        frozenset(REQUIRED_ACTIONS)
        if usable
        else frozenset(a for a in REQUIRED_ACTIONS if find([a], None))
    )

    def open_for(dimension: str) -> bool:
        if not usable or search is None:
            return False
        restrict = search.restricted(dimension)
        if witness is not None and all(witness.get(k) in v for k, v in restrict.items()):
            return True
        return not restrict or find(REQUIRED_ACTIONS, restrict)

    def open_actions(dimension: str, together: bool) -> frozenset[str]:
        if together or search is None:
            return allowed
        restrict = search.restricted(dimension)
        return frozenset(a for a in allowed if find([a], restrict))

    open_subject, open_anchor = open_for("subject"), open_for("anchor")

    conditions = tuple(_use(s, c) for s in ra for c in s.clauses if c.key)
    allow_uses = [
        (s, c, _use(s, c)) for s in allows for c in s.clauses if c.key and c.operator.known
    ]
    arn_pins = list(_pins(allows, denies, lambda k: k == "aws:sourcearn"))
    subject_pins = list(_pins(allows, denies, lambda k: key_category(k) in SUBJECT_CATEGORIES))
    pinned_subjects: dict[str, set[str]] = {}
    for key, value in subject_pins:
        if not has_wildcard(value):
            pinned_subjects.setdefault(canonical_subject_key(key), set()).add(value)
    identities = _subject_identities(allows, positive=True) or _subject_identities(
        denies, positive=False
    )

    needs_certificate: dict[str, bool] = {}
    wildcard_principal = False
    for statement in policy.statements:
        if statement.effect != "Allow":
            continue
        labels, wildcard = _principal_labels(statement)
        wildcard_principal = wildcard_principal or wildcard
        bound = _requires_certificate_tags(statement)
        for label in labels:
            needs_certificate[label] = needs_certificate.get(label, True) and bound
    other = [label for label, bound in needs_certificate.items() if not bound]
    certificate_bound = [label for label, bound in needs_certificate.items() if bound]

    return TrustAnalysis(
        trusts_ra=bool(allows),
        allowed_actions=allowed,
        usable=usable,
        ra_statement_indexes=tuple(s.index for s in allows),
        open_to_any_subject=open_subject,
        open_to_any_anchor=open_anchor,
        open_to_any_issuer=open_for("issuer"),
        pinned_source_arns=frozenset(v for _, v in arn_pins if not has_wildcard(v)),
        source_arn_wildcards=tuple(dict.fromkeys(v for _, v in arn_pins if has_wildcard(v))),
        pinned_subjects={k: frozenset(v) for k, v in pinned_subjects.items()},
        subject_wildcards=tuple(
            dict.fromkeys((canonical_subject_key(k), v) for k, v in subject_pins if has_wildcard(v))
        ),
        subject_count=len(identities),
        fail_open_conditions=tuple(u for _, c, u in allow_uses if c.matches({})),
        for_any_value_conditions=tuple(
            u
            for _, c, u in allow_uses
            if c.operator.set_op == "ForAnyValue" and u.category in CERTIFICATE_CATEGORIES
        ),
        ip_conditions=tuple(u for u in conditions if u.category == "ip"),
        other_principals=tuple(other),
        certificate_bound_principals=tuple(certificate_bound),
        wildcard_principal=wildcard_principal,
        legacy_version_with_variables=policy.version != VARIABLES_VERSION
        and any(has_variables(v) for s in policy.statements for c in s.clauses for v in c.values),
        referenced_keys=_referenced_keys(allows, denies),
        session_name_bound=_session_name_bound(policy, allows),
        conditions=conditions,
        anchor_open_actions=open_actions("anchor", open_anchor),
        subject_open_actions=open_actions("subject", open_subject),
        issuer_wildcards=tuple(
            dict.fromkeys(
                (canonical_subject_key(k), v)
                for k, v in _pins(allows, denies, lambda k: key_category(k) == "issuer")
                if has_wildcard(v)
            )
        ),
        document=document,
        statement_sids={s.index: s.sid for s in policy.statements},
        compiled=policy,
    )


_NOT_RA_TEMPLATE = _analyze({"Version": "2012-10-17", "Statement": []})
