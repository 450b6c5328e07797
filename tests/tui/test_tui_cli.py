"""How the CLI opens the app, and what the app may import from the core."""

from __future__ import annotations

import ast
import tempfile
from pathlib import Path

import pytest

from remediations.cli import main

TUI = Path(__file__).resolve().parents[2] / "tui"
#: The app drives the core through the session facade and reads only typed data modules.
ALLOWED_CORE_MODULES = {
    "remediations.session",
    "remediations.source",
    "remediations.findings",
    "remediations.plan",
    "remediations.model",
    "remediations.catalog",
    "remediations.settings",
    "remediations.errors",
    # Onboarding's typed request/result (OnboardRequest, Onboarding) and its pure planner: the
    # wizard reads the account through the session and plans from what it returned.
    "remediations.onboarding",
}


def test_the_app_imports_only_the_facade_and_data_modules() -> None:
    seen: set[str] = set()
    for path in TUI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            seen.update(n for n in names if n.split(".")[0] == "remediations")
    assert seen, "the app reads findings from the core"
    assert seen <= ALLOWED_CORE_MODULES, seen - ALLOWED_CORE_MODULES


def test_demo_without_a_terminal_prints_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["demo"]) == 0  # pytest's stdout is not a terminal
    captured = capsys.readouterr()
    assert "RA-TRUST-NO-SUBJECT-CONDITION" in captured.out
    assert not list(tmp_path.glob("rafix-demo-*"))  # nothing left behind without --keep
    assert "rafix demo --keep" in captured.err


def test_tui_without_a_terminal_prints_the_scan(
    sandbox_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tui", "--sandbox", str(sandbox_dir)]) == 0
    assert "RA-ROLE-PRIVILEGED" in capsys.readouterr().out
