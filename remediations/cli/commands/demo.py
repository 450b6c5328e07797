"""``rafix demo``: the terminal app on a fresh copy of the built-in demo account (no AWS).

The copy is a sandbox in a new temporary folder, removed when rafix exits (app or ``--print``,
normally or not) unless ``--keep``; then its path is printed with the commands to go on with.
``--print``, or no terminal on standard output, prints the scan instead of opening the app.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from remediations.cli.console import command_line, hint
from remediations.textsafe import for_terminal


def run(args: argparse.Namespace) -> int:
    from remediations.cli.common import has_terminal
    from remediations.sources.sandbox import init_sandbox

    directory = Path(tempfile.mkdtemp(prefix="rafix-demo-"))
    init_sandbox(directory)
    keep = bool(getattr(args, "keep", False))
    try:
        if getattr(args, "print_only", False) or not has_terminal():
            _print_scan(directory)
        else:
            from remediations.cli import run_command
            from remediations.cli.parser import build_parser

            # Parsed like `rafix tui --sandbox DIR`, so the app gets every option it defines.
            tui_args = build_parser().parse_args(["tui", "--sandbox", str(directory)])
            if getattr(args, "config", None):
                tui_args.config = args.config
            tui_args.source_text = "demo account (a local sandbox)"
            code = run_command("tui", tui_args)
            if code:
                return code
    finally:
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)
    if keep:
        plan = command_line("rafix", "plan", "--sandbox", str(directory), "--out", "plan.json")
        apply = command_line("rafix", "apply", "plan.json", "--sandbox", str(directory))
        hint(f"\nThe demo account is a sandbox in {directory}\nTry: {plan}   then   {apply}")
    else:
        hint(
            "\nThe demo sandbox was removed; `rafix demo --keep` keeps it, or "
            "`rafix sandbox init demo-sandbox` makes one to keep"
        )
    return 0


def _print_scan(directory: Path) -> None:
    from remediations.report import render_findings
    from remediations.session import Session
    from remediations.source import SandboxSource

    result = Session(SandboxSource(directory)).scan()
    sys.stdout.write(for_terminal(render_findings(result.findings, result.inventory, "table")))
