"""RA-TRUST-* checks: what the trust analysis says about each role Roles Anywhere can reach.

Every verdict comes from :class:`~remediations.trust.TrustAnalysis` (evaluator-based), so the
false-positive pitfalls of FINDINGS 3.4 and 4.A are handled there: split statements, Deny-side
pins, ``sts:SourceIdentity`` and SPIFFE pins, the ``sts:RoleSessionName`` binding (not a pin),
case-insensitive keys. This module decides severities and writes the words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from remediations.catalog import spec
from remediations.checks import check
from remediations.context import ScanContext
from remediations.evaluator import parse_operator, wildcard_match
from remediations.findings import Finding, Severity
from remediations.model import GLOBAL_REGION, REQUIRED_ACTIONS, Role
from remediations.settings import MAX_SOURCE_IDENTITY_CN, STS_TAG_CHARSET
from remediations.trust import SUBJECT_CATEGORIES, ConditionUse, TrustAnalysis, absent_keys

#: Condition categories the certificate or trust anchor decides (FINDINGS F-TRUST-07).
_FAIL_OPEN_CATEGORIES = frozenset({"subject", "issuer", "san", "source_identity", "source_arn"})
#: ``spiffe://<trust domain>/.../`` followed by one trailing wildcard: namespace scoping.
_SPIFFE_NAMESPACE = re.compile(r"^spiffe://[^/*?]+(/[^/*?]+)+/\*$")


def _finding(
    check_id: str,
    role: Role,
    detail: str,
    *,
    severity: Severity | None = None,
    evidence: dict[str, Any] | None = None,
) -> Finding:
    return spec(check_id).finding(
        role.arn, detail, region=GLOBAL_REGION, severity=severity, evidence=evidence
    )


def _sorted(values: Iterable[str]) -> list[str]:
    return sorted(set(values))


def _statements(analysis: TrustAnalysis, indexes: Iterable[int]) -> str:
    return ", ".join(analysis.describe_statement(i) for i in sorted(set(indexes)))


def _is_positive(use: ConditionUse) -> bool:
    return parse_operator(use.operator).positive


def _pinning_statements(analysis: TrustAnalysis, keep: Callable[[ConditionUse], bool]) -> set[int]:
    """Allow statements for Roles Anywhere that have a positive condition ``keep`` accepts."""
    return {
        u.statement_index
        for u in analysis.conditions
        if u.effect == "Allow" and _is_positive(u) and keep(u)
    }


def _unpinned(analysis: TrustAnalysis, keep: Callable[[ConditionUse], bool]) -> list[int]:
    pinned = _pinning_statements(analysis, keep)
    return [i for i in analysis.ra_statement_indexes if i not in pinned]


def _uses_json(uses: Iterable[ConditionUse]) -> list[dict[str, Any]]:
    return [u.to_json() for u in uses]


def _describe_uses(analysis: TrustAnalysis, uses: Iterable[ConditionUse]) -> str:
    return "; ".join(
        f"{analysis.describe_statement(u.statement_index)}: {u.operator} {u.key} = "
        f"{', '.join(u.values) or '(no value)'}"
        for u in uses
    )


def _privileged(ctx: ScanContext, role: Role) -> bool | None:
    probe = getattr(ctx, "privileged", None)
    if probe is None:
        return None
    try:
        result = probe(role)
    except Exception:  # a privilege verdict must never stop the trust checks
        return None
    return result if isinstance(result, bool) else None


# --- subject -----------------------------------------------------------------------------------


@check("RA-TRUST-NO-SUBJECT-CONDITION")
def no_subject_condition(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if not (analysis.usable and analysis.open_to_any_subject):
            continue
        privileged = _privileged(ctx, role)
        issuer_pinned = not analysis.open_to_any_issuer
        unpinned = _unpinned(analysis, lambda u: u.category in SUBJECT_CATEGORIES)
        severity = None
        note = ""
        if privileged:
            severity = Severity.CRITICAL
            note = (
                " The role is privileged, so any certificate of the CA can take over the account."
            )
        elif issuer_pinned:
            severity = Severity.MEDIUM
            note = (
                " Only the issuer is pinned (AWS's minimal example): rated medium, as that is "
                "safe only while the issuing CA serves this one workload."
            )
        where = _statements(analysis, unpinned or analysis.ra_statement_indexes)
        yield _finding(
            "RA-TRUST-NO-SUBJECT-CONDITION",
            role,
            f"A certificate with a subject, SAN and source identity the policy never names is "
            f"allowed all three actions: no subject pin (CN, OU, SAN or sts:SourceIdentity) "
            f"in {where}.{note}",
            severity=severity,
            evidence={
                "statement_indexes": unpinned or list(analysis.ra_statement_indexes),
                "actions": _sorted(analysis.subject_open_actions),
                "issuer_pinned": issuer_pinned,
                "privileged": privileged,
                "session_name_bound": analysis.session_name_bound,
            },
        )


def _spiffe_namespace(pattern: str) -> bool:
    return _SPIFFE_NAMESPACE.match(pattern) is not None


def _seen_common_names(ctx: ScanContext) -> list[str] | None:
    """CNs of the subjects Roles Anywhere has seen (ListSubjects), when they were read."""
    if "subjects" not in ctx.inventory.coverage:
        return None
    names = []
    for subject in ctx.inventory.subjects.values():
        for part in re.split(r"(?<!\\),", subject.x509_subject):
            name, _, value = part.strip().partition("=")
            if name.strip().upper() == "CN":
                names.append(value.strip())
    return names


def _matching_seen(pattern: str, seen: list[str] | None) -> int | None:
    if seen is None:
        return None
    return sum(1 for cn in seen if wildcard_match(pattern, cn))


@check("RA-TRUST-SUBJECT-WILDCARD")
def subject_wildcard(ctx: ScanContext) -> Iterator[Finding]:
    seen = _seen_common_names(ctx)
    for role, analysis in ctx.ra_roles:
        if not analysis.subject_wildcards:
            continue
        patterns = [p for _, p in analysis.subject_wildcards]
        scoped = all(_spiffe_namespace(p) for p in patterns)
        uses = [
            u
            for u in analysis.conditions
            if u.category in SUBJECT_CATEGORIES and any(v in patterns for v in u.values)
        ]
        shown = ", ".join(f"{k} like {p!r}" for k, p in analysis.subject_wildcards)
        note = " (SPIFFE namespace scoping: may be intended)" if scoped else ""
        yield _finding(
            "RA-TRUST-SUBJECT-WILDCARD",
            role,
            f"Subject pattern {shown} admits subjects the policy does not name{note}: "
            f"{_describe_uses(analysis, uses)}.",
            severity=Severity.MEDIUM if scoped else None,
            evidence={
                "statement_indexes": _sorted_ints(u.statement_index for u in uses),
                "keys": _sorted(u.key for u in uses),
                "values": patterns,
                "spiffe_namespace": scoped,
                # How many subjects seen by Roles Anywhere each CN pattern matches (None: the
                # subjects were not read).
                "matching_subjects_seen": {
                    p: _matching_seen(p, seen)
                    for k, p in analysis.subject_wildcards
                    if k.endswith("/cn")
                },
                "conditions": _uses_json(uses),
            },
        )


def _sorted_ints(values: Iterable[int]) -> list[int]:
    return sorted(set(values))


@check("RA-TRUST-MULTIPLE-SUBJECTS")
def multiple_subjects(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if analysis.subject_count < 2:
            continue
        subjects = {k: sorted(v) for k, v in analysis.pinned_subjects.items() if v}
        listed = "; ".join(f"{k} in {', '.join(v)}" for k, v in sorted(subjects.items()))
        uses = [u for u in analysis.conditions if u.category in SUBJECT_CATEGORIES]
        aliases = _rotation_aliases([v for values in subjects.values() for v in values])
        hint = (
            f" {', '.join(' / '.join(g) for g in aliases)} look like one workload's rotated "
            "certificates: confirm them as an alias group."
            if aliases
            else ""
        )
        yield _finding(
            "RA-TRUST-MULTIPLE-SUBJECTS",
            role,
            f"The trust admits {analysis.subject_count} distinct subjects ({listed}).{hint}",
            evidence={
                "possible_rotation_aliases": aliases,
                "subject_count": analysis.subject_count,
                "subjects": subjects,
                "statement_indexes": _sorted_ints(u.statement_index for u in uses),
                "keys": _sorted(u.key for u in uses),
            },
        )


_ROTATION_SUFFIX = re.compile(r"[-_.]?v?\d+")


def _rotation_aliases(values: list[str]) -> list[list[str]]:
    """Groups like ``app-a`` / ``app-a-v2``: one value extends another with a version suffix."""
    named = set(values)
    rotated_of: dict[str, set[str]] = {}
    for value in named:
        # Every split of ``value`` into base + version suffix whose base is also named.
        for cut in range(1, len(value)):
            if value[:cut] in named and _ROTATION_SUFFIX.fullmatch(value, cut):
                rotated_of.setdefault(value[:cut], set()).add(value)
    return [[base, *sorted(rotated_of[base])] for base in sorted(rotated_of)]


def _naming_problems(
    key: str, value: str, pattern: str | None, compiled: re.Pattern[str] | None = None
) -> list[str]:
    """What is wrong with a pinned CN/OU; ``compiled`` is ``pattern`` compiled by the caller."""
    problems = []
    if not STS_TAG_CHARSET.match(value):
        problems.append(f"{key} {value!r} has characters outside the STS tag charset")
    if key == "CN" and len(value) > MAX_SOURCE_IDENTITY_CN:
        problems.append(
            f"CN {value!r} is {len(value)} characters (over {MAX_SOURCE_IDENTITY_CN}: the "
            "source identity is then no longer CN=...)"
        )
    if pattern:
        if compiled is None:
            compiled = _compile(pattern)
        # An invalid pattern passes: settings validated it on load; never fail a scan on it.
        if compiled is not None and compiled.fullmatch(value) is None:
            problems.append(f"{key} {value!r} does not match the naming convention {pattern!r}")
    return problems


def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


@check("RA-TRUST-SUBJECT-NAMING")
def subject_naming(ctx: ScanContext) -> Iterator[Finding]:
    patterns = {"CN": ctx.settings.cn_pattern, "OU": ctx.settings.ou_pattern}
    compiled = {k: _compile(p) if p else None for k, p in patterns.items()}
    for role, analysis in ctx.ra_roles:
        named = {
            "CN": set(analysis.pinned_subjects.get("x509subject/cn", ()))
            | {
                v[3:]
                for v in analysis.pinned_subjects.get("sts:sourceidentity", ())
                if v.startswith("CN=")
            },
            "OU": set(analysis.pinned_subjects.get("x509subject/ou", ())),
        }
        problems = [
            problem
            for key in ("CN", "OU")
            for value in sorted(named[key])
            for problem in _naming_problems(key, value, patterns[key], compiled[key])
        ]
        if problems:
            yield _finding(
                "RA-TRUST-SUBJECT-NAMING",
                role,
                "; ".join(problems) + ".",
                evidence={
                    "problems": problems,
                    "values": {k: sorted(v) for k, v in named.items() if v},
                },
            )


# --- trust anchor ------------------------------------------------------------------------------


def _is_source_arn(use: ConditionUse) -> bool:
    return use.category == "source_arn"


@check("RA-TRUST-NO-SOURCEARN")
def no_source_arn(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if not analysis.usable or not analysis.anchor_open_actions:
            continue
        unpinned = _unpinned(analysis, _is_source_arn)
        if not unpinned:
            continue  # every path names aws:SourceArn: only a wildcard can open it (F-TRUST-03)
        account_only = any(
            u.category == "source_account" and u.statement_index in unpinned
            for u in analysis.conditions
        )
        actions = _sorted(analysis.anchor_open_actions)
        if analysis.open_to_any_anchor:
            severity = None
            summary = (
                "A certificate from any trust anchor of the account is allowed all three actions"
            )
        else:
            severity = Severity.MEDIUM
            summary = (
                f"The {', '.join(actions)} path admits any trust anchor; another action's "
                "aws:SourceArn pin still closes CreateSession today (rated medium), but the "
                "path itself is unanchored"
            )
        extra = (
            " aws:SourceAccount does not distinguish trust anchors: every usable one is in "
            "this account."
            if account_only
            else ""
        )
        yield _finding(
            "RA-TRUST-NO-SOURCEARN",
            role,
            f"{summary}: no aws:SourceArn condition in {_statements(analysis, unpinned)}.{extra}",
            severity=severity,
            evidence={
                "statement_indexes": unpinned,
                "actions": actions,
                "open_to_any_anchor": analysis.open_to_any_anchor,
                "source_account_only": account_only,
                "pinned_source_arns": sorted(analysis.pinned_source_arns),
            },
        )


@check("RA-TRUST-SOURCEARN-WILDCARD")
def source_arn_wildcard(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if not analysis.source_arn_wildcards:
            continue
        uses = [
            u
            for u in analysis.conditions
            if _is_source_arn(u) and any(v in analysis.source_arn_wildcards for v in u.values)
        ]
        yield _finding(
            "RA-TRUST-SOURCEARN-WILDCARD",
            role,
            f"aws:SourceArn pattern {', '.join(analysis.source_arn_wildcards)} admits trust "
            f"anchors the policy does not name ({_describe_uses(analysis, uses)}).",
            evidence={
                "statement_indexes": _sorted_ints(u.statement_index for u in uses),
                "values": list(analysis.source_arn_wildcards),
                "pinned_source_arns": sorted(analysis.pinned_source_arns),
                "conditions": _uses_json(uses),
            },
        )


def _arn_region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


@check("RA-TRUST-SOURCEARN-STALE")
def source_arn_stale(ctx: ScanContext) -> Iterator[Finding]:
    inventory = ctx.inventory
    if "rolesanywhere" not in inventory.coverage:
        return
    regions = set(inventory.regions)
    existing = set(inventory.trust_anchors)
    for role, analysis in ctx.ra_roles:
        stale = sorted(
            arn
            for arn in analysis.pinned_source_arns
            if _arn_region(arn) in regions and arn not in existing
        )
        if not stale:
            continue
        only = set(stale) == set(analysis.pinned_source_arns)
        note = (
            " These are all the anchors it names, so the role cannot be used through Roles "
            "Anywhere; check RoleLastUsed before changing it."
            if only
            else ""
        )
        uses = [u for u in analysis.conditions if _is_source_arn(u) and set(u.values) & set(stale)]
        yield _finding(
            "RA-TRUST-SOURCEARN-STALE",
            role,
            f"aws:SourceArn names trust anchor(s) that do not exist: {', '.join(stale)}.{note}",
            evidence={
                "statement_indexes": _sorted_ints(u.statement_index for u in uses),
                "values": stale,
                "only_pins": only,
                "last_used": role.last_used,
            },
        )


# --- issuer ------------------------------------------------------------------------------------


def _anchors_name_the_issuer(ctx: ScanContext, analysis: TrustAnalysis) -> bool:
    """Every trust anchor the role pins (aws:SourceArn) is a bundle of CA certificates with
    path length 0: each certificate they accept was issued by one of those named CAs, so an
    issuer pattern cannot admit a CA the account did not name."""
    from remediations.x509 import parse_certificate_bundle

    if analysis.open_to_any_anchor or analysis.source_arn_wildcards:
        return False
    pinned = analysis.pinned_source_arns
    if not pinned:
        return False
    for arn in pinned:
        anchor = ctx.inventory.trust_anchors.get(arn)
        if anchor is None or not anchor.certificate_pem:
            return False
        bundle = parse_certificate_bundle(anchor.certificate_pem)
        if bundle.error or not bundle.certificates:
            return False
        if not all(c.is_ca and c.path_length == 0 for c in bundle.certificates):
            return False
    return True


@check("RA-TRUST-ISSUER-NOT-PINNED")
def issuer_not_pinned(ctx: ScanContext) -> Iterator[Finding]:
    single_anchor = len(ctx.inventory.trust_anchors) == 1
    for role, analysis in ctx.ra_roles:
        if not analysis.usable:
            continue
        if analysis.open_to_any_issuer:
            unpinned = _unpinned(analysis, lambda u: u.category == "issuer")
            detail = (
                "No path pins the issuing CA (no aws:PrincipalTag/x509Issuer condition in "
                f"{_statements(analysis, unpinned)}), so every CA under the trust anchor can "
                "issue certificates this role accepts."
            )
            severity = Severity.LOW if single_anchor else None
        elif analysis.issuer_wildcards and _anchors_name_the_issuer(ctx, analysis):
            continue
        elif analysis.issuer_wildcards:
            shown = ", ".join(f"{k} like {p!r}" for k, p in analysis.issuer_wildcards)
            unpinned = _sorted_ints(
                u.statement_index
                for u in analysis.conditions
                if u.category == "issuer"
                and set(u.values) & {p for _, p in analysis.issuer_wildcards}
            )
            detail = f"The issuer is pinned only by a pattern ({shown}), which admits CAs the policy does not name."
            severity = Severity.LOW
        else:
            continue
        if single_anchor and analysis.open_to_any_issuer:
            detail += " The account has a single trust anchor, so rated low."
        yield _finding(
            "RA-TRUST-ISSUER-NOT-PINNED",
            role,
            detail,
            severity=severity,
            evidence={
                "statement_indexes": unpinned,
                "issuer_wildcards": [list(w) for w in analysis.issuer_wildcards],
                "single_trust_anchor": single_anchor,
            },
        )


# --- operators and keys ------------------------------------------------------------------------


@check("RA-TRUST-FAIL-OPEN-OPERATOR")
def fail_open_operator(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        fail_open = [
            u for u in analysis.fail_open_conditions if u.category in _FAIL_OPEN_CATEGORIES
        ]
        uses = fail_open or list(analysis.for_any_value_conditions)
        if not uses:
            continue
        if fail_open:
            detail = (
                "Allow conditions pass when the key is absent (a profile's attribute mapping "
                f"can drop it): {_describe_uses(analysis, uses)}."
            )
            severity = None
        else:
            detail = (
                "ForAnyValue: on single-valued certificate keys (wrong, but fails closed): "
                f"{_describe_uses(analysis, uses)}."
            )
            severity = Severity.LOW
        yield _finding(
            "RA-TRUST-FAIL-OPEN-OPERATOR",
            role,
            detail,
            severity=severity,
            evidence={
                "statement_indexes": _sorted_ints(u.statement_index for u in uses),
                "keys": _sorted(u.key for u in uses),
                "operators": _sorted(u.operator for u in uses),
                "conditions": _uses_json(uses),
                "fails_closed": not fail_open,
            },
        )


@check("RA-TRUST-SOURCEIP-CONDITION")
def source_ip_condition(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        uses = list(analysis.ip_conditions)
        if not uses:
            continue
        breaks = [u for u in uses if u.effect == "Allow" and _is_positive(u)]
        effect = (
            "a positive IP condition on an Allow never matches, so the path is broken"
            if breaks
            else "the condition is meaningless for Roles Anywhere"
        )
        yield _finding(
            "RA-TRUST-SOURCEIP-CONDITION",
            role,
            f"IP conditions in the trust describe the Roles Anywhere service, not the "
            f"workload ({_describe_uses(analysis, uses)}): {effect}.",
            evidence={
                "statement_indexes": _sorted_ints(u.statement_index for u in uses),
                "keys": _sorted(u.key for u in uses),
                "conditions": _uses_json(uses),
                "breaks_path": bool(breaks),
            },
        )


@check("RA-TRUST-LEGACY-VERSION-WITH-VARIABLES")
def legacy_version(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if not analysis.legacy_version_with_variables:
            continue
        version = analysis.document.get("Version")
        uses = [u for u in analysis.conditions if any("${" in v for v in u.values)]
        shown = "no Version" if version is None else f"Version {version!r}"
        yield _finding(
            "RA-TRUST-LEGACY-VERSION-WITH-VARIABLES",
            role,
            f"The trust policy has {shown}, so ${{...}} is compared literally"
            + (f": {_describe_uses(analysis, uses)}." if uses else "."),
            evidence={
                "version": version,
                "statement_indexes": _sorted_ints(u.statement_index for u in uses),
                "keys": _sorted(u.key for u in uses),
            },
        )


# --- principals and actions --------------------------------------------------------------------


def _named_role(label: str) -> bool:
    if not label.lower().startswith("aws:"):
        return False
    arn = label[4:]
    return ":iam::" in arn and ":role/" in arn and "*" not in arn


@check("RA-TRUST-MIXED-PRINCIPALS")
def mixed_principals(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        others = list(analysis.other_principals)
        if not others:
            continue
        one_role = len(others) == 1 and _named_role(others[0])
        note = (
            " The other principal is one named role (e.g. break-glass): rated medium, but a "
            "dedicated Roles Anywhere role is still best practice."
            if one_role
            else ""
        )
        yield _finding(
            "RA-TRUST-MIXED-PRINCIPALS",
            role,
            f"Besides Roles Anywhere ({_statements(analysis, analysis.ra_statement_indexes)}), "
            f"the trust admits {', '.join(others)}.{note}",
            severity=Severity.MEDIUM if one_role else None,
            evidence={
                "statement_indexes": list(analysis.ra_statement_indexes),
                "other_principals": others,
                "certificate_bound_principals": list(analysis.certificate_bound_principals),
            },
        )


@check("RA-TRUST-WILDCARD-PRINCIPAL")
def wildcard_principal(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if not analysis.wildcard_principal:
            continue
        ra_state = (
            "the Roles Anywhere path is open to any subject"
            if analysis.open_to_any_subject
            else "its conditions do not open the Roles Anywhere path to any subject, but every "
            "other principal is judged only by them"
        )
        yield _finding(
            "RA-TRUST-WILDCARD-PRINCIPAL",
            role,
            f'An Allow statement has "Principal": "*" (or {{"AWS": "*"}} or NotPrincipal); '
            f"{ra_state}.",
            evidence={"statement_indexes": list(analysis.ra_statement_indexes)},
        )


@check("RA-TRUST-MISSING-REQUIRED-ACTION")
def missing_required_action(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if analysis.usable:
            continue
        missing = [a for a in REQUIRED_ACTIONS if a not in analysis.allowed_actions]
        if missing:
            detail = (
                f"No satisfiable path allows Roles Anywhere {', '.join(missing)}, so "
                "CreateSession fails for this role."
            )
        else:
            detail = (
                "Each required action is allowed, but under conditions no single certificate "
                "meets, so CreateSession fails for this role."
            )
        absent = absent_keys(analysis)
        if absent:
            detail += (
                f" Its conditions use {', '.join(absent)}, which a Roles Anywhere request never "
                "carries: a key or ${...} variable with no value matches no positive operator "
                "(IAM User Guide, policy variables with no value)."
            )
        yield _finding(
            "RA-TRUST-MISSING-REQUIRED-ACTION",
            role,
            detail,
            evidence={
                "missing_actions": missing,
                "allowed_actions": _sorted(analysis.allowed_actions),
                "statement_indexes": list(analysis.ra_statement_indexes),
            },
        )
