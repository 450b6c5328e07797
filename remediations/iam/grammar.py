"""IAM policy grammar: what IAM would refuse, said in one line per problem.

:func:`validate_policy` checks a parsed document against the rules IAM enforces for the
three kinds rafix writes or reads: role trust policies, session policies and identity
policies. It never raises; :func:`check_policy` raises :class:`PolicyError` with the first
problem, for callers (proposals, apply) that must not send an invalid document.
"""

from __future__ import annotations

import re
from typing import Any

from remediations.errors import PolicyError
from remediations.iam.evaluator import parse_operator

KINDS = ("trust", "session", "identity")
VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_LEVEL = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_PRINCIPAL_TYPES = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
#: IAM accepts only ASCII letters and digits in the Sid of IAM policies.
_SID = re.compile(r"^[A-Za-z0-9]*$")
#: ``service:action`` with IAM wildcards, or a bare ``*``.
_ACTION = re.compile(r"^(\*|[A-Za-z0-9_-]+:[A-Za-z0-9*?_-]+)$")


def validate_policy(doc: Any, kind: str) -> list[str]:
    """Grammar problems of a parsed policy document (empty: valid).

    Args:
        doc: the parsed document (any JSON value).
        kind: ``"trust"``, ``"session"`` or ``"identity"``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown policy kind {kind!r} (one of: {', '.join(KINDS)})")
    if not isinstance(doc, dict):
        return [f"a policy must be a JSON object, not {_type_name(doc)}"]
    problems: list[str] = []
    version = doc.get("Version")
    if "Version" in doc and version not in VERSIONS:
        problems.append(f"Version {version!r} is not one of {', '.join(VERSIONS)}")
    problems.extend(f"unknown top-level element {k!r}" for k in doc if k not in _TOP_LEVEL)
    if "Id" in doc and not isinstance(doc["Id"], str):
        problems.append("Id must be a string")
    if "Statement" not in doc:
        return [*problems, "Statement is missing"]
    raw = doc["Statement"]
    statements = raw if isinstance(raw, list) else [raw]
    if not statements:
        problems.append("Statement is an empty list")
    seen_sids: set[str] = set()
    for index, statement in enumerate(statements):
        where = f"statement {index + 1}"
        if not isinstance(statement, dict):
            problems.append(f"{where}: must be a JSON object, not {_type_name(statement)}")
            continue
        problems.extend(f"{where}: {p}" for p in _statement_problems(statement, kind, seen_sids))
    return problems


def check_policy(doc: Any, kind: str) -> None:
    """Raise :class:`PolicyError` naming the first grammar problem of ``doc``."""
    problems = validate_policy(doc, kind)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PolicyError(f"invalid {kind} policy: {problems[0]}{more}")


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _type_name(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def _statement_problems(statement: dict[str, Any], kind: str, seen_sids: set[str]) -> list[str]:
    problems = [f"unknown element {k!r}" for k in statement if k not in _STATEMENT_KEYS]
    problems.extend(_sid_problems(statement, seen_sids))
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        problems.append(
            "Effect is missing" if effect is None else f"Effect {effect!r} is not Allow or Deny"
        )
    problems.extend(_action_problems(statement))
    problems.extend(_principal_problems(statement, kind))
    problems.extend(_resource_problems(statement, kind))
    if "Condition" in statement:
        problems.extend(_condition_problems(statement["Condition"]))
    return problems


def _sid_problems(statement: dict[str, Any], seen: set[str]) -> list[str]:
    if "Sid" not in statement:
        return []
    sid = statement["Sid"]
    if not isinstance(sid, str):
        return ["Sid must be a string"]
    problems = []
    if not _SID.match(sid):
        problems.append(f"Sid {sid!r} may contain only ASCII letters and digits")
    if sid and sid in seen:
        problems.append(f"duplicate Sid {sid!r}")
    seen.add(sid)
    return problems


def _string_list(value: Any) -> list[str] | None:
    """A string or a non-empty list of strings as a list; None for anything else."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    return None


def _action_problems(statement: dict[str, Any]) -> list[str]:
    has_action, has_not = "Action" in statement, "NotAction" in statement
    if has_action and has_not:
        return ["has both Action and NotAction"]
    if not (has_action or has_not):
        return ["has neither Action nor NotAction"]
    name = "Action" if has_action else "NotAction"
    actions = _string_list(statement[name])
    if actions is None:
        return [f"{name} must be a string or a non-empty list of strings"]
    return [f"{name} {a!r} is not service:action or *" for a in actions if not _ACTION.match(a)]


def _principal_problems(statement: dict[str, Any], kind: str) -> list[str]:
    if kind != "trust":
        return [
            f"{name} is not allowed in {_a(kind)} policy"
            for name in ("Principal", "NotPrincipal")
            if name in statement
        ]
    problems = []
    if "NotPrincipal" in statement:
        problems.append("NotPrincipal is not allowed in a trust policy")
    if "Principal" not in statement:
        if "NotPrincipal" not in statement:
            problems.append("Principal is missing (required in a trust policy)")
        return problems
    principal = statement["Principal"]
    if principal == "*":
        return problems
    if not isinstance(principal, dict) or not principal:
        return [*problems, 'Principal must be "*" or an object such as {"Service": ...}']
    for kind_name, values in principal.items():
        if kind_name not in _PRINCIPAL_TYPES:
            problems.append(f"unknown principal type {kind_name!r}")
        elif _string_list(values) is None:
            problems.append(f"Principal {kind_name} must be a string or a list of strings")
    return problems


def _resource_problems(statement: dict[str, Any], kind: str) -> list[str]:
    has_resource, has_not = "Resource" in statement, "NotResource" in statement
    if kind == "trust":
        return [
            f"{name} is not allowed in a trust policy"
            for name in ("Resource", "NotResource")
            if name in statement
        ]
    if has_resource and has_not:
        return ["has both Resource and NotResource"]
    if not (has_resource or has_not):
        return [f"Resource is missing (required in {_a(kind)} policy)"]
    name = "Resource" if has_resource else "NotResource"
    resources = _string_list(statement[name])
    if resources is None:
        return [f"{name} must be a string or a non-empty list of strings"]
    return [
        f"{name} {r!r} is neither * nor an ARN"
        for r in resources
        if r != "*" and not r.startswith("arn:")
    ]


def _condition_value_ok(value: Any) -> bool:
    if isinstance(value, str | bool | int | float):
        return True
    return isinstance(value, list) and all(isinstance(v, str | bool | int | float) for v in value)


def _condition_problems(condition: Any) -> list[str]:
    if not isinstance(condition, dict):
        return ["Condition must be an object of operators"]
    problems = []
    for operator, block in condition.items():
        if not parse_operator(str(operator)).known:
            problems.append(f"unknown condition operator {operator!r}")
        if not isinstance(block, dict) or not block:
            problems.append(f"Condition {operator}: must be an object of condition keys")
            continue
        for key, value in block.items():
            if not _condition_value_ok(value):
                problems.append(
                    f"Condition {operator} {key}: values must be strings, numbers or booleans"
                )
    return problems
