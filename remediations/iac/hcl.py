"""JSON values as HCL expressions, escaped so that Terraform reads back exactly the value.

HCL string literals are templates: ``${`` starts an interpolation and ``%{`` a directive, so
IAM policy variables such as ``${aws:username}`` must be written ``$${aws:username}`` (and
``%{`` as ``%%{``); quotes, backslashes and control characters take backslash escapes.
"""

from __future__ import annotations

import json
import math
from typing import Any

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def string(value: str) -> str:
    """A quoted HCL string literal whose value is ``value``.

    A literal ``${``/``%{`` is written doubled (``$${aws:username}``), the form Terraform users
    know, when a plain ``}`` closes it; otherwise (``${`` left open, or holding quotes or
    escapes) as ``\\u0024{``/``\\u0025{``, which HCL also reads as the literal characters and
    which no parser can take for the start of an escaped sequence that runs on.
    """
    out = ['"']
    i, n = 0, len(value)
    while i < n:
        ch = value[i]
        if ch in ("$", "%") and i + 1 < n and value[i + 1] == "{":
            end = value.find("}", i + 2)
            segment = value[i + 2 : end] if end >= 0 else ""
            if end >= 0 and all(_plain(c) for c in segment):
                out.append(ch + ch + "{" + segment + "}")
                i = end + 1
            else:
                out.append(f"\\u{ord(ch):04x}{{")
                i += 2
            continue
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _needs_escape(ch) or (ch in "$%" and value[i + 1 : i + 3] == ch + "{"):
            # (a "$" before "${" is escaped too: "$$${" would leave a reader guessing)
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
        i += 1
    out.append('"')
    return "".join(out)


def _needs_escape(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF or ch in "\u2028\u2029\ufeff"


def _plain(ch: str) -> bool:
    """A character written as itself that cannot start or end a template sequence."""
    return ch not in '"\\$%{}' and not _needs_escape(ch)


def number(value: int | float) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no HCL or JSON form")
        if value.is_integer() and abs(value) < 1e16:
            return json.dumps(value)  # "3.0": stays a number with the same value
        return repr(value)
    return str(value)


def expression(value: Any, indent: int = 0) -> str:
    """An HCL expression (object, tuple, string, number, bool, null) equal to the JSON value."""
    pad = "  " * indent
    inner = "  " * (indent + 1)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = [f"{inner}{expression(v, indent + 1)},\n" for v in value]
        return "[\n" + "".join(items) + pad + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{string(str(k))} = {expression(v, indent + 1)}\n" for k, v in value.items()
        ]
        return "{\n" + "".join(items) + pad + "}"
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def comment(text: str, indent: int = 0) -> str:
    """``#`` comment lines (each line of ``text``; no line break can end the comment early)."""
    pad = "  " * indent
    lines = text.replace("\r", " ").split("\n")
    return "".join(f"{pad}# {line}".rstrip() + "\n" for line in lines)
