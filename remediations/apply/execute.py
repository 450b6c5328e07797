"""Execute a preview, with no confirmation inside: snapshot, journalled calls, verify each
change, and on any failure restore every touched resource (see the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from remediations.apply.executor import CallFailed, Executor, VerifyError
from remediations.apply.results import (
    AS_BEFORE,
    AS_PLANNED,
    NOTHING,
    PARTIAL,
    ApplyEvent,
    ApplyPreview,
    ApplyReport,
    CallMade,
    ChangeFailed,
    ChangeStarted,
    ChangeVerified,
    OnEvent,
    Outcome,
    PreviewStep,
    RollbackFailed,
    RolledBack,
    SnapshotTaken,
)
from remediations.apply.snapshots import (
    JournalEntry,
    Snapshot,
    SnapshotResource,
    SnapshotStore,
    new_snapshot_id,
    utc_now,
)
from remediations.apply.verify import all_as_planned, read_current, stale_message, stale_resources
from remediations.errors import ApplyError, Cancelled
from remediations.locks import account_locks, default_lock_dir
from remediations.progress import StopCheck
from remediations.state import ApiCall, calls_to_reach, equivalent, is_detailed

ROLLBACK_ATTEMPTS = 3
READ_ONLY_REFUSAL = "read-only mode: these are the calls it would make; nothing was written"


class _Run:
    """One execute: the report being written and where events go."""

    def __init__(self, preview: ApplyPreview, on_event: OnEvent | None) -> None:
        self.report = ApplyReport(outcome=NOTHING, kind=preview.kind, done=preview.done)
        self._on_event = on_event

    def emit(self, event: ApplyEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)


def execute(
    preview: ApplyPreview,
    executor: Executor | None,
    store: SnapshotStore,
    *,
    on_event: OnEvent | None = None,
    should_stop: StopCheck | None = None,
) -> ApplyReport:
    """Apply what ``preview`` shows (see the module docstring for the order).

    Confirmation is the caller's job, before this. ``executor`` None (or read-only) writes
    nothing: the report is ``REFUSED``. ``should_stop`` is polled before the first
    write and between changes: before the snapshot it raises :class:`Cancelled` (nothing
    written); after, what was applied is rolled back (outcome ``ROLLED_BACK``).

    Returns:
        The report; ``report.ok`` is False when the apply was refused or failed (where the
        account ended is ``report.outcome``).

    Raises:
        ApplyError: the account cannot be read (nothing written).
        Cancelled: stopped before the first write.
    """
    run = _Run(preview, on_event)
    report = run.report
    if not preview.steps:
        if preview.rollback_of and preview.interrupted:
            store.journal_append(preview.rollback_of, JournalEntry("finished", outcome=AS_BEFORE))
        return report
    if preview.read_only or executor is None or executor.read_only:
        # A refused preview is refused for its own reason; no executor means no writes.
        reason = preview.refused if preview.refused and not preview.read_only else None
        report.outcome, report.error = Outcome.REFUSED, reason or READ_ONLY_REFUSAL
        return report
    if preview.refused:
        report.outcome, report.error = Outcome.REFUSED, preview.refused
        return report
    if should_stop is not None and should_stop():
        raise Cancelled("apply cancelled; nothing was written")
    with _local_locks(preview):
        return _write(preview, executor, store, run, should_stop)


def _local_locks(preview: ApplyPreview) -> AbstractContextManager[None]:
    """A live account's local write locks, per region the apply writes (a sandbox is
    already held under its own lock by whoever opened it)."""
    if preview.source != "live":
        return nullcontext()
    regions = {
        "global" if s.resource_type in _GLOBAL_TYPES else _region(s.resource_arn)
        for s in preview.steps
    }
    return account_locks(default_lock_dir(), preview.source, preview.account_id, regions)


_GLOBAL_TYPES = frozenset({"role"})  # IAM is global; Roles Anywhere is regional


def _region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[3] else "global"


def _commit(executor: Executor) -> None:
    """Make what was written durable (a sandbox saves its state) before it is reported."""
    commit = getattr(executor.account, "commit", None)
    if callable(commit):
        commit()


def _write(
    preview: ApplyPreview,
    executor: Executor,
    store: SnapshotStore,
    run: _Run,
    should_stop: StopCheck | None,
) -> ApplyReport:
    """The part of :func:`execute` that writes, under the account's lock."""
    report = run.report
    current = read_current(preview.steps, executor)
    stale = stale_resources(preview.steps, current, preview.touched)
    if stale:
        report.outcome, report.error = Outcome.REFUSED, stale_message(stale)
        return report
    if preview.resume_of is None and all_as_planned(preview.steps, current):
        report.already_matched = True
        return report
    snapshot = store.load(preview.resume_of) if preview.resume_of else None
    if snapshot is None:
        snapshot = _new_snapshot(preview, current)
        store.save(snapshot)
    report.snapshot_id = snapshot.id
    run.emit(SnapshotTaken(snapshot.id, store.path(snapshot.id)))
    started: list[PreviewStep] = []
    for step in preview.steps:
        if should_stop is not None and should_stop():
            cancelled = Cancelled("cancelled before this change; rolling back")
            return _fail(step, cancelled, started, executor, store, snapshot, run)
        started.append(step)
        try:
            _apply_step(step, current[step.resource_arn], executor, store, snapshot, run)
        except Exception as exc:  # whatever failed, what was applied must be undone
            return _fail(step, exc, started, executor, store, snapshot, run)
        current[step.resource_arn] = step.after
    # "As planned" only once it is durable: a sandbox that cannot save is not as planned (the
    # journal stays unfinished, so `rafix snapshots` shows the apply as interrupted).
    _commit(executor)
    store.journal_append(snapshot.id, JournalEntry("finished", outcome=AS_PLANNED))
    report.outcome = AS_PLANNED
    report.created = [
        s.resource_arn for s in preview.steps if s.before is None and s.change_id in report.applied
    ]
    report.later_phase = preview.later_phase
    if preview.rollback_of and preview.interrupted:
        store.journal_append(preview.rollback_of, JournalEntry("finished", outcome="rolled back"))
    return report


def _new_snapshot(preview: ApplyPreview, current: dict[str, Any]) -> Snapshot:
    resources: dict[str, SnapshotResource] = {}
    for step in preview.steps:
        arn = step.resource_arn
        entry = resources.setdefault(arn, SnapshotResource(step.resource_type, arn, current[arn]))
        entry.planned = step.after
    return Snapshot(
        id=new_snapshot_id(),
        created_at=utc_now(),
        plan=preview.label,
        plan_key=preview.plan_key,
        source=preview.source,
        account_id=preview.account_id,
        resources=list(resources.values()),
    )


def _apply_step(
    step: PreviewStep,
    current: Any,
    executor: Executor,
    store: SnapshotStore,
    snapshot: Snapshot,
    run: _Run,
) -> None:
    """Make one change's calls, journalled, then verify it is visible and as planned."""
    kind, arn = step.resource_type, step.resource_arn
    run.emit(ChangeStarted(step.change_id, arn, kind, step.summary))
    if equivalent(kind, current, step.after):
        calls: Sequence[ApiCall] = ()
    elif equivalent(kind, current, step.before):
        calls = calls_to_reach(kind, arn, step.before, step.after)  # as the preview showed
    else:  # resuming a change that was cut short: only what is still missing
        calls = calls_to_reach(kind, arn, current, step.after)
    if calls:
        _check_unchanged(step, current, executor)
    _run_calls(step.change_id, arn, calls, executor, store, snapshot.id, run)
    read = executor.wait_for(kind, arn, step.after)
    if not equivalent(kind, read, step.after):
        raise VerifyError(
            f"{arn} does not show the planned state after {executor.poll_timeout:g} s "
            "(verify failed)"
        )
    entry = snapshot.resource(arn)
    if entry is not None:
        entry.after = read
        store.save(snapshot)
    run.report.applied.append(step.change_id)
    run.emit(ChangeVerified(step.change_id, arn))


def _check_unchanged(step: PreviewStep, expected: Any, executor: Executor) -> None:
    """Read the resource again just before writing it: another writer (a second process, a
    person in the console) since this apply read it means this write would overwrite theirs.

    Raises:
        ConcurrentChange: the resource is no longer as this apply last saw it.
    """
    kind, arn = step.resource_type, step.resource_arn
    fresh = executor.read_state(kind, arn, detailed=is_detailed(kind, step.before, step.after))
    if not equivalent(kind, fresh, expected):
        raise ConcurrentChange(
            f"{arn} changed while this apply ran (another writer?); nothing more is written "
            "and what this apply changed is rolled back"
        )


class ConcurrentChange(ApplyError):
    """A resource changed between this apply's read and its write."""


def _run_calls(
    change: str,
    arn: str,
    calls: Sequence[ApiCall],
    executor: Executor,
    store: SnapshotStore,
    snapshot_id: str,
    run: _Run,
) -> None:
    for index, call in enumerate(calls):
        entry = JournalEntry("started", change, arn, index, call.operation)
        store.journal_append(snapshot_id, entry)
        executor.run(call)
        store.journal_append(snapshot_id, JournalEntry("done", change, arn, index, call.operation))
        run.emit(CallMade(change, arn, call, index))


def _fail(
    failed: PreviewStep,
    exc: Exception,
    started: Sequence[PreviewStep],
    executor: Executor,
    store: SnapshotStore,
    snapshot: Snapshot,
    run: _Run,
) -> ApplyReport:
    """Restore every resource touched so far, newest first, and report where the account is."""
    report = run.report
    report.failed, report.error = failed.change_id, str(exc)
    run.emit(ChangeFailed(failed.change_id, failed.resource_arn, str(exc)))
    restored = []
    for arn in _first_touch_order(started)[::-1]:
        entry = snapshot.resource(arn)
        if entry is None:
            continue
        if _restore(entry, executor, store, snapshot.id, run):
            restored.append(arn)
    report.rolled_back = [
        s.change_id for s in started if s.resource_arn in restored and s.change_id in report.applied
    ]
    report.differing = [a for a in _first_touch_order(started) if a not in restored]
    report.outcome = PARTIAL if report.differing else AS_BEFORE
    _commit(executor)
    store.journal_append(snapshot.id, JournalEntry("finished", outcome=report.outcome))
    return report


def detailed_entry(entry: SnapshotResource) -> bool:
    """Whether a snapshot resource is a role rafix created (read with its permissions)."""
    if entry.resource_type != "role":
        return False
    # ``planned``/``after`` None mean "not recorded" here, not "does not exist".
    return entry.before is None or any(
        s is not None and "create" in s for s in (entry.before, entry.planned, entry.after)
    )


def _first_touch_order(steps: Sequence[PreviewStep]) -> list[str]:
    return list(dict.fromkeys(s.resource_arn for s in steps))


def _restore(
    entry: SnapshotResource,
    executor: Executor,
    store: SnapshotStore,
    snapshot_id: str,
    run: _Run,
) -> bool:
    """Put one resource back to its snapshot state; True when verified."""
    detailed = detailed_entry(entry)
    for attempt in range(ROLLBACK_ATTEMPTS):
        try:
            current = executor.read_state(entry.resource_type, entry.arn, detailed=detailed)
            if equivalent(entry.resource_type, current, entry.before):
                run.emit(RolledBack(entry.arn, already=True))
                return True
            if current is None:
                break  # deleted meanwhile: rafix only deletes what it created, never recreates
            calls = calls_to_reach(entry.resource_type, entry.arn, current, entry.before)
            _run_calls("rollback", entry.arn, calls, executor, store, snapshot_id, run)
            read = executor.wait_for(entry.resource_type, entry.arn, entry.before)
            if equivalent(entry.resource_type, read, entry.before):
                run.emit(RolledBack(entry.arn))
                return True
        except CallFailed as exc:
            run.emit(RollbackFailed(entry.arn, str(exc), attempt + 1))
        except Exception as exc:  # anything else will not get better by retrying
            run.emit(RollbackFailed(entry.arn, str(exc)))
            break
        executor.pause(attempt)
    return False


# --- rollback --------------------------------------------------------------------------------
