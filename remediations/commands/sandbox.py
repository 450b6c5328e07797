"""``rafix sandbox init DIR``: a local account to try rafix on, writes included."""

from __future__ import annotations

import argparse

from remediations.model import Inventory


def run(args: argparse.Namespace) -> int:
    if args.sandbox_command == "init":
        return _init(args)
    raise AssertionError(f"unknown sandbox action {args.sandbox_command!r}")  # argparse refuses


def _init(args: argparse.Namespace) -> int:
    from remediations.sandbox import init_sandbox
    from remediations.sandbox.seed import STATE_FILES
    from remediations.sources.offline import load_files

    created = init_sandbox(args.dir, getattr(args, "from_files", None), bool(args.force))
    inventory = load_files([p for p in created if p.name in STATE_FILES])
    source = "the files given" if args.from_files else "the built-in demo account"
    print(f"Created a sandbox account ({inventory.account_id}) in {args.dir} from {source}:")
    print(f"  {describe(inventory)}")
    print(f"  state: {args.dir}/state/ ({', '.join(p.name for p in created)})")
    print(f"  snapshots: {args.dir}/snapshots/")
    print(f"Try: rafix scan --sandbox {args.dir}   or   rafix plan --sandbox {args.dir}")
    return 0


def describe(inventory: Inventory) -> str:
    """e.g. "12 roles, 3 trust anchors, ... in eu-west-1, us-east-1"."""
    counts = [
        (len(inventory.roles), "role"),
        (len(inventory.policies), "managed policy"),
        (len(inventory.trust_anchors), "trust anchor"),
        (len(inventory.profiles), "profile"),
        (len(inventory.crls), "CRL"),
        (len(inventory.subjects), "subject"),
    ]
    text = ", ".join(f"{n} {_plural(label, n)}" for n, label in counts)
    regions = ", ".join(inventory.regions) or "no region"
    return f"{text}; Roles Anywhere in {regions}"


def _plural(label: str, n: int) -> str:
    if n == 1:
        return label
    return label[:-1] + "ies" if label.endswith("y") else label + "s"
