"""Text from an account, a file or a user, made safe to show on a terminal.

A trust anchor name, a role name, a file name, a ``--set`` value or a server's error message can
hold anything: escape sequences that recolour or clear the screen, a carriage return or a
newline that splits a table row or fakes a line such as ``Plan: 0 change(s)``, bidirectional
overrides and zero-width characters that hide or reorder text, lone surrogates that cannot even
be encoded. Every such value goes through :func:`shown` where it is put into a line meant for a
terminal; :func:`for_terminal` is the last pass at each place rafix writes to a terminal
(standard output and error), so a renderer that forgot a value still cannot reach the terminal
with a control character (newlines rafix itself put between lines are kept there).

Escapes read like Python's: ``\\n``, ``\\t``, ``\\x1b``, ``\\u202e``. JSON and SARIF are not
passed through here: JSON escapes what it must and a script wants the value itself.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

#: C0 and C1 controls and DEL, zero-width and bidirectional formatting characters, line and
#: paragraph separators, the byte-order mark and lone surrogates.
_INVISIBLE = "\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff"
_UNSAFE_RE = re.compile(f"[\x00-\x1f{_INVISIBLE}]")
#: The same, except the newline: what rafix's own multi-line text may hold.
_UNSAFE_KEEP_NEWLINE_RE = re.compile(f"[\x00-\x09\x0b-\x1f{_INVISIBLE}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: Longest value shown whole; longer ones keep their start and end (a 5,000-character path).
MAX_SHOWN = 1000


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(value: object, *, limit: int | None = MAX_SHOWN) -> str:
    """``value`` as one line safe for a terminal: control and invisible characters escaped,
    and, past ``limit`` characters, the middle left out (``None``: never shortened)."""
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit:
        keep = max(limit - 20, 10)
        text = f"{text[: keep * 2 // 3]}…({len(text):,} characters)…{text[-(keep // 3) :]}"
    if _UNSAFE_RE.search(text) is None:
        return text
    return _UNSAFE_RE.sub(_escape_char, text)


def for_terminal(text: str) -> str:
    """rafix's own (possibly multi-line) text with every control character but the newline
    escaped: the last pass before a terminal."""
    if _UNSAFE_KEEP_NEWLINE_RE.search(text) is None:
        return text
    return _UNSAFE_KEEP_NEWLINE_RE.sub(_escape_char, text)


_JSON_UNSAFE_RE = re.compile(f"[{_INVISIBLE}]")


def for_json(text: str) -> str:
    """JSON text (a report, a plan) with the invisible characters JSON leaves raw (C1
    controls, bidirectional and zero-width marks, lone surrogates) written as ``\\uXXXX``
    escapes: the same JSON document, safe to print on a terminal."""
    if text.isascii() and "\x7f" not in text:
        return text  # DEL is the one ASCII character among them: two scans at memory speed
    if _JSON_UNSAFE_RE.search(text) is None:
        return text
    return _JSON_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def is_safe(text: str) -> bool:
    """Whether ``text`` holds no character :func:`shown` would escape."""
    return _UNSAFE_RE.search(text) is None


def command_line(*words: str | None) -> str:
    """A shell command from its words (None and "" dropped), each quoted as needed.

    A word holding a control or invisible character is written in ANSI-C quoting
    (``$'a\\nb'``, as bash, zsh and ksh read it), so the line still runs as printed and never
    carries the character itself to the terminal."""
    return " ".join(_quote(w) for w in words if w)


def _quote(word: str) -> str:
    if is_safe(word):
        return shlex.quote(word)
    escaped = shown(word.replace("\\", "\\\\").replace("'", "\\'"), limit=None)
    return f"$'{escaped}'"


def warning_lines(warnings: Iterable[object]) -> list[str]:
    """``rafix: warning: ...`` lines for what could not be read."""
    return [f"rafix: warning: {shown(warning)}" for warning in warnings]


__all__ = [
    "MAX_SHOWN",
    "command_line",
    "for_json",
    "for_terminal",
    "is_safe",
    "shown",
    "warning_lines",
]
