"""``rafix export``: write the account in the ``--from-file`` formats, to scan it offline later."""

from __future__ import annotations

import argparse

from remediations.cli.common import session_from_args
from remediations.cli.console import Progress, command_line, hint, note
from remediations.errors import InputError
from remediations.files import STDOUT
from remediations.render_text import export_counts, warning_lines


def run(args: argparse.Namespace) -> int:
    if args.out == STDOUT:
        raise InputError("--out -: export writes several files; name a folder (e.g. --out exp)")
    session = session_from_args(args)
    with Progress("reading the account") as progress:
        inventory = session.load(on_progress=progress.callback())
    for line in warning_lines(inventory.warnings):
        note(line)
    written = session.export(args.out, inventory=inventory)
    counts = export_counts(inventory)
    for path in written:
        print(f"wrote {path} ({counts.get(path.name, '')})")
    hint(f"Scan it offline with: {command_line('rafix', 'scan', '--from-file', args.out)}")
    return 0
