"""Trust-anchor and CRL checks (FINDINGS section 4 C): revocation, expiry, notifications,
unapproved CAs and blast radius.

Profiles do not name trust anchors, so an anchor is "in use" when it is enabled and some
enabled profile of its region lists a role whose trust admits that anchor (by pin, by wildcard,
or because the trust pins no anchor at all). Disabled anchors vend no sessions and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from heapq import merge
from itertools import islice
from typing import TYPE_CHECKING, Any

from remediations.catalog import spec
from remediations.checks import check
from remediations.checks.profile import was_read
from remediations.findings import Finding, Severity
from remediations.iam.permissions import resource_matches
from remediations.iam.x509 import (
    BundleResult,
    CertificateInfo,
    days_until,
    parse_certificate_bundle,
    parse_crl,
)
from remediations.iam.x509 import to_json as cert_json
from remediations.model import Role, TrustAnchor
from remediations.shortcuts import shortcuts_on

if TYPE_CHECKING:
    from remediations.checks.context import ScanContext
    from remediations.trust import TrustAnalysis

PCA = "AWS_ACM_PCA"
#: Events whose notifications RA-TA-NOTIFICATIONS-DISABLED looks at.
EXPIRY_EVENTS = ("CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY")
#: Signature hashes Roles Anywhere refuses (it requires SHA-256 or stronger).
WEAK_HASHES = frozenset({"md5", "sha1"})
MIN_RSA_BITS = 2048


def _enabled_anchors(ctx: ScanContext) -> Iterator[TrustAnchor]:
    return (a for a in ctx.inventory.trust_anchors.values() if a.enabled)


def _finding(check_id: str, anchor: TrustAnchor, detail: str, **kwargs: Any) -> Finding:
    return spec(check_id).finding(anchor.arn, detail, region=anchor.region, **kwargs)


def admits_anchor(analysis: TrustAnalysis, anchor_arn: str) -> bool:
    """The trust lets Roles Anywhere in with a certificate of this anchor."""
    if not analysis.usable:
        return False
    if analysis.open_to_any_anchor or anchor_arn in analysis.pinned_source_arns:
        return True
    return any(resource_matches(p, anchor_arn) for p in analysis.source_arn_wildcards)


def accepting_roles(ctx: ScanContext, anchor: TrustAnchor) -> list[tuple[Role, TrustAnalysis]]:
    """Roles of the anchor's account whose trust admits the anchor, in ``ctx.ra_roles`` order."""
    key = ("accepting_roles", anchor.arn)
    found: list[tuple[Role, TrustAnalysis]] | None = ctx.memo.get(key)
    if found is None:
        index = _admission_index(ctx)
        account = anchor.arn.split(":")[4] if anchor.arn.count(":") >= 5 else ""
        positions = {*index.open.get(account, ()), *index.pinned.get((account, anchor.arn), ())}
        positions.update(
            i
            for i in index.wildcard.get(account, ())
            if admits_anchor(ctx.ra_roles[i][1], anchor.arn)
        )
        found = ctx.memo[key] = [ctx.ra_roles[i] for i in sorted(positions)]
    return found


@dataclass(frozen=True, slots=True)
class _AdmissionIndex:
    """Positions in ``ctx.ra_roles`` of usable trusts, by how they admit trust anchors."""

    #: account -> trusts open to any anchor of the account.
    open: dict[str, list[int]]
    #: (account, anchor ARN) -> trusts pinning that ARN literally.
    pinned: dict[tuple[str, str], list[int]]
    #: account -> trusts with aws:SourceArn patterns (matched per anchor).
    wildcard: dict[str, list[int]]


def _admission_index(ctx: ScanContext) -> _AdmissionIndex:
    """Built once per scan: each anchor then looks at the few roles that can admit it."""
    found: _AdmissionIndex | None = ctx.memo.get("admission_index")
    if found is not None:
        return found
    index = _AdmissionIndex({}, {}, {})
    for position, (role, analysis) in enumerate(ctx.ra_roles):
        if not analysis.usable:
            continue
        account = role.account_id
        if analysis.open_to_any_anchor:
            index.open.setdefault(account, []).append(position)
        for arn in analysis.pinned_source_arns:
            index.pinned.setdefault((account, arn), []).append(position)
        if analysis.source_arn_wildcards:
            index.wildcard.setdefault(account, []).append(position)
    ctx.memo["admission_index"] = index
    return index


def in_use(ctx: ScanContext, anchor: TrustAnchor) -> bool:
    """Enabled, and an enabled profile of its region lists a role that admits it."""
    if not anchor.enabled:
        return False
    for role, _analysis in accepting_roles(ctx, anchor):
        if any(
            p.enabled and p.region == anchor.region for p in ctx.profiles_of_role.get(role.arn, ())
        ):
            return True
    return False


def _bundle(anchor: TrustAnchor) -> BundleResult | None:
    return parse_certificate_bundle(anchor.certificate_pem) if anchor.certificate_pem else None


# --- revocation ------------------------------------------------------------------------------


@check("RA-TA-NO-REVOCATION")
def no_revocation(ctx: ScanContext) -> Iterator[Finding]:
    if not was_read(ctx, "crls"):
        return  # CRLs were not read: their absence proves nothing
    for anchor in _enabled_anchors(ctx):
        crls = ctx.crls_by_anchor.get(anchor.arn, [])
        if any(c.enabled for c in crls):
            continue
        used = in_use(ctx, anchor)
        high = used and anchor.source_type != PCA
        disabled = [c.arn for c in crls]
        detail = "No enabled CRL is imported for this trust anchor"
        detail += f" ({len(disabled)} disabled)." if disabled else "."
        if used:
            detail += " An enabled profile uses it."
        yield _finding(
            "RA-TA-NO-REVOCATION",
            anchor,
            detail,
            severity=Severity.HIGH if high else None,
            evidence={
                "source_type": anchor.source_type,
                "in_use": used,
                "disabled_crl_arns": disabled,
            },
        )


def _region_read(ctx: ScanContext, region: str) -> bool:
    """The region's trust anchors were read, so a CRL's missing anchor is really gone."""
    return was_read(ctx, "trust_anchors") and region in ctx.inventory.regions


@check("RA-CRL-DISABLED", "RA-CRL-STALE", "RA-CRL-ORPHANED")
def crl_state(ctx: ScanContext) -> Iterator[Finding]:
    now = ctx.settings.now
    for crl in ctx.inventory.crls.values():
        entry_region = crl.region
        gone = (
            bool(crl.trust_anchor_arn) and crl.trust_anchor_arn not in ctx.inventory.trust_anchors
        )
        if gone and _region_read(ctx, crl.region):
            yield spec("RA-CRL-ORPHANED").finding(
                crl.arn,
                f"Trust anchor {crl.trust_anchor_arn} no longer exists.",
                region=entry_region,
                evidence={"trust_anchor_arn": crl.trust_anchor_arn},
            )
            continue
        parsed = parse_crl(crl.crl_data) if crl.crl_data else None
        next_update = parsed.crl.next_update if parsed and parsed.crl else None
        stale = next_update is not None and days_until(next_update, now) < 0
        facts = {
            "trust_anchor_arn": crl.trust_anchor_arn,
            "next_update": next_update.isoformat() if next_update else None,
            "stale": stale,
        }
        if not crl.enabled:
            yield spec("RA-CRL-DISABLED").finding(
                crl.arn,
                "The CRL is disabled" + (" and its nextUpdate has passed." if stale else "."),
                region=entry_region,
                evidence=facts,
            )
        elif stale and next_update is not None:
            age = -days_until(next_update, now)
            yield spec("RA-CRL-STALE").finding(
                crl.arn,
                f"nextUpdate was {next_update.isoformat()} ({age:.0f} days ago).",
                region=entry_region,
                evidence={**facts, "days_past": round(age, 1)},
            )


# --- CA certificates -------------------------------------------------------------------------


@check("RA-TA-CA-EXPIRING")
def ca_expiring(ctx: ScanContext) -> Iterator[Finding]:
    settings = ctx.settings
    for anchor in _enabled_anchors(ctx):
        bundle = _bundle(anchor)
        if bundle is None or not bundle.certificates:
            continue  # a Private CA has no certificate here; bad PEM is not an expiry
        cert = min(bundle.certificates, key=lambda c: c.not_after)
        days = days_until(cert.not_after, settings.now)
        if days > settings.ca_expiry_medium_days:
            continue
        high = days <= settings.ca_expiry_high_days
        when = f"expired {-days:.0f} days ago" if days < 0 else f"expires in {days:.0f} days"
        yield _finding(
            "RA-TA-CA-EXPIRING",
            anchor,
            f"CA certificate {cert.subject_text} {when} ({cert.not_after.isoformat()}).",
            severity=Severity.HIGH if high else None,
            evidence={
                "not_after": cert.not_after.isoformat(),
                "days_left": round(days, 1),
                "expired": days < 0,
                "subject": cert.subject_text,
                "sha256_fingerprint": cert.sha256_fingerprint,
            },
        )


@check("RA-TA-NOTIFICATIONS-DISABLED")
def notifications(ctx: ScanContext) -> Iterator[Finding]:
    minimum = ctx.settings.min_notification_threshold_days
    for anchor in _enabled_anchors(ctx):
        problems = []
        for setting in anchor.notification_settings:
            if not isinstance(setting, Mapping):
                continue
            event = setting.get("event")
            if event not in EXPIRY_EVENTS:
                continue
            threshold = setting.get("threshold")
            if setting.get("enabled") is False:
                problems.append({"event": event, "enabled": False, "threshold": threshold})
            elif (
                isinstance(threshold, int)
                and not isinstance(threshold, bool)
                and threshold < minimum
            ):
                problems.append({"event": event, "enabled": True, "threshold": threshold})
        if problems:
            yield _finding(
                "RA-TA-NOTIFICATIONS-DISABLED",
                anchor,
                " ".join(_notification_problem(p, minimum) for p in problems),
                evidence={"settings": problems, "minimum_days": minimum},
            )


def _notification_problem(problem: dict[str, Any], minimum: int) -> str:
    if not problem["enabled"]:
        return f"{problem['event']} notifications are disabled."
    return f"{problem['event']} warns {problem['threshold']} days ahead; the minimum is {minimum}."


def _unapproved(
    certs: tuple[CertificateInfo, ...], approved: frozenset[str]
) -> list[CertificateInfo]:
    """Certificates neither approved nor issued by an approved certificate of the bundle."""
    approved_subjects = {c.subject for c in certs if c.sha256_fingerprint in approved}
    return [
        c
        for c in certs
        if c.sha256_fingerprint not in approved and c.issuer not in approved_subjects
    ]


@check("RA-TA-EXTERNAL-CA")
def external_ca(ctx: ScanContext) -> Iterator[Finding]:
    approved = ctx.settings.normalized_fingerprints()
    for anchor in _enabled_anchors(ctx):
        if anchor.source_type == PCA:
            continue
        bundle = _bundle(anchor)
        if bundle is not None and bundle.certificates:
            unapproved = _unapproved(bundle.certificates, approved)
            if not unapproved:
                continue
            what = ", ".join(
                f"{c.subject_text} (SHA-256 {c.sha256_fingerprint})" for c in unapproved
            )
            prints = [c.sha256_fingerprint for c in unapproved]
        else:
            reason = bundle.error if bundle is not None else "no certificate data was read"
            what, prints = f"a CA whose certificate could not be read ({reason})", []
        note = "" if approved else " No approved-CA list is configured."
        yield _finding(
            "RA-TA-EXTERNAL-CA",
            anchor,
            f"The {anchor.source_type or 'unknown'} trust anchor trusts {what}, which is not on "
            f"the approved-CA list.{note}",
            evidence={
                "source_type": anchor.source_type,
                "unapproved_fingerprints": prints,
                "allowlist_configured": bool(approved),
            },
        )


# --- blast radius ----------------------------------------------------------------------------


def _weaknesses(bundle: BundleResult | None) -> list[str]:
    if bundle is None:
        return []
    out = []
    if len(bundle.certificates) >= 2:
        out.append(f"bundle of {len(bundle.certificates)} CA certificates")
    for cert in bundle.certificates:
        if cert.key_type == "RSA" and cert.key_size is not None and cert.key_size < MIN_RSA_BITS:
            out.append(f"{cert.subject_text}: RSA {cert.key_size}-bit key")
        if cert.signature_hash in WEAK_HASHES:
            out.append(f"{cert.subject_text}: {cert.signature_hash.upper()} signature")
    return out


def _workloads(roles: list[tuple[Role, TrustAnalysis]]) -> int:
    """Workloads served: the subjects each role admits by name, plus one per open role."""
    total = 0
    for _role, analysis in roles:
        opened = analysis.open_to_any_subject or bool(analysis.subject_wildcards)
        total += max(analysis.subject_count + (1 if opened else 0), 1)
    return total


def _blast_detail(roles: int, unpinned: int, workloads: int, weak: list[str]) -> str:
    if roles:
        detail = f"{roles} role(s) accept this trust anchor"
        if unpinned:
            detail += f", {unpinned} of them because they pin no trust anchor"
        detail += f", serving about {workloads} workload(s)."
    else:
        detail = "No role accepts this trust anchor yet."
    if weak:
        detail += f" The CA is broad or weak: {'; '.join(weak)}."
    return detail


#: Roles listed by ARN in a finding's evidence (the counts are complete): in an account whose
#: roles pin no trust anchor, every anchor listed every role, a report of tens of megabytes.
LISTED_ROLES = 100


@dataclass(frozen=True, slots=True)
class _Accepting:
    """The roles that accept one trust anchor: how many, the first ARNs, the workloads."""

    count: int
    #: The first :data:`LISTED_ROLES` ARNs, sorted.
    arns: list[str]
    #: Of them, those that accept it because they pin no trust anchor.
    unpinned_count: int
    unpinned: list[str]
    workloads: int


def _accepting_plain(ctx: ScanContext, anchor: TrustAnchor) -> _Accepting:
    roles = accepting_roles(ctx, anchor)
    arns = sorted(r.arn for r, _a in roles)
    unpinned = sorted(r.arn for r, a in roles if a.open_to_any_anchor)
    return _Accepting(
        len(arns), arns[:LISTED_ROLES], len(unpinned), unpinned[:LISTED_ROLES], _workloads(roles)
    )


@dataclass(frozen=True, slots=True)
class _OpenRoles:
    """An account's usable trusts open to any of its anchors: every anchor's share in common."""

    positions: frozenset[int]
    arns: list[str]
    workloads: int


def _accepting_shared(ctx: ScanContext, anchor: TrustAnchor) -> _Accepting:
    """:func:`_accepting_plain`, with the roles open to every anchor of the account sorted and
    counted once per account (each anchor adds the few that pin it)."""
    index = _admission_index(ctx)
    account = anchor.arn.split(":")[4] if anchor.arn.count(":") >= 5 else ""
    group: _OpenRoles | None = ctx.memo.get(("open_roles", account))
    if group is None:
        opened = [ctx.ra_roles[i] for i in index.open.get(account, ())]
        group = ctx.memo[("open_roles", account)] = _OpenRoles(
            frozenset(index.open.get(account, ())),
            sorted(r.arn for r, _a in opened),
            _workloads(opened),
        )
    extra = {
        *index.pinned.get((account, anchor.arn), ()),
        *(
            i
            for i in index.wildcard.get(account, ())
            if admits_anchor(ctx.ra_roles[i][1], anchor.arn)
        ),
    } - group.positions
    roles = [ctx.ra_roles[i] for i in extra]
    arns = sorted(r.arn for r, _a in roles)
    # Every trust of the group is open to any anchor; the others may be too.
    unpinned = sorted(r.arn for r, a in roles if a.open_to_any_anchor)
    return _Accepting(
        len(group.arns) + len(arns),
        list(islice(merge(group.arns, arns), LISTED_ROLES)),
        len(group.arns) + len(unpinned),
        list(islice(merge(group.arns, unpinned), LISTED_ROLES)),
        group.workloads + _workloads(roles),
    )


@check("RA-TA-BLAST-RADIUS")
def blast_radius(ctx: ScanContext) -> Iterator[Finding]:
    accepting = _accepting_shared if shortcuts_on() else _accepting_plain
    for anchor in _enabled_anchors(ctx):
        found = accepting(ctx, anchor)
        weak = _weaknesses(_bundle(anchor))
        if not found.count and not weak:
            continue
        broad = found.count > 1 or found.workloads > 1
        detail = _blast_detail(found.count, found.unpinned_count, found.workloads, weak)
        yield _finding(
            "RA-TA-BLAST-RADIUS",
            anchor,
            detail,
            severity=None if broad or weak else Severity.INFO,
            evidence={
                "role_arns": found.arns,
                "role_count": found.count,
                "unpinned_role_arns": found.unpinned,
                "unpinned_count": found.unpinned_count,
                "roles_truncated": found.count > LISTED_ROLES,
                "workload_count": found.workloads,
                "ca_weaknesses": weak,
                "certificates": [cert_json(c) for c in _certs(anchor)],
            },
        )


def _certs(anchor: TrustAnchor) -> tuple[CertificateInfo, ...]:
    bundle = _bundle(anchor)
    return bundle.certificates if bundle is not None else ()
