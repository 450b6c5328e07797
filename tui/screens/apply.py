"""Confirmation before any write, then the apply's progress per call, then its result.

Every write (a fix, an onboarding, a rollback) goes through these two screens: the preview the
core made is listed in full, ``y`` confirms, and only then does the core's ``execute`` run, in
a thread worker that reports each event as it happens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState, get_current_worker

from remediations.apply.results import (
    ApplyEvent,
    ApplyPreview,
    ApplyReport,
    CallMade,
    ChangeFailed,
    ChangeStarted,
    ChangeVerified,
    Outcome,
    RollbackFailed,
    RolledBack,
    SnapshotTaken,
)
from remediations.state import ApiCall
from tui.outcome import arn_names, arn_words, change_words, rollback_command
from tui.screens import rafix_app

if TYPE_CHECKING:
    from tui.app import RafixApp


def preview_lines(preview: ApplyPreview) -> list[Content]:
    """Every resource and API call of a preview, one per line."""
    lines: list[Content] = []
    for step in preview.steps:
        lines.append(Content.assemble(("● ", "$warning"), (step.summary or "change", "bold")))
        lines.append(Content.assemble(("  resource: ", "dim"), step.resource_arn))
        for call in step.calls:
            lines.append(Content.assemble(("    → ", "$accent"), call.describe()))
    return lines


class ConfirmScreen(ModalScreen[bool]):
    """Lists every resource and call; ``y`` applies, ``n``/``escape`` does not."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # "Yes", not "Yes, apply": the same dialog confirms an apply, an onboarding and a
        # rollback; its title and its own line say which.
        Binding("y", "answer(True)", "Yes", id="confirm_yes", tooltip="Go ahead, as listed"),
        Binding("n", "answer(False)", "No", id="confirm_no", tooltip="Change nothing"),
        # An action of its own: the footer shows one key per action.
        Binding("escape", "cancel", "Cancel", id="confirm_cancel", tooltip="Change nothing"),
    ]

    def __init__(
        self,
        preview: ApplyPreview,
        *,
        title: str = "Apply these changes?",
        warnings: Sequence[str] = (),
        verb: str = "apply",
    ) -> None:
        super().__init__()
        self.preview = preview
        self.title_text = title
        self.verb = verb
        self.warnings = list(warnings)

    def compose(self) -> ComposeResult:
        steps = self.preview.steps
        calls = sum(len(step.calls) for step in steps)
        # The account as the title bar names it ("live AWS (profile prod)", "demo account").
        where = getattr(self.app, "source_text", "") or self.preview.source
        if self.preview.account_id:
            where = f"account {self.preview.account_id} ({where})"
        with Vertical(id="confirm-box"):
            yield Static(Content.styled(self.title_text, "bold"), markup=False)
            yield Static(
                Content(
                    f"{len(steps)} resource(s), {calls} API call(s) in {where}. A snapshot is "
                    "taken first; any failure rolls back what was done."
                ),
                markup=False,
            )
            for warning in self.warnings:
                yield Static(
                    Content.assemble(("warning: ", "bold $warning"), warning),
                    classes="confirm-warning",
                    markup=False,
                )
            with VerticalScroll(id="confirm-list"):
                yield Static(Content("\n").join(preview_lines(self.preview)), markup=False)
            yield Static(
                Content.assemble(
                    ("y", "bold $success"),
                    f": {self.verb}   ",
                    ("n", "bold"),
                    " / ",
                    ("escape", "bold"),
                    ": cancel",
                ),
                markup=False,
            )
        # Its own footer: the one of the screen behind would list keys that do nothing here.
        yield Footer(show_command_palette=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ApplyProgress(Message):
    """An event of the core's execute, posted from the worker thread."""

    def __init__(self, event: ApplyEvent) -> None:
        super().__init__()
        self.event = event


def event_line(event: ApplyEvent) -> Content:
    """One line for an event of the core's execute."""
    if isinstance(event, SnapshotTaken):
        return Content.assemble(
            ("snapshot ", "bold"), event.snapshot_id, ("  taken: the account as it was", "dim")
        )
    if isinstance(event, ChangeStarted):
        return Content.assemble(
            ("● ", "$warning"),
            (event.summary or event.change_id, "bold"),
            f"  {event.resource_arn}",
        )
    if isinstance(event, CallMade):
        who = "  ↺ " if event.change_id == "rollback" else "  ✓ "
        return Content.assemble((who, "$success"), event.call.describe())
    if isinstance(event, ChangeVerified):
        return Content.assemble(("  verified ", "bold $success"), event.resource_arn)
    if isinstance(event, ChangeFailed):
        return Content.assemble(
            ("  FAILED ", "bold $error"),
            f"{event.resource_arn}: {event.error}",
            ("\nrolling back what was applied, in reverse order:", "bold"),
        )
    if isinstance(event, RolledBack):
        state = "as before" if event.already else "rolled back, verified"
        return Content.assemble((f"  {state} ", "bold $warning"), event.resource_arn)
    if isinstance(event, RollbackFailed):
        attempt = f" (attempt {event.attempt})" if event.attempt is not None else ""
        return Content.assemble(
            (f"  rollback failed{attempt} ", "bold $error"), f"{event.resource_arn}: {event.error}"
        )
    return Content(str(event))  # pragma: no cover - every event type is handled above


_OUTCOMES = {
    Outcome.APPLIED: ("Applied and verified", "bold $success"),
    Outcome.NOTHING: ("Nothing to do: the account already matches", "bold"),
    Outcome.ROLLED_BACK: ("Failed and rolled back: the account is as it was", "bold $error"),
    Outcome.PARTIAL: ("Failed, and the rollback did not finish", "bold $error"),
    Outcome.REFUSED: ("Refused: nothing was written", "bold $warning"),
}


def report_content(
    report: ApplyReport,
    preview: ApplyPreview,
    *,
    names: Mapping[str, str] | None = None,
    made: Mapping[str, Sequence[ApiCall]] | None = None,
    account_args: Sequence[str] = (),
) -> Content:
    """The result in words: what was changed (resources by name), verified or rolled back and
    why, the snapshot id and how to undo it (here, and from a shell).

    ``names``: ARN -> name of profiles/anchors/CRLs; ``made``: the calls each change made (the
    apply's events); ``account_args``: the options that name the account, for the command.
    """
    rollback = preview.kind == "rollback"
    title, style = _OUTCOMES[report.outcome]
    if rollback and report.outcome is Outcome.APPLIED:
        title = "Rolled back and verified: the account matches the snapshot again"
    lines = [Content.styled(title, style)]
    applied, undone, failed = change_words(report, preview, names or {}, made)
    if report.outcome is Outcome.REFUSED or (report.error and not failed):
        lines.append(Content.assemble(("why: ", "dim"), report.error or ""))
    if failed:
        lines.append(
            Content.assemble(
                ("why: ", "bold $error"), f"{failed} could not be changed: {report.error}"
            )
        )
    if report.outcome is Outcome.APPLIED:
        done = "restored and verified" if rollback else "done and verified"
        lines.append(Content.styled(f"{len(applied)} change(s) {done}:", "bold"))
        lines.extend(Content.assemble(("  ✓ ", "$success"), line) for line in applied)
    elif undone or applied:
        lines.append(Content.styled("undone (verified as before):", "bold"))
        lines.extend(Content.assemble(("  ↺ ", "$warning"), line) for line in undone)
    if report.differing:
        lines.append(
            Content.assemble(
                ("differ from the snapshot (neither as before nor as planned): ", "bold $error"),
                ", ".join(arn_words(arn, preview, names or {}) for arn in report.differing),
            )
        )
    if report.snapshot_id:
        lines.append(
            Content.assemble(
                ("snapshot: ", "dim"), report.snapshot_id, ("  (the account as it was)", "dim")
            )
        )
        command = rollback_command(report.snapshot_id, account_args)
        if report.outcome is Outcome.APPLIED and not rollback:
            lines.append(
                Content.assemble(
                    ("Undo: ", "bold"), "S (snapshots), then u on this snapshot; or ", command
                )
            )
        elif report.outcome is Outcome.PARTIAL:
            lines.append(
                Content.assemble(
                    ("Retry the rollback: ", "bold"), "S (snapshots), then u; or ", command
                )
            )
    return Content("\n").join(lines)


class ApplyScreen(Screen[ApplyReport | None]):
    """Runs execute in a thread worker and shows each call as it is made.

    Args:
        preview: What the user confirmed.
        what: The title while it runs ("Applying", "Rolling back").
        epilogue: Called (in the worker thread) after a successful apply with the report; its
            text is shown under the result (the onboarding's client configuration).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Back to the findings", id="apply_close"),
    ]

    def __init__(
        self,
        preview: ApplyPreview,
        *,
        what: str = "Applying",
        epilogue: Callable[[ApplyReport], Content | None] | None = None,
    ) -> None:
        super().__init__()
        self.preview = preview
        self.what = what
        self.epilogue = epilogue
        self.report: ApplyReport | None = None
        self.finished = False
        self._lines: list[Content] = []
        #: The calls each change made, as the apply's events reported them.
        self.made: dict[str, list[ApiCall]] = {}
        #: Names of the profiles, anchors and CRLs (their ARNs end in ids), read before the
        #: findings refresh.
        self.names: dict[str, str] = {}

    @property
    def rafix(self) -> RafixApp:
        return rafix_app(self)

    def compose(self) -> ComposeResult:
        yield Static(Content.styled(f"{self.what}…", "bold"), id="apply-title", markup=False)
        with VerticalScroll(id="apply-log-box"):
            yield Static(id="apply-log", markup=False)
        with VerticalScroll(id="apply-result-box"):
            yield Static(id="apply-result", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        scan = self.rafix.scan_result
        if scan is not None:
            self.names = arn_names(scan.inventory)
        self._run()

    @work(thread=True, exclusive=True, exit_on_error=False, group="apply", name="apply")
    def _run(self) -> tuple[ApplyReport, Content | None]:
        worker = get_current_worker()

        def on_event(event: ApplyEvent) -> None:
            self.post_message(ApplyProgress(event))

        report = self.rafix.session.execute(
            self.preview,
            on_event=on_event,
            should_stop=lambda: worker.is_cancelled,
        )
        extra = None
        if self.epilogue is not None and report.outcome is Outcome.APPLIED:
            try:
                extra = self.epilogue(report)
            except Exception as exc:  # the write is done; say what could not be shown
                extra = Content.assemble(("note: ", "bold $warning"), str(exc))
        return report, extra

    def on_apply_progress(self, message: ApplyProgress) -> None:
        event = message.event
        if isinstance(event, CallMade) and event.change_id != "rollback":
            self.made.setdefault(event.change_id, []).append(event.call)
        self._lines.append(event_line(message.event))
        self.query_one("#apply-log", Static).update(Content("\n").join(self._lines))
        self.query_one("#apply-log-box", VerticalScroll).scroll_end(animate=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "apply":
            return
        result = self.query_one("#apply-result", Static)
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.finished = True
        if event.state == WorkerState.SUCCESS:
            value = event.worker.result
            assert value is not None
            self.report, extra = value
            content = report_content(
                self.report,
                self.preview,
                names=self.names,
                made=self.made,
                account_args=self.rafix.account_args,
            )
            if extra is not None:
                content = Content("\n\n").join([content, extra])
            result.update(content)
        else:
            error = event.worker.error
            result.update(
                Content.assemble(
                    ("Not applied: ", "bold $error"),
                    str(error),
                    ("\nNothing was written, or what was written was rolled back.", "dim"),
                )
            )
        self.query_one("#apply-title", Static).update(
            Content.styled(f"{self.what}: done  (enter or escape: back)", "bold")
        )
        self.refresh_bindings()
        if self.preview.steps and not self.preview.read_only:
            self.rafix.refresh_findings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close":
            return self.finished
        return True

    def action_close(self) -> None:
        self.dismiss(self.report)
