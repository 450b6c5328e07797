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
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the config file of whoever runs them (``~/.config/rafix``)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("RAFIX_CONFIG", raising=False)
