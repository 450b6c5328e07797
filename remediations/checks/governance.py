"""Governance checks (FINDINGS F-GOV-01): who can administer Roles Anywhere, and the hygiene of
its subjects and leftovers. Report only; pure functions over the inventory.

RA-GOV-ADMIN-SURFACE evaluates identity policies with the shared IAM building blocks
(:mod:`remediations.iam`): Action/NotAction, Resource, explicit Denies, permissions boundaries
and conditions. The request context is what the grant needs: ``iam:PassedToService`` is
``rolesanywhere.amazonaws.com`` for PassRole. Conditions on anything else (MFA, tags, source
IP) cannot be decided from the account's configuration, so such a grant counts, at low
severity.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from remediations.catalog import spec
from remediations.checks import check
from remediations.findings import Finding, Severity
from remediations.iam.doc_facts import ADMIN_WRITES, PASS_ROLE, DocFactsMemo, facts_of
from remediations.iam.grants import (
    ANCHOR_WRITES,
    PROFILE_WRITES,
    ActionGrants,
    Grant,
    GrantMap,
    evaluate_grant,
    statement_grant,
)
from remediations.iam.managed_policies import resolve_policy
from remediations.iam.permissions import Memo, compile_document
from remediations.iam.statements import Statement
from remediations.model import GLOBAL_REGION, JSON, Inventory, Role
from remediations.shortcuts import shortcuts_on

if TYPE_CHECKING:
    from remediations.checks.context import ScanContext

_RA_SERVICE = "rolesanywhere.amazonaws.com"
_PASS_CONTEXT = {"iam:passedtoservice": _RA_SERVICE}
_SERVICES = frozenset({"rolesanywhere", "iam"})


def _compiled(doc: JSON | None, memo: Memo) -> tuple[Statement, ...]:
    return () if doc is None else compile_document(doc, memo)


Principal = tuple[str, str, str, list[JSON], str | None]


def _principals(inventory: Inventory, facts: DocFactsMemo | None = None) -> Iterator[Principal]:
    """(ARN, name, kind, identity documents, boundary ARN) of each user, then each role, by
    ARN. With ``facts``: only those some Allow statement of whose documents, under any
    condition, covers a Roles Anywhere write and one covers iam:PassRole (told from the raw
    documents, each read once per scan): without both, no finding, whatever the rest says."""
    groups = {g.name: g for g in inventory.groups.values()}
    policies = inventory.policies

    def docs(inline: list[tuple[str, JSON | None]], attached: list[str]) -> list[JSON]:
        out = [d for _, d in inline if d is not None]
        if attached:
            out += [d for arn in attached if (d := resolve_policy(arn, policies))]
        return out

    def may_administer(documents: Iterable[JSON | None]) -> bool:
        assert facts is not None
        allows = 0
        for doc in documents:
            if doc is not None:
                found = facts.get(id(doc))
                allows |= (facts_of(doc, facts) if found is None else found).allows
        return bool(allows & ADMIN_WRITES) and bool(allows & PASS_ROLE)

    users: list[Principal] = []
    for user in inventory.users.values():
        documents = docs(user.inline_policies, user.attached_policy_arns)
        for name in user.groups:
            group = groups.get(name)
            if group is not None:
                documents += docs(group.inline_policies, group.attached_policy_arns)
        if facts is None or may_administer(documents):
            users.append((user.arn, user.name, "user", documents, user.permissions_boundary_arn))
    roles: list[Principal] = []
    for role in inventory.roles.values():
        if role.path.startswith("/aws-service-role/"):
            continue  # service-linked roles act for an AWS service, not for a person
        if facts is not None:
            # Told before any list is built: nearly every role of an account is left out here.
            allows = 0
            for _, doc in role.inline_policies:
                if doc is not None:
                    found = facts.get(id(doc))
                    allows |= (facts_of(doc, facts) if found is None else found).allows
            for arn in role.attached_policy_arns:
                known = policies.get(arn)
                doc = known.document if known is not None else None
                if doc is None:
                    doc = resolve_policy(arn, policies)
                if doc is not None:
                    found = facts.get(id(doc))
                    allows |= (facts_of(doc, facts) if found is None else found).allows
            if not (allows & ADMIN_WRITES and allows & PASS_ROLE):
                continue
        documents = docs(role.inline_policies, role.attached_policy_arns)
        roles.append((role.arn, role.name, "role", documents, role.permissions_boundary_arn))
    yield from sorted(users, key=itemgetter(0))
    yield from sorted(roles, key=itemgetter(0))


#: The actions RA-GOV-ADMIN-SURFACE asks about.
_ASKED = ADMIN_WRITES | PASS_ROLE


def _exposed_roles(ctx: ScanContext) -> list[Role]:
    """Roles trusting Roles Anywhere that a new trust anchor or any certificate gets into."""
    return [
        role
        for role, analysis in ctx.ra_roles
        if analysis.usable and (analysis.open_to_any_anchor or analysis.open_to_any_subject)
    ]


def _regions(ctx: ScanContext) -> list[str]:
    """The regions whose Roles Anywhere resources a write could create or change."""
    return sorted(
        {a.region for a in ctx.inventory.trust_anchors.values()}
        | {p.region for p in ctx.inventory.profiles.values()}
        | set(ctx.inventory.regions)
    ) or ["us-east-1"]


#: What a principal may do: {write action: grant}, the PassRole grant of each exposed role.
Access = tuple[dict[str, Grant], GrantMap]


def _write_probes(partition: str, account: str, regions: list[str]) -> list[tuple[str, list[str]]]:
    """Each Roles Anywhere write with the resources that stand for "any" of its kind."""
    bases = [f"arn:{partition}:rolesanywhere:{r}:{account}:" for r in regions]
    return [
        (
            action,
            [
                f"{b}{'trust-anchor' if 'TrustAnchor' in action else 'profile'}/rafix-probe"
                for b in bases
            ],
        )
        for action in (*ANCHOR_WRITES, *PROFILE_WRITES)
    ]


def plain_access(
    compiled: list[tuple[Statement, ...]],
    boundary: tuple[Statement, ...] | None,
    probes: list[tuple[str, list[str]]],
    exposed: list[str],
    own: str,
) -> Access:
    """The writes and passable roles of one principal (not its ``own`` role), one
    :func:`evaluate_grant` each."""
    writes: dict[str, Grant] = {}
    for action, resources in probes:
        grant = max(evaluate_grant(compiled, boundary, action, r, {}) for r in resources)
        if grant is not Grant.NO:
            writes[action] = grant
    passable: dict[int, Grant] = {}
    if writes:
        for index, role in enumerate(exposed):
            grant = evaluate_grant(compiled, boundary, "iam:PassRole", role, _PASS_CONTEXT)
            if grant is not Grant.NO and role != own:
                passable[index] = grant
    return writes, GrantMap(exposed, Grant.NO, passable)


def shared_access(
    compiled: list[tuple[Statement, ...]],
    boundary: tuple[Statement, ...] | None,
    probes: list[tuple[str, list[str]]],
    exposed: list[str],
    shapes: dict[Hashable, Access],
) -> Access:
    """:func:`plain_access` (with the principal's own role still in), with each action's
    covering statements picked out once, the exposed roles told apart only where a statement
    names them (:meth:`ActionGrants.over`), and shared between principals whose covering
    statements have one shape (``shapes``, for principals asking about the same ``probes``
    and ``exposed`` roles)."""
    nothing = GrantMap(exposed, Grant.NO, {})
    passing = ActionGrants.of(compiled, boundary, "iam:PassRole", _PASS_CONTEXT)
    if passing.never:
        return {}, nothing
    questions = [(a, ActionGrants.of(compiled, boundary, a, {})) for a, _ in probes]
    if all(q.never for _, q in questions):
        return {}, nothing
    key = (tuple(q.shape for _, q in questions), passing.shape)
    found = shapes.get(key)
    if found is not None:
        return found
    writes: dict[str, Grant] = {}
    for (action, question), (_, resources) in zip(questions, probes, strict=True):
        grant = max(question.grant(r) for r in resources)
        if grant is not Grant.NO:
            writes[action] = grant
    found = shapes[key] = (writes, passing.over(exposed) if writes else nothing)
    return found


def admin_surface_findings(ctx: ScanContext, *, plain: bool = False) -> Iterator[Finding]:
    """RA-GOV-ADMIN-SURFACE. ``plain``: evaluate every principal on its own, every question
    with :func:`evaluate_grant` (what the shared path must answer; for tests)."""
    exposed_by_account: dict[str, list[str]] = {}
    for role in _exposed_roles(ctx):
        exposed_by_account.setdefault(role.account_id, []).append(role.arn)
    if not exposed_by_account:
        return
    for roles in exposed_by_account.values():
        roles.sort()  # so every passable-roles dict is in ARN order (the order they are listed)
    regions = _regions(ctx)
    policies = ctx.inventory.policies
    memo = ctx.policy_memo
    shapes: dict[tuple[str, str], dict[Hashable, Access]] = {}
    write_probes: dict[tuple[str, str], list[tuple[str, list[str]]]] = {}
    facts = ctx.doc_facts
    for arn, name, kind, documents, boundary_arn in _principals(
        ctx.inventory, None if plain else facts
    ):
        if not plain:
            # A document without a statement on a Roles Anywhere write or PassRole bears on
            # no question asked here: it is not compiled (a role's own bucket policies).
            documents = [d for d in documents if facts_of(d, facts).touches(_ASKED)]
        compiled = [_compiled(d, memo) for d in documents]
        if not any(s.effect == "Allow" for doc in compiled for s in doc):
            continue
        boundary: tuple[Statement, ...] | None = None
        if boundary_arn:
            boundary = _compiled(resolve_policy(boundary_arn, policies), memo)
        parts = arn.split(":")
        partition = parts[1] if len(parts) > 1 and parts[1] else "aws"
        account = parts[4] if len(parts) > 4 else ""
        probes = write_probes.get((partition, account))
        if probes is None:
            probes = write_probes[partition, account] = _write_probes(partition, account, regions)
        exposed = exposed_by_account.get(account, [])
        if plain:
            writes, grants = plain_access(compiled, boundary, probes, exposed, arn)
        else:
            # Shared with the principals of this shape: the principal's own role is left out
            # where the grants are read (copying thousands of roles per principal grew with
            # the square of the account).
            writes, grants = shared_access(
                compiled, boundary, probes, exposed, shapes.setdefault((partition, account), {})
            )
        passable = _Passable(grants, arn)
        if writes and passable.count():
            resources = _passrole_resources(compiled)
            yield _finding(arn, name, kind, writes, passable, resources)


@check("RA-GOV-ADMIN-SURFACE")
def admin_surface(ctx: ScanContext) -> Iterator[Finding]:
    return admin_surface_findings(ctx, plain=not shortcuts_on())


_LABELS = {g: g.name.lower() for g in Grant}


#: Passable roles listed by name in a finding's evidence (the count is always complete): an
#: administrator of a large account may pass thousands of roles, and listing them all in each
#: such principal's finding made the report grow with the square of the account.
LISTED_ROLES = 100


def _passrole_resources(compiled: list[tuple[Statement, ...]]) -> list[str]:
    """The Resource patterns of the Allow statements that may pass a role to Roles Anywhere
    (``NotResource: ...`` for a NotResource), which say which roles are meant."""
    found: dict[str, None] = {}
    for doc in compiled:
        for stmt in doc:
            if (
                stmt.effect == "Allow"
                and stmt.covers_action("iam:PassRole")
                and statement_grant(stmt, _PASS_CONTEXT) is not Grant.NO
            ):
                prefix = "NotResource: " if stmt.resources.negated else ""
                found.update(dict.fromkeys(prefix + p for p in stmt.resources.patterns or ()))
    return sorted(found)


@dataclass(frozen=True, slots=True)
class _Passable:
    """The roles a principal may pass: ``grants`` (of the exposed roles, in ARN order, maybe
    shared with other principals) without the principal's ``own`` role. Each question costs
    the exceptions of the map, not the number of roles."""

    grants: GrantMap
    own: str

    def _own(self) -> Grant:
        roles = self.grants.resources
        index = bisect_left(roles, self.own)
        found = index < len(roles) and roles[index] == self.own
        return self.grants.grant(index) if found else Grant.NO

    def count(self) -> int:
        """How many roles it may pass."""
        grants = self.grants
        if grants.base is Grant.NO:
            total = sum(g is not Grant.NO for g in grants.exceptions.values())
        else:
            total = len(grants.resources) - sum(g is Grant.NO for g in grants.exceptions.values())
        return total - (self._own() is not Grant.NO)

    def first(self, count: int) -> dict[str, Grant]:
        """The first ``count`` of them (by ARN), with their grants."""
        grants = self.grants
        if grants.base is not Grant.NO and not grants.exceptions:  # every role, one grant
            others = (r for r in grants.resources if r != self.own)
            return dict.fromkeys(islice(others, count), grants.base)
        indexes: Iterable[int]
        if grants.base is Grant.NO:
            indexes = sorted(i for i, g in grants.exceptions.items() if g is not Grant.NO)
        else:
            indexes = (i for i in range(len(grants.resources)) if grants.grant(i) is not Grant.NO)
        roles = (i for i in indexes if grants.resources[i] != self.own)
        return {grants.resources[i]: grants.grant(i) for i in islice(roles, count)}

    def always(self) -> bool:
        """It may pass one of them whatever the request's conditions."""
        grants = self.grants
        own = self._own() is Grant.ALWAYS
        if grants.base is Grant.ALWAYS:
            others = sum(g is not Grant.ALWAYS for g in grants.exceptions.values())
            return len(grants.resources) - others - own > 0
        return sum(g is Grant.ALWAYS for g in grants.exceptions.values()) - own > 0


def _finding(
    arn: str,
    name: str,
    kind: str,
    writes: dict[str, Grant],
    passable: _Passable,
    passrole_resources: list[str],
) -> Finding:
    certain = any(g is Grant.ALWAYS for g in writes.values()) and passable.always()
    count = passable.count()
    listed = passable.first(LISTED_ROLES)
    roles = list(listed)
    shown = ", ".join(r.rsplit("/", 1)[-1] for r in roles[:5])
    if count > 5:
        shown += f" and {count - 5} more"
    detail = (
        f"{kind.capitalize()} {name} may call {', '.join(a.split(':')[1] for a in writes)} "
        f"and pass {count} unpinned Roles Anywhere role(s) to the service ({shown})"
    )
    if not certain:
        detail += "; only under conditions rafix cannot decide (MFA, tags, network)"
    return spec("RA-GOV-ADMIN-SURFACE").finding(
        arn,
        detail + ".",
        region=GLOBAL_REGION,
        severity=None if certain else Severity.LOW,
        resource=kind,
        evidence={
            "principal_type": kind,
            "write_actions": {a: _LABELS[g] for a, g in writes.items()},
            "passable_roles": {r: _LABELS[g] for r, g in listed.items()},
            "passable_count": count,
            "passable_truncated": count > LISTED_ROLES,
            "passrole_resources": passrole_resources,
        },
    )


# --- subjects and leftovers --------------------------------------------------------------------


def _dn(text: str) -> dict[str, str]:
    from remediations.access import parse_dn

    try:
        return parse_dn(text)
    except ValueError:
        return {}


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _known_issuers(ctx: ScanContext) -> set[str] | None:
    """CNs of the issuing CAs of every enabled trust anchor; None when one is unknown (an AWS
    Private CA's name is not in the account's Roles Anywhere data)."""
    from remediations.iam.x509 import issuing_ca_cns

    found: set[str] = set()
    for anchor in ctx.inventory.trust_anchors.values():
        if not anchor.enabled:
            continue
        cns = issuing_ca_cns(anchor.certificate_pem) if anchor.certificate_pem else []
        if not cns:
            return None
        found.update(cns)
    return found


def _pinned_cns(ctx: ScanContext) -> dict[str, list[str]]:
    """Subject CN -> roles whose trust pins it."""
    out: dict[str, list[str]] = {}
    for role, analysis in ctx.ra_roles:
        for cn in analysis.pinned_subjects.get("x509subject/cn", ()):
            out.setdefault(cn, []).append(role.arn)
    return out


@check("RA-GOV-SUBJECT-HYGIENE")
def subject_hygiene(ctx: ScanContext) -> Iterator[Finding]:
    settings = ctx.settings
    issuers = _known_issuers(ctx)
    pins = _pinned_cns(ctx)
    for subject in sorted(ctx.inventory.subjects.values(), key=lambda s: s.arn):
        reasons: list[str] = []
        evidence: dict[str, Any] = {"x509_subject": subject.x509_subject}
        names = _dn(subject.x509_subject)
        cn, ou = names.get("CN"), names.get("OU")
        if settings.cn_pattern and cn is not None and not re.fullmatch(settings.cn_pattern, cn):
            reasons.append(f"CN {cn!r} breaks the naming convention ({settings.cn_pattern})")
        if settings.ou_pattern and ou is not None and not re.fullmatch(settings.ou_pattern, ou):
            reasons.append(f"OU {ou!r} breaks the naming convention ({settings.ou_pattern})")
        credentials = [c for c in subject.raw.get("credentials") or [] if isinstance(c, dict)]
        if issuers is not None:
            foreign = sorted(
                {
                    str(c.get("issuer"))
                    for c in credentials
                    if c.get("issuer") and _dn(str(c["issuer"])).get("CN") not in issuers
                }
            )
            if foreign:
                reasons.append(f"issued by a CA that is not a trust anchor's: {'; '.join(foreign)}")
                evidence["unknown_issuers"] = foreign
        attempts = credentials + [
            p for p in subject.raw.get("instanceProperties") or [] if isinstance(p, dict)
        ]
        failed = sum(1 for a in attempts if a.get("failed") is True)
        if failed >= settings.subject_failed_threshold:
            reasons.append(f"{failed} failed authentications")
            evidence["failed"] = failed
        seen = _when(subject.last_seen_at)
        pinned_by = pins.get(cn or "", [])
        if seen is not None and pinned_by:
            days = (settings.now - seen).days
            if days > settings.subject_stale_days:
                reasons.append(
                    f"not seen for {days} days while {len(pinned_by)} role(s) still pin its CN"
                )
                evidence["stale_pins"] = sorted(pinned_by)
        if reasons:
            yield spec("RA-GOV-SUBJECT-HYGIENE").finding(
                subject.arn,
                f"Subject {subject.x509_subject or subject.subject_id}: {'; '.join(reasons)}.",
                region=subject.region,
                evidence=evidence,
            )
    for anchor in sorted(ctx.inventory.trust_anchors.values(), key=lambda a: a.arn):
        if not anchor.enabled:
            yield spec("RA-GOV-SUBJECT-HYGIENE").finding(
                anchor.arn,
                f"Trust anchor {anchor.name} is disabled and left behind: delete it if nobody "
                "needs it (enabling it again would silently restore its CA's access).",
                region=anchor.region,
                severity=Severity.INFO,
                resource="trust-anchor",
            )
    for profile in sorted(ctx.inventory.profiles.values(), key=lambda p: p.arn):
        if not profile.enabled:
            yield spec("RA-GOV-SUBJECT-HYGIENE").finding(
                profile.arn,
                f"Profile {profile.name} is disabled and left behind: delete it if nobody "
                "needs it (enabling it again would restore its roles' access).",
                region=profile.region,
                severity=Severity.INFO,
                resource="profile",
            )
