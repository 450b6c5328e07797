"""``rafix scan``: list findings as a table, JSON or SARIF; the exit code gates CI jobs.

What is reported is chosen by ``--severity``, ``--check``, ``--baseline`` and the config
file's suppressions (``remediations.selection``); ``--fail-on`` looks only at what is left.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from remediations.catalog import CATALOG
from remediations.cli import console as output
from remediations.cli.common import session_from_args
from remediations.errors import InputError
from remediations.files import STDOUT, write_output
from remediations.findings import Finding, Severity
from remediations.model import SourceWarning
from remediations.report import TABLE_WIDTH, report_pieces, summary_line
from remediations.selection import (
    Selection,
    Suppression,
    check_patterns,
    load_baseline,
    parse_severities,
    select_findings,
)
from remediations.source import FilesSource, Source
from remediations.textsafe import for_json, warning_lines


def selection_from_args(args: argparse.Namespace, suppressions: Sequence[Suppression]) -> Selection:
    """``--severity``, ``--check``, ``--baseline`` and the config's suppressions.

    Raises:
        InputError: an unknown severity, a check pattern that matches no ID, a bad baseline.
    """
    severities = getattr(args, "severities", None)
    checks = getattr(args, "checks", None)
    baseline = getattr(args, "baseline", None)
    return Selection(
        severities=parse_severities(severities) if severities else frozenset(),
        checks=check_patterns(checks, CATALOG) if checks else (),
        baseline=load_baseline(baseline) if baseline else None,
        suppressions=tuple(suppressions),
    )


def run(args: argparse.Namespace) -> int:
    """Scan the account named by the source options; 1 when a finding reaches ``--fail-on``."""
    session = session_from_args(args)
    selection = selection_from_args(args, session.settings.suppress)  # bad options: before reading
    what = "reading the accounts" if result_is_org(session.source) else "reading the account"
    with output.Progress(what) as progress:
        progress.start("connecting")
        result = session.scan(on_progress=progress.callback(), pause_gc=True)
    chosen = select_findings(result.findings, selection)
    warnings = [*result.warnings, *chosen.warnings]
    refuse_partial(args, result.inventory.not_read, warnings)
    destination: str = getattr(args, "output", None) or ""
    to_file = bool(destination) and destination != STDOUT
    fmt = getattr(args, "format", "table")
    if fmt != "table" or to_file:  # the table lists them itself; other formats keep stdout clean
        for line in warning_lines(warnings):
            output.note(line)
    pieces = report_pieces(
        chosen.findings,
        result.inventory,
        fmt,
        color=False if to_file else output.use_color(),
        source_uri=sarif_source_uri(session.source),
        suppressed=chosen.suppressed,
        in_baseline=chosen.in_baseline,
        warnings=warnings,
        width=TABLE_WIDTH if to_file else _terminal_width(),
        accounts=result.accounts,
    )
    if to_file:
        # Written as it is encoded: a large report is never held whole.
        write_output(destination, pieces, what="the report")
        summary = summary_line(
            chosen.findings, suppressed=len(chosen.suppressed), in_baseline=chosen.in_baseline
        )
        output.note(f"rafix: wrote {fmt} report to {destination}: {summary}")
    else:
        text = "".join(pieces)
        sys.stdout.write(text if fmt == "table" else for_json(text))
        sys.stdout.flush()
    return exit_code(chosen.findings, getattr(args, "fail_on", "low"))


def refuse_partial(
    args: argparse.Namespace,
    not_read: Sequence[SourceWarning],
    warnings: Sequence[SourceWarning],
) -> None:
    """A scan that did not read the whole account never looks clean: without
    ``--allow-partial`` it ends here (exit 2), every warning shown and nothing reported.

    Raises:
        InputError: something was not read and ``--allow-partial`` was not given.
    """
    if not not_read or getattr(args, "allow_partial", False):
        return
    for line in warning_lines(warnings):
        output.note(line)
    first = not_read[0]
    more = f" and {len(not_read) - 1} more (above)" if len(not_read) > 1 else ""
    raise InputError(
        f"the scan is incomplete, so it reports nothing: {first}{more}. Fix the access or the "
        "export, or pass --allow-partial to report on what was read"
    )


def result_is_org(source: Source) -> bool:
    from remediations.source import is_organization

    return is_organization(source)


def _terminal_width() -> int:
    """The terminal's width when stdout is one (at least 60), else 80."""
    import os

    if not sys.stdout.isatty():
        return TABLE_WIDTH
    try:
        return max(60, os.get_terminal_size(sys.stdout.fileno()).columns)
    except (OSError, ValueError):
        return TABLE_WIDTH


def exit_code(findings: Sequence[Finding], fail_on: str) -> int:
    """1 when any finding is at or above ``fail_on``, else 0."""
    threshold = Severity.parse(fail_on)
    return 1 if any(f.severity >= threshold for f in findings) else 0


def sarif_source_uri(source: Source) -> str | None:
    """The one ``--from-file`` file, when there is exactly one, as the SARIF artifact."""
    if isinstance(source, FilesSource) and len(source.paths) == 1 and source.paths[0].is_file():
        return Path(source.paths[0]).as_posix()
    return None
