"""``rafix plan``: the dry run. Scan, propose, print every change and optionally write the plan.

Nothing is written to the account. On offline files the plan is for review: applying it needs
a live or sandbox account (the plan says so).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable

from remediations.catalog import CATALOG
from remediations.errors import InputError
from remediations.files import write_output
from remediations.findings import Finding
from remediations.model import Inventory
from remediations.plan import Plan, build_plan, mark_managed
from remediations.proposals import parse_values, propose
from remediations.scan import run_checks
from remediations.settings import load_settings
from remediations.sources import load_inventory


def run(args: argparse.Namespace) -> int:
    settings = load_settings(getattr(args, "config", None))
    values = parse_values(getattr(args, "settings", None) or [])
    wanted_ids = list(getattr(args, "finding_ids", None) or [])
    unknown = [i for i in wanted_ids if i not in CATALOG]
    if unknown:
        raise InputError(f"--finding {unknown[0]}: unknown finding ID")
    inventory = load_inventory(args)
    findings = select(
        run_checks(inventory, settings), wanted_ids, getattr(args, "resource_arns", None)
    )
    plan = build_plan(inventory, propose(inventory, findings, settings, values))
    read_managed_tags(args, inventory, plan)
    out = getattr(args, "out", None)
    fmt = getattr(args, "format", "text")
    if fmt in CODE_FORMATS:
        return _write_code(plan, fmt, out)
    if out:
        plan.save(out)
    if fmt == "json":
        sys.stdout.write(json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_text(plan))
    if out:
        print(f"rafix: wrote the plan ({len(plan.changes)} change(s)) to {out}", file=sys.stderr)
    return 0


#: ``--format`` values that print the changes as infrastructure code instead of a plan.
CODE_FORMATS = {"terraform": "Terraform", "cloudformation": "CloudFormation"}


def read_managed_tags(args: argparse.Namespace, inventory: Inventory, plan: Plan) -> None:
    """Read the tags of the Roles Anywhere resources the plan changes (the scan does not) and
    mark the changes managed by CloudFormation or Terraform."""
    from remediations.sources.tags import read_resource_tags

    arns = [c.resource_arn for c in plan.changes if c.resource_type != "role"]
    if not arns:
        return
    read_resource_tags(
        inventory,
        arns,
        sandbox=getattr(args, "sandbox", None),
        profile=getattr(args, "profile", None),
        endpoint_url=getattr(args, "endpoint_url", None),
    )
    mark_managed(plan, inventory)


def _write_code(plan: Plan, fmt: str, out: str | None) -> int:
    """``--format terraform|cloudformation``: the changes as code, on stdout or in ``out``."""
    from remediations.iac import render_cloudformation, render_terraform

    text = render_terraform(plan) if fmt == "terraform" else render_cloudformation(plan)
    if out and out != "-":
        write_output(out, text, what=f"the {CODE_FORMATS[fmt]} code")
        print(
            f"rafix: wrote {len(plan.changes)} change(s) as {CODE_FORMATS[fmt]} to {out}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return 0


def select(
    findings: list[Finding], ids: Iterable[str], arns: Iterable[str] | None
) -> list[Finding]:
    """The findings named by ``--finding`` and ``--resource`` (all when none is given)."""
    id_set, arn_set = set(ids), set(arns or [])
    return [
        f
        for f in findings
        if (not id_set or f.id in id_set) and (not arn_set or f.resource_arn in arn_set)
    ]


def _indent(text: str, prefix: str = "    ") -> str:
    return "".join(prefix + line + "\n" for line in text.splitlines())


def render_text(plan: Plan) -> str:
    """The plan for a reviewer: changes with diffs and calls, then what is left to do."""
    out: list[str] = []
    if not plan.changes:
        out.append("No changes proposed.\n")
    for change in plan.changes:
        phase = "" if change.phase == 1 else f" [phase {change.phase}]"
        out.append(f"{change.id}{phase}  {change.resource_type} {change.resource_arn}\n")
        out.append(f"  fixes: {', '.join(change.finding_ids)}\n")
        out.append(f"  {change.summary}\n")
        if change.phase > 1 or change.before is None:
            # Why a split is phased is what a reviewer must read before applying it.
            out.append(f"  why: {change.why}\n")
        out.append("  changes:\n")
        out.append(_indent("\n".join(change.semantic_diff)))
        out.append("  API calls:\n")
        out.append(_indent("\n".join(c.describe() for c in change.calls) or "(none)"))
        out.append("  diff:\n")
        out.append(_indent(change.text_diff.rstrip("\n")))
        out.append("\n")
    if plan.needs_input:
        out.append("Needs input (give it with --set and plan again):\n")
        for need in plan.needs_input:
            out.append(f"  {need.finding_id} on {need.resource_arn}\n")
            out.append(f"    {need.question}\n    {need.set_option}\n")
            if need.candidates:
                out.append(f"    candidates: {', '.join(need.candidates)}\n")
    if plan.not_fixable:
        out.append("Not fixed automatically:\n")
        for item in plan.not_fixable:
            out.append(f"  {item.finding_id} on {item.resource_arn}\n    {item.reason}\n")
    counts = (
        f"{len(plan.changes)} change(s), {len(plan.needs_input)} need input, "
        f"{len(plan.not_fixable)} not fixable automatically"
    )
    out.append(f"Plan: {counts}. Nothing was written to the account.\n")
    if plan.changes and not plan.applicable:
        out.append(
            f"This plan was made from {plan.source or 'offline files'} for review: applying "
            "needs a plan made against a live or sandbox account (rafix plan --sandbox DIR, or "
            "live credentials).\n"
        )
    return "".join(out)
