"""``rafix plan``: the dry run. Scan, propose, print every change and optionally write the plan.

Nothing is written to the account. On offline files the plan is for review: applying it needs
a live or sandbox account (the plan says so).
"""

from __future__ import annotations

import argparse
import sys

from remediations.answers import answers_from_set
from remediations.cli import session_from_args
from remediations.render_text import render_plan_json, render_plan_text


def run(args: argparse.Namespace) -> int:
    session = session_from_args(args)
    answers = answers_from_set(getattr(args, "settings", None) or [])
    plan = session.plan(
        findings=list(getattr(args, "finding_ids", None) or []),
        resources=list(getattr(args, "resource_arns", None) or []),
        answers=answers,
    )
    out = getattr(args, "out", None)
    if out:
        plan.save(out)
    if getattr(args, "format", "text") == "json":
        sys.stdout.write(render_plan_json(plan))
    else:
        sys.stdout.write(render_plan_text(plan))
    if out:
        print(f"rafix: wrote the plan ({len(plan.changes)} change(s)) to {out}", file=sys.stderr)
    return 0
