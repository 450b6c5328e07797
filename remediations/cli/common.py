"""What every command shares: the typed source and session its options name, confirmation,
the apply flow (preview, ask, execute, print), and what to say on Ctrl-C."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from remediations.errors import ApplyError, InputError

if TYPE_CHECKING:
    from remediations.apply.results import ApplyPreview, ApplyReport
    from remediations.apply.snapshots import SnapshotStore
    from remediations.session import Session
    from remediations.source import Source


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
    from remediations.source import FilesSource, OrgSource
    from remediations.sources.organization import (
        DEFAULT_PARALLEL,
        DEFAULT_ROLE,
        check_account_ids,
        check_role_name,
        is_org_folder,
    )

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
    from remediations.cli.console import command_line

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
    from remediations.cli.console import color_diffs, use_color
    from remediations.textsafe import for_terminal

    target = stream or sys.stdout
    paint = use_color(target)
    for line in lines:
        line = for_terminal(line)
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
    from remediations.apply.execute import READ_ONLY_REFUSAL
    from remediations.apply.results import Outcome
    from remediations.cli.console import note, source_args
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
