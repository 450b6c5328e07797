"""``rafix demo``: the terminal app on a fresh copy of the built-in demo account (no AWS).

The copy is a sandbox in a new temporary folder, removed when the app exits unless ``--keep``
(then its path is printed, to go on with ``rafix plan --sandbox DIR``). ``--print``, or no
terminal on standard output, prints the scan instead of opening the app.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from remediations.model import Inventory


def run(args: argparse.Namespace) -> int:
    from remediations.commands import tui
    from remediations.sandbox import init_sandbox

    directory = Path(tempfile.mkdtemp(prefix="rafix-demo-"))
    init_sandbox(directory)
    keep = bool(getattr(args, "keep", False))
    try:
        if getattr(args, "print_only", False) or not tui.has_terminal():
            _print_scan(directory)
            keep = True  # printed: the user goes on with `rafix plan --sandbox DIR`
        else:
            from remediations.cli import build_parser

            # Parsed like `rafix tui --sandbox DIR`, so the app gets every option it defines.
            tui_args = build_parser().parse_args(["tui", "--sandbox", str(directory)])
            if getattr(args, "config", None):
                tui_args.config = args.config
            code = tui.run_app(
                tui.make_session(tui_args),
                source_text="demo account (a local sandbox)",
                demo_factory=None,
            )
            if code:
                return code
    finally:
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)
    if keep:
        print(
            f"\nThe demo account is a sandbox in {directory}\n"
            f"Try: rafix plan --sandbox {directory}   "
            f"(then rafix apply PLAN.json --sandbox {directory})",
            file=sys.stderr,
        )
    return 0


def _print_scan(directory: Path) -> None:
    from remediations.report import render_table
    from remediations.sandbox import read_inventory
    from remediations.scan import run_checks

    inventory = read_inventory(directory)
    findings = run_checks(inventory)
    sys.stdout.write(render_table(findings, inventory.warnings, names=display_names(inventory)))


def display_names(inventory: Inventory) -> dict[str, str]:
    """ARN -> the name a person knows the resource by."""
    names: dict[str, str] = {}
    for store in (inventory.roles, inventory.trust_anchors, inventory.profiles, inventory.crls):
        names.update({arn: obj.name for arn, obj in store.items()})
    return names
