"""The restore of a snapshot, as a preview for :func:`remediations.apply.execute.execute`."""

from __future__ import annotations

from remediations.apply.execute import detailed_entry
from remediations.apply.executor import Executor
from remediations.apply.preview import check_target, plan_key
from remediations.apply.results import ApplyPreview, PreviewStep
from remediations.apply.snapshots import Snapshot, SnapshotResource, SnapshotStore
from remediations.apply.widening import widening
from remediations.errors import ApplyError
from remediations.model import JSON
from remediations.state import NEUTRAL_SESSION_POLICY, calls_to_reach, equivalent


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
        detailed = detailed_entry(entry)
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
    if entry.resource_type == "trust-anchor" and before.get("notificationSettings") != current.get(
        "notificationSettings"
    ):
        details.append(
            "notification settings rafix restores are recorded as configured by this account "
            "(configuredBy becomes the account ID, where the service's own defaults say "
            "rolesanywhere.amazonaws.com); the settings themselves are as before"
        )
    details[:0] = widening(entry.resource_type, current, entry.before)
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
