"""The ``rafix`` command line (``docs/interface.md`` is the contract).

Each subcommand lives in ``remediations.commands.<name>`` and exposes ``run(args) -> int``; this
module parses arguments, turns them into the core's typed values (:func:`source_from_args`,
:func:`session_from_args`), asks for confirmation (:func:`confirm`), dispatches, and turns every
error into one line on stderr (exit 2, or 1 for a refused or failed apply), never a traceback.
Commands drive the core through ``remediations.session`` and never import each other. Imports
stay lazy so that the offline scan never loads boto3 or Textual.

The options every command takes (``--config``, ``--debug``, ``--quiet``, ``--no-color``,
``--version``) are added to the main parser and to every subcommand, so they work before and
after the command; a usage error is one line, as every other error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from remediations import __version__
from remediations.errors import ApplyError, InputError, RafixError

if TYPE_CHECKING:
    from remediations.apply import ApplyPreview, ApplyReport
    from remediations.session import Session
    from remediations.snapshots import SnapshotStore
    from remediations.source import Source

SEVERITIES = ("critical", "high", "medium", "low", "info")
#: Subcommands whose positional argument ``--from-file FILE...`` may have swallowed.
_POSITIONAL_AFTER_FILES = {
    ("sandbox", "init"): "dir",
    ("apply", None): "plan_file",
    ("rollback", None): "snapshot",
}


class RafixArgumentParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, like every other rafix error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"rafix: error: {message} (see `{self.prog} --help`)\n")


def _seconds(text: str) -> float:
    """A timeout in seconds: a number, zero or more (0: no limit, as in the AWS CLI)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"a timeout is 0 or more seconds, not {text!r}")
    return value


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """Where the account comes from (INTERFACE.md): live (default), files or a sandbox."""
    group = parser.add_argument_group("account source (default: live AWS through boto3)")
    group.add_argument("--profile", metavar="NAME", help="live: the AWS named profile to read with")
    group.add_argument(
        "--region",
        metavar="R",
        action="append",
        dest="regions",
        help="Roles Anywhere region to read (repeatable; default: every enabled region)",
    )
    group.add_argument(
        "--endpoint-url", metavar="URL", help="live: an AWS-compatible endpoint for every call"
    )
    group.add_argument(
        "--cli-connect-timeout",
        metavar="SECONDS",
        type=_seconds,
        dest="connect_timeout",
        help="live: seconds to wait for a connection (default 5; 0: no limit)",
    )
    group.add_argument(
        "--cli-read-timeout",
        metavar="SECONDS",
        type=_seconds,
        dest="read_timeout",
        help="live: seconds to wait for an answer (default 12; 0: no limit)",
    )
    group.add_argument(
        "--from-file",
        metavar="FILE",
        nargs="+",
        action="extend",
        dest="from_files",
        help="offline: AWS CLI JSON output; several files (DIR/*.json), a directory (other "
        "JSON in it is skipped), or the option repeated",
    )
    group.add_argument(
        "--sandbox", metavar="DIR", help="a local sandbox account (see `rafix sandbox init`)"
    )
    org = parser.add_argument_group("several accounts (an AWS Organization)")
    org.add_argument(
        "--org",
        action="store_true",
        help="every ACTIVE account of the organisation the credentials can list (management "
        "or delegated-administrator account)",
    )
    org.add_argument(
        "--account",
        metavar="ID",
        action="append",
        dest="accounts",
        help="read this account (repeatable; with or without --org)",
    )
    org.add_argument(
        "--assume-role",
        metavar="NAME",
        dest="assume_role",
        help="the role each member account is read through (default OrganizationAccountAccessRole)",
    )
    org.add_argument(
        "--external-id", metavar="ID", dest="external_id", help="the external ID that role needs"
    )
    org.add_argument(
        "--parallel",
        metavar="N",
        type=_parallel,
        help="how many accounts are read at once (default 4)",
    )


def _parallel(text: str) -> int:
    """``--parallel N``: 1 to 64 accounts at once."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"between 1 and 64 accounts at once, not {value}")
    return value


def _member_count(text: str) -> int:
    """``sandbox init --accounts N``: 1 to 1000 member accounts."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"between 1 and 1000 member accounts, not {value}")
    return value


def add_common_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``--config``, ``--debug``, ``--quiet``, ``--no-color``, ``--version``: on the main parser
    with their defaults, on each subcommand without (``SUPPRESS``), so that a value given before
    the command is not reset by the subcommand's default."""
    known = parser._option_string_actions  # skip what a command already defines
    group = parser.add_argument_group("options every command takes")

    def add(*names: str, **kwargs: Any) -> None:
        if any(n in known for n in names):
            return
        if not top and kwargs.get("action") != "version":
            kwargs["default"] = argparse.SUPPRESS
        group.add_argument(*names, **kwargs)

    add(
        "--config",
        metavar="FILE",
        help="settings file (TOML); default $RAFIX_CONFIG, else "
        "$XDG_CONFIG_HOME/rafix/config.toml when it exists",
        **({"default": None} if top else {}),
    )
    add(
        "--debug",
        action="store_true",
        help="show the AWS calls and retries on stderr (credentials are never shown)",
    )
    add(
        "--quiet",
        "-q",
        action="store_true",
        help="only errors on stderr: no progress, hints or warnings",
    )
    add(
        "--no-color",
        action="store_true",
        dest="no_color",
        help="no colours (also when NO_COLOR is set or the output is not a terminal)",
    )
    add(
        "--version",
        "-V",
        action="version",
        version=f"rafix {__version__}",
        help="print the version and exit",
    )


def add_output_option(
    parser: argparse.ArgumentParser, *, metavar: str = "FILE", what: str = "the report"
) -> None:
    """``--output`` / ``--out`` / ``-o``: the same option under every spelling."""
    parser.add_argument(
        "--output",
        "--out",
        "-o",
        metavar=metavar,
        dest="output",
        help=f"write {what} to {metavar}"
        + (" (- for standard output)" if metavar != "DIR" else ""),
    )


def _epilog(*examples: str) -> str:
    return "examples:\n" + "\n".join(f"  {e}" for e in examples)


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
    base: FilesSource | SandboxSource | LiveSource
    if from_files:
        base = FilesSource(tuple(Path(f) for f in from_files), regions)
    elif sandbox:
        base = SandboxSource(Path(sandbox), regions)
    else:
        base = LiveSource(
            profile=getattr(args, "profile", None),
            regions=regions,
            endpoint_url=getattr(args, "endpoint_url", None),
            connect_timeout=getattr(args, "connect_timeout", None),
            read_timeout=getattr(args, "read_timeout", None),
        )
    return org_from_args(args, base)


def org_from_args(args: argparse.Namespace, base: Any) -> Source:
    """``--org`` / ``--account``: the organisation (or the accounts) on top of ``base``; a
    folder of per-account folders given to ``--from-file`` is an organisation by itself.

    Raises:
        InputError: a bad account ID or role name, or organisation options without them.
    """
    from remediations.organization import (
        DEFAULT_PARALLEL,
        DEFAULT_ROLE,
        check_account_ids,
        check_role_name,
        is_org_folder,
    )
    from remediations.source import FilesSource, OrgSource

    every = bool(getattr(args, "org", False))
    accounts = check_account_ids(getattr(args, "accounts", None) or ())
    role = getattr(args, "assume_role", None)
    external_id = getattr(args, "external_id", None)
    parallel = getattr(args, "parallel", None)
    folder = isinstance(base, FilesSource) and is_org_folder(base.paths)
    if not (every or accounts or folder):
        given = [
            name
            for name, value in (
                ("--assume-role", role),
                ("--external-id", external_id),
                ("--parallel", parallel),
            )
            if value is not None
        ]
        if given:
            raise InputError(f"{given[0]} needs --org or --account ID")
        return base  # type: ignore[no-any-return]
    return OrgSource(
        base,
        all_accounts=every or not accounts,
        accounts=accounts,
        assume_role=check_role_name(role) if role else DEFAULT_ROLE,
        external_id=external_id or None,
        parallel=parallel or DEFAULT_PARALLEL,
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


def one_account(session: Session) -> Session:
    """For commands that work in one account (``onboard``): ``--account ID`` of an
    organisation is that account, reached through its role; several accounts are refused.

    Raises:
        InputError: ``--org`` or several ``--account``.
    """
    from remediations.source import OrgSource

    source = session.source
    if not isinstance(source, OrgSource):
        return session
    if source.all_accounts or len(source.accounts) != 1:
        raise InputError("this works in one account: name it with --account ID (not --org)")
    return session.member(source.accounts[0])


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
def explain_interrupt(
    store: SnapshotStore, retry: str, again: Sequence[str] = ()
) -> Iterator[None]:
    """On Ctrl-C, say how to finish or undo what was started, then let the interrupt go on.

    ``retry`` is the command that finishes it; ``again`` the options naming the account.
    """
    from remediations.console import command_line

    try:
        yield
    except KeyboardInterrupt:
        for snapshot in store.unfinished()[:1]:
            undo = command_line("rafix", "rollback", snapshot.id, *again)
            print(
                f"rafix: interrupted midway; `{retry}` finishes it, `{undo}` undoes it",
                file=sys.stderr,
            )
        raise


def has_terminal() -> bool:
    """Whether a person is at a terminal (the app and confirmations need one)."""
    return sys.stdout.isatty() and sys.stdin.isatty()


def say(lines: Sequence[str], stream: TextIO | None = None) -> None:
    """Print lines as they happen (an apply's progress must show before it ends); diffs are
    coloured on a terminal unless ``--no-color``/``NO_COLOR``."""
    from remediations.console import color_diffs, use_color

    target = stream or sys.stdout
    paint = use_color(target)
    for line in lines:
        print(color_diffs(line) if paint else line, file=target, flush=True)


def confirm_and_execute(
    args: argparse.Namespace,
    session: Session,
    preview: ApplyPreview,
    *,
    stream: TextIO | None = None,
) -> ApplyReport | None:
    """The CLI's write path: print the preview, ask, execute printing each event, print the end.

    Nothing is asked when there is nothing to write (no change, or already applied).
    ``stream`` is where the lines go (default standard output). Returns None for a read-only
    preview (``--read-only``): shown, nothing written, a success.

    Raises:
        ApplyError: refused (read-only, stale) or not confirmed: nothing was written.
    """
    from remediations.apply import READ_ONLY_REFUSAL, Outcome
    from remediations.console import note, source_args
    from remediations.render_text import (
        confirm_question,
        event_lines,
        preview_lines,
        report_lines,
    )

    again = source_args(args)
    say(preview_lines(preview, again=again), stream)
    if preview.steps and preview.read_only:
        # A dry run that showed what was asked is a success (exit 0), not an error.
        note(f"rafix: {READ_ONLY_REFUSAL}")
        return None
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
    say(report_lines(report, again=again), stream)
    return report


def build_parser() -> argparse.ArgumentParser:
    parser = RafixArgumentParser(
        prog="rafix",
        description="Find and fix misconfigurations of AWS IAM Roles Anywhere.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_epilog(
            "rafix demo                              # try it: no AWS account needed",
            "rafix scan --profile prod --region eu-west-1",
            "rafix scan --from-file exports/ --format sarif -o rafix.sarif --fail-on high",
            "rafix plan --sandbox ./sb --out plan.json && rafix apply plan.json --sandbox ./sb",
        )
        + "\n\nexit codes: 0 ok, 1 findings at or above --fail-on (scan) or a refused or failed "
        "apply, 2 bad usage or input",
    )
    add_common_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=RafixArgumentParser)

    def command(name: str, help_text: str, *examples: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog=_epilog(*examples) if examples else None,
        )

    p = command(
        "tui",
        "the interactive terminal app (default)",
        "rafix tui --profile prod",
        "rafix tui --sandbox ./sb --read-only",
    )
    add_source_options(p)
    p.add_argument("--read-only", action="store_true", help="refuse every change to the account")

    p = command(
        "demo",
        "the terminal app on a fresh copy of the built-in demo account",
        "rafix demo",
        "rafix demo --print",
    )
    p.add_argument(
        "--print", action="store_true", dest="print_only", help="print a scan instead of the app"
    )
    p.add_argument("--keep", action="store_true", help="keep the demo sandbox after the app exits")

    p = command(
        "scan",
        "list findings",
        "rafix scan --profile prod",
        "rafix scan --from-file exports/ --format json -o report.json",
        "rafix scan --sandbox ./sb --severity critical,high --check 'RA-TRUST-*'",
        "rafix scan --from-file exports/ --baseline last-week.json --fail-on high",
    )
    add_source_options(p)
    p.add_argument(
        "--format",
        choices=("table", "json", "sarif"),
        default="table",
        help="table for people, json for scripts, sarif for code scanning (default: table)",
    )
    add_output_option(p)
    p.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="low",
        help="exit 1 when a finding is at or above this severity (default: low)",
    )
    p.add_argument(
        "--severity",
        metavar="LIST",
        action="append",
        dest="severities",
        help="report only these severities, comma-separated (e.g. critical,high)",
    )
    p.add_argument(
        "--check",
        metavar="ID",
        action="append",
        dest="checks",
        help="report only this finding ID or pattern (RA-TRUST-*); repeatable",
    )
    p.add_argument(
        "--baseline",
        metavar="REPORT.json",
        help="report only findings not in this earlier `rafix scan --format json` report",
    )

    p = command(
        "export",
        "write the account in the --from-file formats",
        "rafix export --profile prod --out exports/",
        "rafix scan --from-file exports/",
    )
    add_source_options(p)
    p.add_argument(
        "--out",
        "--output",
        "-o",
        metavar="DIR",
        dest="out",
        required=True,
        help="the folder to write iam.json, anchors.json, profiles.json, crls.json, "
        "subjects.json to",
    )

    p = command(
        "plan",
        "dry run: proposed changes and their diffs",
        "rafix plan --sandbox ./sb --out plan.json",
        "rafix plan --profile prod --finding RA-TRUST-NO-SOURCEARN --set cn=app.prod",
        "rafix plan --from-file exports/ --format json -o -",
    )
    add_source_options(p)
    p.add_argument(
        "--finding",
        metavar="ID",
        action="append",
        dest="finding_ids",
        default=[],
        help="plan fixes for this finding ID only (repeatable)",
    )
    p.add_argument(
        "--include-suppressed",
        action="store_true",
        help="also plan fixes for findings that a suppression in the config file accepts",
    )
    p.add_argument(
        "--resource",
        metavar="ARN",
        action="append",
        dest="resource_arns",
        default=[],
        help="plan fixes for this resource only (repeatable)",
    )
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
        dest="out",
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

    p = command(
        "apply",
        "apply a plan after confirmation, snapshot first",
        "rafix apply plan.json --sandbox ./sb",
        "rafix apply plan.json --profile prod --read-only",
        "rafix apply plan.json --profile prod --phase 2 --yes",
    )
    p.add_argument("plan_file", metavar="PLAN.json", nargs="?", help="a plan from `rafix plan`")
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

    p = command(
        "snapshots",
        "list the snapshots taken before each apply",
        "rafix snapshots --sandbox ./sb",
        "rafix snapshots --format json",
    )
    add_source_options(p)
    p.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table for people, json for scripts (default: table)",
    )

    p = command(
        "rollback",
        "restore what a snapshot holds",
        "rafix rollback 20261203T101500123Z-1a2b --sandbox ./sb",
        "rafix rollback SNAPSHOT --profile prod --read-only",
    )
    p.add_argument(
        "snapshot", metavar="SNAPSHOT", nargs="?", help="a snapshot ID from `rafix snapshots`"
    )
    add_source_options(p)
    p.add_argument("--yes", "-y", action="store_true", help="confirm without asking")
    p.add_argument(
        "--force", action="store_true", help="restore even if the resources changed since"
    )
    p.add_argument(
        "--read-only", action="store_true", help="show what would be restored, write nothing"
    )

    p = command(
        "sandbox",
        "manage local sandbox accounts",
        "rafix sandbox init ./sb",
        "rafix sandbox init ./sb --from-file exports/*.json",
        "rafix sandbox init ./org --accounts 3",
    )
    sandbox_sub = p.add_subparsers(
        dest="sandbox_command", metavar="ACTION", required=True, parser_class=RafixArgumentParser
    )
    init = sandbox_sub.add_parser(
        "init",
        help="create a sandbox account in DIR",
        description="Create a sandbox account in DIR: the demo account, or the files' account.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_epilog(
            "rafix sandbox init ./sb",
            "rafix sandbox init ./sb --from-file exports/*.json",
            "rafix sandbox init --from-file exports/*.json -- ./sb",
            "rafix sandbox init ./org --accounts 3   # an organisation: management + 3 members",
        ),
    )
    init.add_argument("dir", metavar="DIR", nargs="?", help="the folder to create it in")
    init.add_argument(
        "--accounts",
        metavar="N",
        type=_member_count,
        help="an organisation: a management account (the demo, or the files' account) and N "
        "member accounts of different shapes, read with `--sandbox DIR --org`",
    )
    init.add_argument(
        "--from-file",
        metavar="FILE",
        nargs="+",
        action="extend",
        dest="from_files",
        help="the account in these AWS CLI JSON files (or a folder) instead of the demo",
    )
    init.add_argument("--force", action="store_true", help="replace an existing sandbox in DIR")

    p = command(
        "onboard",
        "onboard a new workload: a dedicated role and its team's profile, in one plan",
        "rafix onboard --sandbox ./sb --workload billing --env prod --team payments "
        "--trust-anchor ARN --service s3",
        "rafix onboard --profile prod --workload billing --env prod --team payments "
        "--trust-anchor ARN --out plan.json",
        "rafix onboard --profile prod --workload billing --env prod --team payments "
        "--trust-anchor ARN --format terraform -o billing.tf",
    )
    p.description = (
        "Plan a dedicated role (hardened trust, permissions scoped to the "
        "workload's services) and create or extend the team's profile (guardrail session "
        "policy, one-hour sessions); show it, confirm, snapshot, apply, verify, then print the "
        "certificate subject, an openssl line and the ~/.aws/config profile."
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
        "--output",
        "-o",
        metavar="PLAN.json",
        dest="out",
        help="write the plan for `rafix apply` instead of applying it",
    )
    p.add_argument(
        "--format",
        choices=("text", "json", "terraform", "cloudformation"),
        default="text",
        help="text (default) or json (the same data, for automation); terraform or "
        "cloudformation write the role and profile as code instead of applying them",
    )
    p.add_argument("--yes", "-y", action="store_true", help="confirm without asking")

    p = command(
        "access",
        "who can assume each Roles Anywhere role: CA -> trust anchor -> profile -> role",
        "rafix access --sandbox ./sb",
        "rafix access --profile prod --role arn:aws:iam::111122223333:role/app --format json",
        "rafix access --from-file exports/ --subject 'CN=app.prod,OU=payments'",
        "rafix access --profile prod --certificate app.pem",
        "rafix access --sandbox ./sb --format mermaid -o access.mmd",
    )
    add_source_options(p)
    p.add_argument(
        "--role",
        metavar="ARN",
        action="append",
        dest="roles",
        default=[],
        help="only this role (ARN or name; repeatable)",
    )
    reverse = p.add_mutually_exclusive_group()
    reverse.add_argument(
        "--certificate",
        metavar="PEM",
        help="which roles this certificate (PEM or DER file) can assume",
    )
    reverse.add_argument(
        "--subject",
        metavar="DN",
        help="which roles a certificate with this subject can assume (e.g. 'CN=app,OU=team')",
    )
    p.add_argument("--issuer", metavar="DN", help="with --subject: the certificate's issuer")
    p.add_argument(
        "--trust-anchor",
        metavar="ARN",
        help="with --subject or --certificate: only paths through this trust anchor",
    )
    p.add_argument(
        "--format",
        choices=("table", "json", "dot", "mermaid"),
        default="table",
        help="table for people, json for scripts, dot or mermaid for a graph (default: table)",
    )
    add_output_option(p, what="the access map")

    p = command(
        "completion",
        "print a shell completion script",
        "rafix completion bash > ~/.local/share/bash-completion/completions/rafix",
        "source <(rafix completion zsh)          # in ~/.zshrc",
        "rafix completion fish > ~/.config/fish/completions/rafix.fish",
    )
    p.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell to complete for")

    _add_common_everywhere(parser)
    return parser


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every parser below ``parser`` (commands, and actions such as ``sandbox init``)."""
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found.append(child)
                found.extend(_subparsers(child))
    return found


def _add_common_everywhere(parser: argparse.ArgumentParser) -> None:
    for child in _subparsers(parser):
        add_common_options(child)


def _fix_swallowed_positional(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``--from-file a.json b.json DIR``: argparse gives DIR to ``--from-file`` (it takes one
    or more values). When the command's positional is missing and ``--from-file`` got at least
    two values, the last one is the positional; ``--`` before it, or the positional first,
    says the same without guessing."""
    key = (args.command, getattr(args, "sandbox_command", None))
    dest = _POSITIONAL_AFTER_FILES.get(key)
    if dest is None:
        return
    files = getattr(args, "from_files", None) or []
    if getattr(args, dest, None) is None and len(files) >= 2:
        setattr(args, dest, files.pop())
    if getattr(args, dest, None) is None:
        names = {"dir": "DIR", "plan_file": "PLAN.json", "snapshot": "SNAPSHOT"}
        target = parser
        for child in _subparsers(parser):
            if child.prog.endswith(" ".join(k for k in key if k)):
                target = child
        target.error(f"the following arguments are required: {names[dest]}")


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
        defaults = build_parser().parse_args(["tui"])
        for key, value in vars(defaults).items():
            if not hasattr(args, key) or key == "command":
                setattr(args, key, value)
    _fix_swallowed_positional(parser, args)
    if getattr(args, "debug", False):
        from remediations.debuglog import enable_debug

        enable_debug(sys.stderr)
    from remediations import console as output

    output.configure(quiet=bool(args.quiet), color=not args.no_color)
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
        if os.environ.get("RAFIX_DEBUG") or getattr(args, "debug", False):
            raise
        print(
            f"rafix: internal error: {type(exc).__name__}: {exc} (set RAFIX_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 2
