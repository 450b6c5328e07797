"""``rafix export``: write the account in the ``--from-file`` formats, to scan it offline later."""

from __future__ import annotations

import argparse

from remediations.cli.common import session_from_args
from remediations.cli.console import Progress, command_line, hint, note
from remediations.errors import InputError
from remediations.files import STDOUT
from remediations.render_text import export_counts
from remediations.session import Session
from remediations.source import is_organization
from remediations.textsafe import shown, warning_lines


def run(args: argparse.Namespace) -> int:
    if args.out == STDOUT:
        raise InputError("--out -: export writes several files; name a folder (e.g. --out exp)")
    session = session_from_args(args)
    if is_organization(session.source):
        return _export_org(args, session)
    with Progress("reading the account") as progress:
        inventory = session.load(on_progress=progress.callback())
    for line in warning_lines(inventory.warnings):
        note(line)
    written = session.export(args.out, inventory=inventory)
    counts = export_counts(inventory)
    for path in written:
        print(f"wrote {shown(path)} ({counts.get(path.name, '')})")
    hint(f"Scan it offline with: {command_line('rafix', 'scan', '--from-file', args.out)}")
    return 0


def _export_org(args: argparse.Namespace, session: Session) -> int:
    """``--org``: one folder per account ID, and ``organization.json``."""
    with Progress("reading the accounts") as progress:
        org = session.load_organization(on_progress=progress.callback())
    for result in org.accounts:
        if result.error:
            note(f"rafix: warning: {result.error}")
        elif result.inventory is not None:
            for line in warning_lines(result.inventory.warnings):
                note(f"{result.account.account_id}: {line}")
    written = session.export_organization(args.out, org)
    read = [r for r in org.accounts if r.inventory is not None]
    for result in read:
        assert result.inventory is not None
        counts = export_counts(result.inventory)
        files = [p for p in written if p.parent.name == result.account.account_id]
        detail = ", ".join(f"{p.name} ({counts.get(p.name, '')})" for p in files)
        print(f"wrote {shown(args.out)}/{result.account.account_id}/: {shown(detail)}")
    print(f"wrote {shown(written[-1])} ({len(read)} of {len(org.accounts)} account(s) read)")
    hint(f"Scan it offline with: {command_line('rafix', 'scan', '--from-file', args.out)}")
    return 0 if read else 1
