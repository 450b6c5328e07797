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
from remediations.session import OrgApplyReport, Session
from remediations.source import OrgSource
from remediations.textsafe import shown


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
            f"rafix: warning: {shown(change.id)} {shown(change.resource_arn)} is "
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
    session = organisation_session(session_from_args(args), plan)
    if isinstance(session.source, OrgSource):
        return _apply_org(args, session, plan, phases)
    again = source_args(args)
    phase_options = [w for n in getattr(args, "phases", None) or () for w in ("--phase", str(n))]
    retry = command_line("rafix", "apply", args.plan_file, *again, *phase_options)
    with explain_interrupt(session.store, retry, again):
        preview = session.preview(plan, phases=phases, label=str(Path(args.plan_file).resolve()))
        report = confirm_and_execute(args, session, preview)
    return 0 if report is None or report.ok else 1


def organisation_session(session: Session, plan: Plan) -> Session:
    """The session a plan is applied through: an organisation plan needs its accounts (the
    source options name how they are reached; ``--org`` is implied), and a plan of one account
    given ``--org`` is applied to that account alone."""
    source = session.source
    if plan.accounts and not isinstance(source, OrgSource):
        from remediations.source import MemberSource

        base = source.org.base if isinstance(source, MemberSource) else source
        org = OrgSource(base, all_accounts=False, accounts=tuple(plan.accounts))
        return Session(org, settings=session.settings, read_only=session.read_only)
    if not plan.accounts and isinstance(source, OrgSource) and plan.account_id:
        return session.member(plan.account_id)
    return session


def _apply_org(
    args: argparse.Namespace, session: Session, plan: Plan, phases: tuple[int, ...]
) -> int:
    """Preview every account, confirm once, then apply account by account; a failed account
    is rolled back and the accounts after it are left untouched."""
    from remediations.cli.common import confirm, say
    from remediations.cli.console import note, org_args
    from remediations.render_text import event_lines, preview_lines, report_lines

    label = str(Path(args.plan_file).resolve())
    base = [w for w in source_args(args) if w not in org_args(args)]

    def again(account: str) -> list[str]:
        return [*base, "--account", account]

    previews = session.preview_organization(plan, phases=phases, label=label)
    for item in previews:
        say([f"== account {item.account_id} =="])
        say(preview_lines(item.preview, again=again(item.account_id)))
    refused = next((p for p in previews if p.preview.refused), None)
    if refused is not None:
        raise ApplyError(f"account {refused.account_id}: {refused.preview.refused}")
    pending = [p for p in previews if p.preview.steps and not p.preview.already_applied]
    if any(p.preview.read_only for p in previews if p.preview.steps):
        from remediations.apply.execute import READ_ONLY_REFUSAL

        note(f"rafix: {READ_ONLY_REFUSAL}")
        return 0
    if not pending:
        say(["Every account already matches this plan; nothing was written."])
        return 0
    steps = sum(len(p.preview.steps) for p in pending)
    if not confirm(args, f"Apply {steps} change(s) to {len(pending)} account(s), one at a time?"):
        raise ApplyError("apply cancelled; nothing was written")
    report = session.execute_organization(
        previews,
        on_account=lambda account: say([f"== applying to account {account} =="]),
        on_event=lambda event: say(event_lines(event)),
    )
    for done in report.accounts:
        if done.report is not None:
            say(report_lines(done.report, again=again(done.account_id)))
    say(org_report_lines(report))
    return 0 if report.ok else 1


def org_report_lines(report: OrgApplyReport) -> list[str]:
    """Per account: applied, rolled back or untouched (and why)."""
    lines = ["By account:"]
    failed = next(
        (a.account_id for a in report.accounts if a.status not in ("applied", "unchanged")), None
    )
    for item in report.accounts:
        text = f"  {item.account_id}: {item.status}"
        if item.report is not None and item.report.snapshot_id and item.status != "untouched":
            text += f" (snapshot {item.report.snapshot_id})"
        if item.status == "rolled back":
            text += f": {item.error or 'a change failed'}; this account's changes were undone"
        elif item.status in ("failed", "refused") and item.error:
            text += f": {item.error}"
        elif item.status == "untouched" and failed:
            text += f": not started, because account {failed} failed"
        lines.append(text)
    return lines
