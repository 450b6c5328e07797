"""Confirmation before any write, then the apply's progress per call, then its result.

Every write (a plan or a rollback) goes through these two screens: the preview the core made
is listed in full, ``y`` confirms, and only then does the core's ``execute`` run, in a thread.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState, get_current_worker


def preview_lines(preview: Any) -> list[Content]:
    """Every resource and API call of a preview, one per line."""
    lines: list[Content] = []
    for step in preview.steps:
        name = step.resource_arn
        lines.append(Content.assemble(("● ", "$warning"), (step.summary or "change", "bold")))
        lines.append(Content.assemble(("  resource: ", "dim"), name))
        for call in step.calls:
            lines.append(Content.assemble(("    → ", "$accent"), call.describe()))
    return lines


class ConfirmScreen(ModalScreen[bool]):
    """Lists every resource and call; ``y`` applies, ``n``/``escape`` does not."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes, apply", id="confirm_yes"),
        Binding("n", "answer(False)", "No", id="confirm_no"),
        Binding("escape", "answer(False)", "Cancel", show=False, id="confirm_cancel"),
    ]

    def __init__(self, preview: Any, *, title: str = "Apply these changes?") -> None:
        super().__init__()
        self.preview = preview
        self.title_text = title

    def compose(self) -> ComposeResult:
        steps = list(self.preview.steps)
        calls = sum(len(step.calls) for step in steps)
        with Vertical(id="confirm-box"):
            yield Static(Content.styled(self.title_text, "bold"), markup=False)
            yield Static(
                Content(
                    f"{len(steps)} resource(s), {calls} API call(s). A snapshot is taken first; "
                    "any failure rolls back what was done."
                ),
                markup=False,
            )
            with VerticalScroll(id="confirm-list"):
                yield Static(Content("\n").join(preview_lines(self.preview)), markup=False)
            yield Static(
                Content.assemble(
                    ("y", "bold $success"),
                    ": apply   ",
                    ("n", "bold"),
                    " / ",
                    ("escape", "bold"),
                    ": cancel",
                ),
                markup=False,
            )

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ApplyProgress(Message):
    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


def event_line(event: Any) -> Content:
    """One line for an event of the core's execute."""
    kind = type(event).__name__
    change = getattr(event, "change_id", "") or ""
    if kind == "SnapshotTaken":
        return Content.assemble(("snapshot ", "bold"), str(getattr(event, "snapshot_id", "")))
    if kind == "CallMade":
        call = getattr(event, "call", None)
        text = call.describe() if call is not None and hasattr(call, "describe") else str(event)
        ok = getattr(event, "ok", True)
        return Content.assemble(("  ✓ " if ok else "  ✗ ", "$success" if ok else "$error"), text)
    if kind == "ChangeStarted":
        return Content.assemble(("● ", "$warning"), str(getattr(event, "summary", change)))
    if kind == "ChangeVerified":
        return Content.assemble(("  verified ", "bold $success"), change)
    if kind == "RolledBack":
        why = getattr(event, "reason", "") or ""
        return Content.assemble(("  rolled back ", "bold $error"), f"{change} {why}".strip())
    return Content(str(getattr(event, "message", event)))


def report_content(report: Any) -> Content:
    """The result of an apply: verified, or rolled back and why, with the snapshot id."""
    outcome = getattr(report.outcome, "name", str(report.outcome))
    styles = {
        "APPLIED": ("Applied and verified", "bold $success"),
        "NOTHING": ("Nothing to do: the account already matches", "bold"),
        "ROLLED_BACK": ("Failed and rolled back: the account is as it was", "bold $error"),
        "PARTIAL": ("Failed; the rollback did not finish", "bold $error"),
        "REFUSED": ("Refused: nothing was written", "bold $warning"),
    }
    title, style = styles.get(outcome, (outcome, "bold"))
    lines = [Content.styled(title, style)]
    if getattr(report, "snapshot_id", None):
        lines.append(Content.assemble(("snapshot: ", "dim"), str(report.snapshot_id)))
    if getattr(report, "error", None):
        lines.append(Content.assemble(("why: ", "dim"), str(report.error)))
    for label in ("applied", "rolled_back", "failed", "differing"):
        items = getattr(report, label, None) or []
        if items:
            lines.append(
                Content.assemble(
                    (f"{label.replace('_', ' ')}: ", "dim"), ", ".join(map(str, items))
                )
            )
    return Content("\n").join(lines)


class ApplyScreen(Screen[Any]):
    """Runs execute in a thread worker and shows each call as it is made."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Back to the findings", id="apply_close"),
    ]

    def __init__(self, preview: Any, *, what: str = "Applying") -> None:
        super().__init__()
        self.preview = preview
        self.what = what
        self.report: Any = None
        self.finished = False
        self._lines: list[Content] = []

    def compose(self) -> ComposeResult:
        yield Static(Content.styled(f"{self.what}…", "bold"), id="apply-title", markup=False)
        with VerticalScroll(id="apply-log-box"):
            yield Static(id="apply-log", markup=False)
        yield Static(id="apply-result", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._run()

    @work(thread=True, exclusive=True, exit_on_error=False, group="apply", name="apply")
    def _run(self) -> Any:
        worker = get_current_worker()
        app: Any = self.app
        return app.session.execute(
            self.preview,
            on_event=lambda e: self.post_message(ApplyProgress(e)),
            should_stop=lambda: worker.is_cancelled,
        )

    def on_apply_progress(self, message: ApplyProgress) -> None:
        self._lines.append(event_line(message.event))
        self.query_one("#apply-log", Static).update(Content("\n").join(self._lines))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "apply":
            return
        result = self.query_one("#apply-result", Static)
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.finished = True
            self.refresh_bindings()
        if event.state == WorkerState.SUCCESS:
            self.report = event.worker.result
            result.update(report_content(self.report))
            self.query_one("#apply-title", Static).update(
                Content.styled(f"{self.what}: done", "bold")
            )
            app: Any = self.app
            app.refresh_findings()
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            result.update(Content.assemble(("Failed: ", "bold $error"), str(error)))
            app_: Any = self.app
            app_.refresh_findings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close":
            return self.finished
        return True

    def action_close(self) -> None:
        self.dismiss(self.report)
