"""The result of an apply says in words what was changed, by name, verified or rolled back
and why, with the snapshot id and the command that undoes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from remediations.apply.results import Outcome
from tests.tui.pilot import make_app, plan_long_durations, run_async, settle
from tui.app import RafixApp
from tui.screens.apply import ApplyScreen, ConfirmScreen


def result_text(app: RafixApp) -> str:
    return str(app.screen.query_one("#apply-result", Static).render())


def profile_names(app: RafixApp) -> dict[str, str]:
    return {arn: p.name for arn, p in app.scan_result.inventory.profiles.items()}


@run_async
async def test_a_failed_apply_says_what_failed_why_and_what_was_undone_by_name(
    sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import remediations.sources.sandbox as sandbox

    real_open = sandbox.open_sandbox

    def open_with_fault(*args: Any, **kwargs: Any) -> Any:
        account = real_open(*args, **kwargs)
        # The second profile update of the apply is refused; the first is rolled back.
        account.faults.inject("access-denied", operation="UpdateProfile", writes_only=True, at=2)
        return account

    app = make_app(sandbox_dir, account_args=["--sandbox", str(sandbox_dir)])
    async with app.run_test(size=(140, 48)) as pilot:
        proposal = await plan_long_durations(app, pilot)
        assert proposal.plan is not None
        names = profile_names(app)
        changed = [names[c.resource_arn] for c in proposal.plan.changes]
        monkeypatch.setattr(sandbox, "open_sandbox", open_with_fault)
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        applying = app.screen
        assert isinstance(applying, ApplyScreen) and applying.report is not None
        assert applying.report.outcome is Outcome.ROLLED_BACK
        result = result_text(app)
        assert "Failed and rolled back" in result
        # Why, by name: the change that failed and AWS's error.
        assert f"why: profile {changed[1]} could not be changed: " in result
        assert "AccessDenied" in result
        # What was undone, by name; the snapshot id; no change ids anywhere.
        assert f"↺ updated the session duration of profile {changed[0]}" in result
        assert applying.report.snapshot_id and applying.report.snapshot_id in result
        assert " c1" not in result and " c2" not in result
        assert "Undo:" not in result  # nothing to undo: the account is as it was


@run_async
async def test_an_apply_of_several_lists_each_change_by_name(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir, account_args=["--sandbox", str(sandbox_dir)])
    async with app.run_test(size=(140, 48)) as pilot:
        proposal = await plan_long_durations(app, pilot)
        assert proposal.plan is not None
        names = profile_names(app)
        changed = [names[c.resource_arn] for c in proposal.plan.changes]
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        applying = app.screen
        assert isinstance(applying, ApplyScreen) and applying.report is not None
        result = result_text(app)
        assert f"{len(changed)} change(s) done and verified:" in result
        for name in changed:
            assert f"✓ updated the session duration of profile {name}" in result
        snapshot_id = applying.report.snapshot_id
        assert snapshot_id
        assert f"rafix rollback {snapshot_id} --sandbox {sandbox_dir}" in result
