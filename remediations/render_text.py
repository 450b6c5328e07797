"""Plain-text renderers for plans, apply previews, apply events and reports, and snapshots.

The CLI prints these; any other front end may show the same words. Findings reports (table,
JSON, SARIF) are in :mod:`remediations.report`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from remediations.apply.results import (
    ApplyEvent,
    ApplyPreview,
    ApplyReport,
    ChangeFailed,
    ChangeVerified,
    Outcome,
    RollbackFailed,
    RolledBack,
    SnapshotTaken,
)
from remediations.apply.snapshots import SnapshotInfo
from remediations.apply.widening import WIDENS
from remediations.model import Inventory
from remediations.plan import Change, Plan
from remediations.textsafe import command_line
from remediations.textsafe import shown as _e


def _indent(text: str, prefix: str = "    ") -> str:
    """Each line indented and shown safely (a value's own line breaks are escaped by whoever
    joined the lines; here no line may carry a control character)."""
    return "".join(prefix + _e(line, limit=None) + "\n" for line in text.split("\n"))


def _lines(lines: Sequence[str]) -> str:
    return "".join(line + "\n" for line in lines)


# --- plans -----------------------------------------------------------------------------------


def render_plan_text(plan: Plan) -> str:
    """The plan for a reviewer: changes with diffs and calls, then what is left to do."""
    out: list[str] = []
    if not plan.changes:
        out.append("No changes proposed.\n")
    groups = plan.changes_by_account() if plan.accounts else {"": plan.changes}
    for account, changes in groups.items():
        if account:
            out.append(f"== account {account}: {len(changes)} change(s) ==\n")
        _change_lines(out, changes)
    _plan_tail(out, plan)
    return "".join(out)


def _change_lines(out: list[str], changes: Sequence[Change]) -> None:
    for change in changes:
        phase = "" if change.phase == 1 else f" [phase {change.phase}]"
        out.append(
            f"{_e(change.id)}{phase}  {_e(change.resource_type)} {_e(change.resource_arn)}\n"
        )
        out.append(f"  fixes: {_e(', '.join(change.finding_ids))}\n")
        out.append(f"  {_e(change.summary)}\n")
        if change.phase > 1 or change.before is None:
            # Why a split is phased is what a reviewer must read before applying it.
            out.append(f"  why: {_e(change.why)}\n")
        out.append("  changes:\n")
        out.append(_indent("\n".join(_e(line) for line in change.semantic_diff)))
        out.append("  API calls:\n")
        out.append(_indent("\n".join(_e(c.describe()) for c in change.calls) or "(none)"))
        out.append("  diff:\n")
        out.append(_indent(change.text_diff.rstrip("\n")))
        out.append("\n")


def _plan_tail(out: list[str], plan: Plan) -> None:
    if plan.needs_input:
        out.append("Needs input (give it with --set and plan again):\n")
        for need in plan.needs_input:
            out.append(f"  {_e(need.finding_id)} on {_e(need.resource_arn)}\n")
            out.append(f"    {_e(need.question)}\n    {_e(need.set_option)}\n")
            if need.candidates:
                out.append(f"    candidates: {', '.join(_e(c) for c in need.candidates)}\n")
    if plan.not_fixable:
        out.append("Not fixed automatically:\n")
        for item in plan.not_fixable:
            out.append(
                f"  {_e(item.finding_id)} on {_e(item.resource_arn)}\n    {_e(item.reason)}\n"
            )
    if plan.suppressed:
        out.append("Accepted by suppressions in the config file (not planned):\n")
        for accepted in plan.suppressed:
            out.append(
                f"  {_e(accepted['id'])} on {_e(accepted['resource_arn'])}\n"
                f"    reason: {_e(accepted['reason'])}\n"
            )
    counts = (
        f"{len(plan.changes)} change(s), {len(plan.needs_input)} need input, "
        f"{len(plan.not_fixable)} not fixable automatically"
    )
    if plan.accounts:
        touched = len(plan.changes_by_account())
        counts += f", in {touched} of {len(plan.accounts)} account(s)"
        out.append(f"Plan: {counts}. Nothing was written to any account.\n")
    else:
        out.append(f"Plan: {counts}. Nothing was written to the account.\n")
    if plan.changes and not plan.applicable:
        out.append(
            f"This plan was made from {_e(plan.source or 'offline files')} for review: applying "
            "needs a plan made against a live or sandbox account.\n"
        )


def render_plan_json(plan: Plan) -> str:
    return plan.json_text()


# --- apply -----------------------------------------------------------------------------------


def _rollback_command(snapshot_id: str | None, again: Sequence[str]) -> str:
    """``rafix rollback ID`` with the options that name the account: a hint that runs."""
    return command_line("rafix", "rollback", str(snapshot_id), *again)


def preview_lines(preview: ApplyPreview, *, again: Sequence[str] = ()) -> list[str]:
    """What an apply or rollback is about to do, line by line (shown before confirming).

    ``again``: the options that name the account (``--sandbox DIR``, ``--profile P``), added
    to every command line suggested, so that each runs as printed.
    """
    out: list[str] = []
    if preview.kind == "rollback":
        if preview.interrupted:
            out.append(
                f"The apply that took snapshot {_e(preview.rollback_of)} was interrupted after "
                f"{_e(preview.interrupted_progress)}; this rollback undoes it."
            )
        if not preview.steps:
            out.append(
                "Nothing to roll back: the account already matches snapshot "
                f"{_e(preview.rollback_of)}."
            )
            return out
    else:
        if preview.held_count:
            phases = ", ".join(str(p) for p in preview.held_phases)
            out.append(
                f"{preview.held_count} change(s) of phase {phases} are not applied now (pass "
                "--phase N to apply them; each says why it waits)."
            )
        if not preview.steps:
            out.append("Nothing to apply.")
            return out
        for other in preview.other_unfinished:
            out.append(
                f"Note: the apply that took snapshot {_e(other.snapshot_id)} ({_e(other.plan)}) was "
                f"interrupted; `{_rollback_command(other.snapshot_id, again)}` undoes it."
            )
        if preview.resume_of:
            out.append(
                f"An earlier apply of this plan (snapshot {_e(preview.resume_of)}) was interrupted "
                f"after {_e(preview.resume_progress)}; this apply finishes it "
                f"(`{_rollback_command(preview.resume_of, again)}` would undo it instead)."
            )
    where = (
        f"account {_e(preview.account_id)} ({_e(preview.source)})"
        if preview.account_id
        else _e(preview.source)
    )
    widens = [s for s in preview.steps if any(line.startswith(WIDENS) for line in s.diff_lines)]
    if widens:
        out.append(
            f"Warning: this {preview.kind} WIDENS ACCESS on {len(widens)} resource(s): "
            f"{', '.join(_e(s.resource_arn) for s in widens)} (the lines marked below)."
        )
    out.append(
        f"About to apply {len(preview.steps)} change(s) from {_e(preview.label)} to {where}:"
    )
    for step in preview.steps:
        out.append(
            f"  [{_e(step.change_id)}] {_e(step.resource_type)} {_e(step.resource_arn)}: "
            f"{_e(step.summary)}"
        )
        out.extend(f"      {_e(line, limit=None)}" for line in step.diff_lines)
        out.extend(f"      call {_e(call.describe())}" for call in step.calls)
    return out


def render_preview_text(preview: ApplyPreview) -> str:
    return _lines(preview_lines(preview))


def confirm_question(preview: ApplyPreview) -> str:
    """The one question a front end asks before :func:`remediations.apply.execute`."""
    return f"Apply {len(preview.steps)} change(s) to the account?"


def event_lines(event: ApplyEvent) -> list[str]:
    """The lines an apply event prints (none for the quiet ones: started, call made)."""
    if isinstance(event, SnapshotTaken):
        return [f"Snapshot {_e(event.snapshot_id)} written to {_e(event.path)}."]
    if isinstance(event, ChangeVerified):
        return [f"  applied [{_e(event.change_id)}] {_e(event.resource_arn)}: verified"]
    if isinstance(event, ChangeFailed):
        return [
            f"  FAILED [{_e(event.change_id)}] {_e(event.resource_arn)}: {_e(event.error)}",
            "Rolling back what was applied, in reverse order:",
        ]
    if isinstance(event, RolledBack):
        if event.already:
            return [f"  {_e(event.resource_arn)}: as before"]
        return [f"  rolled back {_e(event.resource_arn)}: verified"]
    if isinstance(event, RollbackFailed):
        if event.attempt is None:
            return [f"  rollback of {_e(event.resource_arn)} failed: {_e(event.error)}"]
        return [
            f"  rollback of {_e(event.resource_arn)} failed (attempt {event.attempt}): "
            f"{_e(event.error)}"
        ]
    return []


def render_event_text(event: ApplyEvent) -> str:
    return _lines(event_lines(event))


def report_lines(report: ApplyReport, *, again: Sequence[str] = ()) -> list[str]:
    """Where the account ended, after an apply or rollback (``again``: as for
    :func:`preview_lines`)."""
    if report.outcome is Outcome.REFUSED:
        return [f"Refused: {_e(report.error)}"]
    if report.outcome is Outcome.NOTHING:
        if report.already_matched:
            return ["The account already matches this plan; nothing was written."]
        return []
    if report.outcome is Outcome.APPLIED:
        out = [
            f"Applied {len(report.applied)} change(s); the account is {report.done}. "
            f"Undo with `{_rollback_command(report.snapshot_id, again)}`."
        ]
        if report.created and report.later_phase is not None:
            out.append(
                f"Created {_e(', '.join(report.created))}: switch each workload's --role-arn to "
                f"its new role, then apply the rest of this plan with --phase "
                f"{report.later_phase}."
            )
        return out
    if report.outcome is Outcome.PARTIAL:
        return [
            f"The account is NOT as before: {_e(', '.join(report.differing))} differ(s) from "
            f"snapshot {_e(report.snapshot_id)}. Retry with "
            f"`{_rollback_command(report.snapshot_id, again)}`."
        ]
    return [
        f"The account is {Outcome.ROLLED_BACK.value}: nothing the plan changed remains changed."
    ]


def render_report_text(report: ApplyReport) -> str:
    return _lines(report_lines(report))


# --- snapshots -------------------------------------------------------------------------------


def render_snapshots_text(
    snapshots: Sequence[SnapshotInfo], root: Path | None = None, *, accounts: bool = False
) -> str:
    """One line per snapshot; an interrupted apply is marked so the user knows to act.
    ``accounts``: an organisation's snapshots, with an ACCOUNT column."""
    if not snapshots:
        return f"No snapshots in {_e(root)}.\n" if root is not None else "No snapshots.\n"
    rows = [("ID", *(("ACCOUNT",) if accounts else ()), "CREATED", "RESOURCES", "PLAN")]
    for s in snapshots:
        account = (s.account_id or "?",) if accounts else ()
        if s.damaged:
            rows.append((_e(s.id), *account, "?", "?", f"(damaged: {_e(s.damaged)})"))
            continue
        plan = _e(s.plan) + (" (interrupted)" if s.interrupted else "")
        rows.append((_e(s.id), *account, _e(s.created_at), str(len(s.resources)), plan))
    columns = len(rows[0]) - 1
    widths = [max(len(r[i]) for r in rows) for i in range(columns)]
    lines = [
        "  ".join(r[i].ljust(widths[i]) for i in range(columns)) + "  " + r[columns] for r in rows
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def render_snapshots_json(snapshots: Sequence[SnapshotInfo], *, accounts: bool = False) -> str:
    """The INTERFACE.md ``snapshots --format json`` document; a damaged snapshot is listed
    with ``damaged`` saying why (null for the others), so a script never mistakes a store
    with damaged snapshots for an empty one; ``accounts``: each entry also names its
    ``account_id`` (an organisation's snapshots)."""
    document = {
        "snapshots": [
            {
                **s.summary(),
                "damaged": s.damaged,
                "interrupted": s.interrupted,
                **({"account_id": s.account_id} if accounts else {}),
            }
            for s in snapshots
        ]
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- reading ---------------------------------------------------------------------------------


def describe_inventory(inventory: Inventory) -> str:
    """e.g. "12 roles, 3 trust anchors, ... ; Roles Anywhere in eu-west-1, us-east-1"."""
    counts = [
        (len(inventory.roles), "role"),
        (len(inventory.policies), "managed policy"),
        (len(inventory.trust_anchors), "trust anchor"),
        (len(inventory.profiles), "profile"),
        (len(inventory.crls), "CRL"),
        (len(inventory.subjects), "subject"),
    ]
    text = ", ".join(f"{n} {_plural(label, n)}" for n, label in counts)
    regions = ", ".join(inventory.regions) or "no region"
    return f"{text}; Roles Anywhere in {regions}"


def _plural(label: str, n: int) -> str:
    if n == 1:
        return label
    return label[:-1] + "ies" if label.endswith("y") else label + "s"


def export_counts(inventory: Inventory) -> dict[str, Any]:
    """What each ``rafix export`` file holds, for its ``wrote FILE (...)`` line."""
    return {
        "iam.json": f"{len(inventory.roles)} roles, {len(inventory.policies)} managed policies",
        "anchors.json": f"{len(inventory.trust_anchors)} trust anchors",
        "profiles.json": f"{len(inventory.profiles)} profiles",
        "crls.json": f"{len(inventory.crls)} CRLs",
        "subjects.json": f"{len(inventory.subjects)} subjects",
    }
