"""Findings -> proposed target states: one coherent change per resource, rendered and validated.

``propose(inventory, findings, settings, values)`` turns the findings that have a fix into
:class:`ProposedChange` objects (before/after resource states, see ``state.py``), lists what
needs a value only the user knows (:class:`NeedsInput`, answered with ``--set``) and what rafix
does not fix automatically (:class:`NotFixable`, with the reason).

Patches are minimal: they touch only the statements and fields a finding is about, keep every
other statement as it is and in order, and several findings on one resource merge into one
target state. Every patched trust policy is proved safe with the evaluator before it is
proposed (a witness search, :func:`prove_safe`): it admits
no certificate the current policy refuses, and it still admits the intended workload.

Phase 1 holds the fixes that need no input and change no workload's role: what a plain
``rafix apply`` applies. Splits (RA-TRUST-MULTIPLE-SUBJECTS, RA-TRUST-MIXED-PRINCIPALS) are
opt-in, in two steps: phase 2 (``rafix apply --phase 2``) creates a dedicated role per workload
(state ``before`` None; the shared role's Roles Anywhere trust restricted to that workload,
proved to admit exactly its certificates; the shared role's policies, boundary, duration, path
and tags copied) and adds it to every profile that lists the shared role; phase 3 (``--phase
3``, once clients use their new ``--role-arn``) removes what moved from the shared role, and the
shared role from the profiles when it no longer trusts Roles Anywhere. Each change's ``before``
is the ``after`` of the same resource's change in the phase before it.
RA-ROLE-PRIVILEGED stays advisory: a split alone copies the same permissions.

How each finding is answered (automatic, split, two-phase by hand, report only, and why) is
read from its catalog entry (``CheckSpec.fix_kind`` / ``fix_reason``).

``--set`` grammar (``parse_values``): ``KEY=VALUE`` applies to every resource;
``SCOPE.KEY=VALUE`` only to the resource whose name, ID or ARN is SCOPE (the key is what follows
the last dot, so role names with dots work). Keys: ``cn``, ``ou``, ``uri``, ``dns`` (subject
pins), ``issuer_cn``, ``trust_anchor_arn`` (comma list), ``services`` (comma list of service
prefixes such as ``s3,sqs`` for the session policy's Allow).
"""

from __future__ import annotations

from collections.abc import Callable

from remediations.catalog import CATALOG, FixKind
from remediations.findings import RESOURCE_TYPES, Finding
from remediations.iam.session_policies import SessionShapes
from remediations.model import Inventory
from remediations.plan import WorkedOut
from remediations.proposals.anchors import _propose_anchor, _propose_crl
from remediations.proposals.converge import phase_one_adds_findings, withdraw_diverging
from remediations.proposals.job import ProfileIndex, _Job
from remediations.proposals.profiles import ADMIN_POLICY_SUFFIX, _propose_profile
from remediations.proposals.results import NeedsInput, NotFixable, ProposalSet, ProposedChange
from remediations.proposals.roles import REPAIR_IDS, propose_role
from remediations.proposals.safety import assume_role_view, prove_safe
from remediations.proposals.splits import (
    SPLIT_CREATE_PHASE,
    SPLIT_NARROW_PHASE,
    Workload,
    _propose_splits,
)
from remediations.proposals.trust_patches import VARIABLES_VERSION
from remediations.proposals.values import KNOWN_KEYS, parse_values, tag_value_problem
from remediations.settings import Settings
from remediations.shortcuts import shortcuts_on
from remediations.trust.witness import describe_certificate, witnesses
from remediations.workers import can_fork, in_background

__all__ = [
    "ADMIN_POLICY_SUFFIX",
    "KNOWN_KEYS",
    "SPLIT_CREATE_PHASE",
    "SPLIT_NARROW_PHASE",
    "VARIABLES_VERSION",
    "NeedsInput",
    "NotFixable",
    "ProposalSet",
    "ProposedChange",
    "Workload",
    "assume_role_view",
    "describe_certificate",
    "fix_method",
    "parse_values",
    "propose",
    "prove_safe",
    "tag_value_problem",
    "witnesses",
]

_TYPE_BY_CFN = {cfn: short for short, cfn in RESOURCE_TYPES.items()}


_AUTOMATIC_BY_KIND = {
    "role": "a minimal patch of the trust policy (only the statements concerned change), "
    "proved by the evaluator to admit no certificate or trust anchor the original refused; "
    "values the account cannot tell (the CN to pin, the trust anchor) are asked for with "
    "--set, with the candidates rafix can see",
    "profile": "UpdateProfile with the corrected session policy (guardrail denies and an "
    "Allow for the services the roles use, or --set services=...), duration or role list",
    "trust-anchor": "PutNotificationSettings with the expiry notifications on, at a threshold "
    "of at least min_notification_threshold_days",
    "crl": "EnableCrl (after checking the CRL is current)",
}


def fix_method(finding_id: str) -> str:
    """How rafix fixes a finding, in one or two sentences (docs/findings.md)."""
    entry = CATALOG.get(finding_id)
    fix_kind = entry.fix_kind if entry is not None else FixKind.REPORT_ONLY
    if fix_kind is FixKind.SPLIT:
        return (
            "Opt-in, in two phases: `rafix apply` with `--phase 2` creates a dedicated role per "
            "workload (trust proved to admit exactly its certificates, permissions copied) and "
            "adds it to the profiles; once clients use their new role, `--phase 3` removes "
            "what moved from the shared role."
        )
    if entry is None or fix_kind is not FixKind.AUTOMATIC:
        reason = (entry.fix_reason if entry else "") or "rafix has no automatic fix for it"
        return f"Not automatic: {reason}."
    kind = entry.resource
    text = f"Automatic (`rafix plan`, then `rafix apply`, phase 1): {_AUTOMATIC_BY_KIND[kind]}."
    if finding_id in REPAIR_IDS:
        text += (
            " When no certificate can use the role today (it is broken), the repair gives "
            "access where there was none: only with `rafix plan --repair-broken`, and the change "
            "says which certificates gain access."
        )
    return text


def propose(
    inventory: Inventory,
    findings: list[Finding],
    settings: Settings | None = None,
    values: dict[str, str] | None = None,
    *,
    repair_broken: bool = False,
) -> ProposalSet:
    """One change per resource for the findings that have a fix; the rest explained.

    A role no certificate can use today (broken: missing required actions, an aws:SourceIp
    pin, a legacy Version with ``${...}``, only deleted trust anchors pinned) is repaired only
    with ``repair_broken``: the repair changes who can assume it from nobody to the workload it
    pins, which a person must accept; without it the plan says what the repair would open.
    """
    settings = settings or Settings()
    values = values or {}
    result = ProposalSet()
    by_resource: dict[tuple[str, str], list[Finding]] = {}
    splits: dict[str, list[Finding]] = {}
    for finding in findings:
        kind = _TYPE_BY_CFN.get(finding.resource_type, finding.resource_type)
        entry = CATALOG.get(finding.id)
        fix_kind = entry.fix_kind if entry is not None else FixKind.REPORT_ONLY
        if fix_kind is FixKind.SPLIT and kind == "role":
            splits.setdefault(finding.resource_arn, []).append(finding)
        elif fix_kind is FixKind.MANUAL_TWO_PHASE:
            result.not_fixable.append(_two_phase(finding))
        elif fix_kind is FixKind.REPORT_ONLY:
            reason = (entry.fix_reason if entry else "") or "rafix has no automatic fix for it"
            result.not_fixable.append(
                NotFixable(finding.id, finding.resource_arn, f"Not fixed automatically: {reason}.")
            )
        else:
            by_resource.setdefault((kind, finding.resource_arn), []).append(finding)
    index = ProfileIndex(inventory)
    shapes: SessionShapes | None = {} if shortcuts_on() else None
    jobs = [
        _Job(inventory, settings, values, kind, arn, group, result, index, repair_broken, shapes)
        for (kind, arn), group in sorted(by_resource.items())
        if kind in _BUILDERS
    ]
    if len(jobs) < PARALLEL_JOBS or not can_fork():
        for job in jobs:
            _BUILDERS[job.kind](job)
    else:  # 9 resources in 20 on the second core (it hands its results over too), merged
        ours = [i for i in range(len(jobs)) if i % 20 not in _THEIRS]
        theirs = [i for i in range(len(jobs)) if i % 20 in _THEIRS]
        what = f"{len(theirs)} of {len(jobs)} one-resource fixes"
        with in_background(lambda: _build_each([jobs[i] for i in theirs]), what) as other:
            built = dict(zip(ours, _build_each([jobs[i] for i in ours]), strict=True))
            built.update(zip(theirs, other.result(), strict=True))
        for i in range(len(jobs)):
            _merge(result, built[i])
    phase_one = list(result.changes)
    if len(phase_one) < PARALLEL_JOBS or not can_fork():
        # After the one-resource fixes: a split builds on their phase-1 states.
        _propose_splits(inventory, settings, splits, result, index)
        # The proof that a plain apply adds no finding: a fix that would is withdrawn, said so.
        withdraw_diverging(inventory, settings, result, shapes)
        return result
    # On two cores: the proof's verdict and the fixes' diffs and calls in two child processes,
    # while this one splits and works out the splits' diffs. Phase 1 is complete before the splits
    # (they only add phases 2 and 3), so the verdict is the one after them.
    verdict = in_background(
        lambda: phase_one_adds_findings(inventory, settings, result, shapes),
        "whether the phase-1 fixes add a finding",
    )

    def work() -> list[WorkedOut]:
        return [WorkedOut.of(change) for change in phase_one]

    what = f"the diffs and calls of {len(phase_one)} changes"
    with verdict, in_background(work, what) as worked:
        _propose_splits(inventory, settings, splits, result, index)
        done = [(change, WorkedOut.of(change)) for change in result.changes[len(phase_one) :]]
        diverges = verdict.result()
        done += zip(phase_one, worked.result(), strict=True)
    result.worked_out.update((id(change), (change, out)) for change, out in done)
    if diverges:  # rare: the fixes are built not to; judged again here, change by change
        withdraw_diverging(inventory, settings, result, shapes)
    return result


_BUILDERS: dict[str, Callable[[_Job], None]] = {
    "role": propose_role,
    "profile": _propose_profile,
    "trust-anchor": _propose_anchor,
    "crl": _propose_crl,
}
#: The one-resource fixes made by the second process: 9 in every 20 (it also hands them over).
_THEIRS = frozenset(range(1, 19, 2))
#: Fewer one-resource fixes than this are made in one process (a fork costs more than it saves).
PARALLEL_JOBS = 200


def _build_each(jobs: list[_Job]) -> list[ProposalSet]:
    """Each job's own results (its changes, questions and refusals), in the jobs' order."""
    built = []
    for job in jobs:
        own = ProposalSet()
        job.result = own
        _BUILDERS[job.kind](job)
        built.append(own)
    return built


def _merge(result: ProposalSet, own: ProposalSet) -> None:
    """Add what one job made to the plan's results."""
    result.changes += own.changes
    result.needs_input += own.needs_input
    result.not_fixable += own.not_fixable
    result.opted_in |= own.opted_in


def _two_phase(finding: Finding) -> NotFixable:
    spec = CATALOG[finding.id]
    return NotFixable(
        finding.id,
        finding.resource_arn,
        f"Two-phase change, not automatic: {spec.fix_reason}, and its clients must "
        f"switch before this role can be narrowed. {spec.fix}",
    )
