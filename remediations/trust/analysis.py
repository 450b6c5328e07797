"""The analysis of one trust policy: which statements concern Roles Anywhere, what they pin,
and the evaluator's answers on witness contexts (open to any subject? any anchor?)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from remediations.iam.evaluator import (
    VARIABLES_VERSION,
    Clause,
    CompiledPolicy,
    CompiledStatement,
    compile_policy,
    has_variables,
    has_wildcard,
    variable_keys,
)
from remediations.model import RA_SERVICE_PRINCIPAL, REQUIRED_ACTIONS
from remediations.trust.facts import RA_PRINCIPAL, ConditionUse, TrustAnalysis
from remediations.trust.keys import (
    CERTIFICATE_CATEGORIES,
    SUBJECT_CATEGORIES,
    canonical_subject_key,
    key_category,
)
from remediations.trust.witness import Candidate, Search

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


def analyze_uncached(document: dict[str, Any]) -> TrustAnalysis:
    policy = compile_policy(document)
    ra = [
        s
        for s in policy.statements
        if s.effect and s.covers_principal(RA_PRINCIPAL) and _covers_required(s)
    ]
    allows = [s for s in ra if s.effect == "Allow"]
    denies = [s for s in ra if s.effect == "Deny"]
    search = Search(policy, allows, denies) if allows else None

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
