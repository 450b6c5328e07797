"""The terminal app, driven by Textual's pilot on real sandbox accounts (no mocks of the core)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from textual.worker import WorkerFailed

from remediations.findings import Severity
from tui.app import RafixApp
from tui.config import TuiConfig
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.widgets.findings_table import FindingsTable


def run_async(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run a pilot test in its own event loop (pytest itself is synchronous here)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


def session_for(sandbox: Path, *, read_only: bool = False) -> Any:
    from remediations.cli.commands.tui import make_session

    args = argparse.Namespace(
        sandbox=str(sandbox),
        from_files=None,
        regions=None,
        profile=None,
        endpoint_url=None,
        config=None,
        read_only=read_only,
    )
    return make_session(args)


def make_app(sandbox: Path, **kwargs: Any) -> RafixApp:
    return RafixApp(
        session_for(sandbox, read_only=kwargs.pop("read_only", False)),
        source_text="test sandbox",
        remember_theme=False,
        **kwargs,
    )


async def settle(app: RafixApp, pilot: Any) -> None:
    """Wait until every worker of the app has finished (failed ones included)."""
    await pilot.pause()
    for _ in range(3):
        for worker in list(app.workers):
            with contextlib.suppress(WorkerFailed):
                await worker.wait()
        await pilot.pause()


async def wait_loaded(app: RafixApp, pilot: Any) -> MainScreen:
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, MainScreen)
    assert screen.loaded, "the scan did not load"
    return screen


@run_async
async def test_loads_the_findings_and_shows_the_first_one(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await wait_loaded(app, pilot)
        table = screen.query_one(FindingsTable)
        assert len(table.entries) == len(app.scan_result.findings) > 0
        first = table.current_finding
        assert first is not None and first.severity == Severity.CRITICAL
        detail = str(screen.query_one("#detail-text").render())
        assert first.id in detail and "Fix" in detail
        counts = str(screen.query_one("#counts").render())
        assert f"{len(table.entries)}/{len(table.entries)} findings" in counts


@run_async
async def test_j_and_k_move_the_cursor_and_the_detail_follows(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await wait_loaded(app, pilot)
        table = screen.query_one(FindingsTable)
        await pilot.press("j", "j")
        assert table.cursor == 2
        finding = table.current_finding
        assert finding is not None
        assert finding.id in str(screen.query_one("#detail-text").render())
        await pilot.press("k")
        assert table.cursor == 1


@run_async
async def test_filter_narrows_the_table_and_escape_clears_it(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await wait_loaded(app, pilot)
        table = screen.query_one(FindingsTable)
        total = len(table.entries)
        await pilot.press("slash")
        for key in "sev:high id:RA-TRUST-*":
            await pilot.press("space" if key == " " else key)
        await pilot.press("enter")
        shown = [table.rows[e].finding for e in table.entries if isinstance(e, int)]
        assert 0 < len(shown) < total
        assert all(f.severity == Severity.HIGH and f.id.startswith("RA-TRUST-") for f in shown)
        assert f"{len(shown)}/{total} findings" in str(screen.query_one("#counts").render())
        await pilot.press("escape")
        assert len(table.entries) == total


@run_async
async def test_group_by_resource_and_sort(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await wait_loaded(app, pilot)
        table = screen.query_one(FindingsTable)
        total = len(table.entries)
        await pilot.press("g")
        assert len(table.entries) > total  # a header line per resource
        await pilot.press("g", "s")
        assert screen.sort_key == "id"
        ids = [table.rows[e].finding.id for e in table.entries if isinstance(e, int)]
        assert ids == sorted(ids)


@run_async
async def test_help_lists_every_binding_and_closes(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(str(s.render()) for s in app.screen.query("Static"))
        for binding_id in (
            "filter",
            "mark",
            "open",
            "plan",
            "snapshots",
            "quit",
            "apply",
            "rollback",
        ):
            assert f"[{binding_id}]" in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


@run_async
async def test_keys_are_remapped_from_the_config(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir, config=TuiConfig(keys={"cursor_down": "n"}))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_loaded(app, pilot)
        await pilot.press("n", "n")
        assert screen.query_one(FindingsTable).cursor == 2


@run_async
async def test_usable_at_80x24(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await wait_loaded(app, pilot)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert screen.has_class("-narrow")
        table = screen.query_one(FindingsTable)
        assert table.size.height >= 5 and screen.query_one("#detail").size.height >= 5
        await pilot.press("j")
        assert table.cursor == 1


@run_async
async def test_q_exits_with_code_0(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(app, pilot)
        await pilot.press("q")
    assert app.return_code == 0


@run_async
async def test_no_credentials_shows_a_panel_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from remediations.cli.commands.tui import make_session

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    args = argparse.Namespace(
        sandbox=None,
        from_files=None,
        regions=["eu-west-1"],
        profile=None,
        endpoint_url=None,
        config=None,
        read_only=True,
    )
    app = RafixApp(make_session(args), remember_theme=False, demo_factory=lambda: None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        panel = screen.query_one("#error-panel")
        assert panel.display
        assert "No AWS credentials" in str(screen.query_one("#error-title").render())
        assert "demo" in str(screen.query_one("#error-keys").render())
