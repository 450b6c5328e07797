"""Errors that reach the user as one clear line (exit 2 or 1), never as a traceback."""

from __future__ import annotations


class RafixError(Exception):
    """Base class: ``str(error)`` is the one line the user sees."""

    exit_code = 2


class InputError(RafixError):
    """Bad usage or bad input: a file that is not what it should be, a bad argument."""


class SourceError(RafixError):
    """The account could not be read at all (no credentials, no endpoint, no region)."""


class PolicyError(RafixError):
    """A policy document that is not valid IAM policy grammar, or would not fit AWS's limits."""


class ApplyError(RafixError):
    """An apply or rollback was refused or failed (exit 1)."""

    exit_code = 1


class Cancelled(RafixError):
    """The caller asked to stop (``should_stop`` returned True): nothing more was read or written.

    Raised between API lists, pages and checks, and between the changes of an apply before its
    first write (once writing has started, an apply finishes or rolls back instead).
    """

    exit_code = 130
