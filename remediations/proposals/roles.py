"""The fix of one role's trust policy: a minimal patch, or, for a role no certificate can use
today, a repair (only with ``--repair-broken``, saying who gains access)."""

from __future__ import annotations

import copy
from typing import Any

from remediations.errors import PolicyError
from remediations.findings import Finding
from remediations.model import REQUIRED_ACTIONS, Role
from remediations.proposals.job import _Job
from remediations.proposals.render import check_document
from remediations.proposals.results import FixRefused, InputNeeded
from remediations.proposals.trees import copy_tree
from remediations.proposals.trust_patches import TrustPatcher, patch_role
from remediations.trust import TrustAnalysis, absent_keys, analyze_trust

#: The findings whose fix repairs a role that no certificate can use (when the role is broken).
REPAIR_IDS = frozenset(
    {
        "RA-TRUST-LEGACY-VERSION-WITH-VARIABLES",
        "RA-TRUST-MISSING-REQUIRED-ACTION",
        "RA-TRUST-SOURCEIP-CONDITION",
        "RA-TRUST-SOURCEARN-STALE",
    }
)
REPAIR_FLAG = "--repair-broken"


def broken_reason(role: Role, inventory: Any, analysis: TrustAnalysis | None = None) -> str | None:
    """Why no certificate can use a role that trusts Roles Anywhere today, or None.

    Broken: the three required actions are never allowed together (a missing action, an
    ``aws:SourceIp`` pin that never matches, a legacy ``Version`` whose ``${...}`` stay
    literal), or every trust anchor it pins is gone. ``analysis``: the caller's
    ``analyze_trust(role.trust_policy)``, when it has it.
    """
    if role.trust_policy is None:
        return None
    if analysis is None:
        analysis = analyze_trust(role.trust_policy)
    if not analysis.trusts_ra:
        return None
    if not analysis.usable:
        why = []
        absent = absent_keys(analysis.conditions)
        if absent:
            why.append(
                f"its conditions use {', '.join(absent)}, which a Roles Anywhere request never "
                "carries: with no value, no positive condition on it matches"
            )
        missing = [a for a in REQUIRED_ACTIONS if a not in analysis.allowed_actions]
        if (
            missing
            and not absent
            and not analysis.ip_conditions
            and not analysis.legacy_version_with_variables
        ):
            why.append(f"it does not allow {', '.join(missing)}")
        if analysis.ip_conditions:
            why.append("an aws:SourceIp-style condition never matches (the caller is the service)")
        if analysis.legacy_version_with_variables:
            why.append("without Version 2012-10-17 its ${...} variables are literal text")
        return "; ".join(why) or "no request satisfies all three required actions"
    if "rolesanywhere" in inventory.coverage and not analysis.open_to_any_anchor:
        pinned = analysis.pinned_source_arns
        if pinned and not any(a in inventory.trust_anchors for a in pinned):
            return "every trust anchor it pins (aws:SourceArn) is deleted"
    return None


def propose_role(job: _Job) -> None:
    role = job.inventory.roles.get(job.arn)
    if role is None or role.trust_policy is None:
        job.refuse("The role's trust policy could not be read.")
        return
    # One analysis of the role's trust serves the broken test, the patches and their proofs.
    analysis = analyze_trust(role.trust_policy)
    broken = broken_reason(role, job.inventory, analysis)
    if broken is not None:
        propose_repair(job, role, broken)
        return
    outcome = patch_role(job, role, prove_each=False, analysis=analysis)
    if outcome.fixed and outcome.patcher.summary:
        try:
            outcome.patcher.prove(outcome.fixed)
        except (PolicyError, FixRefused):
            # Some fix is unsafe or does not fit: redo them one by one, keeping the safe ones.
            outcome = patch_role(job, role, prove_each=True, analysis=analysis)
    for exc, ids in outcome.needs:
        job.need(exc, ids)
    for reason, ids in outcome.refusals:
        job.refuse(reason, ids)
    if outcome.fixed and outcome.patcher.summary:
        after = outcome.patcher.document()
        job.emit(outcome.patcher.summary, {"trustPolicy": after}, outcome.fixed)


def propose_repair(job: _Job, role: Role, broken: str) -> None:
    """A broken role: repaired only with ``--repair-broken``, and the change says who gains
    access. The repair is proved against what the policy's author meant (the policy with the
    breaking parts repaired, nothing else), then the role's other findings are fixed on it."""
    patcher = TrustPatcher(job, role)
    patcher.repairing = True
    try:
        patcher.repair()
        repaired = copy_tree(patcher.document())
        check_document(repaired, "trust")
        if not analyze_trust(repaired).usable:
            raise FixRefused("what its author meant cannot be read from it; rewrite it by hand")
    except InputNeeded as exc:
        job.need(exc, job.ids)
        return
    except (FixRefused, PolicyError) as exc:
        job.refuse(f"Refused: the role is broken ({broken}) and cannot be repaired: {exc}.")
        return
    who = admitted_certificates(repaired, job.inventory)
    if not job.repair_broken:
        job.refuse(
            f"Not repaired: no certificate can use this role today ({broken}). Repairing it "
            f"gives access to {who}: a change of access from nobody, which rafix makes only "
            f"when asked (plan with {REPAIR_FLAG})."
        )
        return
    summary = [*patcher.summary, f"repairs a broken role ({broken}): gives access to {who}"]
    # The role as the author meant it; its remaining findings are fixed on top, proved safe.
    fixed = set(job.ids)
    base = copy.copy(role)
    base.trust_policy = repaired
    # Findings the repaired role would have (a broken role is not judged on the rest).
    found = _findings_once_usable(job, base)
    rest = (job.ids | {f.id for f in found}) - REPAIR_IDS
    after = repaired
    if rest:
        sub = copy.copy(job)
        sub.findings = [f for f in job.findings if f.id in rest] + [
            f for f in found if f.id in rest and f.id not in job.ids
        ]
        outcome = patch_role(sub, base, prove_each=True)
        for wanted_input, ids in outcome.needs:
            job.need(wanted_input, ids)
        for reason, ids in outcome.refusals:
            job.refuse(reason, ids)
        fixed = (fixed - (rest - outcome.fixed)) & job.ids
        if outcome.fixed and outcome.patcher.summary:
            after = outcome.patcher.document()
            summary += outcome.patcher.summary
            who_after = admitted_certificates(after, job.inventory)
            if who_after != who:
                summary[len(patcher.summary)] = (
                    f"repairs a broken role ({broken}): gives access to {who_after}"
                )
    job.emit(summary, {"trustPolicy": after}, fixed)
    job.result.opted_in.add(role.arn)


def _findings_once_usable(job: _Job, role: Role) -> list[Finding]:
    """The trust findings the scanner reports on the role with this (repaired) trust."""
    from remediations.checks.run import run_checks
    from remediations.model import Inventory

    inventory = job.inventory
    alone = Inventory(
        account_id=inventory.account_id,
        roles={role.arn: role},
        policies=inventory.policies,
        trust_anchors=inventory.trust_anchors,
        profiles={a: p for a, p in inventory.profiles.items() if role.arn in p.role_arns},
        regions=list(inventory.regions),
        coverage=set(inventory.coverage),
        origin=inventory.origin,
    )
    return [f for f in run_checks(alone, job.settings) if f.resource_arn == role.arn]


def admitted_certificates(document: dict[str, Any], inventory: Any) -> str:
    """Which certificates a trust policy admits, in words (for repairs)."""
    analysis = analyze_trust(document)
    parts = []
    if analysis.open_to_any_anchor:
        parts.append("certificates of ANY trust anchor of the account")
    else:
        parts.append(
            "certificates of trust anchor(s) " + ", ".join(sorted(analysis.pinned_source_arns))
        )
    if analysis.open_to_any_subject:
        parts.append("with ANY subject")
    else:
        pins = [
            f"{key.split('/')[-1].upper()} {' or '.join(sorted(values))}"
            for key, values in sorted(analysis.pinned_subjects.items())
        ]
        wild = [f"{key.split('/')[-1].upper()} like {p}" for key, p in analysis.subject_wildcards]
        parts.append("with subject " + ", ".join(pins + wild))
    if analysis.open_to_any_issuer:
        parts.append("from any issuer")
    return " ".join(parts)
