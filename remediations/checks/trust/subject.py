"""RA-TRUST-* checks of the workload's subject: no pin, wildcards, several workloads, naming."""

from __future__ import annotations

import re
from collections.abc import Iterator

from remediations.checks import check
from remediations.checks.context import ScanContext
from remediations.checks.trust.common import (
    SPIFFE_NAMESPACE,
    describe_uses,
    role_is_privileged,
    sorted_ints,
    sorted_values,
    statement_list,
    trust_finding,
    unpinned_statements,
    uses_json,
)
from remediations.findings import Finding, Severity
from remediations.iam.evaluator import wildcard_match
from remediations.settings import MAX_SOURCE_IDENTITY_CN, STS_TAG_CHARSET
from remediations.trust import SUBJECT_CATEGORIES

# --- subject -----------------------------------------------------------------------------------


@check("RA-TRUST-NO-SUBJECT-CONDITION")
def no_subject_condition(ctx: ScanContext) -> Iterator[Finding]:
    for role, analysis in ctx.ra_roles:
        if not (analysis.usable and analysis.open_to_any_subject):
            continue
        privileged = role_is_privileged(ctx, role)
        issuer_pinned = not analysis.open_to_any_issuer
        unpinned = unpinned_statements(analysis, lambda u: u.category in SUBJECT_CATEGORIES)
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
        where = statement_list(analysis, unpinned or analysis.ra_statement_indexes)
        yield trust_finding(
            "RA-TRUST-NO-SUBJECT-CONDITION",
            role,
            f"A certificate with a subject, SAN and source identity the policy never names is "
            f"allowed all three actions: no subject pin (CN, OU, SAN or sts:SourceIdentity) "
            f"in {where}.{note}",
            severity=severity,
            evidence={
                "statement_indexes": unpinned or list(analysis.ra_statement_indexes),
                "actions": sorted_values(analysis.subject_open_actions),
                "issuer_pinned": issuer_pinned,
                "privileged": privileged,
                "session_name_bound": analysis.session_name_bound,
            },
        )


def _spiffe_namespace(pattern: str) -> bool:
    return SPIFFE_NAMESPACE.match(pattern) is not None


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
        yield trust_finding(
            "RA-TRUST-SUBJECT-WILDCARD",
            role,
            f"Subject pattern {shown} admits subjects the policy does not name{note}: "
            f"{describe_uses(analysis, uses)}.",
            severity=Severity.MEDIUM if scoped else None,
            evidence={
                "statement_indexes": sorted_ints(u.statement_index for u in uses),
                "keys": sorted_values(u.key for u in uses),
                "values": patterns,
                "spiffe_namespace": scoped,
                # How many subjects seen by Roles Anywhere each CN pattern matches (None: the
                # subjects were not read).
                "matching_subjects_seen": {
                    p: _matching_seen(p, seen)
                    for k, p in analysis.subject_wildcards
                    if k.endswith("/cn")
                },
                "conditions": uses_json(uses),
            },
        )


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
        yield trust_finding(
            "RA-TRUST-MULTIPLE-SUBJECTS",
            role,
            f"The trust admits {analysis.subject_count} distinct subjects ({listed}).{hint}",
            evidence={
                "possible_rotation_aliases": aliases,
                "subject_count": analysis.subject_count,
                "subjects": subjects,
                "statement_indexes": sorted_ints(u.statement_index for u in uses),
                "keys": sorted_values(u.key for u in uses),
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
            yield trust_finding(
                "RA-TRUST-SUBJECT-NAMING",
                role,
                "; ".join(problems) + ".",
                evidence={
                    "problems": problems,
                    "values": {k: sorted(v) for k, v in named.items() if v},
                },
            )
