"""The ``rafix`` argument parser: every subcommand, its options and examples."""

from __future__ import annotations

import argparse

from remediations.cli.options import (
    SEVERITIES,
    RafixArgumentParser,
    add_common_options,
    add_output_option,
    add_source_options,
    epilog,
    member_count,
)

_POSITIONAL_AFTER_FILES = {
    ("sandbox", "init"): "dir",
    ("apply", None): "plan_file",
    ("rollback", None): "snapshot",
}


def build_parser() -> argparse.ArgumentParser:
    parser = RafixArgumentParser(
        prog="rafix",
        description="Find and fix misconfigurations of AWS IAM Roles Anywhere.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=epilog(
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
            epilog=epilog(*examples) if examples else None,
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
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="report even when part of the account could not be read (a denied list, a "
        "truncated export); the report says what was not read. Without it such a scan exits 2",
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
        "--repair-broken",
        action="store_true",
        dest="repair_broken",
        help="also repair roles that no certificate can use today (missing actions, aws:SourceIp "
        "pins, a legacy Version with ${...}, only deleted trust anchors pinned); each repair "
        "says which certificates gain access",
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
        epilog=epilog(
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
        type=member_count,
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

    add_common_everywhere(parser)
    return parser


def subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every parser below ``parser`` (commands, and actions such as ``sandbox init``)."""
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found.append(child)
                found.extend(subparsers(child))
    return found


def add_common_everywhere(parser: argparse.ArgumentParser) -> None:
    for child in subparsers(parser):
        add_common_options(child)


def fix_swallowed_positional(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
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
        for child in subparsers(parser):
            if child.prog.endswith(" ".join(k for k in key if k)):
                target = child
        target.error(f"the following arguments are required: {names[dest]}")
