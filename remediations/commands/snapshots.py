"""``rafix snapshots``: the snapshots taken before each apply, newest first."""

from __future__ import annotations

import argparse
import json
import sys

from remediations.commands.apply import store_for
from remediations.snapshots import Snapshot, SnapshotStore


def run(args: argparse.Namespace) -> int:
    store = store_for(args)
    snapshots = store.list_snapshots()
    if getattr(args, "format", "table") == "json":
        document = {"snapshots": [s.summary() for s in snapshots]}
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_table(snapshots, store))
    return 0


def render_table(snapshots: list[Snapshot], store: SnapshotStore) -> str:
    """One line per snapshot; an interrupted apply is marked so the user knows to act."""
    if not snapshots:
        return f"No snapshots in {store.root}.\n"
    rows = [("ID", "CREATED", "RESOURCES", "PLAN")]
    for s in snapshots:
        journal = store.journal(s.id)
        plan = s.plan + (" (interrupted)" if journal and not journal.finished else "")
        rows.append((s.id, s.created_at, str(len(s.resources)), plan))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"
