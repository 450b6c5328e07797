"""``rafix sandbox init DIR``: a local account to try rafix on, writes included."""

from __future__ import annotations

import argparse
from pathlib import Path

from remediations.cli.console import command_line, hint
from remediations.render_text import describe_inventory
from remediations.textsafe import shown


def run(args: argparse.Namespace) -> int:
    if args.sandbox_command == "init":
        return _init(args)
    raise AssertionError(f"unknown sandbox action {args.sandbox_command!r}")  # argparse refuses


def _init(args: argparse.Namespace) -> int:
    from remediations.session import Session
    from remediations.source import FilesSource
    from remediations.sources.sandbox import init_sandbox
    from remediations.sources.sandbox.seed import STATE_FILES

    if getattr(args, "accounts", None):
        return _init_org(args)
    created = init_sandbox(args.dir, getattr(args, "from_files", None), bool(args.force))
    state = FilesSource(tuple(Path(p) for p in created if p.name in STATE_FILES))
    inventory = Session(state).load()
    source = "the files given" if args.from_files else "the built-in demo account"
    print(f"Created a sandbox account ({inventory.account_id}) in {shown(args.dir)} from {source}:")
    print(f"  {describe_inventory(inventory)}")
    print(f"  state: {shown(args.dir)}/state/ ({', '.join(p.name for p in created)})")
    print(f"  snapshots: {shown(args.dir)}/snapshots/")
    scan = command_line("rafix", "scan", "--sandbox", args.dir)
    plan = command_line("rafix", "plan", "--sandbox", args.dir, "--out", "plan.json")
    hint(f"Try: {scan}   or   {plan}")
    return 0


def _init_org(args: argparse.Namespace) -> int:
    """``--accounts N``: an organisation of a management account and N members."""
    from remediations.sources.sandbox.organization import init_organization, read_org

    init_organization(
        args.dir,
        int(args.accounts),
        from_files=getattr(args, "from_files", None),
        force=bool(args.force),
    )
    org = read_org(args.dir)
    source = "the files given" if args.from_files else "the built-in demo account"
    print(
        f"Created a sandbox organisation in {shown(args.dir)}: management account "
        f"{org.management_account_id} ({source}) and {len(org.accounts)} member account(s):"
    )
    for account_id, meta in org.accounts.items():
        print(f"  {account_id}  {meta.get('name', '')}  ({meta.get('shape', '')})")
    print(f"  each member in {shown(args.dir)}/accounts/ID/ (state/, snapshots/)")
    scan = command_line("rafix", "scan", "--sandbox", args.dir, "--org")
    plan = command_line("rafix", "plan", "--sandbox", args.dir, "--org", "--out", "plan.json")
    hint(f"Try: {scan}   or   {plan}")
    return 0
