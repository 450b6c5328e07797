"""A proposal: what the core would change for the chosen findings, and why.

Shows per change the plain-language summary, the unified diff (side by side when the terminal
is wide), the exact API calls; inputs for any value the fix needs (with the candidates the
account shows, checked as typed by the core's ``Question.validate``); fixes the core refuses,
with the reason. ``a`` applies (confirmation first), ``w`` saves the plan file.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState

from remediations.findings import Finding
from tui.widgets.diff_view import side_by_side_content, unified_content

#: Wider than this, diffs are shown side by side.
SIDE_BY_SIDE = 150


class QuestionInput(Vertical):
    """One value the fix needs: the question, candidates, an input checked as typed."""

    DEFAULT_CSS = """
    QuestionInput { height: auto; margin: 0 0 1 0; }
    QuestionInput .problem { color: $error; }
    QuestionInput .hint { color: $text-muted; }
    """

    def __init__(self, question: Any, value: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value

    def compose(self) -> ComposeResult:
        q = self.question
        where = q.resource_arn.rsplit("/", 1)[-1] if q.resource_arn else "every resource"
        yield Static(
            Content.assemble(("? ", "bold $warning"), q.question, (f"  ({where})", "dim")),
            markup=False,
        )
        candidates = list(q.candidates)
        if candidates:
            yield Static(
                Content.assemble(("candidates: ", "dim"), ", ".join(candidates)),
                classes="hint",
                markup=False,
            )
        yield Input(
            value=self.value or (candidates[0] if len(candidates) == 1 else ""),
            placeholder=q.key,
            suggester=SuggestFromList(candidates, case_sensitive=False) if candidates else None,
        )
        yield Static("", classes="problem", markup=False)

    @property
    def current(self) -> str:
        return self.query_one(Input).value.strip()

    def check(self) -> str | None:
        """The reason the value is refused, or None when it is acceptable."""
        value = self.current
        problem: str | None = "a value is needed" if not value else self.question.validate(value)
        self.query_one(".problem", Static).update(problem or "")
        self.query_one(Input).set_class(problem is not None, "-invalid")
        return problem

    @on(Input.Changed)
    def _changed(self) -> None:
        self.check()


class SavePlanScreen(ModalScreen[str | None]):
    """Asks where to write the plan file."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="save_cancel")
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="save-box"):
            yield Static(
                "Write the plan file (the same file `rafix plan --out` writes):", markup=False
            )
            yield Input(value="rafix-plan.json", id="save-path")
            yield Static(Content.styled("enter: write · escape: cancel", "dim"), markup=False)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ProposalScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="proposal_back"),
        Binding("a", "apply", "Apply…", id="apply", tooltip="Confirm, then apply the changes"),
        Binding("w", "save", "Save plan", id="save_plan", tooltip="Write the plan file"),
        Binding(
            "ctrl+r",
            "replan",
            "Use values",
            id="replan",
            tooltip="Plan again with the values typed",
        ),
    ]

    def __init__(self, findings: list[Finding], *, plan: Any = None) -> None:
        super().__init__()
        self.findings = findings
        self.plan: Any = plan
        self.preview: Any = None
        self.answers: list[Any] = []

    @property
    def rafix(self) -> Any:
        return self.app

    def compose(self) -> ComposeResult:
        what = (
            f"{len(self.findings)} finding(s)"
            if len(self.findings) != 1
            else f"{self.findings[0].id} on {self.findings[0].resource_arn}"
        )
        if not self.findings:
            what = "a new workload"
        yield Static(
            Content.assemble(("Proposed fix: ", "bold"), what), id="proposal-title", markup=False
        )
        if self.rafix.session.read_only:
            yield Static(
                "READ-ONLY: this plan can be reviewed and saved, not applied",
                id="read-only-banner",
                markup=False,
            )
        with VerticalScroll(id="proposal-body"):
            yield Static(Content("Planning…"), id="proposal-text", markup=False)
            yield Vertical(id="questions")
        yield Footer()

    def on_mount(self) -> None:
        if self.plan is not None:
            self._preview(self.plan)
        else:
            self._make_plan()

    # --- workers ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan", name="plan")
    def _make_plan(self) -> Any:
        session = self.rafix.session
        plan = session.plan(
            findings=sorted({f.id for f in self.findings}),
            resources=sorted({f.resource_arn for f in self.findings}),
            answers=list(self.answers),
            scan=self.rafix.scan_result,
        )
        return plan, session.preview(plan)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan", name="preview")
    def _preview(self, plan: Any) -> Any:
        return plan, self.rafix.session.preview(plan)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "plan":
            return
        if event.state == WorkerState.SUCCESS:
            result: Any = event.worker.result
            self.plan, self.preview = result
            self._show()
        elif event.state == WorkerState.ERROR:
            self.query_one("#proposal-text", Static).update(
                Content.assemble(("Cannot plan: ", "bold $error"), str(event.worker.error))
            )
        self.refresh_bindings()

    # --- display ---------------------------------------------------------------------------

    def _show(self) -> None:
        self.query_one("#proposal-text", Static).update(self.proposal_content(self.size.width))
        box = self.query_one("#questions", Vertical)
        box.remove_children()
        questions = list(getattr(self.plan, "questions", []) or [])
        if questions:
            given = {(a.resource_arn, a.key): a.value for a in self.answers}
            box.mount(
                Static(
                    Content.styled("Values the fix needs (ctrl+r: plan with them)", "bold $accent"),
                    markup=False,
                )
            )
            box.mount_all(
                QuestionInput(q, given.get((q.resource_arn, q.key), "")) for q in questions
            )

    def proposal_content(self, width: int) -> Content:
        parts: list[Content] = []
        preview = self.preview
        steps = list(preview.steps) if preview is not None else []
        refused = getattr(preview, "refused", None)
        if refused:
            parts.append(Content.assemble(("Cannot be applied: ", "bold $error"), str(refused)))
        if not steps:
            parts.append(Content.styled("No change to make for these findings.", "bold"))
        for step in steps:
            parts.append(Content.assemble(("\n● ", "$warning"), (step.summary or "change", "bold")))
            parts.append(Content.assemble(("  ", ""), (step.resource_arn, "dim")))
            why = getattr(step, "why", "")
            if why:
                parts.append(Content(f"  {why}"))
            lines = list(step.diff_lines)
            if lines:
                parts.append(
                    side_by_side_content(lines, width - 4)
                    if width >= SIDE_BY_SIDE
                    else unified_content(lines)
                )
            parts.append(Content.styled("  API calls:", "bold"))
            for call in step.calls:
                parts.append(Content.assemble(("    → ", "$accent"), call.describe()))
        for item in getattr(self.plan, "not_fixable", []) or []:
            arn = getattr(item, "resource_arn", "")
            reason = getattr(item, "reason", "") or str(item)
            parts.append(
                Content.assemble(
                    ("\nNot fixed automatically: ", "bold $warning"),
                    f"{getattr(item, 'finding_id', '')} {arn}".strip(),
                )
            )
            parts.append(Content(f"  {reason}"))
        if steps and self.rafix.session.read_only:
            parts.append(
                Content.styled(
                    "\nRead-only: no apply is offered (w saves the plan).", "bold $warning"
                )
            )
        elif steps and not refused:
            parts.append(
                Content.styled("\na: apply (after a confirmation) · w: save the plan file", "dim")
            )
        return Content("\n").join(parts)

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            if self.rafix.session.read_only or self.preview is None:
                return False
            return bool(self.preview.steps) and not getattr(self.preview, "refused", None)
        if action == "save":
            return self.plan is not None
        if action == "replan":
            return bool(getattr(self.plan, "questions", None))
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_replan(self) -> None:
        from remediations.session import Answer  # type: ignore[import-not-found,unused-ignore]

        inputs = list(self.query(QuestionInput))
        problems = [i.check() for i in inputs]
        if any(problems):
            self.notify("Some values are refused: see the red lines", severity="error")
            return
        self.answers = [Answer(i.question.resource_arn, i.question.key, i.current) for i in inputs]
        self.query_one("#proposal-text", Static).update(Content("Planning with the values given…"))
        self._make_plan()

    def action_apply(self) -> None:
        from tui.screens.apply import ApplyScreen, ConfirmScreen

        preview = self.preview

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.app.switch_screen(ApplyScreen(preview))

        self.app.push_screen(ConfirmScreen(preview), confirmed)

    def action_save(self) -> None:
        def chosen(path: str | None) -> None:
            if not path:
                return
            try:
                self.plan.save(path)
            except Exception as exc:  # InputError: one line, never a traceback
                self.notify(str(exc), severity="error", markup=False)
                return
            self.notify(f"Plan written to {path}", markup=False)

        self.app.push_screen(SavePlanScreen(), chosen)

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        commands: list[tuple[str, str, Any]] = []
        if self.check_action("apply", ()):
            commands.append(("apply: these changes", "Confirm, then apply", self.action_apply))
        if self.plan is not None:
            commands.append(
                (
                    "export: save the plan file",
                    "Write the plan as `rafix plan --out` does",
                    self.action_save,
                )
            )
        return commands
