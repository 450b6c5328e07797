"""Shared fixtures. ``sandbox_dir``: a fresh copy of the built-in demo account (a sandbox)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sandbox_dir(tmp_path: Path) -> Path:
    """A new sandbox folder holding the demo account (account 111122223333, RA resources in
    eu-west-1 and us-east-1); open it with ``remediations.sources.sandbox.open_sandbox``."""
    from remediations.sources.sandbox import init_sandbox

    directory = tmp_path / "sandbox"
    init_sandbox(directory)
    return directory


@pytest.fixture(autouse=True)
def _no_user_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests never read the config file of whoever runs them (``~/.config/rafix``), nor
    create or read their snapshot key and lock files (``~/.local/state/rafix``)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))
    monkeypatch.delenv("RAFIX_CONFIG", raising=False)
