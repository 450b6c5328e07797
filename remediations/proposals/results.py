"""What :func:`propose` returns (changes, values it needs, findings it does not fix), and the
two exceptions a fix raises while it is built."""

from __future__ import annotations

from collections.abc import Iterable

# The result types are plan data (front ends read them without loading the proposal engine).
from remediations.plan import NeedsInput, NotFixable, ProposalSet, ProposedChange

__all__ = ["NeedsInput", "NotFixable", "ProposalSet", "ProposedChange"]


class InputNeeded(Exception):
    """A fix that needs a value only the user knows (asked for with the candidates seen)."""

    def __init__(self, key: str, question: str, candidates: Iterable[str] = ()) -> None:
        super().__init__(question)
        self.key = key
        self.question = question
        self.candidates = tuple(dict.fromkeys(candidates))


class FixRefused(Exception):
    """A fix that cannot be made safely; the message is the reason."""
