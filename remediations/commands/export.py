"""``rafix export``: write the account in the ``--from-file`` formats, to scan it offline later."""

from __future__ import annotations

import argparse
import sys

from remediations.commands.scan import print_warnings
from remediations.sources import load_inventory
from remediations.sources.export import export_inventory


def run(args: argparse.Namespace) -> int:
    inventory = load_inventory(args)
    print_warnings(inventory.warnings)
    written = export_inventory(inventory, args.out)
    counts = {
        "iam.json": f"{len(inventory.roles)} roles, {len(inventory.policies)} managed policies",
        "anchors.json": f"{len(inventory.trust_anchors)} trust anchors",
        "profiles.json": f"{len(inventory.profiles)} profiles",
        "crls.json": f"{len(inventory.crls)} CRLs",
        "subjects.json": f"{len(inventory.subjects)} subjects",
    }
    for path in written:
        print(f"wrote {path} ({counts.get(path.name, '')})")
    print(f"Scan it offline with: rafix scan --from-file {args.out}", file=sys.stderr)
    return 0
