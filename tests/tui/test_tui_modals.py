"""A modal dialog's footer lists the dialog's own keys, never those of the screen behind it
(they do nothing while the dialog is open)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests.tui.pilot import make_app, plan_long_durations, run_async, settle, wait_loaded
from tui.app import RafixApp
from tui.screens.apply import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.proposal import SavePlanScreen


def footer_keys(app: RafixApp) -> set[str]:
    """The keys the footer on top shows, and check that it covers the bottom row."""
    footer = app.screen.query_one(Footer)
    assert footer.region.y == app.size.height - 1 and footer.region.width == app.size.width
    return {key.key for key in footer.query(FooterKey)}


@run_async
async def test_the_confirm_dialog_footer_shows_only_yes_no_and_cancel(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(140, 40)) as pilot:
        proposal = await plan_long_durations(app, pilot)
        behind = {key.key for key in proposal.query_one(Footer).query(FooterKey)}
        assert "a" in behind  # the proposal's apply key, among others
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert footer_keys(app) == {"y", "n", "escape"}
        # Those keys are the ones that work: the proposal's own do nothing here.
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen_stack[-1] is proposal
        # w: the save dialog shows its own cancel key, not the proposal's.
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, SavePlanScreen)
        assert footer_keys(app) == {"escape"}


@run_async
async def test_the_help_footer_shows_only_its_close_keys(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert footer_keys(app) == {"escape"}  # escape, q and ? close it: shown as one
