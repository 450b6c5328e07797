"""The options several commands take (source, common, output) and the parser class that makes
a usage error one line."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from remediations import __version__

SEVERITIES = ("critical", "high", "medium", "low", "info")


#: Subcommands whose positional argument ``--from-file FILE...`` may have swallowed.
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
        type=parallel_count,
        help="how many accounts are read at once (default 4)",
    )


def parallel_count(text: str) -> int:
    """``--parallel N``: 1 to 64 accounts at once."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"between 1 and 64 accounts at once, not {value}")
    return value


def member_count(text: str) -> int:
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


def epilog(*examples: str) -> str:
    return "examples:\n" + "\n".join(f"  {e}" for e in examples)
