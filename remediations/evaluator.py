"""IAM evaluation of one request against one resource (trust) policy.

:func:`evaluate` answers the question IAM answers when a principal calls an action on a role:
ALLOW, EXPLICIT_DENY or IMPLICIT_DENY. It follows the documented evaluation logic (FINDINGS
3.4): an explicit Deny wins, then any Allow, else implicit deny; within a condition block
operators and keys are ANDed and the values of one key are ORed; absent keys follow rule 3.

Documents are compiled once (:func:`compile_policy`) so that the trust analysis can evaluate
many witness requests cheaply. Nothing here raises on odd shapes: an element it cannot read
makes its statement not apply (an Allow then grants nothing, a Deny then denies nothing).

Unknown condition operators never match. For an Allow that fails closed. For a Deny it means
the Deny is ignored, which over-states access: rafix is a finder, so it prefers reporting a
path that IAM (which refuses unknown operators anyway) would block over hiding a real one.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

#: The only Version under which ``${...}`` policy variables are substituted.
VARIABLES_VERSION = "2012-10-17"

#: A request context value: one string, several, or absent (None).
ContextValue = str | Sequence[str] | None


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"


# --- wildcards ---------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def wildcard_regex(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """IAM wildcard pattern (``*`` any run, ``?`` one character) as an anchored regex."""
    parts = ["\\A"]
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    parts.append("\\Z")
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return wildcard_regex(pattern, ignore_case=ignore_case).match(value) is not None


def has_wildcard(pattern: str) -> bool:
    """True when the pattern (after removing ``${*}``/``${?}`` escapes) has ``*`` or ``?``."""
    stripped = pattern.replace("${*}", "").replace("${?}", "")
    return "*" in stripped or "?" in stripped


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


@lru_cache(maxsize=8192)
def _segments_regex(segments: Segments, ignore_case: bool) -> re.Pattern[str]:
    parts = ["\\A"]
    for text, literal in segments:
        if literal:
            parts.append(re.escape(text))
        else:
            parts.append(wildcard_regex(text).pattern[2:-2])
    parts.append("\\Z")
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


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
    return all(
        _segments_regex(p, False).match(v) is not None
        for p, v in zip(pattern_parts, value_parts, strict=True)
    )


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
        return _segments_regex(segments, False).match(ctx) is not None
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


# --- statements --------------------------------------------------------------------------------

Principal = tuple[str, str]


def _principal_entries(raw: Any) -> tuple[Principal, ...] | None:
    """Principal element as (type, value) pairs; ("*", "*") for ``"*"``. None: unreadable."""
    if raw == "*":
        return (("*", "*"),)
    if not isinstance(raw, dict):
        return None
    entries: list[Principal] = []
    for kind, values in raw.items():
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str):
                entries.append((str(kind), value))
    return tuple(entries)


def principal_covers(entries: Iterable[Principal], principal: Principal) -> bool:
    """Whether Principal entries cover a (type, value) principal.

    ``{"AWS": "*"}`` is taken to cover service principals too (FINDINGS 3.4 rule 7,
    conservative). Types and service names compare case-insensitively.
    """
    kind, value = principal[0].lower(), principal[1]
    for entry_kind, entry_value in entries:
        entry_kind_l = entry_kind.lower()
        if entry_kind == "*" or (entry_kind_l == "aws" and entry_value == "*"):
            return True
        if entry_kind_l != kind:
            continue
        if entry_value == "*":
            return True
        if kind == "service":
            if entry_value.lower() == value.lower():
                return True
        elif entry_value == value:
            return True
    return False


@lru_cache(maxsize=4096)
def _action_regex(pattern: str) -> re.Pattern[str]:
    return wildcard_regex(pattern, ignore_case=True)


def _actions_cover(patterns: tuple[str, ...], action: str) -> bool:
    return any(_action_regex(p).match(action) is not None for p in patterns)


def _strings(raw: Any) -> tuple[str, ...] | None:
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list):
        return tuple(v for v in raw if isinstance(v, str))
    return None


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    index: int
    #: "Allow" | "Deny" | "" (anything else: the statement never applies)
    effect: str
    #: Principal entries; None when there is no readable Principal.
    principals: tuple[Principal, ...] | None
    #: NotPrincipal entries; None when absent.
    not_principals: tuple[Principal, ...] | None
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    clauses: tuple[Clause, ...]
    sid: str | None
    raw: dict[str, Any]

    def covers_principal(self, principal: Principal) -> bool:
        if self.principals is not None:
            return principal_covers(self.principals, principal)
        if self.not_principals is not None:
            return not principal_covers(self.not_principals, principal)
        return False

    def covers_action(self, action: str) -> bool:
        if self.actions is not None:
            return _actions_cover(self.actions, action)
        if self.not_actions is not None:
            return not _actions_cover(self.not_actions, action)
        return False

    def conditions_match(self, context: Mapping[str, ContextValue]) -> bool:
        return all(clause.matches(context) for clause in self.clauses)


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    version: str | None
    statements: tuple[CompiledStatement, ...]

    @property
    def variables(self) -> bool:
        return self.version == VARIABLES_VERSION

    def evaluate(
        self, *, action: str, principal: Principal, context: Mapping[str, ContextValue]
    ) -> Decision:
        """Evaluate a request whose context keys are already lower-case."""
        allowed = False
        for statement in self.statements:
            if not statement.effect:
                continue
            if statement.effect == "Allow" and allowed:
                continue
            if not (statement.covers_action(action) and statement.covers_principal(principal)):
                continue
            if not statement.conditions_match(context):
                continue
            if statement.effect == "Deny":
                return Decision.EXPLICIT_DENY
            allowed = True
        return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def statement_list(document: Any) -> list[Any]:
    """``Statement`` as a list (IAM allows one object)."""
    if not isinstance(document, dict):
        return []
    raw = document.get("Statement")
    if isinstance(raw, list):
        return raw
    return [] if raw is None else [raw]


def compile_policy(document: Any) -> CompiledPolicy:
    """Compile a parsed policy document; never raises."""
    version = document.get("Version") if isinstance(document, dict) else None
    version = version if isinstance(version, str) else None
    variables = version == VARIABLES_VERSION
    compiled = []
    for index, raw in enumerate(statement_list(document)):
        if not isinstance(raw, dict):
            continue
        effect = raw.get("Effect")
        sid = raw.get("Sid")
        not_principal = raw.get("NotPrincipal")
        compiled.append(
            CompiledStatement(
                index=index,
                effect=effect if effect in ("Allow", "Deny") else "",
                principals=_principal_entries(raw["Principal"]) if "Principal" in raw else None,
                not_principals=None
                if not_principal is None
                else _principal_entries(not_principal) or (),
                actions=_strings(raw.get("Action")),
                not_actions=None if "Action" in raw else _strings(raw.get("NotAction")),
                clauses=parse_conditions(raw.get("Condition"), variables=variables),
                sid=sid if isinstance(sid, str) else None,
                raw=raw,
            )
        )
    return CompiledPolicy(version, tuple(compiled))


def normalize_context(context: Mapping[str, Any]) -> dict[str, ContextValue]:
    """Lower-case the keys of a request context (IAM keys are case-insensitive)."""
    out: dict[str, ContextValue] = {}
    for key, value in context.items():
        if value is None:
            continue
        if isinstance(value, str):
            out[str(key).lower()] = value
        elif isinstance(value, bool):
            out[str(key).lower()] = "true" if value else "false"
        elif isinstance(value, int | float):
            out[str(key).lower()] = str(value)
        elif isinstance(value, Iterable):
            out[str(key).lower()] = [str(v) for v in value if v is not None]
    return out


def evaluate(
    document: Any,
    *,
    action: str,
    principal: Principal,
    context: Mapping[str, Any] | None = None,
) -> Decision:
    """Evaluate one request against a resource policy the way IAM does.

    Args:
        document: the parsed policy (any shape; unreadable parts never apply).
        action: e.g. ``"sts:AssumeRole"``.
        principal: e.g. ``("Service", "rolesanywhere.amazonaws.com")`` or
            ``("AWS", "arn:aws:iam::111122223333:role/x")``.
        context: condition keys (any case) to a string, a list of strings, or None (absent).
    """
    return compile_policy(document).evaluate(
        action=action, principal=principal, context=normalize_context(context or {})
    )
