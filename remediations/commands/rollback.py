"""``rafix rollback SNAPSHOT``: restore a snapshot through the same show/confirm/apply path."""

from __future__ import annotations

import argparse

from remediations.apply import rollback
from remediations.commands.apply import asker, exit_code, open_target, say, store_for


def run(args: argparse.Namespace) -> int:
    store = store_for(args)
    store.load(args.snapshot)  # a missing or damaged snapshot is refused before connecting
    with open_target(args) as target:
        report = rollback(
            args.snapshot,
            target.executor,
            store,
            asker(args),
            force=bool(getattr(args, "force", False)),
            source=target.source,
            account_id=target.account_id,
            out=say,
        )
    return exit_code(report)
