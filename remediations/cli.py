"""The ``rafix`` command line (``../shared/INTERFACE.md`` is the contract).

Each subcommand lives in ``remediations.commands.<name>`` and exposes ``run(args) -> int``; this
module parses arguments, turns them into the core's typed values (:func:`source_from_args`,
:func:`session_from_args`), asks for confirmation (:func:`confirm`), dispatches, and turns every
error into one line on stderr (exit 2, or 1 for a refused or failed apply), never a traceback.
Commands drive the core through ``remediations.session`` and never import each other. Imports
stay lazy so that the offline scan never loads boto3 or Textual.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from remediations import __version__
from remediations.errors import ApplyError, InputError, RafixError

if TYPE_CHECKING:
    from remediations.apply import ApplyPreview, ApplyReport
    from remediations.session import Session
    from remediations.snapshots import SnapshotStore
    from remediations.source import Source

SEVERITIES = ("critical", "high", "medium", "low", "info")


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """Where the account comes from (INTERFACE.md): live (default), files or a sandbox."""
    group = parser.add_argument_group("account source (default: live AWS through boto3)")
    group.add_argument("--profile", metavar="NAME", help="AWS named profile for live access")
    group.add_argument(
        "--region",
        metavar="R",
        action="append",
        dest="regions",
        help="Roles Anywhere region to read (repeatable; default: every enabled region)",
    )
    group.add_argument("--endpoint-url", metavar="URL", help="AWS-compatible endpoint URL")
    group.add_argument(
        "--from-file",
        metavar="FILE",
        nargs="+",
        action="extend",
        dest="from_files",
        help="offline: AWS CLI JSON output; several files (DIR/*.json), a directory, or "
        "the option repeated",
    )
    group.add_argument(
        "--sandbox", metavar="DIR", help="a local sandbox account (see `rafix sandbox`)"
    )
    parser.add_argument(
        "--config", metavar="FILE", help="settings file (TOML); default $RAFIX_CONFIG"
    )


def source_from_args(args: argparse.Namespace) -> Source:
    """The account the source options name (``--from-file``, ``--sandbox``, else live).

    Raises:
        InputError: both ``--from-file`` and ``--sandbox``.
    """
    from remediations.source import FilesSource, LiveSource, SandboxSource

    from_files = getattr(args, "from_files", None)
    sandbox = getattr(args, "sandbox", None)
    regions = tuple(getattr(args, "regions", None) or ())
    if from_files and sandbox:
        raise InputError("--from-file and --sandbox are two different sources; give one of them")
    if from_files:
        return FilesSource(tuple(Path(f) for f in from_files), regions)
    if sandbox:
        return SandboxSource(Path(sandbox), regions)
    return LiveSource(
        profile=getattr(args, "profile", None),
        regions=regions,
        endpoint_url=getattr(args, "endpoint_url", None),
        connect_timeout=getattr(args, "connect_timeout", None),
        read_timeout=getattr(args, "read_timeout", None),
    )


def session_from_args(args: argparse.Namespace) -> Session:
    """The facade on the account the options name, with ``--config`` and ``--read-only``."""
    from remediations.session import Session
    from remediations.settings import load_settings

    return Session(
        source_from_args(args),
        settings=load_settings(getattr(args, "config", None)),
        read_only=bool(getattr(args, "read_only", False)),
    )


def confirm(args: argparse.Namespace, question: str) -> bool:
    """``--yes`` confirms; else ask on the terminal; with no terminal, refuse clearly.

    Raises:
        ApplyError: no ``--yes`` and no terminal to ask on.
    """
    if getattr(args, "yes", False):
        return True
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


def has_terminal() -> bool:
    """Whether a person is at a terminal (the app and confirmations need one)."""
    return sys.stdout.isatty() and sys.stdin.isatty()


def say(lines: Sequence[str], stream: TextIO | None = None) -> None:
    """Print lines as they happen (an apply's progress must show before it ends)."""
    for line in lines:
        print(line, file=stream or sys.stdout, flush=True)


def confirm_and_execute(
    args: argparse.Namespace,
    session: Session,
    preview: ApplyPreview,
    *,
    stream: TextIO | None = None,
) -> ApplyReport:
    """The CLI's write path: print the preview, ask, execute printing each event, print the end.

    Nothing is asked when there is nothing to write (no change, or already applied).
    ``stream`` is where the lines go (default standard output).

    Raises:
        ApplyError: refused (read-only, stale) or not confirmed: nothing was written.
    """
    from remediations.apply import READ_ONLY_REFUSAL, Outcome
    from remediations.render_text import (
        confirm_question,
        event_lines,
        preview_lines,
        report_lines,
    )

    say(preview_lines(preview), stream)
    if preview.steps and preview.read_only:
        raise ApplyError(READ_ONLY_REFUSAL)
    if preview.refused:
        raise ApplyError(preview.refused)
    if (
        preview.steps
        and not preview.already_applied
        and not confirm(args, confirm_question(preview))
    ):
        raise ApplyError("apply cancelled; nothing was written")
    report = session.execute(preview, on_event=lambda event: say(event_lines(event), stream))
    if report.outcome is Outcome.REFUSED:
        raise ApplyError(report.error or "refused; nothing was written")
    say(report_lines(report), stream)
    return report


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rafix",
        description="Find and fix misconfigurations of AWS IAM Roles Anywhere.",
    )
    parser.add_argument("--version", action="version", version=f"rafix {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("tui", help="the interactive terminal app (default)")
    add_source_options(p)
    p.add_argument("--read-only", action="store_true", help="refuse every change to the account")

    p = sub.add_parser("demo", help="the terminal app on a fresh copy of the built-in demo account")
    p.add_argument(
        "--print", action="store_true", dest="print_only", help="print a scan instead of the app"
    )
    p.add_argument("--keep", action="store_true", help="keep the demo sandbox after the app exits")

    p = sub.add_parser("scan", help="list findings")
    add_source_options(p)
    p.add_argument("--format", choices=("table", "json", "sarif"), default="table")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    p.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="low",
        help="exit 1 when a finding is at or above this severity (default: low)",
    )

    p = sub.add_parser("export", help="write the account in the --from-file formats")
    add_source_options(p)
    p.add_argument("--out", metavar="DIR", required=True)

    p = sub.add_parser("plan", help="dry run: proposed changes and their diffs")
    add_source_options(p)
    p.add_argument("--finding", metavar="ID", action="append", dest="finding_ids", default=[])
    p.add_argument("--resource", metavar="ARN", action="append", dest="resource_arns", default=[])
    p.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        dest="settings",
        default=[],
        help="a value a fix needs, for every resource or as RESOURCE.KEY=VALUE for one (keys: "
        "cn, ou, uri, dns, issuer_cn, trust_anchor_arn, services; lists are comma-separated)",
    )
    p.add_argument(
        "--out",
        "--output",
        "-o",
        metavar="FILE",
        help="write the plan file (PLAN.json); with --format terraform or cloudformation, "
        "the code instead",
    )
    p.add_argument(
        "--format",
        choices=("text", "json", "terraform", "cloudformation"),
        default="text",
        help="text or json: the plan; terraform or cloudformation: the changed resources as "
        "code, to merge into the code that manages them",
    )

    p = sub.add_parser("apply", help="apply a plan after confirmation, snapshot first")
    p.add_argument("plan_file", metavar="PLAN.json")
    add_source_options(p)
    p.add_argument("--yes", "-y", action="store_true", help="confirm without asking")
    p.add_argument(
        "--read-only", action="store_true", help="show what would be written, write nothing"
    )
    p.add_argument(
        "--allow-drift",
        action="store_true",
        help="change resources managed by CloudFormation or Terraform without asking again",
    )
    p.add_argument(
        "--phase",
        type=int,
        action="append",
        dest="phases",
        metavar="N",
        help="apply the changes of phase N (repeatable; default: phase 1 only)",
    )

    p = sub.add_parser("snapshots", help="list the snapshots taken before each apply")
    add_source_options(p)
    p.add_argument("--format", choices=("table", "json"), default="table")

    p = sub.add_parser("rollback", help="restore what a snapshot holds")
    p.add_argument("snapshot", metavar="SNAPSHOT")
    add_source_options(p)
    p.add_argument("--yes", "-y", action="store_true", help="confirm without asking")
    p.add_argument(
        "--force", action="store_true", help="restore even if the resources changed since"
    )
    p.add_argument(
        "--read-only", action="store_true", help="show what would be restored, write nothing"
    )

    p = sub.add_parser("sandbox", help="manage local sandbox accounts")
    sandbox_sub = p.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    init = sandbox_sub.add_parser("init", help="create a sandbox account in DIR")
    init.add_argument("dir", metavar="DIR")
    init.add_argument("--from-file", metavar="FILE", nargs="+", action="extend", dest="from_files")
    init.add_argument("--force", action="store_true", help="replace an existing sandbox in DIR")

    p = sub.add_parser(
        "onboard",
        help="onboard a new workload: a dedicated role and its team's profile, in one plan",
        description="Plan a dedicated role (hardened trust, permissions scoped to the "
        "workload's services) and create or extend the team's profile (guardrail session "
        "policy, one-hour sessions); show it, confirm, snapshot, apply, verify, then print the "
        "certificate subject, an openssl line and the ~/.aws/config profile.",
    )
    add_source_options(p)
    p.add_argument("--workload", required=True, metavar="NAME", help="the workload's name")
    p.add_argument("--env", required=True, metavar="ENV", help="its environment (dev, prod...)")
    p.add_argument("--team", required=True, metavar="TEAM", help="the team that owns it")
    p.add_argument(
        "--trust-anchor",
        required=True,
        metavar="ARN",
        help="the enabled trust anchor whose CA issues the workload's certificate",
    )
    p.add_argument(
        "--issuer-cn",
        metavar="CN",
        help="the issuing CA's CN (default: read from the anchor's certificate bundle)",
    )
    p.add_argument(
        "--service",
        action="append",
        dest="services",
        default=[],
        metavar="S",
        help="an AWS service the workload needs, as its IAM prefix (s3, dynamodb; repeatable)",
    )
    p.add_argument(
        "--resource",
        action="append",
        dest="resource_arns",
        default=[],
        metavar="ARN",
        help="scope the service of this ARN to it (repeatable)",
    )
    p.add_argument(
        "--managed-policy",
        action="append",
        dest="managed_policy_arns",
        default=[],
        metavar="ARN",
        help="attach this managed policy to the role (repeatable)",
    )
    p.add_argument(
        "--spiffe-uri",
        metavar="URI",
        help="pin this SPIFFE ID (the certificate's URI SAN) instead of its subject",
    )
    p.add_argument(
        "--certificate",
        metavar="FILE",
        help="the workload's certificate or CSR (PEM/DER): use and check its subject, issuer "
        "and SANs",
    )
    p.add_argument(
        "--key-dir",
        metavar="DIR",
        default="/etc/rolesanywhere",
        help="where key, CSR and certificate live on the workload's host, for the printed "
        "configuration (default: /etc/rolesanywhere)",
    )
    p.add_argument(
        "--out",
        metavar="PLAN.json",
        help="write the plan for `rafix apply` instead of applying it",
    )
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default) or json (the same data, for automation)",
    )
    p.add_argument("--yes", "-y", action="store_true", help="confirm without asking")
    return parser


def run_command(command: str, args: argparse.Namespace) -> int:
    """Run one subcommand (``remediations.commands.<command>``); commands that start another
    (``demo`` starts ``tui``) come through here instead of importing each other."""
    module = importlib.import_module(f"remediations.commands.{command}")
    code: int = module.run(args)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "tui"
    if args.command is None:
        add_defaults = build_parser().parse_args(["tui"])
        for key, value in vars(add_defaults).items():
            setattr(args, key, value)
    try:
        return run_command(command, args)
    except RafixError as exc:
        print(f"rafix: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("rafix: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if os.environ.get("RAFIX_DEBUG"):
            raise
        print(
            f"rafix: internal error: {type(exc).__name__}: {exc} (set RAFIX_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 2
