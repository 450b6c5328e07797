"""Builders shared by test modules: plans from states, and the CLI's apply flow without a CLI.

``apply_now`` / ``rollback_now`` do what ``rafix apply`` / ``rafix rollback`` do through the
core's two steps (preview, ask, execute), printing the same lines to ``out``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from remediations.apply.execute import READ_ONLY_REFUSAL, execute
from remediations.apply.executor import Executor
from remediations.apply.preview import preview_apply
from remediations.apply.results import ApplyPreview, ApplyReport, Outcome
from remediations.apply.rollback import preview_rollback
from remediations.apply.snapshots import SnapshotStore
from remediations.errors import ApplyError
from remediations.plan import Change, Plan
from remediations.render_text import confirm_question, event_lines, preview_lines, report_lines
from remediations.state import calls_to_reach, fingerprint

Confirm = Callable[[str], bool]
Output = Callable[[str], None]


def yes(_question: str) -> bool:
    return True


def _quiet(_line: str) -> None:
    return None


def plan_change(
    change_id: str,
    resource_arn: str,
    resource_type: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    phase: int = 1,
    summary: str = "pin the trust policy",
) -> Change:
    """A plan change as ``plan.py`` writes it (fingerprint and calls computed)."""
    return Change(
        id=change_id,
        phase=phase,
        resource_arn=resource_arn,
        resource_type=resource_type,
        region="global",
        finding_ids=[],
        summary=summary,
        why="",
        fingerprint=fingerprint(before),
        before=before,
        after=after,
        calls=calls_to_reach(resource_type, resource_arn, before, after),
        semantic_diff=[],
        text_diff="",
    )


def make_plan(changes: list[Change], *, source: str, account_id: str | None) -> Plan:
    return Plan(source=source, account_id=account_id, changes=changes)


def run_preview(
    preview: ApplyPreview,
    executor: Executor,
    store: SnapshotStore,
    confirm: Confirm = yes,
    out: Output = _quiet,
) -> ApplyReport:
    """What the CLI does with a preview: print it, ask, execute, print the end."""
    for line in preview_lines(preview):
        out(line)
    if preview.steps and preview.read_only:
        raise ApplyError(READ_ONLY_REFUSAL)
    if preview.refused:
        raise ApplyError(preview.refused)
    if preview.steps and not preview.already_applied and not confirm(confirm_question(preview)):
        raise ApplyError("apply cancelled; nothing was written")

    def on_event(event: Any) -> None:
        for line in event_lines(event):
            out(line)

    report = execute(preview, executor, store, on_event=on_event)
    if report.outcome is Outcome.REFUSED:
        raise ApplyError(report.error or "refused")
    for line in report_lines(report):
        out(line)
    return report


def apply_now(
    plan: Plan,
    executor: Executor,
    store: SnapshotStore,
    confirm: Confirm = yes,
    *,
    phases: Iterable[int] = (1,),
    label: str = "",
    source: str | None = None,
    account_id: str | None = None,
    out: Output = _quiet,
) -> ApplyReport:
    """``rafix apply``: preview, confirm, execute."""
    preview = preview_apply(
        plan, executor, store, phases=phases, label=label, source=source, account_id=account_id
    )
    return run_preview(preview, executor, store, confirm, out)


def rollback_now(
    snapshot_id: str,
    executor: Executor,
    store: SnapshotStore,
    confirm: Confirm = yes,
    *,
    force: bool = False,
    source: str | None = None,
    account_id: str | None = None,
    out: Output = _quiet,
) -> ApplyReport:
    """``rafix rollback``: preview the restore, confirm, execute."""
    preview = preview_rollback(
        snapshot_id, executor, store, force=force, source=source, account_id=account_id
    )
    return run_preview(preview, executor, store, confirm, out)
