"""``rafix snapshots``: the snapshots taken before each apply, newest first."""

from __future__ import annotations

import argparse
import sys

from remediations.cli.common import session_from_args
from remediations.render_text import render_snapshots_json, render_snapshots_text
from remediations.source import is_organization
from remediations.textsafe import for_json


def run(args: argparse.Namespace) -> int:
    session = session_from_args(args)
    snapshots = session.snapshots()
    org = is_organization(session.source)
    if getattr(args, "format", "table") == "json":
        sys.stdout.write(for_json(render_snapshots_json(snapshots, accounts=org)))
    else:
        root = None if org else session.store.root
        sys.stdout.write(render_snapshots_text(snapshots, root, accounts=org))
    return 0
