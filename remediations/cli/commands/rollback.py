"""``rafix rollback SNAPSHOT``: restore a snapshot through the same preview/confirm/execute path."""

from __future__ import annotations

import argparse

from remediations.cli.common import confirm_and_execute, session_from_args
from remediations.source import OrgSource


def run(args: argparse.Namespace) -> int:
    session = session_from_args(args)
    if isinstance(session.source, OrgSource):
        # A snapshot is of one account: find it, then restore it through that account's role.
        session = session.member(session.snapshot_account(args.snapshot))
    preview = session.preview_rollback(args.snapshot, force=bool(getattr(args, "force", False)))
    report = confirm_and_execute(args, session, preview)
    return 0 if report is None or report.ok else 1
