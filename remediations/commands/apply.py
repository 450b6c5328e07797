"""``rafix apply PLAN.json``: show the calls, confirm, snapshot, apply, verify, roll back on failure.

Also home of what ``rollback`` and ``snapshots`` share with it: opening the account to write
(:func:`open_target`), where its snapshots live (:func:`store_for`) and how to ask (:func:`asker`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from remediations.apply import ApplyReport, Confirm, apply_plan
from remediations.errors import ApplyError, RafixError
from remediations.executor import Executor
from remediations.snapshots import SnapshotStore, default_root, root_for_source


@dataclass(frozen=True, slots=True)
class Target:
    """The account being written: a writable executor, its source name and account ID."""

    executor: Executor
    source: str
    account_id: str | None


def source_name(args: argparse.Namespace) -> str:
    """``sandbox:DIR`` (resolved) or ``live``; offline files cannot be written to."""
    if getattr(args, "from_files", None):
        raise ApplyError(
            "--from-file is read-only: offline files cannot be changed; use --sandbox DIR or "
            "the live account"
        )
    sandbox = getattr(args, "sandbox", None)
    if sandbox:
        return "sandbox:" + str(Path(sandbox).expanduser().resolve())
    return "live"


def store_for(args: argparse.Namespace) -> SnapshotStore:
    """The snapshots of the account named by ``args`` (``DIR/snapshots`` for a sandbox)."""
    sandbox = getattr(args, "sandbox", None)
    if sandbox:
        return SnapshotStore(root_for_source("sandbox:" + str(Path(sandbox).expanduser())))
    return SnapshotStore(default_root())


@contextmanager
def open_target(args: argparse.Namespace) -> Iterator[Target]:
    """Open the account named by ``args`` for writing; closing saves a sandbox."""
    source = source_name(args)
    account = _open_account(args)
    try:
        read_only = bool(getattr(args, "read_only", False))
        yield Target(Executor(account, read_only=read_only), source, _account_id(account))
    finally:
        account.close()


def _open_account(args: argparse.Namespace) -> Any:
    regions = list(getattr(args, "regions", None) or []) or None
    sandbox = getattr(args, "sandbox", None)
    if sandbox:
        from remediations.sandbox import open_sandbox

        return open_sandbox(sandbox, regions)
    from remediations.aws import AccountSession

    return AccountSession(
        profile=getattr(args, "profile", None),
        regions=regions,
        endpoint_url=getattr(args, "endpoint_url", None),
    )


def _account_id(account: Any) -> str | None:
    try:
        return str(account.account_id)
    except RafixError:
        raise
    except Exception as exc:  # botocore errors: no credentials, no endpoint
        raise ApplyError(f"cannot tell which account the credentials reach: {exc}") from None


def asker(args: argparse.Namespace) -> Confirm:
    """``--yes`` confirms; else ask on the terminal; with no terminal, refuse clearly."""
    if getattr(args, "yes", False):
        return lambda _question: True

    def ask(question: str) -> bool:
        if not sys.stdin.isatty():
            raise ApplyError(
                "confirmation needed but there is no terminal to ask on: pass --yes to "
                "confirm; nothing was written"
            )
        try:
            answer = input(f"{question} [y/N] ")
        except EOFError:
            return False
        return answer.strip().lower() in ("yes", "y")

    return ask


def say(line: str) -> None:
    print(line, flush=True)


def exit_code(report: ApplyReport) -> int:
    return 0 if report.ok else 1


def load_plan(path: str) -> Any:
    from remediations.plan import Plan

    return Plan.load(path)


@contextmanager
def explain_interrupt(store: SnapshotStore, retry: str) -> Iterator[None]:
    """On Ctrl-C, say how to finish or undo what was started, then let the interrupt go on."""
    try:
        yield
    except KeyboardInterrupt:
        for snapshot in store.unfinished()[:1]:
            print(
                f"rafix: interrupted midway; `{retry}` finishes it, "
                f"`rafix rollback {snapshot.id}` undoes it",
                file=sys.stderr,
            )
        raise


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
    plan = load_plan(args.plan_file)
    phases = tuple(getattr(args, "phases", None) or (1,))
    if not confirm_drift(args, [c for c in plan.changes if c.phase in phases]):
        return 1
    store = store_for(args)
    retry = f"rafix apply {args.plan_file} (same options)"
    with open_target(args) as target, explain_interrupt(store, retry):
        report = apply_plan(
            plan,
            target.executor,
            store,
            asker(args),
            phases=phases,
            label=str(Path(args.plan_file).resolve()),
            source=target.source,
            account_id=target.account_id,
            out=say,
        )
    return exit_code(report)
