"""Apply a plan, verify it, roll it back on failure; restore a snapshot; finish an interrupted apply.

The order of an apply, and why:

1. Refuse a plan made from offline files, or made for another account or sandbox.
2. Show every call, then ask (``confirm``): nothing happens without a yes.
3. Re-read every resource; if any no longer matches the state the plan was made against, refuse
   the whole plan (a stale plan would overwrite someone else's change). Nothing is written.
4. Write the snapshot (every resource's current state) before the first write.
5. Apply change by change. Each call is journalled (started, done) before and after it is made.
   After each change, read the resource back until the change is visible (IAM is eventually
   consistent) and verify it is equivalent to the plan.
6. On any failure, restore every resource already touched, in reverse order, verify the
   restore, and say exactly where the account ended: "as before", or which resources differ.

A rollback is a plan built from a snapshot (before = what the account shows now, after = what
the snapshot holds) and goes through the same steps, so it is shown, confirmed, snapshotted and
verified like any apply, and can itself be rolled back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from remediations.errors import ApplyError
from remediations.executor import CallFailed, Executor, VerifyError
from remediations.model import JSON
from remediations.snapshots import (
    JournalEntry,
    Snapshot,
    SnapshotResource,
    SnapshotStore,
    new_snapshot_id,
    utc_now,
)
from remediations.state import (
    NEUTRAL_SESSION_POLICY,
    ApiCall,
    calls_to_reach,
    equivalent,
    fingerprint,
    is_detailed,
)

AS_PLANNED = "as planned"
AS_BEFORE = "as before"
PARTIAL = "partially applied"
NOTHING = "nothing to do"
#: How often a restoring call is tried before the rollback gives up on that resource.
ROLLBACK_ATTEMPTS = 3

Confirm = Callable[[str], bool]
Output = Callable[[str], None]


class ChangeLike(Protocol):
    """What apply reads from a ``remediations.plan.Change``."""

    @property
    def id(self) -> str: ...
    @property
    def phase(self) -> int: ...
    @property
    def resource_arn(self) -> str: ...
    @property
    def resource_type(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def before(self) -> Any: ...
    @property
    def after(self) -> Any: ...
    @property
    def calls(self) -> Any: ...


class PlanLike(Protocol):
    """What apply reads from a ``remediations.plan.Plan``."""

    @property
    def source(self) -> str: ...
    @property
    def account_id(self) -> str | None: ...
    @property
    def changes(self) -> Sequence[ChangeLike]: ...


@dataclass(frozen=True, slots=True)
class Step:
    """One change as apply runs it (a plan change, or the restore of one snapshot resource)."""

    id: str
    phase: int
    resource_type: str
    arn: str
    summary: str
    before: JSON | None
    after: JSON | None
    calls: tuple[ApiCall, ...]
    details: tuple[str, ...] = ()


@dataclass(slots=True)
class ApplyReport:
    """What an apply or rollback did, for the CLI, the TUI and tests."""

    outcome: str
    snapshot_id: str | None = None
    applied: list[str] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)
    failed: str | None = None
    error: str | None = None
    #: ARNs that are neither as before nor as planned (a rollback that itself failed).
    differing: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome in (AS_PLANNED, NOTHING)


class _Run:
    """Shared state of one apply: where lines go, and the report being written."""

    def __init__(self, out: Output) -> None:
        self.report = ApplyReport(outcome=NOTHING)
        self._out = out

    def say(self, line: str = "") -> None:
        self.report.lines.append(line)
        self._out(line)


# --- plans -> steps ------------------------------------------------------------------------


def _calls(value: Iterable[Any]) -> tuple[ApiCall, ...]:
    return tuple(c if isinstance(c, ApiCall) else ApiCall.from_json(dict(c)) for c in value)


def _diff_lines(change: Any) -> tuple[str, ...]:
    """The change's semantic diff lines (``Change.semantic_diff``, or ``diff["semantic"]``)."""
    semantic = getattr(change, "semantic_diff", None)
    if semantic is None:
        diff = getattr(change, "diff", None)
        semantic = diff.get("semantic") if isinstance(diff, dict) else None
    return tuple(str(s) for s in semantic or ())


def steps_of(plan: PlanLike, phases: Iterable[int] = (1,)) -> list[Step]:
    """The plan's changes in the chosen phases, in (phase, plan order) order.

    Raises:
        ApplyError: a change whose ``before`` does not match its fingerprint (a damaged plan).
    """
    wanted = set(phases)
    ordered = sorted(enumerate(plan.changes), key=lambda ic: (int(ic[1].phase), ic[0]))
    steps = []
    for _, change in ordered:
        if int(change.phase) not in wanted:
            continue
        if change.fingerprint and fingerprint(change.before) != change.fingerprint:
            raise ApplyError(
                f"plan change {change.id} ({change.resource_arn}): its before-state does not "
                "match its fingerprint; the plan file was edited or damaged"
            )
        steps.append(
            Step(
                id=str(change.id),
                phase=int(change.phase),
                resource_type=str(change.resource_type),
                arn=str(change.resource_arn),
                summary=str(change.summary),
                before=change.before,
                after=change.after,
                calls=_calls(change.calls),
                details=_diff_lines(change),
            )
        )
    return steps


def plan_key(steps: Sequence[Step]) -> str:
    """Identity of what an apply does, to recognise the same plan after an interruption."""
    parts = [[s.id, s.arn, fingerprint(s.before or {}), fingerprint(s.after or {})] for s in steps]
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
            "this plan was made from offline files and cannot be applied; make it again with "
            "`rafix plan --sandbox DIR` or against the live account, then apply that plan"
        )
    if _normal_source(plan_source) != _normal_source(source):
        raise ApplyError(
            f"this plan was made for {plan_source}, not {source}; apply it to the account it "
            "was made for, or make a new plan"
        )
    if plan_account and account and plan_account != account:
        raise ApplyError(
            f"this plan was made for account {plan_account}, but the credentials reach "
            f"account {account}; nothing was written"
        )


def _normal_source(source: str) -> str:
    if source.startswith("sandbox:"):
        return "sandbox:" + str(Path(source.removeprefix("sandbox:")).expanduser().resolve())
    return source


# --- apply ---------------------------------------------------------------------------------


def apply_plan(
    plan: PlanLike,
    executor: Executor,
    store: SnapshotStore,
    confirm: Confirm,
    *,
    phases: Iterable[int] = (1,),
    label: str = "",
    source: str | None = None,
    account_id: str | None = None,
    out: Output = lambda _line: None,
) -> ApplyReport:
    """Apply the plan's changes in ``phases``; see the module docstring for the order.

    Args:
        plan: A ``remediations.plan.Plan`` (or anything with its fields).
        executor: A writable executor on the account the plan was made for.
        store: Where the snapshot and journal go.
        confirm: Asked once, with a one-line question, after the calls are shown.
        phases: Which phases to apply (phase 2 only when asked for explicitly).
        label: How the snapshot names the plan (its file path).
        source: The account being written ("live", "sandbox:DIR"), checked against the plan.
        account_id: The account ID the credentials reach, checked against the plan.
        out: Receives each line of output as it happens.

    Returns:
        The report; ``report.ok`` is False when the apply failed (the account state is in
        ``report.outcome``).

    Raises:
        ApplyError: refused (offline plan, other account, stale, cancelled): nothing written.
    """
    if source is not None:
        check_target(plan.source, plan.account_id, source, account_id)
    phases = tuple(phases)
    run = _Run(out)
    steps = steps_of(plan, phases)
    held = [c for c in plan.changes if int(c.phase) not in phases]
    earlier = [c for c in held if int(c.phase) < min(phases, default=1)]
    if held:
        run.say(
            f"{len(held)} change(s) of phase {', '.join(sorted({str(c.phase) for c in held}))} "
            "are not applied now (pass --phase N to apply them; each says why it waits)."
        )
    if not steps:
        run.say("Nothing to apply.")
        return run.report
    if earlier:
        _check_earlier_phases(earlier, executor)
    key = plan_key(steps)
    resume = next(iter(store.unfinished(key)), None)
    _warn_other_unfinished(store, key, run)
    # The snapshot names the account it was written to, resolved, so that a rollback from
    # another directory still recognises the sandbox.
    target = _normal_source(source or plan.source)
    job = _Job(steps, label or "plan", key, target, account_id or plan.account_id, resume=resume)
    report = _execute(job, executor, store, confirm, run)
    created = [s.arn for s in steps if s.before is None and s.id in report.applied]
    later = sorted({int(c.phase) for c in held if int(c.phase) > max(phases, default=1)})
    if created and later:
        run.say(
            f"Created {', '.join(created)}: switch each workload's --role-arn to its new role, "
            f"then apply the rest of this plan with --phase {later[0]}."
        )
    return report


def _check_earlier_phases(changes: Sequence[ChangeLike], executor: Executor) -> None:
    """Refuse a later phase while the account does not show the earlier phases: phase 2
    removes what phase 1 moved, so without phase 1 the workloads would lose their access.

    Raises:
        ApplyError: some earlier change is not in the account (nothing was written).
    """
    last: dict[str, ChangeLike] = {}
    for change in changes:
        last[str(change.resource_arn)] = change  # the final state an earlier phase leaves
    missing = []
    for arn, change in last.items():
        kind = str(change.resource_type)
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


def _warn_other_unfinished(store: SnapshotStore, key: str, run: _Run) -> None:
    for snapshot in store.unfinished():
        if snapshot.plan_key != key:
            run.say(
                f"Note: the apply that took snapshot {snapshot.id} ({snapshot.plan}) was "
                f"interrupted; `rafix rollback {snapshot.id}` undoes it."
            )


@dataclass(frozen=True, slots=True)
class _Job:
    """One run through the apply path: a plan's changes, or a snapshot's restores."""

    steps: list[Step]
    label: str
    key: str
    source: str
    account_id: str | None
    #: What the account is once every step is done, in the final line.
    done: str = AS_PLANNED
    #: An interrupted apply of the same plan, to finish.
    resume: Snapshot | None = None


def _execute(
    job: _Job, executor: Executor, store: SnapshotStore, confirm: Confirm, run: _Run
) -> ApplyReport:
    touched: set[str] = set()
    if job.resume is not None:
        journal = store.journal(job.resume.id)
        touched = journal.touched() if journal else set()
        done = journal.progress() if journal else "0 call(s)"
        run.say(
            f"An earlier apply of this plan (snapshot {job.resume.id}) was interrupted after "
            f"{done}; this apply finishes it (`rafix rollback {job.resume.id}` would "
            "undo it instead)."
        )
    _show(job, run)
    if executor.read_only:
        raise ApplyError("read-only mode: these are the calls it would make; nothing was written")
    if not confirm(f"Apply {len(job.steps)} change(s) to the account?"):
        raise ApplyError("apply cancelled; nothing was written")
    try:
        current = _check_fresh(job.steps, executor, touched)
    except CallFailed as exc:
        raise ApplyError(f"could not read the account ({exc}); nothing was written") from exc
    if job.resume is None and all(
        equivalent(s.resource_type, current[s.arn], s.after) for s in job.steps
    ):
        run.say("The account already matches this plan; nothing was written.")
        return run.report
    snapshot = job.resume or _new_snapshot(job, current)
    if job.resume is None:
        store.save(snapshot)
    run.report.snapshot_id = snapshot.id
    run.say(f"Snapshot {snapshot.id} written to {store.path(snapshot.id)}.")
    started: list[Step] = []
    for step in job.steps:
        started.append(step)
        try:
            _apply_step(step, current[step.arn], executor, store, snapshot, run)
        except Exception as exc:  # whatever failed, what was applied must be undone
            return _fail(step, exc, started, executor, store, snapshot, run)
        current[step.arn] = step.after
    store.journal_append(snapshot.id, JournalEntry("finished", outcome=AS_PLANNED))
    run.report.outcome = AS_PLANNED
    run.say(
        f"Applied {len(run.report.applied)} change(s); the account is {job.done}. "
        f"Undo with `rafix rollback {snapshot.id}`."
    )
    return run.report


def _show(job: _Job, run: _Run) -> None:
    where = f"account {job.account_id} ({job.source})" if job.account_id else job.source
    run.say(f"About to apply {len(job.steps)} change(s) from {job.label} to {where}:")
    for step in job.steps:
        run.say(f"  [{step.id}] {step.resource_type} {step.arn}: {step.summary}")
        for detail in step.details:
            run.say(f"      {detail}")
        for call in step.calls:
            run.say(f"      call {call.describe()}")


def _check_fresh(steps: Sequence[Step], executor: Executor, touched: set[str]) -> dict[str, Any]:
    """Read every resource; refuse unless each is as the plan was made against, or already as
    planned (a resume also accepts one the interrupted apply was changing)."""
    current: dict[str, Any] = {}
    stale = []
    for step in steps:
        if step.arn in current:  # a later change on the same resource starts from the earlier
            continue
        detailed = is_detailed(step.resource_type, step.before, step.after)
        state = executor.read_state(step.resource_type, step.arn, detailed=detailed)
        current[step.arn] = state
        if equivalent(step.resource_type, state, step.before):
            continue
        if equivalent(step.resource_type, state, step.after) or step.arn in touched:
            continue  # already as planned (writing it again changes nothing), or mid-change
        if step.before is None:
            stale.append(f"{step.arn} (the plan creates it, but it exists now)")
        elif state is None:
            stale.append(f"{step.arn} (it no longer exists)")
        else:
            stale.append(step.arn)
    if stale:
        raise ApplyError(
            f"stale plan: {', '.join(stale)} changed since the plan was made; nothing was "
            "written. Run `rafix plan` again."
        )
    return current


def _new_snapshot(job: _Job, current: dict[str, Any]) -> Snapshot:
    resources: dict[str, SnapshotResource] = {}
    for step in job.steps:
        entry = resources.setdefault(
            step.arn, SnapshotResource(step.resource_type, step.arn, current[step.arn])
        )
        entry.planned = step.after
    return Snapshot(
        id=new_snapshot_id(),
        created_at=utc_now(),
        plan=job.label,
        plan_key=job.key,
        source=job.source,
        account_id=job.account_id,
        resources=list(resources.values()),
    )


def _apply_step(
    step: Step,
    current: Any,
    executor: Executor,
    store: SnapshotStore,
    snapshot: Snapshot,
    run: _Run,
) -> None:
    """Make one change's calls, journalled, then verify it is visible and as planned."""
    if equivalent(step.resource_type, current, step.after):
        calls: Sequence[ApiCall] = ()
    elif equivalent(step.resource_type, current, step.before):
        calls = step.calls
    else:  # resuming a change that was cut short: only what is still missing
        calls = calls_to_reach(step.resource_type, step.arn, current, step.after)
    _run_calls(step.id, step.arn, calls, executor, store, snapshot.id)
    read = executor.wait_for(step.resource_type, step.arn, step.after)
    if not equivalent(step.resource_type, read, step.after):
        raise VerifyError(
            f"{step.arn} does not show the planned state after {executor.poll_timeout:g} s "
            "(verify failed)"
        )
    entry = snapshot.resource(step.arn)
    if entry is not None:
        entry.after = read
        store.save(snapshot)
    run.report.applied.append(step.id)
    run.say(f"  applied [{step.id}] {step.arn}: verified")


def _run_calls(
    change: str,
    arn: str,
    calls: Sequence[ApiCall],
    executor: Executor,
    store: SnapshotStore,
    snapshot_id: str,
) -> None:
    for index, call in enumerate(calls):
        entry = JournalEntry("started", change, arn, index, call.operation)
        store.journal_append(snapshot_id, entry)
        executor.run(call)
        store.journal_append(snapshot_id, JournalEntry("done", change, arn, index, call.operation))


def _fail(
    failed: Step,
    exc: Exception,
    started: Sequence[Step],
    executor: Executor,
    store: SnapshotStore,
    snapshot: Snapshot,
    run: _Run,
) -> ApplyReport:
    """Restore every resource touched so far, newest first, and report where the account is."""
    report = run.report
    report.failed, report.error = failed.id, str(exc)
    run.say(f"  FAILED [{failed.id}] {failed.arn}: {exc}")
    run.say("Rolling back what was applied, in reverse order:")
    restored = []
    for arn in _first_touch_order(started)[::-1]:
        entry = snapshot.resource(arn)
        if entry is None:
            continue
        if _restore(entry, executor, store, snapshot.id, run):
            restored.append(arn)
    report.rolled_back = [s.id for s in started if s.arn in restored and s.id in report.applied]
    report.differing = [a for a in _first_touch_order(started) if a not in restored]
    if report.differing:
        report.outcome = PARTIAL
        run.say(
            f"The account is NOT as before: {', '.join(report.differing)} differ(s) from "
            f"snapshot {snapshot.id}. Retry with `rafix rollback {snapshot.id}`."
        )
    else:
        report.outcome = AS_BEFORE
        run.say(f"The account is {AS_BEFORE}: nothing the plan changed remains changed.")
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


def _first_touch_order(steps: Sequence[Step]) -> list[str]:
    return list(dict.fromkeys(s.arn for s in steps))


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
                run.say(f"  {entry.arn}: as before")
                return True
            if current is None:
                break  # deleted meanwhile: rafix only deletes what it created, never recreates
            calls = calls_to_reach(entry.resource_type, entry.arn, current, entry.before)
            _run_calls("rollback", entry.arn, calls, executor, store, snapshot_id)
            read = executor.wait_for(entry.resource_type, entry.arn, entry.before)
            if equivalent(entry.resource_type, read, entry.before):
                run.say(f"  rolled back {entry.arn}: verified")
                return True
        except CallFailed as exc:
            run.say(f"  rollback of {entry.arn} failed (attempt {attempt + 1}): {exc}")
        except Exception as exc:  # anything else will not get better by retrying
            run.say(f"  rollback of {entry.arn} failed: {exc}")
            break
        executor.pause(attempt)
    return False


# --- rollback ------------------------------------------------------------------------------


def rollback(
    snapshot_id: str,
    executor: Executor,
    store: SnapshotStore,
    confirm: Confirm,
    *,
    force: bool = False,
    source: str | None = None,
    account_id: str | None = None,
    out: Output = lambda _line: None,
) -> ApplyReport:
    """Restore what a snapshot holds, through the same show/confirm/snapshot/verify path.

    Refuses when a resource changed since the snapshot's apply (someone else's change would be
    lost) unless ``force``. Undoes an apply that was interrupted (its journal is unfinished).

    Raises:
        ApplyError: refused (changed since, other account, cancelled): nothing written.
        SnapshotError: the snapshot is missing or damaged.
    """
    snapshot = store.load(snapshot_id)
    if source is not None:
        check_target(snapshot.source or source, snapshot.account_id, source, account_id)
    run = _Run(out)
    journal = store.journal(snapshot.id)
    interrupted = journal is not None and not journal.finished
    if journal is not None and interrupted:
        run.say(
            f"The apply that took snapshot {snapshot.id} was interrupted after "
            f"{journal.progress()}; this rollback undoes it."
        )
    touched = journal.touched() if journal is not None else set()
    steps = _restore_steps(snapshot, executor, touched, force)
    if not steps:
        run.say(f"Nothing to roll back: the account already matches snapshot {snapshot.id}.")
        if interrupted:
            store.journal_append(snapshot.id, JournalEntry("finished", outcome=AS_BEFORE))
        return run.report
    job = _Job(
        steps,
        f"rollback of {snapshot.id}",
        plan_key(steps),
        snapshot.source,
        snapshot.account_id,
        done=f"as snapshot {snapshot.id} holds (as before its apply)",
    )
    report = _execute(job, executor, store, confirm, run)
    if interrupted and report.ok:
        store.journal_append(snapshot.id, JournalEntry("finished", outcome="rolled back"))
    return report


def _restore_steps(
    snapshot: Snapshot, executor: Executor, touched: set[str], force: bool
) -> list[Step]:
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


def _restore_step(index: int, entry: SnapshotResource, current: JSON, snapshot_id: str) -> Step:
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
    return Step(
        id=f"r{index}",
        phase=1,
        resource_type=entry.resource_type,
        arn=entry.arn,
        summary=f"restore to snapshot {snapshot_id}",
        before=current,
        after=entry.before,
        calls=tuple(calls),
        details=tuple(details),
    )


def _clears_session_policy(before: JSON, current: JSON) -> bool:
    return before.get("sessionPolicy") is None and current.get("sessionPolicy") not in (
        None,
        NEUTRAL_SESSION_POLICY,
    )
