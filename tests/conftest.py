"""Shared fixtures. ``sandbox_dir``: a fresh copy of the built-in demo account (a sandbox)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sandbox_dir(tmp_path: Path) -> Path:
    """A new sandbox folder holding the demo account (account 111122223333, RA resources in
    eu-west-1 and us-east-1); open it with ``remediations.sandbox.open_sandbox``."""
    from remediations.sandbox import init_sandbox

    directory = tmp_path / "sandbox"
    init_sandbox(directory)
    return directory
