"""The rafix terminal app: find, understand, fix and undo.

The App receives its :class:`~remediations.session.Session` in ``__init__`` and drives the
core only through it; screens live in :mod:`tui.screens`, widgets in :mod:`tui.widgets`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.worker import Worker, WorkerState

from remediations.apply.results import ApplyPreview, ApplyReport
from remediations.findings import Finding
from remediations.onboarding import Onboarding
from remediations.plan import Plan
from remediations.session import Session
from tui.commands import RafixCommands
from tui.config import DEFAULT_THEME, TuiConfig, load_saved_theme, save_theme
from tui.screens.main import MainScreen

SEVERITY_COLOURS = {
    "sev-critical": "#ff4f6d",
    "sev-high": "#ff8c42",
    "sev-medium": "#f0c040",
    "sev-low": "#5fb3ff",
    "sev-info": "#9aa5b1",
}


class RafixApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "rafix"
    COMMANDS: ClassVar[set[Any]] = App.COMMANDS | {RafixCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Leave rafix"),
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key binding"),
        Binding(
            "o", "onboard", "Onboard", show=False, id="onboard", tooltip="Onboard a new workload"
        ),
        Binding("d", "demo", "Demo", show=False, id="demo", tooltip="Open the demo account"),
    ]

    def __init__(
        self,
        session: Session,
        *,
        source_text: str = "",
        config: TuiConfig | None = None,
        demo_factory: Callable[[], Session] | None = None,
        remember_theme: bool = True,
        account_args: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.session = session
        #: The command-line options that name the account (``--sandbox DIR``, ``--profile P``),
        #: so that a command the app suggests (``rafix rollback ID ...``) runs as shown.
        self.account_args = list(account_args)
        self.source_text = source_text or "account"
        self.config = config or TuiConfig()
        self.demo_factory = demo_factory
        self.scan_result: Any = None
        #: Set by ``exit``: input that arrives while the app closes is dropped.
        self.quitting = False
        self._remember_theme = remember_theme
        theme = self.config.theme or (load_saved_theme() if remember_theme else None)
        self.theme = theme if theme in self.available_themes else DEFAULT_THEME

    def exit(self, result: int | None = None, return_code: int = 0, message: Any = None) -> None:
        self.quitting = True
        super().exit(result, return_code, message)

    async def on_event(self, event: events.Event) -> None:
        if self.quitting and isinstance(event, events.InputEvent):
            return  # a key typed after q (o, ?, S...) must not open a screen as the app closes
        await super().on_event(event)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(SEVERITY_COLOURS)

    def on_mount(self) -> None:
        if self.config.keys:
            self.set_keymap(self.config.keys)
        for problem in self.config.problems:
            self.notify(problem, severity="warning", markup=False)
        self.push_screen(MainScreen())

    def _watch_theme(self, theme_name: str) -> None:
        super()._watch_theme(theme_name)
        if self._remember_theme and self.is_running:
            save_theme(theme_name)

    @property
    def main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not open")

    # --- actions ---------------------------------------------------------------------------

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_demo(self) -> None:
        self.switch_to_demo()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "demo":
            return self.demo_factory is not None and self.scan_result is None
        return True

    def switch_to_demo(self) -> None:
        if self.demo_factory is None:
            return
        self.session = self.demo_factory()
        self.source_text = "demo account (sandbox)"
        directory = getattr(self.session.source, "directory", None)
        self.account_args = ["--sandbox", str(directory)] if directory else []
        self.demo_factory = None
        self.scan_result = None
        self.switch_screen(MainScreen()) if len(self.screen_stack) > 1 else None

    def open_findings(self, findings: list[Finding]) -> None:
        """Show the proposal for these findings (planned together)."""
        from tui.screens.proposal import ProposalScreen

        self.push_screen(ProposalScreen(findings))

    def action_snapshots(self) -> None:
        from tui.screens.snapshots import SnapshotsScreen

        self.push_screen(SnapshotsScreen())

    def action_onboard(self) -> None:
        from tui.onboard_wizard import OnboardWizard

        wizard = OnboardWizard(self.session)

        def done(plan: Plan | None) -> None:
            if plan is not None and wizard.onboarding is not None:
                self.apply_onboarding(wizard.onboarding)

        self.push_screen(wizard, done)

    def apply_onboarding(self, onboarding: Onboarding) -> None:
        """The wizard's plan goes through the same confirm, apply and result screens as a fix
        (read-only: the proposal screen, where it can be saved or exported)."""
        from tui.screens.proposal import ProposalScreen

        if self.session.read_only:
            self.push_screen(ProposalScreen([], plan=onboarding.plan))
            return
        self.notify("Checking the account before the confirmation…", timeout=2)
        self._preview_onboarding(onboarding)

    @work(thread=True, exclusive=True, exit_on_error=False, group="onboard", name="onboard")
    def _preview_onboarding(self, onboarding: Onboarding) -> tuple[Onboarding, ApplyPreview]:
        names = onboarding.names
        label = f"onboarding of {names.cn} ({names.role_name})"
        return onboarding, self.session.preview(onboarding.plan, label=label)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "onboard":
            return
        if event.state == WorkerState.ERROR:
            self.notify(f"Cannot onboard: {event.worker.error}", severity="error", markup=False)
        elif event.state == WorkerState.SUCCESS:
            result = event.worker.result
            assert result is not None
            onboarding, preview = result
            self._confirm_onboarding(onboarding, preview)

    def _confirm_onboarding(self, onboarding: Onboarding, preview: ApplyPreview) -> None:
        from tui.onboard_wizard import client_config_content
        from tui.screens.apply import ApplyScreen, ConfirmScreen

        if preview.refused:
            self.notify(f"Cannot onboard: {preview.refused}", severity="error", markup=False)
            return

        def epilogue(report: ApplyReport) -> Content:
            return client_config_content(onboarding, self.session.load())

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.push_screen(ApplyScreen(preview, what="Onboarding", epilogue=epilogue))

        title = f"Onboard {onboarding.names.cn}: apply these changes?"
        self.push_screen(ConfirmScreen(preview, title=title), confirmed)

    def refresh_findings(self) -> None:
        """Read the account again (after an apply or a rollback)."""
        self.main_screen.load()
