"""``rafix tui`` (and ``rafix`` alone): the Textual app on the account the options name.

Without a terminal on standard output (a pipe, a CI log) the app cannot run: ``rafix`` then
prints the scan, as it always did.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from remediations.cli.common import has_terminal, session_from_args
from remediations.session import Session


def run(args: argparse.Namespace) -> int:
    if not has_terminal():
        return print_scan(args)
    source_text = getattr(args, "source_text", None) or describe_source(args)
    return run_app(make_session(args), source_text=source_text, demo_factory=None)


def print_scan(args: argparse.Namespace) -> int:
    from remediations.report import render_findings, use_color

    result = session_from_args(args).scan(pause_gc=True)
    text = render_findings(result.findings, result.inventory, "table", color=use_color())
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0  # browsing an account is not a CI gate: findings are not a failure here


def describe_source(args: argparse.Namespace) -> str:
    if getattr(args, "from_files", None):
        return "files: " + ", ".join(args.from_files)
    if getattr(args, "sandbox", None):
        return f"sandbox {args.sandbox}"
    profile = getattr(args, "profile", None)
    return "live AWS" + (f" (profile {profile})" if profile else "")


def make_session(args: argparse.Namespace) -> Session:
    """The session the app drives (the core's facade)."""
    return session_from_args(args)


def run_app(session: Any, *, source_text: str, demo_factory: Callable[[], Any] | None) -> int:
    from tui.app import RafixApp
    from tui.config import load_config

    app = RafixApp(
        session, source_text=source_text, config=load_config(), demo_factory=demo_factory
    )
    app.run()
    return app.return_code or 0
