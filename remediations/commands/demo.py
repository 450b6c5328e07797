"""``rafix demo``: rafix on a fresh copy of the built-in demo account (no AWS needed).

The copy is a sandbox in a new temporary folder, kept after the command so that the user can
go on with ``rafix plan --sandbox DIR`` and ``rafix apply ... --sandbox DIR``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    from remediations.sandbox import init_sandbox

    directory = tempfile.mkdtemp(prefix="rafix-demo-")
    init_sandbox(directory)
    if getattr(args, "print_only", False):
        _print_scan(directory)
    else:
        from remediations.cli import build_parser, run_command

        # Parsed like `rafix tui --sandbox DIR`, so the app gets every option it defines.
        tui_args = build_parser().parse_args(["tui", "--sandbox", directory])
        if getattr(args, "config", None):
            tui_args.config = args.config
        run_command("tui", tui_args)
    print(
        f"\nThe demo account is a sandbox in {directory}\n"
        f"Try: rafix plan --sandbox {directory}   (then rafix apply PLAN.json --sandbox {directory})",
        file=sys.stderr,
    )
    return 0


def _print_scan(directory: str) -> None:
    from remediations.report import render_findings
    from remediations.session import Session
    from remediations.source import SandboxSource

    result = Session(SandboxSource(Path(directory))).scan()
    sys.stdout.write(render_findings(result.findings, result.inventory, "table"))
