"""``rafix demo``: rafix on a fresh copy of the built-in demo account (no AWS needed).

The copy is a sandbox in a new temporary folder, kept after the command so that the user can
go on with ``rafix plan --sandbox DIR`` and ``rafix apply ... --sandbox DIR``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from remediations.model import Inventory


def run(args: argparse.Namespace) -> int:
    from remediations.sandbox import init_sandbox

    directory = tempfile.mkdtemp(prefix="rafix-demo-")
    init_sandbox(directory)
    if getattr(args, "print_only", False):
        _print_scan(directory)
    else:
        from remediations.cli import build_parser
        from remediations.commands import tui

        # Parsed like `rafix tui --sandbox DIR`, so the app gets every option it defines.
        tui_args = build_parser().parse_args(["tui", "--sandbox", directory])
        if getattr(args, "config", None):
            tui_args.config = args.config
        tui.run(tui_args)
    print(
        f"\nThe demo account is a sandbox in {directory}\n"
        f"Try: rafix plan --sandbox {directory}   (then rafix apply PLAN.json --sandbox {directory})",
        file=sys.stderr,
    )
    return 0


def _print_scan(directory: str) -> None:
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
