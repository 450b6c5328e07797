"""``rafix apply PLAN.json``: preview the calls, confirm, then snapshot, apply, verify (and roll
back on failure). The core does the work (``Session.preview`` / ``Session.execute``);
``cli.confirm_and_execute`` prints and asks in between."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from remediations.cli.common import confirm_and_execute, explain_interrupt, session_from_args
from remediations.cli.console import command_line, source_args
from remediations.errors import ApplyError
from remediations.plan import Plan


def confirm_drift(args: argparse.Namespace, changes: list[Any]) -> bool:
    """Before changing resources that CloudFormation or Terraform manage: say that the next
    stack update or terraform apply reverts the fix, and ask again, ``--yes`` included, unless
    ``--allow-drift``. With no terminal to ask on: refuse (ApplyError, exit 1).

    Returns whether to go on.
    """
    from remediations.managed import drift_warning

    managed = [c for c in changes if c.managed_by is not None]
    if not managed or getattr(args, "allow_drift", False) or getattr(args, "read_only", False):
        return True
    for change in managed:
        print(
            f"rafix: warning: {change.id} {change.resource_arn} is "
            f"{drift_warning(change.managed_by)}",
            file=sys.stderr,
        )
    if not sys.stdin.isatty():
        first = managed[0].managed_by
        raise ApplyError(
            f"{len(managed)} change(s) would drift from their code ({drift_warning(first)}); "
            "pass --allow-drift to apply them anyway; nothing was written"
        )
    try:
        answer = input(
            f"Change {len(managed)} resource(s) managed as code anyway "
            "(they drift until the code is fixed)? [y/N] "
        )
    except EOFError:
        answer = ""
    if answer.strip().lower() in ("y", "yes"):
        return True
    print("rafix: nothing was written", file=sys.stderr)
    return False


def run(args: argparse.Namespace) -> int:
    plan = Plan.load(args.plan_file)
    phases = tuple(getattr(args, "phases", None) or (1,))
    if not confirm_drift(args, [c for c in plan.changes if c.phase in phases]):
        return 1
    session = session_from_args(args)
    again = source_args(args)
    phase_options = [w for n in getattr(args, "phases", None) or () for w in ("--phase", str(n))]
    retry = command_line("rafix", "apply", args.plan_file, *again, *phase_options)
    with explain_interrupt(session.store, retry, again):
        preview = session.preview(plan, phases=phases, label=str(Path(args.plan_file).resolve()))
        report = confirm_and_execute(args, session, preview)
    return 0 if report is None or report.ok else 1
