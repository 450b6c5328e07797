"""What an account looks like after a plan, and the plan-wide guarantees checked on it.

``inventory_after(inventory, proposals)`` is the account as the given changes leave it (pure:
a copy; the changes' target states put into roles and profiles, as the write path would).
``coherence_problems(proposals)`` names changes of one plan that work against each other.
``new_findings(inventory, proposals, settings)`` runs the scanner before and after and returns
what the changes would add. ``propose`` uses them so that a plain apply never adds a finding
(issue 9): a change that would, is withdrawn and said so.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import replace
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

from remediations.findings import Finding
from remediations.iam.session_policies import SessionShapes
from remediations.model import Inventory, Profile, Role
from remediations.plan import ProposedChange
from remediations.proposals.trees import copy_tree
from remediations.settings import Settings
from remediations.shortcuts import shortcuts_on
from remediations.workers import can_fork, in_background

if TYPE_CHECKING:
    from remediations.checks.context import ScanContext


def inventory_after(inventory: Inventory, changes: Iterable[ProposedChange]) -> Inventory:
    """A copy of the inventory with each change's ``after`` state in place."""
    after = copy.copy(inventory)
    after.roles = dict(inventory.roles)
    after.profiles = dict(inventory.profiles)
    after.trust_anchors = dict(inventory.trust_anchors)
    after.crls = dict(inventory.crls)
    for change in changes:
        state = change.after
        arn = change.resource_arn
        if change.resource_type == "role":
            role = after.roles.get(arn)
            if state is None:
                after.roles.pop(arn, None)
            elif role is not None:
                after.roles[arn] = replace(
                    role, trust_policy=state.get("trustPolicy"), trust_policy_error=None
                )
            elif "create" in state:
                spec = state["create"]
                after.roles[arn] = Role(
                    arn=arn,
                    name=arn.rsplit("/", 1)[-1],
                    path=spec.get("path", "/"),
                    trust_policy=state.get("trustPolicy"),
                    max_session_duration=spec.get("maxSessionDuration"),
                    inline_policies=list(spec.get("inlinePolicies", {}).items()),
                    attached_policy_arns=list(spec.get("managedPolicyArns", [])),
                    permissions_boundary_arn=spec.get("permissionsBoundary"),
                    tags=dict(spec.get("tags", {})),
                )
        elif change.resource_type == "profile" and state is not None:
            profile = after.profiles.get(arn)
            if profile is None:
                continue
            after.profiles[arn] = _profile_after(profile, state)
        elif change.resource_type == "trust-anchor" and state is not None:
            anchor = after.trust_anchors.get(arn)
            if anchor is not None:
                after.trust_anchors[arn] = replace(
                    anchor,
                    enabled=bool(state.get("enabled", anchor.enabled)),
                    notification_settings=copy_tree(
                        state.get("notificationSettings", anchor.notification_settings)
                    ),
                )
        elif change.resource_type == "crl" and state is not None:
            crl = after.crls.get(arn)
            if crl is not None:
                after.crls[arn] = replace(crl, enabled=bool(state.get("enabled", crl.enabled)))
    return after


def _profile_after(profile: Profile, state: dict[str, Any]) -> Profile:
    policy = state.get("sessionPolicy")
    return replace(
        profile,
        enabled=bool(state.get("enabled", profile.enabled)),
        role_arns=list(state.get("roleArns", profile.role_arns)),
        managed_policy_arns=list(state.get("managedPolicyArns", profile.managed_policy_arns)),
        session_policy=policy,
        session_policy_text=None if policy is None else json.dumps(policy),
        session_policy_error=None,
        duration_seconds=state.get("durationSeconds", profile.duration_seconds),
        accept_role_session_name=bool(
            state.get("acceptRoleSessionName", profile.accept_role_session_name)
        ),
        attribute_mappings=copy_tree(state.get("attributeMappings")),
    )


def new_findings(
    inventory: Inventory,
    changes: Iterable[ProposedChange],
    settings: Settings,
    before: Iterable[Finding] | None = None,
) -> list[Finding]:
    """Findings the scanner reports after the changes that it did not report before."""
    from remediations.checks.run import run_checks

    seen = {(f.id, f.resource_arn) for f in (before or run_checks(inventory, settings))}
    after = run_checks(inventory_after(inventory, changes), settings)
    return [f for f in after if (f.id, f.resource_arn) not in seen]


def coherence_problems(changes: Iterable[ProposedChange]) -> list[str]:
    """Changes of one phase that work against each other: two changes of one resource (one
    narrowing what the other widens), or a role whose trust is changed so that Roles Anywhere
    can still use it while the same phase removes it from a profile."""
    from remediations.trust import analyze_trust

    problems: list[str] = []
    by_phase: dict[int, list[ProposedChange]] = {}
    for change in changes:
        by_phase.setdefault(change.phase, []).append(change)
    for phase, group in sorted(by_phase.items()):
        seen: set[str] = set()
        for change in group:
            if change.resource_arn in seen:
                problems.append(f"phase {phase}: two changes of {change.resource_arn}")
            seen.add(change.resource_arn)
        repaired = {
            c.resource_arn
            for c in group
            if c.resource_type == "role"
            and isinstance((c.after or {}).get("trustPolicy"), dict)
            and analyze_trust((c.after or {})["trustPolicy"]).trusts_ra
        }
        for change in group:
            if change.resource_type != "profile" or change.before is None or change.after is None:
                continue
            removed = set(change.before.get("roleArns", [])) - set(change.after.get("roleArns", []))
            for arn in sorted(removed & repaired):
                problems.append(
                    f"phase {phase}: role {arn} is repaired and removed from profile "
                    f"{change.resource_arn} by the same plan"
                )
    return problems


def _neighbourhood(inventory: Inventory, changes: list[ProposedChange]) -> Inventory:
    """The part of the account the changes can bear on: the changed roles and profiles, the
    profiles that list those roles and the roles those profiles list, with every trust anchor,
    CRL, subject and managed policy (so each check sees what it sees on the whole account)."""
    roles = {c.resource_arn for c in changes if c.resource_type == "role"}
    profiles = {c.resource_arn for c in changes if c.resource_type == "profile"}
    profiles |= {arn for arn, p in inventory.profiles.items() if roles & set(p.role_arns)}
    for arn in profiles:
        profile = inventory.profiles.get(arn)
        if profile is not None:
            roles |= set(profile.role_arns)
    part = copy.copy(inventory)
    part.roles = {arn: r for arn, r in inventory.roles.items() if arn in roles}
    part.profiles = {arn: p for arn, p in inventory.profiles.items() if arn in profiles}
    return part


def _name_key(arn: str) -> tuple[str, str]:
    """A role ARN's account and name: a profile may list a role with another path."""
    parts = arn.split(":")
    return (parts[4] if len(parts) > 4 else "", arn.rsplit("/", 1)[-1])


class _Near:
    """For one change at a time, the part of ``part`` it can bear on: the rule of
    :func:`_neighbourhood` applied to that change alone (a profile's roles matched however
    it spells their ARNs, the roles a profile change lists before and after), in ``part``'s
    order, from indexes built once (not a pass over the whole part per change)."""

    def __init__(self, part: Inventory) -> None:
        self.part = part
        self.role_at = {arn: i for i, arn in enumerate(part.roles)}
        self.profile_at = {arn: i for i, arn in enumerate(part.profiles)}
        self.roles_named: dict[tuple[str, str], list[str]] = {}
        for arn in part.roles:
            self.roles_named.setdefault(_name_key(arn), []).append(arn)
        self.listing: dict[tuple[str, str], set[str]] = {}
        for arn, profile in part.profiles.items():
            for listed in profile.role_arns:
                self.listing.setdefault(_name_key(listed), set()).add(arn)

    def _listed(self, arns: Iterable[str]) -> set[str]:
        return {role for arn in arns for role in self.roles_named.get(_name_key(arn), ())}

    def around(self, change: ProposedChange) -> Inventory:
        roles: set[str] = set()
        profiles: set[str] = set()
        if change.resource_type == "role":
            roles.add(change.resource_arn)
            profiles |= self.listing.get(_name_key(change.resource_arn), set())
        elif change.resource_type == "profile":
            profiles.add(change.resource_arn)
            roles |= self._listed((change.after or {}).get("roleArns", ()))
        for arn in profiles:
            profile = self.part.profiles.get(arn)
            if profile is not None:
                roles |= self._listed(profile.role_arns)
        near = copy.copy(self.part)
        at_role, at_profile = self.role_at, self.profile_at
        near.roles = {
            a: self.part.roles[a] for a in sorted(roles & at_role.keys(), key=at_role.__getitem__)
        }
        near.profiles = {
            a: self.part.profiles[a]
            for a in sorted(profiles & at_profile.keys(), key=at_profile.__getitem__)
        }
        return near


#: Fewer phase-1 changes than this are judged alone in one process (a fork costs more).
PARALLEL_SUSPECTS = 1000


def phase_one_adds_findings(
    inventory: Inventory,
    settings: Settings,
    result: Any,
    session_shapes: SessionShapes | None = None,
) -> bool:
    """Whether :func:`withdraw_diverging` has anything to withdraw: the phase-1 changes
    together add a finding (the common answer, no, costs one re-check of their part)."""
    judged = _judge(inventory, settings, result, session_shapes)
    return judged is not None and bool(judged.added(judged.phase_one))


class _Judgement:
    """The phase-1 changes to judge (those the user did not opt into) and the part of the
    account they touch (after the opted-in ones), with what its scan reported before them."""

    def __init__(
        self,
        phase_one: list[ProposedChange],
        part: Inventory,
        settings: Settings,
        scanned: ScanContext,
    ) -> None:
        from remediations.checks.run import run_checks

        self.phase_one = phase_one
        self.part = part
        self.settings = settings
        self.scanned = scanned
        found = run_checks(part, settings, context=scanned)
        self.before = {(f.id, f.resource_arn) for f in found}

    def _added(self, inventory: Inventory) -> list[Finding]:
        from remediations.checks.context import ScanContext
        from remediations.checks.run import run_checks

        # The roles and profiles the changes leave as they were keep their analyses.
        context = ScanContext(inventory, self.settings, previous=self.scanned)
        after = run_checks(inventory, self.settings, context=context)
        return [f for f in after if (f.id, f.resource_arn) not in self.before]

    def added(self, changes: list[ProposedChange]) -> list[Finding]:
        """What the changes add on the part."""
        return self._added(inventory_after(self.part, changes))

    def suspects(self) -> list[ProposedChange]:
        """The changes that add a finding when each is judged alone on the piece of the part
        it can bear on (:class:`_Near`), against what the scan of the whole part reported.

        Under the locality the partial re-scan itself rests on (a change alters only the
        findings of its own neighbourhood, and those read nothing outside it), these are the
        changes that add a finding when judged alone on the whole part; the caller judges each
        suspect on the whole part again and proves the others together, so that what it
        withdraws never rests on the locality."""
        near = _Near(self.part)

        def suspected(changes: list[ProposedChange]) -> list[bool]:
            return [bool(self._added(inventory_after(near.around(c), [c]))) for c in changes]

        changes = self.phase_one
        if len(changes) < PARALLEL_SUSPECTS or not can_fork():
            verdicts = suspected(changes)
        else:  # every other change judged by a second process, on the other core
            what = f"{len(changes[1::2])} of {len(changes)} phase-1 changes judged alone"
            with in_background(lambda: suspected(changes[1::2]), what) as other:
                ours = suspected(changes[0::2])
                theirs = other.result()
            verdicts = [v for pair in zip_longest(ours, theirs) for v in pair if v is not None]
        return [c for c, suspect in zip(changes, verdicts, strict=True) if suspect]


def _judge(
    inventory: Inventory,
    settings: Settings,
    result: Any,
    session_shapes: SessionShapes | None,
) -> _Judgement | None:
    """What there is to judge; None when there is nothing."""
    from remediations.checks.context import ScanContext

    chosen = [c for c in result.changes if c.phase == 1 and c.resource_arn in result.opted_in]
    phase_one = [c for c in result.changes if c.phase == 1 and c not in chosen]
    if not phase_one:
        return None
    part = _neighbourhood(inventory, phase_one + chosen)
    # What the changes the user opted into add is accepted: the others are judged after them.
    part = inventory_after(part, chosen)
    scanned = ScanContext(part, settings)
    scanned.session_shapes.update(session_shapes or {})
    return _Judgement(phase_one, part, settings, scanned)


def _without(changes: list[ProposedChange], gone: list[ProposedChange]) -> list[ProposedChange]:
    out = {id(c) for c in gone}
    return [c for c in changes if id(c) not in out]


def withdraw_diverging(
    inventory: Inventory,
    settings: Settings,
    result: Any,
    session_shapes: SessionShapes | None = None,
) -> None:
    """Withdraw every phase-1 change after which the scan would report a finding it did not
    report before (a plain apply never adds a finding), with the reason in ``not_fixable``.

    The fixes are built not to do that; this is the proof, run on the part of the account the
    changes touch. A change that adds a finding on its own is withdrawn; when only their
    combination does (all of them, or those left once the others are withdrawn), all of them
    are. Judging every change alone on that whole part costs a
    re-scan of it per change (minutes for 10,000 roles), so each is judged first on the piece
    of the part it can bear on (:meth:`_Judgement.suspects`), the suspects then alone on the
    whole part, and the others together; when that proof fails, or inside ``plain_paths()``,
    every change is judged alone on the whole part. A split (phases 2-3) that builds on a
    withdrawn change is withdrawn too. ``session_shapes``: the session-policy analyses the
    proposals made (by shape, so valid for any document of that shape), which the re-check
    then reuses.
    """
    from remediations.plan import NotFixable

    judgement = _judge(inventory, settings, result, session_shapes)
    if judgement is None:
        return
    phase_one = judgement.phase_one
    judged: dict[frozenset[int], list[Finding]] = {}

    def added(changes: list[ProposedChange]) -> list[Finding]:
        """What the changes add on the whole part (worked out once for each set)."""
        key = frozenset(map(id, changes))
        if key not in judged:
            judged[key] = judgement.added(changes)
        return judged[key]

    def alone(change: ProposedChange) -> list[Finding]:
        return added([change])

    new = added(phase_one)
    if not new:
        return

    culprits: list[ProposedChange] | None = None
    together: list[Finding] = []  # what the fixes kept would still add together
    if shortcuts_on():
        culprits = [c for c in judgement.suspects() if alone(c)]
        if not culprits or added(_without(phase_one, culprits)):
            culprits = None  # not what the judgement near each change said: judge them all
    if culprits is None:
        culprits = [c for c in phase_one if alone(c)] or phase_one
        kept = _without(phase_one, culprits)
        together = added(kept) if kept else []
        if together:  # only their combination adds it: none of them is applied
            culprits = phase_one
    withdrawn = {c.resource_arn for c in culprits}
    for change in culprits:
        caused = alone(change) or together or new
        said = "; ".join(f"{f.id} on {f.resource_arn}" for f in caused[:3])
        for finding_id in change.finding_ids:
            result.not_fixable.append(
                NotFixable(
                    finding_id,
                    change.resource_arn,
                    f"Withdrawn: after this fix ({change.summary}) the scan would report "
                    f"{said}. Fix that first (or plan with other values), then plan again.",
                )
            )
    later = [c for c in result.changes if c.phase > 1 and c.resource_arn in withdrawn]
    if later:
        splits = [c for c in result.changes if c.phase > 1]
        for change in splits:
            for finding_id in change.finding_ids:
                result.not_fixable.append(
                    NotFixable(
                        finding_id,
                        change.resource_arn,
                        "Withdrawn: this split builds on a phase-1 fix that was withdrawn; "
                        "plan again once that is fixed.",
                    )
                )
        culprits += splits
    result.changes = [c for c in result.changes if c not in culprits]
