"""``rafix scan``: list findings as a table, JSON or SARIF; the exit code gates CI jobs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from remediations.cli import session_from_args
from remediations.files import write_output
from remediations.findings import Finding, Severity
from remediations.render_text import warning_lines
from remediations.report import render_findings, summary_line, use_color
from remediations.source import FilesSource, Source


def run(args: argparse.Namespace) -> int:
    """Scan the account named by the source options; 1 when a finding reaches ``--fail-on``."""
    session = session_from_args(args)
    result = session.scan(pause_gc=True)  # a one-shot process: pausing the collector is ours
    output = getattr(args, "output", None)
    fmt = getattr(args, "format", "table")
    to_terminal_table = fmt == "table" and not output
    if not to_terminal_table:  # the table lists them itself; other formats keep stdout clean
        for line in warning_lines(result.warnings):
            print(line, file=sys.stderr)
    text = render_findings(
        result.findings,
        result.inventory,
        fmt,
        color=use_color() if not output else False,
        source_uri=sarif_source_uri(session.source),
    )
    if output:
        write_output(output, text, what="the report")
        print(
            f"rafix: wrote {fmt} report to {output}: {summary_line(result.findings)}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return exit_code(result.findings, getattr(args, "fail_on", "low"))


def exit_code(findings: Sequence[Finding], fail_on: str) -> int:
    """1 when any finding is at or above ``fail_on``, else 0."""
    threshold = Severity.parse(fail_on)
    return 1 if any(f.severity >= threshold for f in findings) else 0


def sarif_source_uri(source: Source) -> str | None:
    """The one ``--from-file`` file, when there is exactly one, as the SARIF artifact."""
    if isinstance(source, FilesSource) and len(source.paths) == 1 and source.paths[0].is_file():
        return Path(source.paths[0]).as_posix()
    return None
