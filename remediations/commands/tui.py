"""``rafix tui``: the Textual app. Until it is built, say so and show the scan table."""

from __future__ import annotations

import argparse
import sys

from remediations.cli import session_from_args
from remediations.report import render_findings, use_color


def run(args: argparse.Namespace) -> int:
    print("rafix: the terminal app is not built yet; showing the scan", file=sys.stderr)
    result = session_from_args(args).scan(pause_gc=True)
    sys.stdout.write(render_findings(result.findings, result.inventory, "table", color=use_color()))
    sys.stdout.flush()
    return 0  # browsing an account is not a CI gate: findings are not a failure here
