"""The terminal app, driven by Textual's pilot on real sandbox accounts (no mocks of the core)."""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from textual.binding import Binding

import tui
from remediations.findings import Severity
from tests.tui.pilot import make_app, run_async, session_for, settle, wait_loaded
from tui.app import RafixApp
from tui.config import TuiConfig
from tui.screens.help import HelpScreen, binding_sections
from tui.screens.main import MainScreen
from tui.widgets.detail import DetailPane
from tui.widgets.findings_table import FindingsTable


@run_async
async def test_loads_the_findings_and_shows_the_first_one(sandbox_dir: Path) -> None:
    app = make_app(sandbox_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await wait_loaded(app, pilot)
        table = screen.query_one(FindingsTable)
        assert len(table.entries) == len(app.scan_result.findings) > 0
        first = table.current_finding
        assert first is not None and first.severity == Severity.CRITICAL
        detail = str(screen.query_one("#detail").render())
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
        assert finding.id in str(screen.query_one("#detail").render())
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


def _app_bindings() -> list[tuple[str, Binding]]:
    """Every binding the app's own classes declare (each class's BINDINGS, not inherited)."""
    found: list[tuple[str, Binding]] = []
    for module_info in pkgutil.walk_packages(tui.__path__, "tui."):
        module = importlib.import_module(module_info.name)
        for name, cls in vars(module).items():
            if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                continue
            for item in cls.__dict__.get("BINDINGS", ()):
                binding = item if isinstance(item, Binding) else Binding(*item)
                found.append((f"{module.__name__}.{name}", binding))
    return found


def test_every_binding_has_an_id_the_config_can_remap_and_help_lists() -> None:
    bindings = _app_bindings()
    assert len(bindings) > 40  # every screen's and widget's, not an empty walk
    missing = [f"{owner}: {b.key} -> {b.action}" for owner, b in bindings if not b.id]
    assert not missing, f"bindings without an id (cannot be remapped): {missing}"
    owners: dict[str, set[str]] = {}
    for owner, binding in bindings:
        owners.setdefault(binding.id or "", set()).add(owner)
    shared = {i: o for i, o in owners.items() if len(o) > 1}
    assert not shared, (
        f"one id on bindings of different classes (remapping one remaps all): {shared}"
    )
    listed = {b.id for _, section in binding_sections() for b in section}
    assert {b.id for _, b in bindings} <= listed  # `?` shows every one of them


@run_async
async def test_the_detail_panes_scroll_keys_are_remapped_from_the_config(
    sandbox_dir: Path,
) -> None:
    app = make_app(sandbox_dir, config=TuiConfig(keys={"detail_scroll_down": "ctrl+j"}))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await wait_loaded(app, pilot)
        pane = screen.query_one(DetailPane)
        await pilot.press("tab")  # from the table into the detail, as README and ? say
        assert pane.has_focus
        assert pane.max_scroll_y > 2  # the detail is longer than the pane
        await pilot.press("ctrl+j", "ctrl+j")
        assert pane.scroll_y == 2
        await pilot.press("end")
        assert pane.scroll_y == pane.max_scroll_y


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
async def test_keys_typed_after_q_do_not_open_screens_as_the_app_closes(
    sandbox_dir: Path,
) -> None:
    """Typeahead after q (o opens the onboarding wizard, ? the help) used to mount a screen
    into an app that was closing: a traceback and exit code 1 instead of 0."""
    from textual import events

    app = make_app(sandbox_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_loaded(app, pilot)
        assert app._driver is not None
        for key, char in (("q", "q"), ("o", "o"), ("question_mark", "?"), ("S", "S")):
            app._driver.send_message(events.Key(key, char))  # as a terminal delivers them
        await pilot.pause(0.5)
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
    app = RafixApp(
        make_session(args),
        remember_theme=False,
        demo_factory=lambda: session_for(tmp_path / "unused"),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        panel = screen.query_one("#error-panel")
        assert panel.display
        assert "No AWS credentials" in str(screen.query_one("#error-title").render())
        assert "demo" in str(screen.query_one("#error-keys").render())


@run_async
async def test_the_detail_pane_draws_each_line_as_textual_draws_the_whole_detail(
    sandbox_dir: Path,
) -> None:
    """The pane wraps the detail once and draws only the lines on screen, keeping lines
    drawn for one finding for the next; every line must still be what Textual draws for
    the whole content (text, styles, and the offsets text selection uses)."""
    from textual.visual import Visual

    app = make_app(sandbox_dir)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await wait_loaded(app, pilot)
        pane = screen.query_one(DetailPane)
        table = screen.query_one(FindingsTable)
        for _ in range(6):
            await pilot.press("j")
            await settle(app, pilot)
            width = pane.scrollable_content_region.width
            whole = Visual.to_strips(pane, pane.content, width, None, pane.visual_style, pad=True)
            assert len(whole) == pane.virtual_size.height
            for top in range(0, len(whole), pane.size.height):
                pane.scroll_to(y=top, animate=False, immediate=True)
                top = int(pane.scroll_y)  # the last page stops at the end
                for y in range(min(pane.size.height, len(whole) - top)):
                    assert list(pane.render_line(y)) == list(whole[top + y])
        assert table.cursor == 6
