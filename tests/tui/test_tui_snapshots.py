"""Pictures of the app (pytest-textual-snapshot): main screen, diff, confirmation, help,
snapshots and 80x24, on the demo account.

Deterministic: a fixed terminal size and theme, a sandbox at a fixed path, snapshot ids and
times fixed. Regenerate with ``pytest tests/test_tui_snapshots.py --snapshot-update`` and
review the SVGs in ``tests/__snapshots__`` before committing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from remediations.answers import Answer
from remediations.session import Session
from remediations.source import SandboxSource
from tests.tui.pilot import settle
from tui.app import RafixApp
from tui.screens.proposal import ProposalScreen, QuestionInput

OPS_ADMIN = "arn:aws:iam::111122223333:role/ra-ops-admin"
WIDE = (160, 48)
NARROW = (80, 24)


@pytest.fixture
def fixed_sandbox(sandbox_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo account at a fixed path, with snapshot ids and times that do not change."""
    fixed = tmp_path / "sb"
    shutil.copytree(sandbox_dir, fixed)
    # Help names the config file: one path, however pytest names its temporary folders.
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent/rafix-snapshot-config")
    monkeypatch.setattr(
        "remediations.apply.execute.new_snapshot_id", lambda: "20261206T120000.000Z-a1b2c3"
    )
    monkeypatch.setattr("remediations.apply.execute.utc_now", lambda: "2026-12-06T12:00:00.000Z")
    return fixed


def app_for(sandbox: Path, **kwargs: Any) -> RafixApp:
    return RafixApp(
        Session(SandboxSource(sandbox), read_only=kwargs.pop("read_only", False)),
        source_text="demo account",
        remember_theme=False,
        **kwargs,
    )


async def loaded(pilot: Any) -> None:
    """Loaded, and the detail pane's access paths worked out (they follow the cursor, after
    a short rest, in a worker: wait for them however slow the machine is)."""
    await settle(pilot.app, pilot)
    for _ in range(100):
        detail = pilot.app.screen.query("#detail")
        if detail and "working out the paths" not in str(detail.first().render()):
            break
        await pilot.pause(0.1)
        await settle(pilot.app, pilot)
    await pilot.pause()


async def to_diff(pilot: Any) -> None:
    """The critical finding's fix, with a CN typed in and planned."""
    await settle(pilot.app, pilot)
    await pilot.press("enter")
    await settle(pilot.app, pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ProposalScreen)
    from textual.widgets import Input

    screen.query_one(QuestionInput).query_one(Input).value = "payments-batch.prod"
    await pilot.press("enter")
    await settle(pilot.app, pilot)


def test_main_screen(snap_compare: Any, fixed_sandbox: Path) -> None:
    assert snap_compare(app_for(fixed_sandbox), terminal_size=WIDE, run_before=loaded)


def test_main_screen_at_80x24(snap_compare: Any, fixed_sandbox: Path) -> None:
    assert snap_compare(app_for(fixed_sandbox), terminal_size=NARROW, run_before=loaded)


def test_diff(snap_compare: Any, fixed_sandbox: Path) -> None:
    assert snap_compare(app_for(fixed_sandbox), terminal_size=(120, 40), run_before=to_diff)


def test_confirm_modal(snap_compare: Any, fixed_sandbox: Path) -> None:
    async def to_confirm(pilot: Any) -> None:
        await to_diff(pilot)
        await pilot.press("a")
        await pilot.pause()

    assert snap_compare(app_for(fixed_sandbox), terminal_size=(120, 40), run_before=to_confirm)


def test_help(snap_compare: Any, fixed_sandbox: Path) -> None:
    async def to_help(pilot: Any) -> None:
        await loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app_for(fixed_sandbox), terminal_size=(120, 40), run_before=to_help)


def test_snapshots_screen(snap_compare: Any, fixed_sandbox: Path) -> None:
    session = Session(SandboxSource(fixed_sandbox))
    plan = session.plan(
        findings=["RA-TRUST-NO-SUBJECT-CONDITION"],
        resources=[OPS_ADMIN],
        answers=[Answer(OPS_ADMIN, "cn", "payments-batch.prod")],
    )
    report = session.execute(session.preview(plan, label="fix of ra-ops-admin"))
    assert report.snapshot_id == "20261206T120000.000Z-a1b2c3"

    async def to_snapshots(pilot: Any) -> None:
        await settle(pilot.app, pilot)
        await pilot.press("S")
        await settle(pilot.app, pilot)

    assert snap_compare(app_for(fixed_sandbox), terminal_size=(120, 40), run_before=to_snapshots)


def test_read_only_banner(snap_compare: Any, fixed_sandbox: Path) -> None:
    app = app_for(fixed_sandbox, read_only=True)
    assert snap_compare(app, terminal_size=(120, 30), run_before=loaded)
