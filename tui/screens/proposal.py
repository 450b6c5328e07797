"""A proposal: what the core would change for the chosen findings, and why.

Shows per change the plain-language summary, what it means, the unified diff (side by side
when the terminal is wide), the exact API calls; inputs for any value the fix needs (with the
candidates the account shows, checked as typed by the core's ``Question.validate``); fixes the
core cannot make, with the reason. ``a`` applies (confirmation first), ``w`` saves the plan file,
the palette exports it as Terraform or CloudFormation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState

from remediations.answers import Answer, Question
from remediations.apply.results import ApplyPreview
from remediations.findings import Finding
from remediations.managed import drift_warning
from remediations.plan import Plan
from tui.screens import rafix_app
from tui.widgets.diff_view import step_diff_content

if TYPE_CHECKING:
    from tui.app import RafixApp

CodeFormat = Literal["terraform", "cloudformation"]
CODE_FILES: dict[CodeFormat, tuple[str, str]] = {
    "terraform": ("Terraform", "rafix-fix.tf"),
    "cloudformation": ("CloudFormation", "rafix-fix.yaml"),
}


class QuestionInput(Vertical):
    """One value the fix needs: the question, candidates, an input checked as typed."""

    DEFAULT_CSS = """
    QuestionInput { height: auto; margin: 0 0 1 0; }
    QuestionInput .problem { color: $error; }
    QuestionInput .hint { color: $text-muted; }
    """

    def __init__(self, question: Question, value: str = "") -> None:
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
                Content.assemble(("candidates the account shows: ", "dim"), ", ".join(candidates)),
                classes="hint",
                markup=False,
            )
        yield Input(
            value=self.value or (candidates[0] if len(candidates) == 1 else ""),
            placeholder=f"{q.key} (enter: plan with it)",
            suggester=SuggestFromList(candidates, case_sensitive=False) if candidates else None,
        )
        yield Static("", classes="problem", markup=False)

    @property
    def current(self) -> str:
        return self.query_one(Input).value.strip()

    def check(self) -> str | None:
        """The reason the value is refused, or None when it is acceptable."""
        value = self.current
        problem = "a value is needed" if not value else self.question.validate(value)
        self.query_one(".problem", Static).update(problem or "")
        self.query_one(Input).set_class(problem is not None, "-invalid")
        return problem

    @on(Input.Changed)
    def _changed(self) -> None:
        if self.current:
            self.check()


class SavePlanScreen(ModalScreen[str | None]):
    """Asks where to write a file; an existing file is only replaced when asked twice."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="save_cancel", tooltip="Write nothing")
    ]

    def __init__(self, prompt: str, default: str) -> None:
        super().__init__()
        self.prompt = prompt
        self.default = default
        self._confirmed_overwrite: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="save-box"):
            yield Static(self.prompt, markup=False)
            yield Input(value=self.default, id="save-path")
            yield Static("", id="save-problem", markup=False)
            yield Static(Content.styled("enter: write · escape: cancel", "dim"), markup=False)
        yield Footer(show_command_palette=False)  # its own keys, not the screen's behind

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if not path:
            return
        target = Path(path).expanduser()
        if target.is_dir():
            self.query_one("#save-problem", Static).update(f"{path} is a folder: name a file")
            return
        if target.exists() and self._confirmed_overwrite != path:
            self._confirmed_overwrite = path
            self.query_one("#save-problem", Static).update(
                f"{path} exists: enter again to replace it"
            )
            return
        self.dismiss(str(target))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True, slots=True)
class Planned:
    """What the planning worker hands the screen."""

    plan: Plan
    preview: ApplyPreview | None
    #: Why no preview could be made (offline files, an unreadable account), or None.
    preview_error: str | None = None


class ProposalScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="proposal_back", tooltip="Back to the findings"),
        Binding("a", "apply", "Apply…", id="apply", tooltip="Confirm, then apply the changes"),
        Binding("w", "save", "Save plan", id="save_plan", tooltip="Write the plan file"),
        Binding(
            "ctrl+r",
            "replan",
            "Use values",
            id="replan",
            tooltip="Plan again with the values typed (enter in a field does the same)",
        ),
    ]

    def __init__(self, findings: list[Finding], *, plan: Plan | None = None) -> None:
        super().__init__()
        self.findings = findings
        self.plan: Plan | None = plan
        self.preview: ApplyPreview | None = None
        self.preview_error: str | None = None
        self.answers: list[Answer] = []
        self.planning = True

    @property
    def label(self) -> str:
        """How the snapshot names what was applied."""
        if not self.findings:
            return "rafix app"
        ids = sorted({f.id for f in self.findings})
        names = sorted({f.resource_arn.rsplit("/", 1)[-1] for f in self.findings})
        what = ids[0] if len(ids) == 1 else f"{len(ids)} finding types"
        where = names[0] if len(names) == 1 else f"{len(names)} resources"
        return f"fix of {what} on {where} (rafix app)"

    @property
    def rafix(self) -> RafixApp:
        return rafix_app(self)

    def compose(self) -> ComposeResult:
        if not self.findings:
            what = "a new workload"
        elif len(self.findings) == 1:
            what = f"{self.findings[0].id} on {self.findings[0].resource_arn}"
        else:
            what = f"{len(self.findings)} findings on {len({f.resource_arn for f in self.findings})} resource(s)"
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
    def _make_plan(self) -> Planned:
        session = self.rafix.session
        plan = session.plan(
            findings=sorted({f.id for f in self.findings}),
            resources=sorted({f.resource_arn for f in self.findings}),
            answers=list(self.answers),
            scan=self.rafix.scan_result,
        )
        return self._previewed(plan)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan", name="preview")
    def _preview(self, plan: Plan) -> Planned:
        return self._previewed(plan)

    def _previewed(self, plan: Plan) -> Planned:
        from remediations.errors import RafixError

        if not plan.changes:
            return Planned(plan, None)
        if not plan.applicable:
            return Planned(
                plan,
                None,
                "this account was read from files: save the plan (w) and apply it with "
                "`rafix apply PLAN --profile ...` against the live account",
            )
        try:
            return Planned(plan, self.rafix.session.preview(plan, label=self.label))
        except RafixError as exc:
            return Planned(plan, None, str(exc))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "plan":
            return
        if event.state == WorkerState.SUCCESS:
            planned = event.worker.result
            assert isinstance(planned, Planned)
            self.plan, self.preview = planned.plan, planned.preview
            self.preview_error = planned.preview_error
            self.planning = False
            self._show()
        elif event.state == WorkerState.ERROR:
            self.planning = False
            self.query_one("#proposal-text", Static).update(
                Content.assemble(("Cannot plan: ", "bold $error"), str(event.worker.error))
            )
        self.refresh_bindings()

    # --- display ---------------------------------------------------------------------------

    def _show(self) -> None:
        self.query_one("#proposal-text", Static).update(self.proposal_content(self.size.width))
        box = self.query_one("#questions", Vertical)
        box.remove_children()
        questions = self.plan.questions if self.plan is not None else []
        if questions:
            given = {(a.resource_arn, a.key): a.value for a in self.answers}
            box.mount(
                Static(
                    Content.styled(
                        "Values the fix needs (enter or ctrl+r: plan with them)", "bold $accent"
                    ),
                    markup=False,
                )
            )
            box.mount_all(
                QuestionInput(q, given.get((q.resource_arn, q.key), "")) for q in questions
            )
            self.call_after_refresh(self._focus_first_question)

    def _focus_first_question(self) -> None:
        inputs = list(self.query(QuestionInput))
        if inputs:
            inputs[0].query_one(Input).focus()

    def proposal_content(self, width: int) -> Content:
        plan = self.plan
        if plan is None:
            return Content("Planning…")
        parts: list[Content] = []
        preview = self.preview
        if preview is not None and preview.refused:
            parts.append(Content.assemble(("Cannot be applied: ", "bold $error"), preview.refused))
        if self.preview_error:
            parts.append(
                Content.assemble(("Cannot be applied here: ", "bold $warning"), self.preview_error)
            )
        if not plan.changes:
            if plan.questions:
                parts.append(
                    Content.styled(
                        "This fix needs values only you know: fill them in below.", "bold"
                    )
                )
            elif not plan.not_fixable:
                parts.append(Content.styled("No change to make for these findings.", "bold"))
        for change in plan.changes:
            parts.append(
                Content.assemble(("\n● ", "$warning"), (change.summary or "change", "bold"))
            )
            parts.append(Content.assemble(("  ", ""), (change.resource_arn, "dim")))
            if change.why:
                parts.append(Content(f"  {change.why}"))
            if change.managed_by is not None:
                parts.append(
                    Content.assemble(
                        ("  warning: ", "bold $warning"), drift_warning(change.managed_by)
                    )
                )
            parts.append(
                step_diff_content(change.before, change.after, change.semantic_diff, width)
            )
            parts.append(Content.styled("  API calls:", "bold"))
            for call in change.calls:
                parts.append(Content.assemble(("    → ", "$accent"), call.describe()))
        for item in plan.not_fixable:
            parts.append(
                Content.assemble(
                    ("\nNot fixed automatically: ", "bold $warning"),
                    f"{item.finding_id} on {item.resource_arn}",
                )
            )
            parts.append(Content(f"  {item.reason}"))
        if plan.changes:
            if self.rafix.session.read_only:
                parts.append(
                    Content.styled(
                        "\nRead-only: no apply is offered (w saves the plan file).", "bold $warning"
                    )
                )
            elif self.check_action("apply", ()):
                parts.append(
                    Content.styled(
                        "\na: apply (after a confirmation) · w: save the plan file · "
                        "ctrl+p: export as Terraform or CloudFormation",
                        "dim",
                    )
                )
        return Content("\n").join(parts)

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            preview = self.preview
            if self.rafix.session.read_only or preview is None:
                return False
            return bool(preview.steps) and not preview.refused
        if action == "save":
            return self.plan is not None and not self.planning
        if action == "replan":
            return self.plan is not None and bool(self.plan.questions)
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _value_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_replan()

    def action_replan(self) -> None:
        inputs = list(self.query(QuestionInput))
        if not inputs:
            return
        problems = [i.check() for i in inputs]
        if any(problems):
            self.notify("Some values are refused: see the red lines", severity="error")
            return
        # Earlier answers stay: a plan in several rounds keeps what was given before.
        given = {(a.resource_arn, a.key): a for a in self.answers}
        for i in inputs:
            given[(i.question.resource_arn, i.question.key)] = i.question.answer(i.current)
        self.answers = list(given.values())
        self.planning = True
        self.query_one("#questions", Vertical).remove_children()
        self.query_one("#proposal-text", Static).update(Content("Planning with the values given…"))
        self.refresh_bindings()
        self._make_plan()

    def action_apply(self) -> None:
        from tui.screens.apply import ApplyScreen, ConfirmScreen

        preview = self.preview
        if preview is None or not self.check_action("apply", ()):
            return
        warnings = [
            drift_warning(c.managed_by)
            for c in (self.plan.changes if self.plan else [])
            if c.managed_by is not None
        ]

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.app.switch_screen(ApplyScreen(preview))

        self.app.push_screen(ConfirmScreen(preview, warnings=warnings), confirmed)

    def action_save(self) -> None:
        plan = self.plan
        if plan is None:
            return
        self._write_file(
            "Write the plan file (the file `rafix plan --out` writes; apply it with `rafix apply`):",
            "rafix-plan.json",
            plan.save,
            "plan",
        )

    def export_code(self, fmt: CodeFormat) -> None:
        """Write the plan as Terraform or CloudFormation (``rafix plan --format``)."""
        plan = self.plan
        if plan is None:
            return
        label, default = CODE_FILES[fmt]
        self._write_file(
            f"Write the fix as {label} (what `rafix plan --format {fmt}` prints):",
            default,
            lambda path: self.rafix.session.render_code(plan, fmt, out=path),
            label,
        )

    def copy_code(self, fmt: CodeFormat) -> None:
        if self.plan is None:
            return
        label = CODE_FILES[fmt][0]
        self.app.copy_to_clipboard(self.rafix.session.render_code(self.plan, fmt))
        self.notify(f"Copied the fix as {label}")

    def _write_file(
        self, prompt: str, default: str, write: Callable[[str], Any], what: str
    ) -> None:
        def chosen(path: str | None) -> None:
            if not path:
                return
            from remediations.errors import RafixError

            try:
                write(path)
            except RafixError as exc:  # InputError: one line, never a traceback
                self.notify(str(exc), severity="error", markup=False)
                return
            self.notify(f"Wrote the {what} to {path}", markup=False)

        self.app.push_screen(SavePlanScreen(prompt, default), chosen)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        commands: list[tuple[str, str, Callable[[], object]]] = []
        if self.check_action("apply", ()):
            commands.append(("apply: these changes", "Confirm, then apply", self.action_apply))
        if self.plan is not None and self.plan.changes:
            commands.append(
                (
                    "export: save the plan file",
                    "Write the plan as `rafix plan --out` does",
                    self.action_save,
                )
            )
            for fmt, (label, _) in CODE_FILES.items():
                commands.append(
                    (
                        f"export: the fix as {label}",
                        f"Write it as `rafix plan --format {fmt}` does",
                        partial(self.export_code, fmt),
                    )
                )
                commands.append(
                    (
                        f"copy: the fix as {label}",
                        "To the clipboard (OSC 52)",
                        partial(self.copy_code, fmt),
                    )
                )
        return commands
