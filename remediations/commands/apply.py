"""``rafix apply PLAN.json``: preview the calls, confirm, then snapshot, apply, verify (and roll
back on failure). The core does the work (``Session.preview`` / ``Session.execute``);
``cli.confirm_and_execute`` prints and asks in between."""

from __future__ import annotations

import argparse
from pathlib import Path

from remediations.cli import confirm_and_execute, explain_interrupt, session_from_args
from remediations.plan import Plan


def run(args: argparse.Namespace) -> int:
    plan = Plan.load(args.plan_file)
    phases = tuple(getattr(args, "phases", None) or (1,))
    session = session_from_args(args)
    retry = f"rafix apply {args.plan_file} (same options)"
    with explain_interrupt(session.store, retry):
        preview = session.preview(plan, phases=phases, label=str(Path(args.plan_file).resolve()))
        report = confirm_and_execute(args, session, preview)
    return 0 if report.ok else 1
