"""Snapshots: each one, what it covers, its diff against the account now, and rollback.

A rollback is previewed by the core like any plan (``Session.preview_rollback``) and goes
through the same confirmation and apply screens as a fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from remediations.apply.results import ApplyPreview, ApplyReport
from remediations.apply.snapshots import SnapshotInfo
from tui.screens import rafix_app
from tui.widgets.diff_view import step_diff_content

if TYPE_CHECKING:
    from tui.app import RafixApp


def snapshot_label(info: SnapshotInfo) -> Content:
    """One line of the list: when, what plan, how many resources (damaged ones marked)."""
    if info.damaged:
        return Content.styled(f"{info.id}  DAMAGED", "$error")
    when = info.created_at.replace("T", " ").rstrip("Z")[:19]
    count = len(info.resources)
    mark = "  INTERRUPTED" if info.interrupted else ""
    return Content.assemble(
        (when, "bold"),
        f"  {info.plan or 'plan'}  ",
        (f"{count} resource(s){mark}", "$warning" if mark else "dim"),
    )


def snapshot_header(info: SnapshotInfo, this_source: str = "") -> Content:
    """What a snapshot covers (its source is named only when it is not this account's)."""
    where = "" if info.source == this_source else f" ({info.source})"
    lines = [
        Content.assemble(("snapshot ", "dim"), (info.id, "bold")),
        Content.assemble(("taken    ", "dim"), info.created_at),
        Content.assemble(("before   ", "dim"), info.plan or "plan"),
        Content.assemble(("account  ", "dim"), f"{info.account_id or '?'}{where}"),
    ]
    if info.damaged:
        lines.append(Content.assemble(("damaged: ", "bold $error"), info.damaged))
    if info.interrupted:
        lines.append(
            Content.styled(
                "Its apply was interrupted: rolling back undoes what it did.", "$warning"
            )
        )
    lines.append(Content.styled("covers:", "dim"))
    lines.extend(Content(f"  {arn}") for arn in info.resources)
    return Content("\n").join(lines)


class SnapshotsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="snapshots_back", tooltip="Back to the findings"),
        Binding(
            "u",
            "rollback",
            "Roll back…",
            id="rollback",
            tooltip="Restore this snapshot (preview and confirmation first)",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.snapshots: list[SnapshotInfo] = []
        self.preview: ApplyPreview | None = None
        self.selected: SnapshotInfo | None = None

    @property
    def rafix(self) -> RafixApp:
        return rafix_app(self)

    def compose(self) -> ComposeResult:
        yield Static(
            Content.assemble(
                ("Snapshots", "bold"),
                ("  newest first · each is the account before an apply · u: roll back", "dim"),
            ),
            id="snapshots-title",
            markup=False,
        )
        with Horizontal(id="snapshots-body"):
            yield OptionList(id="snapshot-list")
            with VerticalScroll(id="snapshot-detail"):
                yield Static(Content("Reading the snapshots…"), id="snapshot-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.preview = None
        self._list()

    @work(thread=True, exclusive=True, exit_on_error=False, group="snapshots", name="list")
    def _list(self) -> list[SnapshotInfo]:
        return self.rafix.session.snapshots()

    @work(thread=True, exclusive=True, exit_on_error=False, group="snapshots", name="diff")
    def _diff(self, snapshot_id: str) -> ApplyPreview:
        return self.rafix.session.preview_rollback(snapshot_id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "snapshots":
            return
        text = self.query_one("#snapshot-text", Static)
        if event.state == WorkerState.ERROR:
            self.preview = None
            parts = [
                Content.assemble(("Cannot roll back: ", "bold $error"), str(event.worker.error))
            ]
            if self.selected is not None and event.worker.name == "diff":
                parts.insert(0, snapshot_header(self.selected, self.rafix.session.label))
            text.update(Content("\n\n").join(parts))
        elif event.state == WorkerState.SUCCESS:
            if event.worker.name == "list":
                self._show_list(list(event.worker.result or []))
            else:
                preview = event.worker.result
                assert isinstance(preview, ApplyPreview)
                self.preview = preview
                text.update(self.preview_content(preview))
        self.refresh_bindings()

    def _show_list(self, snapshots: list[SnapshotInfo]) -> None:
        self.snapshots = snapshots
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(Option(snapshot_label(s), id=s.id) for s in snapshots)
        if not snapshots:
            self.query_one("#snapshot-text", Static).update(
                Content("No snapshots yet: rafix takes one before every apply.")
            )
            return
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.preview = None
        self.selected = next((s for s in self.snapshots if s.id == event.option.id), None)
        if self.selected is None:
            return
        self.query_one("#snapshot-text", Static).update(
            Content("\n\n").join(
                [
                    snapshot_header(self.selected, self.rafix.session.label),
                    Content("Comparing with the account now…"),
                ]
            )
        )
        self.refresh_bindings()
        if self.selected.damaged:
            return
        self._diff(self.selected.id)

    def preview_content(self, preview: ApplyPreview) -> Content:
        parts: list[Content] = []
        if self.selected is not None:
            parts.append(snapshot_header(self.selected, self.rafix.session.label))
        parts.append(
            Content.styled("\nRolling back would change (account now → snapshot):", "bold")
        )
        if preview.refused:
            parts.append(Content.assemble(("Cannot roll back: ", "bold $error"), preview.refused))
        if not preview.steps:
            parts.append(Content("nothing: the account already matches this snapshot."))
        for step in preview.steps:
            parts.append(
                Content.assemble(("\n● ", "$warning"), (step.summary or "restore", "bold"))
            )
            parts.append(Content.styled(f"  {step.resource_arn}", "dim"))
            parts.append(step_diff_content(step.before, step.after, step.diff_lines))
            for call in step.calls:
                parts.append(Content.assemble(("    → ", "$accent"), call.describe()))
        if preview.steps and self.rafix.session.read_only:
            parts.append(Content.styled("\nRead-only: no rollback is offered.", "bold $warning"))
        elif preview.steps and not preview.refused:
            parts.append(Content.styled("\nu: roll back (after a confirmation)", "dim"))
        return Content("\n").join(parts)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rollback":
            preview = self.preview
            if self.rafix.session.read_only or preview is None:
                return False
            return bool(preview.steps) and not preview.refused
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_rollback(self) -> None:
        from tui.screens.apply import ApplyScreen, ConfirmScreen

        preview = self.preview
        if preview is None or not self.check_action("rollback", ()):
            return

        def applied(report: ApplyReport | None) -> None:
            self.reload()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.app.push_screen(ApplyScreen(preview, what="Rolling back"), applied)

        title = f"Roll back to snapshot {preview.rollback_of or ''}?".replace("  ", " ")
        self.app.push_screen(ConfirmScreen(preview, title=title, verb="roll back"), confirmed)

    def palette_commands(self) -> list[tuple[str, str, object]]:
        commands: list[tuple[str, str, object]] = []
        if self.check_action("rollback", ()):
            commands.append(
                (
                    "rollback: restore the highlighted snapshot",
                    "Preview shown; confirm, then restore",
                    self.action_rollback,
                )
            )
        return commands
