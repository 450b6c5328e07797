"""The ``rafix`` command line (``../shared/INTERFACE.md`` is the contract).

Each subcommand lives in ``remediations.commands.<name>`` and exposes ``run(args) -> int``; this
module only parses arguments, dispatches, and turns every error into one line on stderr (exit 2,
or 1 for a refused or failed apply), never a traceback. Imports stay lazy so that the offline
scan never loads boto3 or Textual.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from remediations import __version__
from remediations.errors import RafixError

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "tui"
    if args.command is None:
        add_defaults = build_parser().parse_args(["tui"])
        for key, value in vars(add_defaults).items():
            setattr(args, key, value)
    try:
        module = importlib.import_module(f"remediations.commands.{command}")
        code: int = module.run(args)
        return code
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
