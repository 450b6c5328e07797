"""``rafix plan``: the dry run. Scan, propose, print every change and optionally write the plan.

Nothing is written to the account. On offline files the plan is for review: applying it needs
a live or sandbox account (the plan says so).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from remediations.answers import answers_from_set
from remediations.cli.common import session_from_args
from remediations.cli.console import (
    color_diffs,
    command_line,
    hint,
    note,
    source_args,
    use_color,
)
from remediations.collector import collector_paused
from remediations.files import STDOUT, write_output
from remediations.plan import Plan
from remediations.render_text import render_plan_json, render_plan_text
from remediations.source import may_pause
from remediations.textsafe import for_json, for_terminal
from remediations.workers import workers_allowed

if TYPE_CHECKING:
    from remediations.session import Session

#: ``--format`` values that print the changes as infrastructure code instead of a plan.
CODE_FORMATS = {"terraform": "Terraform", "cloudformation": "CloudFormation"}


def run(args: argparse.Namespace) -> int:
    session = session_from_args(args)
    # A one-shot process on local files: the collector's passes over the plan's many small
    # objects find almost nothing to free (a fifth of the command's time on 10,000 roles), and
    # a second process may take half of the pure work (remediations.workers).
    if not may_pause(session.source):
        return _run(args, session)
    with collector_paused(), workers_allowed():
        return _run(args, session)


def _run(args: argparse.Namespace, session: Session) -> int:
    answers = answers_from_set(getattr(args, "settings", None) or [])
    plan = session.plan(
        findings=list(getattr(args, "finding_ids", None) or []),
        resources=list(getattr(args, "resource_arns", None) or []),
        answers=answers,
        repair_broken=bool(getattr(args, "repair_broken", False)),
        include_suppressed=bool(getattr(args, "include_suppressed", False)),
    )
    if plan.suppressed:
        note(
            f"rafix: {len(plan.suppressed)} finding(s) accepted by suppressions in the config file "
            "were not planned (--include-suppressed plans them too)"
        )
    out = getattr(args, "out", None)
    fmt = getattr(args, "format", "text")
    if fmt in CODE_FORMATS:
        return _write_code(plan, fmt, out)
    if out == STDOUT:  # `-o -`: the plan file itself on standard output, nothing else there
        sys.stdout.write(for_json(render_plan_json(plan)))
        return 0
    # The plan file and the JSON output are one text: rendered once (28 MB at 10k roles).
    text = render_plan_json(plan) if out or fmt == "json" else ""
    if out:
        plan.save(out, text=text)
    if fmt == "json":
        sys.stdout.write(for_json(text))
    else:
        text = render_plan_text(plan)
        text = for_terminal(text)
        sys.stdout.write(color_diffs(text) if use_color() else text)
    if out:
        note(f"rafix: wrote the plan ({len(plan.changes)} change(s)) to {out}")
    _hint_next(args, plan, out)
    return 0


def _hint_next(args: argparse.Namespace, plan: Plan, out: str | None) -> None:
    """The next command, runnable as printed: apply the plan, or make an applicable one."""
    if not plan.changes:
        return
    if plan.applicable:
        if out:
            hint(f"Apply it with: {command_line('rafix', 'apply', out, *source_args(args))}")
        else:
            again = command_line("rafix", *sys.argv[1:], "--out", "plan.json")
            hint(f"Save it to apply it: {again}")
        return
    files = [str(f) for f in getattr(args, "from_files", None) or []]
    if files:
        init = command_line("rafix", "sandbox", "init", "rafix-sandbox", "--from-file", *files)
        hint(
            f"To try the fixes on a copy of this account: {init} && "
            f"{command_line('rafix', 'plan', '--sandbox', 'rafix-sandbox', '--out', 'plan.json')}"
        )


def _write_code(plan: Plan, fmt: str, out: str | None) -> int:
    """``--format terraform|cloudformation``: the changes as code, on stdout or in ``out``."""
    from remediations.iac import render_cloudformation, render_terraform

    text = render_terraform(plan) if fmt == "terraform" else render_cloudformation(plan)
    if out and out != STDOUT:
        write_output(out, text, what=f"the {CODE_FORMATS[fmt]} code")
        note(f"rafix: wrote {len(plan.changes)} change(s) as {CODE_FORMATS[fmt]} to {out}")
    else:
        sys.stdout.write(text)
    return 0
