"""Snapshots: each one, what it covers, its diff against the account now, and rollback.

A rollback is previewed by the core like any plan and goes through the same confirmation and
apply screens.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from tui.widgets.diff_view import unified_content


def snapshot_label(info: Any) -> Content:
    damaged = getattr(info, "damaged", False)
    created = str(getattr(info, "created_at", "") or "")
    count = len(getattr(info, "resources", []) or [])
    text = f"{info.snapshot_id}  {created}  {count} resource(s)"
    return Content.styled(text + ("  DAMAGED" if damaged else ""), "$error" if damaged else "")


class SnapshotsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="snapshots_back"),
        Binding(
            "u",
            "rollback",
            "Roll back…",
            id="rollback",
            tooltip="Restore this snapshot (confirmation first)",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.snapshots: list[Any] = []
        self.preview: Any = None

    def compose(self) -> ComposeResult:
        yield Static(
            Content.styled("Snapshots (newest first)", "bold"), id="snapshots-title", markup=False
        )
        with Horizontal(id="snapshots-body"):
            yield OptionList(id="snapshot-list")
            with VerticalScroll(id="snapshot-detail"):
                yield Static(Content("Reading the snapshots…"), id="snapshot-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._list()

    @work(thread=True, exclusive=True, exit_on_error=False, group="snapshots", name="list")
    def _list(self) -> Any:
        app: Any = self.app
        return ("list", app.session.snapshots())

    @work(thread=True, exclusive=True, exit_on_error=False, group="snapshots", name="diff")
    def _diff(self, snapshot_id: str) -> Any:
        app: Any = self.app
        return ("preview", app.session.preview_rollback(snapshot_id))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "snapshots":
            return
        text = self.query_one("#snapshot-text", Static)
        if event.state == WorkerState.ERROR:
            text.update(Content.assemble(("Cannot read: ", "bold $error"), str(event.worker.error)))
            self.preview = None
        elif event.state == WorkerState.SUCCESS:
            result: Any = event.worker.result
            kind, value = result
            if kind == "list":
                self.snapshots = list(value)
                options = self.query_one(OptionList)
                options.clear_options()
                options.add_options(
                    Option(snapshot_label(s), id=s.snapshot_id) for s in self.snapshots
                )
                if not self.snapshots:
                    text.update(Content("No snapshots yet: rafix takes one before every apply."))
                else:
                    options.highlighted = 0
                    options.focus()
            else:
                self.preview = value
                text.update(self.preview_content(value))
        self.refresh_bindings()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.preview = None
        snapshot_id = event.option.id
        info = next((s for s in self.snapshots if s.snapshot_id == snapshot_id), None)
        if info is None:
            return
        self.query_one("#snapshot-text", Static).update(Content("Comparing with the account now…"))
        self._diff(info.snapshot_id)

    def preview_content(self, preview: Any) -> Content:
        parts: list[Content] = [Content.styled("Rolling back would change:", "bold")]
        refused = getattr(preview, "refused", None)
        if refused:
            parts.insert(0, Content.assemble(("Cannot roll back: ", "bold $error"), str(refused)))
        steps = list(preview.steps)
        if not steps:
            parts.append(Content("nothing: the account already matches this snapshot."))
        for step in steps:
            parts.append(
                Content.assemble(("\n● ", "$warning"), (step.summary or "restore", "bold"))
            )
            parts.append(Content.styled(f"  {step.resource_arn}", "dim"))
            parts.append(unified_content(list(step.diff_lines)))
            for call in step.calls:
                parts.append(Content.assemble(("    → ", "$accent"), call.describe()))
        return Content("\n").join(parts)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rollback":
            app: Any = self.app
            if app.session.read_only or self.preview is None:
                return False
            return bool(self.preview.steps) and not getattr(self.preview, "refused", None)
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_rollback(self) -> None:
        from tui.screens.apply import ApplyScreen, ConfirmScreen

        preview = self.preview

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.app.push_screen(ApplyScreen(preview, what="Rolling back"))

        self.app.push_screen(ConfirmScreen(preview, title="Roll back to this snapshot?"), confirmed)

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        commands: list[tuple[str, str, Any]] = []
        if self.check_action("rollback", ()):
            commands.append(
                (
                    "rollback: restore the highlighted snapshot",
                    "Confirm, then restore",
                    self.action_rollback,
                )
            )
        return commands
