"""Apply a plan in two steps, verify it, roll it back on failure; restore a snapshot.

An apply is a :func:`preview_apply` (no writes) and then an :func:`execute`; a front end asks for
confirmation in between, never halfway through. The order, and why:

1. Preview: refuse a plan made from offline files, or for another account or sandbox, or whose
   earlier phase is not in the account yet (these raise :class:`ApplyError`). Re-read every
   resource; the preview lists every change, its diff and its exact calls, and says whether the
   plan is stale (a resource changed since the plan was made: applying would overwrite someone
   else's change) or already applied. Nothing is written.
2. The front end shows the preview and asks.
3. Execute: read every resource again (time passed while the user read); refuse a stale plan.
   Write the snapshot (every resource's current state) before the first write.
4. Apply change by change. Each call is journalled (started, done) before and after it is made.
   After each change, read the resource back until the change is visible (IAM is eventually
   consistent) and verify it is equivalent to the plan.
5. On any failure (or when ``should_stop`` says so), restore every resource already touched, in
   reverse order, verify the restore, and report where the account ended: as before, or which
   resources differ.

A rollback is a plan built from a snapshot (:func:`preview_rollback`: before = what the account
shows now, after = what the snapshot holds) and goes through the same :func:`execute`, so it is
shown, confirmed, snapshotted and verified like any apply, and can itself be rolled back.

Progress is reported as typed events (:data:`ApplyEvent`); ``remediations.render_text`` turns
them into the CLI's lines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from remediations.errors import ApplyError, Cancelled, InputError
from remediations.executor import CallFailed, Executor, VerifyError
from remediations.model import JSON
from remediations.plan import Change, Plan
from remediations.progress import StopCheck
from remediations.snapshots import (
    JournalEntry,
    Snapshot,
    SnapshotResource,
    SnapshotStore,
    new_snapshot_id,
    utc_now,
)
from remediations.source import parse_source_label, same_account_source, source_label
from remediations.state import (
    NEUTRAL_SESSION_POLICY,
    ApiCall,
    calls_to_reach,
    equivalent,
    fingerprint,
    is_detailed,
)

#: How often a restoring call is tried before the rollback gives up on that resource.
ROLLBACK_ATTEMPTS = 3
READ_ONLY_REFUSAL = "read-only mode: these are the calls it would make; nothing was written"


class Outcome(StrEnum):
    """Where an apply left the account (the values are what journals record)."""

    #: Every change applied and verified.
    APPLIED = "as planned"
    #: A change failed (or the apply was stopped) and everything was restored and verified.
    ROLLED_BACK = "as before"
    #: A change failed and the rollback could not restore everything (``differing``).
    PARTIAL = "partially applied"
    #: Nothing needed writing.
    NOTHING = "nothing to do"
    #: Not started: read-only, or the plan is stale (``error`` says why). Nothing written.
    REFUSED = "refused"


AS_PLANNED = Outcome.APPLIED
AS_BEFORE = Outcome.ROLLED_BACK
PARTIAL = Outcome.PARTIAL
NOTHING = Outcome.NOTHING


# --- events ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SnapshotTaken:
    """The snapshot is on disk; the first write comes next."""

    snapshot_id: str
    path: Path


@dataclass(frozen=True, slots=True)
class ChangeStarted:
    change_id: str
    resource_arn: str
    resource_type: str
    summary: str


@dataclass(frozen=True, slots=True)
class CallMade:
    """One API call made (``change_id`` is ``"rollback"`` for a restoring call)."""

    change_id: str
    resource_arn: str
    call: ApiCall
    index: int


@dataclass(frozen=True, slots=True)
class ChangeVerified:
    """The change is visible in the account and equivalent to the plan."""

    change_id: str
    resource_arn: str


@dataclass(frozen=True, slots=True)
class ChangeFailed:
    """A change failed (or was not started because the caller stopped); the rollback follows."""

    change_id: str
    resource_arn: str
    error: str


@dataclass(frozen=True, slots=True)
class RolledBack:
    """A resource is as before again (``already``: it needed no restoring call)."""

    resource_arn: str
    already: bool = False


@dataclass(frozen=True, slots=True)
class RollbackFailed:
    """Restoring a resource failed (``attempt`` None: not worth retrying)."""

    resource_arn: str
    error: str
    attempt: int | None = None


ApplyEvent = (
    SnapshotTaken
    | ChangeStarted
    | CallMade
    | ChangeVerified
    | ChangeFailed
    | RolledBack
    | RollbackFailed
)
OnEvent = Callable[[ApplyEvent], None]


# --- preview ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreviewStep:
    """One change as apply runs it (a plan change, or the restore of one snapshot resource)."""

    change_id: str
    phase: int
    resource_type: str
    resource_arn: str
    summary: str
    before: JSON | None
    after: JSON | None
    calls: tuple[ApiCall, ...]
    #: The semantic diff (plan changes) or what is restored (rollbacks), one line each.
    diff_lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnfinishedApply:
    """Another apply on this account that was interrupted (its snapshot and plan)."""

    snapshot_id: str
    plan: str


@dataclass(slots=True)
class ApplyPreview:
    """What :func:`execute` would do, read from the account without writing.

    ``refused`` is why it cannot be applied as it is (stale); ``read_only`` that the session
    writes nothing. Both make :func:`execute` return :attr:`Outcome.REFUSED`.
    """

    kind: str  # "apply" | "rollback"
    label: str
    source: str
    account_id: str | None
    plan_key: str
    steps: list[PreviewStep]
    read_only: bool = False
    refused: str | None = None
    #: The resources that changed since the plan was made (why it is refused).
    stale: list[str] = field(default_factory=list)
    #: The account already shows every change (execute writes nothing).
    already_applied: bool = False
    phases: tuple[int, ...] = (1,)
    #: Changes of the plan in other phases, not applied now.
    held_phases: tuple[int, ...] = ()
    held_count: int = 0
    #: The next phase to apply after this one, if the plan has one.
    later_phase: int | None = None
    #: An interrupted apply of the same plan that this one finishes (its snapshot).
    resume_of: str | None = None
    resume_progress: str = ""
    #: Resources the interrupted apply was changing.
    touched: frozenset[str] = frozenset()
    other_unfinished: list[UnfinishedApply] = field(default_factory=list)
    #: Rollbacks: the snapshot restored, and whether its apply was interrupted.
    rollback_of: str | None = None
    interrupted: bool = False
    interrupted_progress: str = ""
    #: What the account is once every step is done (for the final line).
    done: str = AS_PLANNED.value

    @property
    def calls(self) -> list[ApiCall]:
        return [c for s in self.steps for c in s.calls]


@dataclass(slots=True)
class ApplyReport:
    """What an apply or rollback did, for the CLI, the app and tests."""

    outcome: Outcome
    snapshot_id: str | None = None
    applied: list[str] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)
    failed: str | None = None
    error: str | None = None
    #: ARNs that are neither as before nor as planned (a rollback that itself failed).
    differing: list[str] = field(default_factory=list)
    kind: str = "apply"
    done: str = AS_PLANNED.value
    #: The account already matched the plan when execute read it.
    already_matched: bool = False
    #: Roles this apply created (a phase-2 split), and the phase to apply once clients moved.
    created: list[str] = field(default_factory=list)
    later_phase: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (AS_PLANNED, NOTHING)


def _diff_lines(change: Change) -> tuple[str, ...]:
    """What the change does, worked out from its states (never the text the file carries)."""
    from remediations.diff import semantic_diff

    return tuple(semantic_diff(change.before, change.after))


def derived_calls(change: Change) -> list[ApiCall]:
    """The calls a change's before and after states need: the only calls an apply makes.

    Raises:
        ApplyError: the file's calls are not those (an AttachRolePolicy appended, a parameter
            changed): a plan is reviewed by reading its diff, so nothing else may run.
    """
    try:
        calls = calls_to_reach(
            change.resource_type, change.resource_arn, change.before, change.after
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ApplyError(
            f"plan change {change.id} ({change.resource_arn}): its states cannot be applied "
            f"({exc}); the plan file was edited or damaged; nothing was written"
        ) from None
    if [c.to_json() for c in calls] != [c.to_json() for c in change.calls]:
        expected = {json.dumps(c.to_json(), sort_keys=True) for c in calls}
        extra = [c for c in change.calls if json.dumps(c.to_json(), sort_keys=True) not in expected]
        what = f"; it adds {extra[0].describe()}" if extra else ""
        raise ApplyError(
            f"plan change {change.id} ({change.resource_arn}): its API calls are not the ones "
            f"its before and after states need{what}; the plan file was edited or damaged; "
            "nothing was written. Make the plan again"
        )
    return calls


def steps_of(plan: Plan, phases: Iterable[int] = (1,)) -> list[PreviewStep]:
    """The plan's changes in the chosen phases, in (phase, plan order) order.

    Raises:
        ApplyError: a change whose ``before`` does not match its fingerprint (a damaged plan).
    """
    wanted = set(phases)
    ordered = sorted(enumerate(plan.changes), key=lambda ic: (ic[1].phase, ic[0]))
    steps = []
    for _, change in ordered:
        if change.phase not in wanted:
            continue
        if change.fingerprint and fingerprint(change.before) != change.fingerprint:
            raise ApplyError(
                f"plan change {change.id} ({change.resource_arn}): its before-state does not "
                "match its fingerprint; the plan file was edited or damaged"
            )
        calls = derived_calls(change)
        steps.append(
            PreviewStep(
                change_id=change.id,
                phase=change.phase,
                resource_type=change.resource_type,
                resource_arn=change.resource_arn,
                summary=change.summary,
                before=change.before,
                after=change.after,
                calls=tuple(calls),
                diff_lines=_diff_lines(change),
            )
        )
    return steps


def plan_key(steps: Sequence[PreviewStep]) -> str:
    """Identity of what an apply does, to recognise the same plan after an interruption."""
    parts = [
        [s.change_id, s.resource_arn, fingerprint(s.before or {}), fingerprint(s.after or {})]
        for s in steps
    ]
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_target(
    plan_source: str, plan_account: str | None, source: str, account: str | None
) -> None:
    """Refuse to write a plan into an account other than the one it was made for.

    Raises:
        ApplyError: the plan came from offline files, another sandbox, or another account.
    """
    if plan_source == "files" or not plan_source:
        raise ApplyError(
            "this plan was made from offline files and cannot be applied; make it again "
            "against a sandbox account (rafix sandbox init can make one from the files) or "
            "the live account, then apply that plan"
        )
    if not same_account_source(plan_source, source):
        raise ApplyError(
            f"this plan was made for {plan_source}, not {source}; apply it to the account it "
            "was made for, or make a new plan"
        )
    if plan_account and account and plan_account != account:
        raise ApplyError(
            f"this plan was made for account {plan_account}, but the credentials reach "
            f"account {account}; nothing was written"
        )


def _normal_source(label: str) -> str:
    try:
        return source_label(parse_source_label(label))
    except InputError:
        return label


def preview_apply(
    plan: Plan,
    executor: Executor,
    store: SnapshotStore,
    *,
    phases: Iterable[int] = (1,),
    label: str = "",
    source: str | None = None,
    account_id: str | None = None,
    read_only: bool | None = None,
) -> ApplyPreview:
    """What applying the plan's changes in ``phases`` would do; nothing is written.

    Args:
        plan: The plan (made against a live or sandbox account).
        executor: An executor on the account the plan was made for (only reads are made).
        store: Where the account's snapshots and journals are.
        phases: Which phases to apply (phase 2 only when asked for explicitly).
        label: How the snapshot names the plan (its file path).
        source: The account being written ("live", "sandbox:DIR"), checked against the plan.
        account_id: The account ID the credentials reach, checked against the plan.
        read_only: Mark the preview read-only (default: the executor's mode).

    Raises:
        ApplyError: refused before anything is shown (offline plan, other account, damaged
            plan, an earlier phase not applied yet, the account cannot be read).
    """
    if source is not None:
        check_target(plan.source, plan.account_id, source, account_id)
    phases = tuple(phases)
    steps = steps_of(plan, phases)
    held = [c for c in plan.changes if c.phase not in phases]
    earlier = [c for c in held if c.phase < min(phases, default=1)]
    later = sorted({c.phase for c in held if c.phase > max(phases, default=1)})
    key = plan_key(steps)
    preview = ApplyPreview(
        kind="apply",
        label=label or "plan",
        # The snapshot names the account it was written to, resolved, so that a rollback from
        # another directory still recognises the sandbox.
        source=_normal_source(source or plan.source),
        account_id=account_id or plan.account_id,
        plan_key=key,
        steps=steps,
        read_only=executor.read_only if read_only is None else read_only,
        phases=phases,
        held_phases=tuple(sorted({c.phase for c in held})),
        held_count=len(held),
        later_phase=later[0] if later else None,
    )
    if not steps:
        return preview
    if earlier:
        _check_earlier_phases(earlier, executor)
    resume = next(iter(store.unfinished(key)), None)
    preview.other_unfinished = [
        UnfinishedApply(s.id, s.plan) for s in store.unfinished() if s.plan_key != key
    ]
    if resume is not None:
        journal = store.journal(resume.id)
        preview.resume_of = resume.id
        preview.touched = frozenset(journal.touched() if journal else ())
        preview.resume_progress = journal.progress() if journal else "0 call(s)"
    current = _read_current(steps, executor)
    preview.stale = _stale(steps, current, preview.touched)
    if preview.stale:
        preview.refused = _stale_message(preview.stale)
    elif resume is None:
        preview.already_applied = _all_as_planned(steps, current)
    return preview


def _check_earlier_phases(changes: Sequence[Change], executor: Executor) -> None:
    """Refuse a later phase while the account does not show the earlier phases: phase 2
    removes what phase 1 moved, so without phase 1 the workloads would lose their access.

    Raises:
        ApplyError: some earlier change is not in the account (nothing was written).
    """
    last: dict[str, Change] = {}
    for change in changes:
        last[change.resource_arn] = change  # the final state an earlier phase leaves
    missing = []
    for arn, change in last.items():
        kind = change.resource_type
        detailed = is_detailed(kind, change.before, change.after)
        try:
            current = executor.read_state(kind, arn, detailed=detailed)
        except CallFailed as exc:
            raise ApplyError(f"could not read the account ({exc}); nothing was written") from exc
        if not equivalent(kind, current, change.after):
            missing.append(f"{change.id} ({arn})")
    if missing:
        phases = ", ".join(sorted({str(c.phase) for c in changes}))
        raise ApplyError(
            f"phase {phases} of this plan is not applied yet ({', '.join(missing)} not as "
            f"planned); apply it first and switch the clients; nothing was written"
        )


def _read_current(steps: Sequence[PreviewStep], executor: Executor) -> dict[str, Any]:
    """Every resource's current state (a later change on the same resource starts from the
    earlier one, so each is read once).

    Raises:
        ApplyError: the account cannot be read (nothing was written).
    """
    current: dict[str, Any] = {}
    try:
        for step in steps:
            if step.resource_arn in current:
                continue
            detailed = is_detailed(step.resource_type, step.before, step.after)
            current[step.resource_arn] = executor.read_state(
                step.resource_type, step.resource_arn, detailed=detailed
            )
    except CallFailed as exc:
        raise ApplyError(f"could not read the account ({exc}); nothing was written") from exc
    return current


def _stale(
    steps: Sequence[PreviewStep], current: dict[str, Any], touched: frozenset[str]
) -> list[str]:
    """The resources that are neither as the plan was made against nor already as planned
    (a resume also accepts one the interrupted apply was changing)."""
    stale: list[str] = []
    seen: set[str] = set()
    for step in steps:
        arn = step.resource_arn
        if arn in seen:
            continue
        seen.add(arn)
        state = current[arn]
        if equivalent(step.resource_type, state, step.before):
            continue
        if equivalent(step.resource_type, state, step.after) or arn in touched:
            continue  # already as planned (writing it again changes nothing), or mid-change
        if step.before is None:
            stale.append(f"{arn} (the plan creates it, but it exists now)")
        elif state is None:
            stale.append(f"{arn} (it no longer exists)")
        else:
            stale.append(arn)
    return stale


def _stale_message(stale: Sequence[str]) -> str:
    return (
        f"stale plan: {', '.join(stale)} changed since the plan was made; nothing was "
        "written. Make the plan again (rafix plan with the same account options)."
    )


def _all_as_planned(steps: Sequence[PreviewStep], current: dict[str, Any]) -> bool:
    return all(equivalent(s.resource_type, current[s.resource_arn], s.after) for s in steps)


# --- execute ---------------------------------------------------------------------------------


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
    current = _read_current(preview.steps, executor)
    stale = _stale(preview.steps, current, preview.touched)
    if stale:
        report.outcome, report.error = Outcome.REFUSED, _stale_message(stale)
        return report
    if preview.resume_of is None and _all_as_planned(preview.steps, current):
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
    store.journal_append(snapshot.id, JournalEntry("finished", outcome=report.outcome))
    return report


def _detailed_entry(entry: SnapshotResource) -> bool:
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
    detailed = _detailed_entry(entry)
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


def preview_rollback(
    snapshot_id: str,
    executor: Executor,
    store: SnapshotStore,
    *,
    force: bool = False,
    source: str | None = None,
    account_id: str | None = None,
    read_only: bool | None = None,
) -> ApplyPreview:
    """The restore of what a snapshot holds, as a preview for :func:`execute`; no writes.

    Refuses when a resource changed since the snapshot's apply (someone else's change would be
    lost) unless ``force``. Undoes an apply that was interrupted (its journal is unfinished).

    Raises:
        ApplyError: refused (changed since, gone, other account): nothing written.
        SnapshotError: the snapshot is missing or damaged.
    """
    snapshot = store.load(snapshot_id)
    if source is not None:
        check_target(snapshot.source or source, snapshot.account_id, source, account_id)
    journal = store.journal(snapshot.id)
    interrupted = journal is not None and not journal.finished
    touched = journal.touched() if journal is not None else set()
    steps = _restore_steps(snapshot, executor, touched, force)
    return ApplyPreview(
        kind="rollback",
        label=f"rollback of {snapshot.id}",
        source=snapshot.source,
        account_id=snapshot.account_id,
        plan_key=plan_key(steps),
        steps=steps,
        read_only=executor.read_only if read_only is None else read_only,
        rollback_of=snapshot.id,
        interrupted=interrupted,
        interrupted_progress=journal.progress() if journal is not None else "",
        done=f"as snapshot {snapshot.id} holds (as before its apply)",
    )


def _restore_steps(
    snapshot: Snapshot, executor: Executor, touched: set[str], force: bool
) -> list[PreviewStep]:
    """One restoring step per resource that differs from the snapshot, newest change first.

    Raises:
        ApplyError: a resource changed since the apply (unless ``force``), or is gone.
    """
    steps = []
    changed = []
    for index, entry in enumerate(snapshot.resources, start=1):
        detailed = _detailed_entry(entry)
        current = executor.read_state(entry.resource_type, entry.arn, detailed=detailed)
        if equivalent(entry.resource_type, current, entry.before):
            continue
        if current is None:
            raise ApplyError(f"{entry.arn} no longer exists; rafix cannot recreate it")
        if not _ours(entry, current, entry.arn in touched):
            changed.append(entry.arn)
        steps.append(_restore_step(index, entry, current, snapshot.id))
    if changed and not force:
        raise ApplyError(
            f"{', '.join(changed)} changed since snapshot {snapshot.id} was applied; nothing "
            "was written. Pass --force to restore the snapshot anyway (that change is lost)."
        )
    return steps[::-1]  # the reverse of the apply's order


def _ours(entry: SnapshotResource, current: JSON | None, touched: bool) -> bool:
    """Whether the resource is as the snapshot's apply left it (not changed by anyone since)."""
    kind = entry.resource_type
    if entry.after is not None and equivalent(kind, current, entry.after):
        return True
    # An apply cut short, or whose verify failed, leaves the planned state or one on the way.
    return entry.after is None and (touched or equivalent(kind, current, entry.planned))


def _restore_step(
    index: int, entry: SnapshotResource, current: JSON, snapshot_id: str
) -> PreviewStep:
    before = entry.before or {}
    calls = calls_to_reach(entry.resource_type, entry.arn, current, entry.before)
    details = [f"restores {key}" for key in sorted(before) if before.get(key) != current.get(key)]
    if entry.before is None:
        details.append(
            f"the snapshot's apply created this {entry.resource_type}: the rollback deletes it"
        )
    if (
        entry.resource_type == "profile"
        and entry.before is not None
        and _clears_session_policy(before, current)
    ):
        # UpdateProfile cannot send an empty sessionPolicy (min length 1) and recreating
        # the profile would change its ARN, so "no session policy" is restored as a
        # policy that allows everything: session policies only filter, so the effective
        # permissions are exactly those the profile had without one.
        details.append(
            "the profile had no session policy; the API cannot remove one, so rafix sets "
            "a neutral one (Allow * on *), which grants exactly what no policy granted"
        )
    return PreviewStep(
        change_id=f"r{index}",
        phase=1,
        resource_type=entry.resource_type,
        resource_arn=entry.arn,
        summary=f"restore to snapshot {snapshot_id}",
        before=current,
        after=entry.before,
        calls=tuple(calls),
        diff_lines=tuple(details),
    )


def _clears_session_policy(before: JSON, current: JSON) -> bool:
    return before.get("sessionPolicy") is None and current.get("sessionPolicy") not in (
        None,
        NEUTRAL_SESSION_POLICY,
    )
