"""The switch between a plan's shortcuts and their plain paths.

Every shortcut a plan takes for speed (diffs of the changed parts only, witness proofs by
classes of values, re-checking only what a change touches) gives exactly what its plain path
gives; the tests prove it by running both. ``with plain_paths():`` runs the plain ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_PLAIN: ContextVar[bool] = ContextVar("rafix_plain_paths", default=False)


def shortcuts_on() -> bool:
    """False inside :func:`plain_paths`."""
    return not _PLAIN.get()


@contextmanager
def plain_paths() -> Iterator[None]:
    """Run the plain path of every shortcut in this context (for tests and comparisons)."""
    token = _PLAIN.set(True)
    try:
        yield
    finally:
        _PLAIN.reset(token)
