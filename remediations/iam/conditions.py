"""Condition blocks: operators, policy variables, value comparison and clauses (FINDINGS 3.4).

Part of the IAM building blocks shared by the trust evaluator (:mod:`remediations.iam.evaluator`)
and the identity/session policy analysis (:mod:`remediations.iam.permissions`). Nothing here
raises on odd shapes: a malformed block becomes a clause with an unknown operator, which
never matches.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from remediations.iam.wildcard import compile_parts, has_wildcard

#: A request context value: one string, several, or absent (None).
ContextValue = str | Sequence[str] | None


# --- policy variables --------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}
#: ``key, 'default'`` inside ``${...}``.
_DEFAULT = re.compile(r"^\s*([^,]+?)\s*,\s*'([^']*)'\s*$")


def has_variables(value: str) -> bool:
    return "${" in value


def variable_keys(value: str) -> list[str]:
    """Lower-case context keys that ``${...}`` variables of a value refer to."""
    if "${" not in value:
        return []
    keys = []
    for match in _VARIABLE.finditer(value):
        body = match.group(1)
        if body in _ESCAPES:
            continue
        default = _DEFAULT.match(body)
        keys.append((default.group(1) if default else body).strip().lower())
    return keys


#: Literal text and wildcard runs of a value after substitution: (text, is_literal).
Segments = tuple[tuple[str, bool], ...]


def substitute(value: str, context: Mapping[str, ContextValue]) -> Segments | None:
    """Resolve ``${...}`` variables of a policy value against a (lower-case keyed) context.

    Returns segments: ``(text, True)`` for text that must match literally (substituted values
    and the ``${*}``/``${?}``/``${$}`` escapes) and ``(text, False)`` for policy text, whose
    ``*``/``?`` are wildcards under the Like operators. None when a variable has no value and
    no default: such a value matches nothing.
    """
    segments: list[tuple[str, bool]] = []
    pos = 0
    for match in _VARIABLE.finditer(value):
        if match.start() > pos:
            segments.append((value[pos : match.start()], False))
        body = match.group(1)
        if body in _ESCAPES:
            segments.append((_ESCAPES[body], True))
        else:
            default = _DEFAULT.match(body)
            key = (default.group(1) if default else body).strip().lower()
            resolved = _single(context.get(key))
            if resolved is None:
                if default is None:
                    return None
                resolved = default.group(2)
            segments.append((resolved, True))
        pos = match.end()
    if pos < len(value):
        segments.append((value[pos:], False))
    return tuple(segments)


def _single(value: ContextValue) -> str | None:
    if isinstance(value, str):
        return value
    if value is not None and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    return None


def _segments_text(segments: Segments) -> str:
    return "".join(text for text, _ in segments)


# --- operators ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Operator:
    """A parsed condition operator such as ``ForAnyValue:StringNotLikeIfExists``."""

    name: str
    #: Base operator without prefix or IfExists, canonical case (e.g. ``StringNotLike``).
    base: str
    #: "" | "ForAnyValue" | "ForAllValues"
    set_op: str
    if_exists: bool
    #: Base operator is known.
    known: bool

    @property
    def negated(self) -> bool:
        return self.base in NEGATED_OPERATORS

    @property
    def positive(self) -> bool:
        """A known, non-negated, non-IfExists, non-ForAllValues, non-Null operator."""
        return (
            self.known
            and not self.negated
            and not self.if_exists
            and self.set_op != "ForAllValues"
            and self.base != "Null"
        )


STRING_OPERATORS = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
)
ARN_OPERATORS = ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike")
NUMERIC_OPERATORS = (
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
)
DATE_OPERATORS = tuple(n.replace("Numeric", "Date") for n in NUMERIC_OPERATORS)
OTHER_OPERATORS = ("Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "Null")
KNOWN_OPERATORS = (
    *STRING_OPERATORS,
    *ARN_OPERATORS,
    *NUMERIC_OPERATORS,
    *DATE_OPERATORS,
    *OTHER_OPERATORS,
)
NEGATED_OPERATORS = frozenset(
    {
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "ArnNotEquals",
        "ArnNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
    }
)
_CANONICAL = {name.lower(): name for name in KNOWN_OPERATORS}
#: The positive operator a negated one negates.
_POSITIVE_OF = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
}


@lru_cache(maxsize=1024)
def parse_operator(name: str) -> Operator:
    """Parse an operator name (case-insensitive, like IAM's own parser is lenient here)."""
    rest = name.strip()
    set_op = ""
    for prefix in ("ForAnyValue", "ForAllValues"):
        if rest.lower().startswith(prefix.lower() + ":"):
            set_op = prefix
            rest = rest[len(prefix) + 1 :]
            break
    if_exists = rest.lower().endswith("ifexists") and rest.lower() != "ifexists"
    if if_exists:
        rest = rest[: -len("IfExists")]
    base = _CANONICAL.get(rest.lower())
    # Null has no IfExists form; "NullIfExists" is not an operator.
    known = base is not None and not (base == "Null" and (if_exists or set_op))
    return Operator(name, base or rest, set_op, if_exists, known)


# --- value comparison --------------------------------------------------------------------------


def _to_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _to_date(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        number = _to_number(text)
        if number is None:
            return None
        try:
            return datetime.fromtimestamp(number, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}


def _ordered(base: str, prefix: str, convert: Callable[[str], Any], ctx: str, pol: str) -> bool:
    left, right = convert(ctx), convert(pol)
    if left is None or right is None:
        return False
    try:
        return bool(_ORDERINGS[base[len(prefix) :]](left, right))
    except (KeyError, TypeError):
        return False


@lru_cache(maxsize=4096)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _in_network(ctx: str, pol: str) -> bool:
    network = _network(pol)
    if network is None:
        return False
    try:
        return ipaddress.ip_address(ctx.strip()) in network
    except ValueError:
        return False


def _arn_match(ctx: str, segments: Segments) -> bool:
    """ArnEquals/ArnLike: the six colon-separated parts are matched one by one with wildcards."""
    if len(segments) == 1 and not segments[0][1]:
        text = segments[0][0]
        if not has_wildcard(text):
            return ctx == text  # the common case: a literal ARN
        if not text.strip("*"):
            return True  # a bare "*": taken to match any ARN (over-states access, never hides it)
    pattern_parts = _split_segments(segments)
    value_parts = ctx.split(":", 5)
    if pattern_parts is None or len(value_parts) != 6:
        return False
    return all(compile_parts(p).matches(v) for p, v in zip(pattern_parts, value_parts, strict=True))


@lru_cache(maxsize=4096)
def _split_segments(segments: Segments) -> tuple[Segments, ...] | None:
    """Split pattern segments at the first five colons of policy or substituted text."""
    parts: list[list[tuple[str, bool]]] = [[]]
    for text, literal in segments:
        pieces = text.split(":")
        for index, piece in enumerate(pieces):
            if index and len(parts) < 6:
                parts.append([])
            elif index:
                parts[-1].append((":", True))
            parts[-1].append((piece, literal))
    if len(parts) != 6:
        return None
    return tuple(tuple(p) for p in parts)


def _positive_match(base: str, ctx: str, segments: Segments) -> bool:
    """Whether one context value matches one (substituted) policy value for a positive base."""
    if base == "StringEquals":
        return ctx == _segments_text(segments)
    if base == "StringEqualsIgnoreCase":
        return ctx.casefold() == _segments_text(segments).casefold()
    if base == "StringLike":
        return compile_parts(segments).matches(ctx)
    if base in ("ArnEquals", "ArnLike"):
        return _arn_match(ctx, segments)
    text = _segments_text(segments)
    if base.startswith("Numeric"):
        return _ordered(base, "Numeric", _to_number, ctx, text)
    if base.startswith("Date"):
        return _ordered(base, "Date", _to_date, ctx, text)
    if base == "Bool":
        return ctx.strip().lower() == text.strip().lower()
    if base == "BinaryEquals":
        return ctx == text
    if base == "IpAddress":
        return _in_network(ctx, text)
    return False


# --- conditions --------------------------------------------------------------------------------


def condition_values(raw: Any) -> tuple[str, ...]:
    """Policy values of one key as strings; values of other JSON types are dropped."""
    out = []
    for item in raw if isinstance(raw, list) else [raw]:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str):
            out.append(item)
        elif isinstance(item, int | float):
            out.append(str(item))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Clause:
    """One (operator, key, values) triple of a Condition block."""

    operator: Operator
    #: Lower-case condition key.
    key: str
    #: The key as written (for messages and patches).
    key_as_written: str
    values: tuple[str, ...]
    #: Some value holds a ``${...}`` variable that is substituted (Version 2012-10-17).
    uses_variables: bool

    def matches(self, context: Mapping[str, ContextValue]) -> bool:
        """Evaluate against a context whose keys are lower-case."""
        op = self.operator
        if not op.known:
            return False
        raw = context.get(self.key)
        present = _present_values(raw)
        if op.base == "Null":
            # "true": the key must be absent; "false": present. Several values are ORed.
            return any(
                (v.strip().lower() == "true") == (not present)
                for v in self.values
                if v.strip().lower() in ("true", "false")
            )
        if not present:
            if op.set_op == "ForAllValues":
                return True
            if op.set_op == "ForAnyValue":
                return False
            return op.negated or op.if_exists
        patterns = self._patterns(context)
        positive = _POSITIVE_OF.get(op.base, op.base)

        def hit(value: str) -> bool:
            return any(_positive_match(positive, value, seg) for seg in patterns)

        if op.set_op == "ForAllValues":
            return all(hit(v) != op.negated for v in present)
        if op.set_op == "ForAnyValue":
            return any(hit(v) != op.negated for v in present)
        matched = any(hit(v) for v in present)
        return not matched if op.negated else matched

    def _patterns(self, context: Mapping[str, ContextValue]) -> list[Segments]:
        if not self.uses_variables:
            return [((v, False),) for v in self.values]
        out = []
        for value in self.values:
            segments = substitute(value, context)
            if segments is not None:
                out.append(segments)
        return out


def _present_values(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, bool):
        return ["true" if raw else "false"]
    if isinstance(raw, Iterable):
        return [v for v in raw if isinstance(v, str)]
    return [str(raw)]


def parse_conditions(raw: Any, *, variables: bool) -> tuple[Clause, ...]:
    """The clauses of a Condition block; malformed parts become unknown-operator clauses."""
    if not isinstance(raw, dict):
        return () if raw is None else (Clause(parse_operator("?malformed"), "", "", (), False),)
    clauses = []
    for op_name, block in raw.items():
        operator = parse_operator(str(op_name))
        if not isinstance(block, dict):
            clauses.append(Clause(parse_operator("?" + str(op_name)), "", "", (), False))
            continue
        for key, raw_values in block.items():
            values = condition_values(raw_values)
            uses = variables and any(has_variables(v) for v in values)
            clauses.append(Clause(operator, str(key).lower(), str(key), values, uses))
    return tuple(clauses)
