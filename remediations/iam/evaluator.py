"""IAM evaluation of one request against one resource (trust) policy.

:func:`evaluate` answers the question IAM answers when a principal calls an action on a role:
ALLOW, EXPLICIT_DENY or IMPLICIT_DENY. It follows the documented evaluation logic (FINDINGS
3.4): an explicit Deny wins, then any Allow, else implicit deny; within a condition block
operators and keys are ANDed and the values of one key are ORed; absent keys follow rule 3.

Documents are compiled once (:func:`compile_policy`, with the shared building blocks of
:mod:`remediations.iam`) so that the trust analysis can evaluate
many witness requests cheaply. Nothing here raises on odd shapes: an element it cannot read
makes its statement not apply (an Allow then grants nothing, a Deny then denies nothing).

Unknown condition operators never match. For an Allow that fails closed. For a Deny it means
the Deny is ignored, which over-states access: rafix is a finder, so it prefers reporting a
path that IAM (which refuses unknown operators anyway) would block over hiding a real one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

# The building blocks live in remediations.iam (shared with remediations.iam.permissions); the
# names below are re-exported because callers and tests know them from here.
from remediations.iam.conditions import (
    Clause,
    ContextValue,
    Operator,
    Segments,
    condition_values,
    has_variables,
    parse_conditions,
    parse_operator,
    substitute,
    variable_keys,
)
from remediations.iam.statements import (
    VARIABLES_VERSION,
    Principal,
    Statement,
    compile_statements,
    principal_covers,
    statement_list,
)
from remediations.iam.wildcard import has_wildcard, wildcard_match

#: The compiled statement the evaluator works on (one class for both engines).
CompiledStatement = Statement

__all__ = [
    "VARIABLES_VERSION",
    "Clause",
    "CompiledPolicy",
    "CompiledStatement",
    "ContextValue",
    "Decision",
    "Operator",
    "Principal",
    "Segments",
    "compile_policy",
    "condition_values",
    "evaluate",
    "has_variables",
    "has_wildcard",
    "normalize_context",
    "parse_conditions",
    "parse_operator",
    "principal_covers",
    "statement_list",
    "substitute",
    "variable_keys",
    "wildcard_match",
]


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    version: str | None
    statements: tuple[Statement, ...]

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


def compile_policy(document: Any) -> CompiledPolicy:
    """Compile a parsed policy document; never raises."""
    version, statements = compile_statements(document)
    return CompiledPolicy(version, statements)


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
