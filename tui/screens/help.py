"""``?``: every key binding of the app, with the keys the user's keymap gives them."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui.config import config_path


def binding_sections() -> list[tuple[str, list[Binding]]]:
    """Every screen's bindings, in the order a user meets them."""
    from tui.app import RafixApp
    from tui.onboard_wizard import OnboardWizard
    from tui.screens.access import AccessScreen
    from tui.screens.apply import ApplyScreen, ConfirmScreen
    from tui.screens.main import ErrorPanel, MainScreen
    from tui.screens.proposal import ProposalScreen, SavePlanScreen
    from tui.screens.snapshots import SnapshotsScreen
    from tui.widgets.detail import DetailPane
    from tui.widgets.findings_table import FindingsTable

    sections: list[tuple[str, Any]] = [
        ("Everywhere", RafixApp),
        ("Findings", MainScreen),
        ("Findings table", FindingsTable),
        ("Detail pane (tab to it)", DetailPane),
        ("When the account cannot be read", ErrorPanel),
        ("Proposed fix", ProposalScreen),
        ("Save the plan", SavePlanScreen),
        ("Confirm", ConfirmScreen),
        ("Apply", ApplyScreen),
        ("Snapshots", SnapshotsScreen),
        ("Who can assume each role", AccessScreen),
        ("Onboarding wizard", OnboardWizard),
        ("This help", HelpScreen),
    ]
    return [(title, [b for b in _bindings(cls.BINDINGS)]) for title, cls in sections]


def _bindings(items: list[BindingType]) -> list[Binding]:
    out: list[Binding] = []
    for item in items:
        if isinstance(item, Binding):
            out.append(item)
        else:
            out.append(Binding(*item))
    return out


def help_content(keymap: dict[str, str]) -> Content:
    lines: list[Content] = []
    for title, bindings in binding_sections():
        lines.append(Content.styled(f"\n{title}", "bold $accent"))
        for binding in bindings:
            keys = keymap.get(binding.id or "", binding.key)
            shown = ", ".join(_key_label(k) for k in keys.split(","))
            words = binding.tooltip or binding.description
            ident = f"  [{binding.id}]" if binding.id else ""
            lines.append(Content.assemble((f"  {shown:<18}", "bold"), f"{words}", (ident, "dim")))
    lines.append(Content.styled("\n  ctrl+p            command palette (every action)", ""))
    lines.append(
        Content.styled(
            f'\nRemap keys by id in {config_path()} under [tui.keys], e.g. filter = "slash,f".',
            "dim",
        )
    )
    return Content("\n").join(lines)


def _key_label(key: str) -> str:
    return {"question_mark": "?", "slash": "/", "space": "space"}.get(key.strip(), key.strip())


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help_close"),
    ]

    def compose(self) -> ComposeResult:
        keymap = {k: v for k, v in getattr(self.app, "_keymap", {}).items()}
        with VerticalScroll(id="help-box"):
            yield Static(Content.styled("rafix: keys", "bold"), markup=False)
            yield Static(help_content(keymap), markup=False)
            yield Static(Content.styled("escape: close", "dim"), markup=False)
        yield Footer(show_command_palette=False)  # its own keys, not the screen's behind

    def action_close(self) -> None:
        self.dismiss(None)
