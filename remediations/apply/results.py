"""What an apply shows and reports: the preview, its steps, the typed events, the outcome.

Plain data for every front end (``remediations.render_text`` turns it into the CLI's lines).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from remediations.model import JSON
from remediations.state import ApiCall

#: How often a restoring call is tried before the rollback gives up on that resource.


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
