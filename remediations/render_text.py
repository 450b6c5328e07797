"""Plain-text renderers for plans, apply previews, apply events and reports, and snapshots.

The CLI prints these; any other front end may show the same words. Findings reports (table,
JSON, SARIF) are in :mod:`remediations.report`.
"""

from __future__ import annotations

import json
import shlex
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
from remediations.model import Inventory, SourceWarning
from remediations.plan import Change, Plan


def _indent(text: str, prefix: str = "    ") -> str:
    return "".join(prefix + line + "\n" for line in text.splitlines())


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
        out.append(f"{change.id}{phase}  {change.resource_type} {change.resource_arn}\n")
        out.append(f"  fixes: {', '.join(change.finding_ids)}\n")
        out.append(f"  {change.summary}\n")
        if change.phase > 1 or change.before is None:
            # Why a split is phased is what a reviewer must read before applying it.
            out.append(f"  why: {change.why}\n")
        out.append("  changes:\n")
        out.append(_indent("\n".join(change.semantic_diff)))
        out.append("  API calls:\n")
        out.append(_indent("\n".join(c.describe() for c in change.calls) or "(none)"))
        out.append("  diff:\n")
        out.append(_indent(change.text_diff.rstrip("\n")))
        out.append("\n")


def _plan_tail(out: list[str], plan: Plan) -> None:
    if plan.needs_input:
        out.append("Needs input (give it with --set and plan again):\n")
        for need in plan.needs_input:
            out.append(f"  {need.finding_id} on {need.resource_arn}\n")
            out.append(f"    {need.question}\n    {need.set_option}\n")
            if need.candidates:
                out.append(f"    candidates: {', '.join(need.candidates)}\n")
    if plan.not_fixable:
        out.append("Not fixed automatically:\n")
        for item in plan.not_fixable:
            out.append(f"  {item.finding_id} on {item.resource_arn}\n    {item.reason}\n")
    if plan.suppressed:
        out.append("Accepted by suppressions in the config file (not planned):\n")
        for accepted in plan.suppressed:
            out.append(
                f"  {accepted['id']} on {accepted['resource_arn']}\n    reason: {accepted['reason']}\n"
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
            f"This plan was made from {plan.source or 'offline files'} for review: applying "
            "needs a plan made against a live or sandbox account.\n"
        )


def render_plan_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n"


# --- apply -----------------------------------------------------------------------------------


def _rollback_command(snapshot_id: str | None, again: Sequence[str]) -> str:
    """``rafix rollback ID`` with the options that name the account: a hint that runs."""
    return " ".join(shlex.quote(w) for w in ("rafix", "rollback", str(snapshot_id), *again))


def preview_lines(preview: ApplyPreview, *, again: Sequence[str] = ()) -> list[str]:
    """What an apply or rollback is about to do, line by line (shown before confirming).

    ``again``: the options that name the account (``--sandbox DIR``, ``--profile P``), added
    to every command line suggested, so that each runs as printed.
    """
    out: list[str] = []
    if preview.kind == "rollback":
        if preview.interrupted:
            out.append(
                f"The apply that took snapshot {preview.rollback_of} was interrupted after "
                f"{preview.interrupted_progress}; this rollback undoes it."
            )
        if not preview.steps:
            out.append(
                f"Nothing to roll back: the account already matches snapshot {preview.rollback_of}."
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
                f"Note: the apply that took snapshot {other.snapshot_id} ({other.plan}) was "
                f"interrupted; `{_rollback_command(other.snapshot_id, again)}` undoes it."
            )
        if preview.resume_of:
            out.append(
                f"An earlier apply of this plan (snapshot {preview.resume_of}) was interrupted "
                f"after {preview.resume_progress}; this apply finishes it "
                f"(`{_rollback_command(preview.resume_of, again)}` would undo it instead)."
            )
    where = (
        f"account {preview.account_id} ({preview.source})" if preview.account_id else preview.source
    )
    out.append(f"About to apply {len(preview.steps)} change(s) from {preview.label} to {where}:")
    for step in preview.steps:
        out.append(f"  [{step.change_id}] {step.resource_type} {step.resource_arn}: {step.summary}")
        out.extend(f"      {line}" for line in step.diff_lines)
        out.extend(f"      call {call.describe()}" for call in step.calls)
    return out


def render_preview_text(preview: ApplyPreview) -> str:
    return _lines(preview_lines(preview))


def confirm_question(preview: ApplyPreview) -> str:
    """The one question a front end asks before :func:`remediations.apply.execute`."""
    return f"Apply {len(preview.steps)} change(s) to the account?"


def event_lines(event: ApplyEvent) -> list[str]:
    """The lines an apply event prints (none for the quiet ones: started, call made)."""
    if isinstance(event, SnapshotTaken):
        return [f"Snapshot {event.snapshot_id} written to {event.path}."]
    if isinstance(event, ChangeVerified):
        return [f"  applied [{event.change_id}] {event.resource_arn}: verified"]
    if isinstance(event, ChangeFailed):
        return [
            f"  FAILED [{event.change_id}] {event.resource_arn}: {event.error}",
            "Rolling back what was applied, in reverse order:",
        ]
    if isinstance(event, RolledBack):
        if event.already:
            return [f"  {event.resource_arn}: as before"]
        return [f"  rolled back {event.resource_arn}: verified"]
    if isinstance(event, RollbackFailed):
        if event.attempt is None:
            return [f"  rollback of {event.resource_arn} failed: {event.error}"]
        return [
            f"  rollback of {event.resource_arn} failed (attempt {event.attempt}): {event.error}"
        ]
    return []


def render_event_text(event: ApplyEvent) -> str:
    return _lines(event_lines(event))


def report_lines(report: ApplyReport, *, again: Sequence[str] = ()) -> list[str]:
    """Where the account ended, after an apply or rollback (``again``: as for
    :func:`preview_lines`)."""
    if report.outcome is Outcome.REFUSED:
        return [f"Refused: {report.error}"]
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
                f"Created {', '.join(report.created)}: switch each workload's --role-arn to "
                f"its new role, then apply the rest of this plan with --phase "
                f"{report.later_phase}."
            )
        return out
    if report.outcome is Outcome.PARTIAL:
        return [
            f"The account is NOT as before: {', '.join(report.differing)} differ(s) from "
            f"snapshot {report.snapshot_id}. Retry with "
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
        return f"No snapshots in {root}.\n" if root is not None else "No snapshots.\n"
    rows = [("ID", *(("ACCOUNT",) if accounts else ()), "CREATED", "RESOURCES", "PLAN")]
    for s in snapshots:
        account = (s.account_id or "?",) if accounts else ()
        if s.damaged:
            rows.append((s.id, *account, "?", "?", f"(damaged: {s.damaged})"))
            continue
        plan = s.plan + (" (interrupted)" if s.interrupted else "")
        rows.append((s.id, *account, s.created_at, str(len(s.resources)), plan))
    columns = len(rows[0]) - 1
    widths = [max(len(r[i]) for r in rows) for i in range(columns)]
    lines = [
        "  ".join(r[i].ljust(widths[i]) for i in range(columns)) + "  " + r[columns] for r in rows
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def render_snapshots_json(snapshots: Sequence[SnapshotInfo], *, accounts: bool = False) -> str:
    """The INTERFACE.md ``snapshots --format json`` document (damaged ones are left out);
    ``accounts``: each entry also names its ``account_id`` (an organisation's snapshots)."""
    document = {
        "snapshots": [
            {**s.summary(), **({"account_id": s.account_id} if accounts else {})}
            for s in snapshots
            if not s.damaged
        ]
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- reading ---------------------------------------------------------------------------------


def warning_lines(warnings: Sequence[SourceWarning]) -> list[str]:
    """``rafix: warning: ...`` lines for what could not be read."""
    return [f"rafix: warning: {warning}" for warning in warnings]


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
