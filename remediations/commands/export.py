"""``rafix export``: write the account in the ``--from-file`` formats, to scan it offline later."""

from __future__ import annotations

import argparse
import sys

from remediations.cli import session_from_args
from remediations.render_text import export_counts, warning_lines


def run(args: argparse.Namespace) -> int:
    session = session_from_args(args)
    inventory = session.load()
    for line in warning_lines(inventory.warnings):
        print(line, file=sys.stderr)
    written = session.export(args.out, inventory=inventory)
    counts = export_counts(inventory)
    for path in written:
        print(f"wrote {path} ({counts.get(path.name, '')})")
    print(f"Scan it offline with: rafix scan --from-file {args.out}", file=sys.stderr)
    return 0
