"""``rafix tui`` (and ``rafix`` alone): the Textual app on the account the options name.

Without a terminal on standard output (a pipe, a CI log) the app cannot run: ``rafix`` then
prints the scan, as it always did.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from remediations.cli.common import has_terminal, session_from_args
from remediations.cli.console import source_args
from remediations.session import Session


def run(args: argparse.Namespace) -> int:
    if not has_terminal():
        return print_scan(args)
    source_text = getattr(args, "source_text", None) or describe_source(args)
    # A live account that cannot be read offers the demo instead (the error panel's `d`).
    demo = (
        None
        if getattr(args, "sandbox", None) or getattr(args, "from_files", None)
        else demo_session
    )
    return run_app(
        make_session(args),
        source_text=source_text,
        demo_factory=demo,
        account_args=source_args(args),
    )


def demo_session() -> Session:
    """A session on a fresh sandbox of the demo account, removed when rafix exits."""
    import atexit
    import shutil
    import tempfile
    from pathlib import Path

    from remediations.source import SandboxSource
    from remediations.sources.sandbox import init_sandbox

    directory = Path(tempfile.mkdtemp(prefix="rafix-demo-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    init_sandbox(directory)
    return Session(SandboxSource(directory))


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


def run_app(
    session: Any,
    *,
    source_text: str,
    demo_factory: Callable[[], Any] | None,
    account_args: Sequence[str] = (),
) -> int:
    from tui.app import RafixApp
    from tui.config import load_config

    app = RafixApp(
        session,
        source_text=source_text,
        config=load_config(),
        demo_factory=demo_factory,
        account_args=account_args,
    )
    app.run()
    return app.return_code or 0
