"""IAM wildcard matching (``*`` any run, ``?`` one character) without backtracking.

A pattern is cut at its ``*`` into segments of fixed length (literal text and ``?``). The
first segment must sit at the start of the value, the last at its end, and each middle one
is placed at its leftmost possible position after the previous one: a later placement can
never help the segments that follow, so nothing is ever retried. Each segment is searched once,
left to right, with :meth:`str.find` on its longest literal piece; the work is bounded by
``len(value) * len(pattern)`` character comparisons and is linear for the patterns IAM
policies hold (hostile ones such as ``?*?*?*...`` or ``*.*.*...*.prod`` included), where a
regular expression built from the pattern backtracks exponentially.

Policy text and substituted text mix in one pattern after ``${...}`` substitution: a substituted
value's ``*`` and ``?`` are literal, so patterns are also compiled from (text, literal)
segments (:func:`compile_parts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

#: A piece of a segment: literal text, or a run of that many ``?``.
Piece = str | int


def fold_case(text: str) -> str:
    """Lower-case one character at a time (so ``?`` still stands for one character)."""
    if text.isascii():
        return text.lower()
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


@dataclass(frozen=True, slots=True)
class Segment:
    """The part of a pattern between two ``*``: literal pieces at fixed offsets."""

    #: (offset, text) of each literal piece.
    literals: tuple[tuple[int, str], ...]
    length: int
    #: Index in ``literals`` of the longest piece, the one :meth:`find` searches for.
    anchor: int

    @classmethod
    def of(cls, pieces: Sequence[Piece]) -> Segment:
        literals: list[tuple[int, str]] = []
        offset = 0
        for piece in pieces:
            if isinstance(piece, int):
                offset += piece
            elif piece:
                literals.append((offset, piece))
                offset += len(piece)
        anchor = max(range(len(literals)), key=lambda i: len(literals[i][1]), default=-1)
        return cls(tuple(literals), offset, anchor)

    def matches_at(self, value: str, position: int) -> bool:
        """The segment matches ``value`` at ``position`` (which leaves room for it)."""
        return all(value.startswith(text, position + offset) for offset, text in self.literals)

    def find(self, value: str, start: int, last: int) -> int:
        """The leftmost position in ``start..last`` where the segment matches, or -1."""
        if start > last:
            return -1
        if self.anchor < 0:
            return start  # only ``?``: any position with room
        offset, text = self.literals[self.anchor]
        end = last + offset + len(text)
        found = value.find(text, start + offset, end)
        while found >= 0:
            position = found - offset
            if self.matches_at(value, position):
                return position
            found = value.find(text, found + 1, end)
        return -1


@dataclass(frozen=True, slots=True)
class Wildcard:
    """A compiled IAM wildcard pattern."""

    #: The segments between ``*`` (one segment when the pattern has no ``*``).
    segments: tuple[Segment, ...]
    ignore_case: bool
    #: The pattern has no ``*`` and no ``?``: the whole text, compared for equality.
    exact: str | None

    def matches(self, value: str) -> bool:
        if self.ignore_case:
            value = fold_case(value)
        if self.exact is not None:
            return value == self.exact
        segments = self.segments
        first = segments[0]
        if len(segments) == 1:
            return len(value) == first.length and first.matches_at(value, 0)
        last = segments[-1]
        end = len(value) - last.length
        if end < first.length or not first.matches_at(value, 0):
            return False
        if not last.matches_at(value, end):
            return False
        position = first.length
        for segment in segments[1:-1]:
            found = segment.find(value, position, end - segment.length)
            if found < 0:
                return False
            position = found + segment.length
        return True


def _build(parts: Sequence[tuple[str, bool]], ignore_case: bool) -> Wildcard:
    segments: list[Segment] = []
    pieces: list[Piece] = []
    text: list[str] = []
    wild = False

    def flush() -> None:
        if text:
            pieces.append("".join(text))
            text.clear()

    for chunk, literal in parts:
        if ignore_case:
            chunk = fold_case(chunk)
        if literal:
            text.append(chunk)
            continue
        for char in chunk:
            if char == "*":
                wild = True
                flush()
                segments.append(Segment.of(pieces))
                pieces.clear()
            elif char == "?":
                wild = True
                flush()
                if pieces and isinstance(pieces[-1], int):
                    pieces[-1] += 1
                else:
                    pieces.append(1)
            else:
                text.append(char)
    flush()
    segments.append(Segment.of(pieces))
    exact = None
    if not wild:
        exact = "".join(t for _, t in segments[0].literals)
    return Wildcard(tuple(segments), ignore_case, exact)


@lru_cache(maxsize=8192)
def compile_wildcard(pattern: str, ignore_case: bool = False) -> Wildcard:
    """A policy pattern whose every ``*`` and ``?`` is a wildcard."""
    return _build(((pattern, False),), ignore_case)


@lru_cache(maxsize=8192)
def compile_parts(parts: tuple[tuple[str, bool], ...], ignore_case: bool = False) -> Wildcard:
    """A pattern made of (text, literal) parts: wildcards count only in non-literal parts."""
    return _build(parts, ignore_case)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """``value`` matches the whole IAM wildcard ``pattern``."""
    return compile_wildcard(pattern, ignore_case).matches(value)


def has_wildcard(pattern: str) -> bool:
    """True when the pattern (after removing ``${*}``/``${?}`` escapes) has ``*`` or ``?``."""
    stripped = pattern.replace("${*}", "").replace("${?}", "")
    return "*" in stripped or "?" in stripped


#: Longer patterns are not intersected (:func:`common_match` answers "unknown").
MAX_INTERSECTED = 2048


def common_match(a: str, b: str, *, ignore_case: bool = False) -> str | bool | None:
    """A string both IAM wildcard patterns match, None when no string does, or True when the
    patterns are too long to decide (callers treat that as "they may overlap").

    A dynamic program over (position in ``a``, position in ``b``), linear in the product of the
    lengths: a ``*`` either matches nothing more or absorbs the other pattern's next character
    (any common string can be built so, one star at a time); two fixed characters must agree
    (``?`` agrees with anything). Each state is decided once, so nothing is retried.
    """
    if len(a) + len(b) > MAX_INTERSECTED:
        return True
    if ignore_case:
        a, b = fold_case(a), fold_case(b)
    n, m = len(a), len(b)
    # done[i][j]: the suffix pair (a[i:], b[j:]) has a common match; filled backwards.
    done = [[False] * (m + 1) for _ in range(n + 1)]
    step: list[list[tuple[int, int, str] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    done[n][m] = True
    for i in range(n, -1, -1):
        for j in range(m, -1, -1):
            if i == n and j == m:
                continue
            x = a[i] if i < n else None
            y = b[j] if j < m else None
            options: list[tuple[int, int, str]] = []
            if x == "*":
                options.append((i + 1, j, ""))
                if y is not None and y != "*":
                    options.append((i, j + 1, "r" if y == "?" else y))
            if y == "*":
                options.append((i, j + 1, ""))
                if x is not None and x != "*":
                    options.append((i + 1, j, "r" if x == "?" else x))
            fixed = x is not None and y is not None and x != "*" and y != "*"
            if fixed and (x == "?" or y == "?" or x == y):
                char = "r" if x == y == "?" else (y if x == "?" else x)
                options.append((i + 1, j + 1, str(char)))
            for ni, nj, char in options:
                if done[ni][nj]:
                    done[i][j] = True
                    step[i][j] = (ni, nj, char)
                    break
    if not done[0][0]:
        return None
    out: list[str] = []
    i = j = 0
    while (i, j) != (n, m):
        link = step[i][j]
        assert link is not None
        i, j, char = link
        out.append(char)
    return "".join(out)
