"""The preview of an apply (no writes): the steps, the plan's identity, the target check."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

from remediations.apply.executor import Executor
from remediations.apply.results import ApplyPreview, PreviewStep, UnfinishedApply
from remediations.apply.snapshots import SnapshotStore
from remediations.apply.verify import (
    all_as_planned,
    check_earlier_phases,
    read_current,
    stale_message,
    stale_resources,
)
from remediations.errors import ApplyError, InputError
from remediations.plan import Change, Plan
from remediations.source import parse_source_label, same_account_source, source_label
from remediations.state import ApiCall, calls_to_reach, fingerprint


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
        check_earlier_phases(earlier, executor)
    resume = next(iter(store.unfinished(key)), None)
    preview.other_unfinished = [
        UnfinishedApply(s.id, s.plan) for s in store.unfinished() if s.plan_key != key
    ]
    if resume is not None:
        journal = store.journal(resume.id)
        preview.resume_of = resume.id
        preview.touched = frozenset(journal.touched() if journal else ())
        preview.resume_progress = journal.progress() if journal else "0 call(s)"
    current = read_current(steps, executor)
    preview.stale = stale_resources(steps, current, preview.touched)
    if preview.stale:
        preview.refused = stale_message(preview.stale)
    elif resume is None:
        preview.already_applied = all_as_planned(steps, current)
    return preview
