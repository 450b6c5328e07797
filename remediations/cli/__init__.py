"""The ``rafix`` command line (``docs/interface.md`` is the contract).

Each subcommand lives in ``remediations.cli.commands.<name>`` and exposes ``run(args) -> int``; this
package parses arguments (``parser.py``, with the shared options in ``options.py``), turns them
into the core's typed values and asks for confirmation (``common.py``: ``source_from_args``,
``session_from_args``, ``confirm``, ``confirm_and_execute``), dispatches (``main`` here), and turns every
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
from collections.abc import Sequence
from typing import NoReturn

from remediations.cli.parser import build_parser, fix_swallowed_positional
from remediations.errors import RafixError


def run_command(command: str, args: argparse.Namespace) -> int:
    """Run one subcommand (``remediations.cli.commands.<command>``); commands that start another
    (``demo`` starts ``tui``) come through here instead of importing each other."""
    module = importlib.import_module(f"remediations.cli.commands.{command}")
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
    fix_swallowed_positional(parser, args)
    if getattr(args, "debug", False):
        from remediations.sources.debuglog import enable_debug

        enable_debug(sys.stderr)
    from remediations.cli import console as output

    output.configure(quiet=bool(args.quiet), color=not args.no_color)
    from remediations.textsafe import shown

    try:
        return run_command(command, args)
    except RafixError as exc:
        print(f"rafix: error: {shown(_redact(str(exc)))}", file=sys.stderr)
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
            f"rafix: internal error: {type(exc).__name__}: {shown(_redact(str(exc)))} "
            "(set RAFIX_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 2


def _redact(text: str) -> str:
    """An error message with every credential taken out (``debuglog.redact``: imported only
    when there is a message to show, as it brings in ``logging``)."""
    from remediations.sources.debuglog import redact

    return redact(text)


def entry() -> NoReturn:
    """The ``rafix`` program (console script and ``python -m remediations``).

    A one-shot process leaves without tearing its heap down: after a large scan Python would
    otherwise walk and free every object it built (a tenth of a second on 10,000 roles) just
    before the system frees it all at once. What must reach its destination is flushed and the
    exit hooks run first (mypy leaves the same way). ``main`` itself returns normally, for
    tests and callers in a longer-lived process.
    """
    code = main()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)  # a profiler or tracer writes its results as Python exits
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(code) from None  # a closed or broken stream: the ordinary exit
    import atexit

    logging = sys.modules.get("logging")  # its handlers flushed, if anything set it up
    if logging is not None:
        logging.shutdown()
    atexit._run_exitfuncs()
    os._exit(code)
