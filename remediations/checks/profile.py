"""Profile checks (FINDINGS section 4 B): session scoping, duration, listed roles, mappings.

Disabled profiles vend no sessions, so every check here skips them, except RA-PROFILE-ROLE-MISSING:
a dangling role ARN stays wired in and becomes live again when the profile is re-enabled.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import combinations, product
from math import prod
from typing import TYPE_CHECKING, Any

from remediations.catalog import spec
from remediations.checks import check
from remediations.findings import Finding, Severity
from remediations.iam.session_policies import SessionPolicyAnalysis, analyze_session_policies
from remediations.model import Profile, Role
from remediations.state import NEUTRAL_SESSION_POLICY

if TYPE_CHECKING:
    from remediations.checks.context import ScanContext
    from remediations.trust import TrustAnalysis

#: The API default when a profile has no durationSeconds.
DEFAULT_DURATION = 3600
_PRINCIPAL_TAG = "aws:principaltag/"


#: Fine-grained Roles Anywhere coverage keys; a bare "rolesanywhere" without any of them (a
#: hand-built or older inventory) stands for all of them.
_RA_PARTS = frozenset({"trust_anchors", "profiles", "crls", "subjects"})


def was_read(ctx: ScanContext, part: str) -> bool:
    """Whether the source read this part of the account (``iam``, ``profiles``, ``crls``...)."""
    coverage = ctx.inventory.coverage
    if part in coverage:
        return True
    coarse = "rolesanywhere" in coverage and not coverage & _RA_PARTS
    return coarse and part in _RA_PARTS


def _enabled(ctx: ScanContext) -> Iterator[Profile]:
    return (p for p in ctx.inventory.profiles.values() if p.enabled)


def _arn_account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def profiles_listing(ctx: ScanContext, role: Role) -> list[Profile]:
    """Profiles that list the role, by its ARN or by an ARN with another path and its name."""
    return ctx.profiles_listing(role)


def _listed_roles(ctx: ScanContext, profile: Profile) -> list[tuple[Role, TrustAnalysis]]:
    """Listed roles that exist and whose trust policy could be read (worked out once per
    profile: several checks ask)."""
    key = ("listed_roles", profile.arn)
    found: list[tuple[Role, TrustAnalysis]] | None = ctx.memo.get(key)
    if found is not None:
        return found
    found = ctx.memo[key] = []
    for arn in profile.role_arns:
        role = ctx.role_for_arn(arn)
        analysis = ctx.trust(role) if role is not None else None
        if role is not None and analysis is not None:
            found.append((role, analysis))
    return found


def _duration(profile: Profile) -> int:
    return DEFAULT_DURATION if profile.duration_seconds is None else profile.duration_seconds


def _finding(check_id: str, profile: Profile, detail: str, **kwargs: Any) -> Finding:
    return spec(check_id).finding(profile.arn, detail, region=profile.region, **kwargs)


# --- session scoping -------------------------------------------------------------------------


def session_analysis(ctx: ScanContext, profile: Profile) -> SessionPolicyAnalysis:
    # The probes name resources of the profile's partition and account, nothing else of it.
    parts = profile.arn.split(":")
    where = f"{parts[1]}:{parts[4]}" if len(parts) > 4 else ""
    key = (profile.session_policy_text, tuple(profile.managed_policy_arns), where)
    found = ctx.session_memo.get(key)
    if found is None:
        found = ctx.session_memo[key] = analyze_session_policies(
            profile.arn,
            profile.session_policy,
            profile.managed_policy_arns,
            ctx.inventory.policies,
            ctx.policy_memo,
            ctx.session_shapes,
        )
    return found


def _privilege_of_listed(ctx: ScanContext, profile: Profile) -> dict[str, bool | None]:
    """Privilege verdict per listed role ARN; None for roles not found or not decidable."""
    verdicts: dict[str, bool | None] = {}
    for arn in profile.role_arns:
        role = ctx.role_for_arn(arn)
        verdicts[arn] = None if role is None else ctx.privileged(role)
    return verdicts


@check(
    "RA-PROFILE-UNSCOPED-SESSION",
    "RA-PROFILE-PERMISSIVE-SESSION-POLICY",
    "RA-PROFILE-NO-GUARDRAIL-DENIES",
)
def session_scoping(ctx: ScanContext) -> Iterator[Finding]:
    for profile in _enabled(ctx):
        if profile.session_policy_error is not None:
            continue  # reported as RA-INPUT-MALFORMED-POLICY; nothing sound to say about it
        verdicts = _privilege_of_listed(ctx, profile)
        privileged = sorted(arn for arn, v in verdicts.items() if v)
        # rafix's rollback restores "no session policy" as the neutral Allow-all (the API
        # cannot clear one), so that document reads as absent: same finding as before.
        if (
            profile.session_policy in (None, NEUTRAL_SESSION_POLICY)
            and not profile.managed_policy_arns
        ):
            yield _unscoped(profile, privileged)
            continue
        analysis = session_analysis(ctx, profile)
        least = bool(verdicts) and all(v is False for v in verdicts.values())
        # Two catalog entries (F-PROF-02, F-PROF-03): each is reported when it holds.
        if analysis.dangerous_allowed:
            yield _permissive(profile, analysis, privileged, least)
        if analysis.keeps_allow and analysis.complete and analysis.missing_denies:
            yield _no_guardrails(profile, analysis)


def _unscoped(profile: Profile, privileged: list[str]) -> Finding:
    if profile.session_policy is None:
        detail = "The profile has neither a sessionPolicy nor managedPolicyArns."
    else:
        detail = (
            "The profile's only session policy is the neutral Allow-all that `rafix rollback` "
            "writes for a profile that had none: it limits nothing."
        )
    if privileged:
        detail += f" Listed privileged role(s): {', '.join(privileged)}."
    return _finding(
        "RA-PROFILE-UNSCOPED-SESSION",
        profile,
        detail,
        severity=Severity.HIGH if privileged else None,
        evidence={"role_arns": list(profile.role_arns), "privileged_role_arns": privileged},
    )


def _permissive(
    profile: Profile, analysis: SessionPolicyAnalysis, privileged: list[str], least: bool
) -> Finding:
    allowed = ", ".join(analysis.dangerous_allowed)
    detail = f"The session policies allow {allowed}."
    if least:
        detail += " Every listed role is least-privilege, so the roles still cap the session."
    return _finding(
        "RA-PROFILE-PERMISSIVE-SESSION-POLICY",
        profile,
        detail,
        severity=Severity.LOW if least else None,
        evidence={
            "allowed": list(analysis.dangerous_allowed),
            "grants_everything": analysis.grants_everything,
            "managed_policy_arns": list(profile.managed_policy_arns),
            "privileged_role_arns": privileged,
        },
    )


def _no_guardrails(profile: Profile, analysis: SessionPolicyAnalysis) -> Finding:
    missing = list(analysis.missing_denies)
    shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
    return _finding(
        "RA-PROFILE-NO-GUARDRAIL-DENIES",
        profile,
        f"The session policies do not deny {shown}.",
        evidence={"missing_denies": missing, "denies_iam": analysis.denies_iam},
    )


# --- duration --------------------------------------------------------------------------------


@check("RA-PROFILE-LONG-DURATION")
def long_duration(ctx: ScanContext) -> Iterator[Finding]:
    limit = ctx.settings.max_session_duration
    medium_above = ctx.settings.long_session_medium_above
    for profile in _enabled(ctx):
        duration = _duration(profile)
        if duration <= limit:
            continue
        yield _finding(
            "RA-PROFILE-LONG-DURATION",
            profile,
            f"durationSeconds is {duration} ({duration / 3600:g} h); the limit is {limit}.",
            severity=Severity.MEDIUM if duration > medium_above else None,
            evidence={"duration_seconds": duration, "threshold_seconds": limit},
        )


@check("RA-PROFILE-DURATION-EXCEEDS-ROLE-MAX")
def duration_exceeds_role_max(ctx: ScanContext) -> Iterator[Finding]:
    for profile in _enabled(ctx):
        duration = _duration(profile)
        too_short = {}
        for arn in profile.role_arns:
            role = ctx.role_for_arn(arn)
            limit = role.max_session_duration if role is not None else None
            if limit is not None and duration > limit:
                too_short[arn] = limit
        if too_short:
            listing = ", ".join(f"{arn} ({limit} s)" for arn, limit in sorted(too_short.items()))
            yield _finding(
                "RA-PROFILE-DURATION-EXCEEDS-ROLE-MAX",
                profile,
                f"durationSeconds {duration} is above the MaxSessionDuration of {listing}.",
                evidence={
                    "duration_seconds": duration,
                    "role_arns": sorted(too_short),
                    "max_session_durations": too_short,
                    "suggested_duration_seconds": min(too_short.values()),
                },
            )


# --- listed roles ----------------------------------------------------------------------------


@check("RA-PROFILE-ACCEPT-ROLE-SESSION-NAME-UNBOUND")
def accept_role_session_name(ctx: ScanContext) -> Iterator[Finding]:
    for profile in _enabled(ctx):
        if not profile.accept_role_session_name:
            continue
        unbound = sorted(
            role.arn
            for role, analysis in _listed_roles(ctx, profile)
            if analysis.trusts_ra and not analysis.session_name_bound
        )
        if unbound:
            yield _finding(
                "RA-PROFILE-ACCEPT-ROLE-SESSION-NAME-UNBOUND",
                profile,
                "acceptRoleSessionName is true and the trust of "
                f"{', '.join(unbound)} does not bind sts:RoleSessionName to the certificate.",
                evidence={"role_arns": unbound},
            )


@check("RA-PROFILE-ROLE-NOT-RA-TRUSTED", "RA-PROFILE-ROLE-MISSING")
def listed_roles(ctx: ScanContext) -> Iterator[Finding]:
    iam_read = was_read(ctx, "iam")
    for profile in ctx.inventory.profiles.values():
        account = _arn_account(profile.arn)
        missing, untrusted = [], []
        for arn in profile.role_arns:
            if _arn_account(arn) != account:
                continue  # cross-account role ARN: not evaluable from this account
            role = ctx.role_for_arn(arn)
            if role is None:
                if iam_read:
                    missing.append(arn)
                continue
            analysis = ctx.trust(role)
            if profile.enabled and analysis is not None and not analysis.usable:
                untrusted.append(arn)
        if missing:
            state = "" if profile.enabled else " (the profile is disabled)"
            yield _finding(
                "RA-PROFILE-ROLE-MISSING",
                profile,
                f"Listed role(s) {', '.join(missing)} do not exist{state}.",
                evidence={"role_arns": missing, "profile_enabled": profile.enabled},
            )
        if untrusted:
            yield _finding(
                "RA-PROFILE-ROLE-NOT-RA-TRUSTED",
                profile,
                f"The trust of {', '.join(untrusted)} does not let Roles Anywhere call "
                "sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity.",
                evidence={"role_arns": untrusted},
            )


def _distinct_subjects(a: TrustAnalysis, b: TrustAnalysis) -> bool:
    """No certificate passes both: some subject key pinned by both, with disjoint values."""
    if a.open_to_any_subject or b.open_to_any_subject or a.subject_wildcards or b.subject_wildcards:
        return False
    shared = set(a.pinned_subjects) & set(b.pinned_subjects)
    return any(not (a.pinned_subjects[k] & b.pinned_subjects[k]) for k in shared)


def _distinct_anchors(a: TrustAnalysis, b: TrustAnalysis) -> bool:
    """No trust anchor reaches both: each pins concrete anchors and they do not overlap."""
    pinned_only = not (a.open_to_any_anchor or b.open_to_any_anchor)
    no_wildcards = not (a.source_arn_wildcards or b.source_arn_wildcards)
    return pinned_only and no_wildcards and not (a.pinned_source_arns & b.pinned_source_arns)


def _share_a_certificate(a: TrustAnalysis, b: TrustAnalysis, anchors: list[str]) -> bool:
    """Whether some certificate can assume both roles. Subject patterns overlap only when they
    can match a common value (IAM wildcard intersection); the certificates tried are the
    values both policies name, each common match of their patterns, and fresh values (the
    witness search of the patch prover). Undecided (too many to try): they may overlap."""
    if not (a.subject_wildcards or b.subject_wildcards):
        return True  # concrete pins that are not disjoint: a shared value exists
    from remediations.iam.wildcard import common_match
    from remediations.trust import certificate_request_context
    from remediations.trust.witness import MAX_WITNESSES, certificate_builder, witness_dimensions

    common: dict[str, list[str]] = {}
    for key_a, pattern_a in a.subject_wildcards:
        for key_b, pattern_b in b.subject_wildcards:
            if key_a != key_b or "/" not in key_a or "${" in pattern_a + pattern_b:
                continue
            found = common_match(pattern_a, pattern_b)
            if found is True:
                return True
            if isinstance(found, str):
                common.setdefault(key_a, []).append(found)
    # The witnesses' values, worked out once (witness_space, then witnesses, did it twice).
    dims = witness_dimensions(a, b, common, anchors)
    if prod(len(values) for values in dims.values()) > MAX_WITNESSES:
        return True  # it would only sample them
    build = certificate_builder(list(dims))
    for cert in map(build, product(*dims.values())):
        request = certificate_request_context(cert)  # built once for both policies
        if a.admits_request(request) and b.admits_request(request):
            return True
    return False


@check("RA-PROFILE-ROLE-FANOUT-WITHOUT-BINDING")
def role_fanout(ctx: ScanContext) -> Iterator[Finding]:
    for profile in _enabled(ctx):
        usable = [(r, a) for r, a in _listed_roles(ctx, profile) if a.usable]
        if len(usable) < 2:
            continue
        anchors = list(ctx.inventory.trust_anchors)
        pairs = [
            (ra.arn, rb.arn)
            for (ra, a), (rb, b) in combinations(usable, 2)
            if not (_distinct_subjects(a, b) or _distinct_anchors(a, b))
            and _share_a_certificate(a, b, anchors)
        ]
        if pairs:
            arns = sorted({arn for pair in pairs for arn in pair})
            yield _finding(
                "RA-PROFILE-ROLE-FANOUT-WITHOUT-BINDING",
                profile,
                f"{len(arns)} listed roles accept the same certificates, so a certificate for one "
                f"can pick another with --role-arn: {', '.join(arns)}.",
                evidence={"role_arns": arns, "pairs": [list(p) for p in pairs]},
            )


# --- attribute mapping -----------------------------------------------------------------------

#: What a new profile maps (RA user guide p.43-44), used when attributeMappings is absent.
DEFAULT_MAPPING: dict[str, frozenset[str]] = {
    "x509subject": frozenset({"*"}),
    "x509issuer": frozenset({"*"}),
    "x509san": frozenset({"dns", "uri", "name/*"}),
}


def mapped_specifiers(mappings: Sequence[Mapping[str, Any]] | None) -> dict[str, frozenset[str]]:
    """certificateField (lower case) -> its specifiers (lower case; ``Name``/``Name/`` -> ``name/*``)."""
    if mappings is None:
        return DEFAULT_MAPPING
    out: dict[str, set[str]] = {}
    for mapping in mappings:
        if not isinstance(mapping, Mapping):
            continue
        field = str(mapping.get("certificateField", "")).lower()
        rules = mapping.get("mappingRules")
        specs = out.setdefault(field, set())
        for rule in rules if isinstance(rules, list) else []:
            if isinstance(rule, Mapping) and isinstance(rule.get("specifier"), str):
                specifier = rule["specifier"].strip().lower()
                specs.add("name/*" if specifier in ("name", "name/") else specifier)
    return {k: frozenset(v) for k, v in out.items()}


def key_is_mapped(key: str, mapped: Mapping[str, frozenset[str]]) -> bool | None:
    """Whether a canonical condition key reaches the request; None for non-certificate keys."""
    if not key.startswith(_PRINCIPAL_TAG):
        return None
    field, _, attribute = key[len(_PRINCIPAL_TAG) :].partition("/")
    if field not in DEFAULT_MAPPING or not attribute:
        return None
    specs = mapped.get(field, frozenset())
    if field in ("x509subject", "x509issuer"):
        return "*" in specs or attribute in specs
    if attribute in ("dns", "uri"):
        return attribute in specs  # "*" has no defined behaviour for DNS/URI
    if attribute.startswith("name/"):
        return bool(specs & {"*", "name/*", attribute})
    return attribute in specs


@check("RA-PROFILE-MAPPING-DROPS-CONDITIONED-ATTRIBUTE")
def mapping_drops_attribute(ctx: ScanContext) -> Iterator[Finding]:
    for profile in _enabled(ctx):
        mapped = mapped_specifiers(profile.attribute_mappings)
        dropped: dict[str, dict[str, str]] = {}
        for role, analysis in _listed_roles(ctx, profile):
            lost = {
                key: use
                for key, use in analysis.referenced_keys.items()
                if key_is_mapped(key, mapped) is False
            }
            if lost:
                dropped[role.arn] = dict(sorted(lost.items()))
        if dropped:
            yield _mapping_finding(profile, dropped)


def _mapping_finding(profile: Profile, dropped: dict[str, dict[str, str]]) -> Finding:
    keys = sorted({k for lost in dropped.values() for k in lost})
    bypass = sorted(
        {k for lost in dropped.values() for k, use in lost.items() if use != "positive"}
    )
    if bypass:
        effect = f"fail-open conditions on {', '.join(bypass)} now pass for any certificate"
    else:
        effect = "positive conditions on them always fail (the path is broken)"
    return _finding(
        "RA-PROFILE-MAPPING-DROPS-CONDITIONED-ATTRIBUTE",
        profile,
        f"The attribute mapping drops {', '.join(keys)}, which {', '.join(sorted(dropped))} "
        f"condition on: {effect}.",
        severity=None if bypass else Severity.LOW,
        evidence={
            "missing_keys": keys,
            "bypassed_keys": bypass,
            "role_keys": dropped,
            "default_mapping": profile.attribute_mappings is None,
        },
    )
