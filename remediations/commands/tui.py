"""``rafix tui`` (and ``rafix`` alone): the Textual app on the account the options name.

Without a terminal on standard output (a pipe, a CI log) the app cannot run: ``rafix`` then
prints the scan, as it always did.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


def has_terminal() -> bool:
    return sys.stdout.isatty() and sys.stdin.isatty()


def run(args: argparse.Namespace) -> int:
    if not has_terminal():
        return print_scan(args)
    return run_app(make_session(args), source_text=describe_source(args), demo_factory=None)


def print_scan(args: argparse.Namespace) -> int:
    from remediations.commands import scan

    args.format, args.output, args.fail_on = "table", None, "critical"
    scan.run(args)
    return 0  # browsing an account is not a CI gate: findings are not a failure here


def describe_source(args: argparse.Namespace) -> str:
    if getattr(args, "from_files", None):
        return "files: " + ", ".join(args.from_files)
    if getattr(args, "sandbox", None):
        return f"sandbox {args.sandbox}"
    profile = getattr(args, "profile", None)
    return "live AWS" + (f" (profile {profile})" if profile else "")


def make_session(args: argparse.Namespace) -> Any:
    """The session the app drives (the core's facade)."""
    return _InterimSession(args)


class _InterimSession:
    """Reads and scans through the core until its session facade lands on main."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.read_only = bool(getattr(args, "read_only", False))

    def scan(
        self,
        *,
        on_progress: Callable[[object], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> Any:
        from types import SimpleNamespace

        from remediations.scan import run_checks
        from remediations.settings import load_settings
        from remediations.sources import load_inventory

        if on_progress is not None:
            on_progress("reading the account…")
        settings = load_settings(getattr(self.args, "config", None))
        inventory = load_inventory(self.args)
        if on_progress is not None:
            on_progress(f"read {len(inventory.roles)} roles; checking…")
        findings = run_checks(inventory, settings)
        return SimpleNamespace(inventory=inventory, findings=findings, warnings=inventory.warnings)

    def plan(self, **_: object) -> Any:
        from remediations.errors import RafixError

        raise RafixError("fixes from the app are not available yet; use `rafix plan`")

    def snapshots(self) -> Any:
        return self.plan()


def run_app(session: Any, *, source_text: str, demo_factory: Callable[[], Any] | None) -> int:
    from tui.app import RafixApp
    from tui.config import load_config

    app = RafixApp(
        session, source_text=source_text, config=load_config(), demo_factory=demo_factory
    )
    app.run()
    return app.return_code or 0
