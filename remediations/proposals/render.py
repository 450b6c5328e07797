"""Render fixes from the Jinja2 templates in ``remediations/proposals/templates/``, safely.

Every value reaches a template's output only through the ``tojson`` filter: the environment's
``finalize`` hook refuses anything else, so a CN with quotes, backslashes, newlines, ``{{``,
Unicode or 2,000 characters is encoded as a JSON string literal and can neither break nor inject
JSON. Undefined names raise (``StrictUndefined``) instead of rendering as empty text.

Rendered text is parsed back; documents are then validated as IAM policy grammar and checked
against AWS's size limits, with a clear :class:`PolicyError` when they would not fit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, Undefined

from remediations.errors import PolicyError
from remediations.iam.grammar import validate_policy
from remediations.iam.policy import (
    ROLE_INLINE_POLICY_LIMIT,
    SESSION_MANAGED_ARNS_LIMIT,
    SESSION_POLICY_LIMIT,
    TRUST_POLICY_DEFAULT_LIMIT,
    minified_length,
)
from remediations.jsontext import json_native
from remediations.proposals.trees import copy_tree
from remediations.shortcuts import shortcuts_on

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


class JsonText(str):
    """Text produced by the ``tojson`` filter: the only thing a template may output."""

    __slots__ = ()


def _tojson(value: Any) -> JsonText:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # raises UndefinedError, naming the missing value
    # ensure_ascii=False keeps Unicode readable; json.dumps still escapes quotes, backslashes
    # and control characters, so the result is always one JSON value.
    return JsonText(json.dumps(value, ensure_ascii=False))


def _only_json(value: Any) -> Any:
    if isinstance(value, JsonText):
        return value
    raise TemplateError(f"template outputs {type(value).__name__} without | tojson")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=StrictUndefined,
        autoescape=False,
        finalize=_only_json,
        keep_trailing_newline=True,
        # The templates ship with rafix and do not change while it runs: no stat of the file
        # on every render to see whether it did.
        auto_reload=False,
    )
    env.filters["tojson"] = _tojson
    return env


_ENV = _environment()


def environment() -> Environment:
    """The Jinja2 environment every template renders in (strict, JSON-only output)."""
    return _ENV


#: Document kinds by template name prefix; other templates render settings, not policies.
_KINDS = (
    ("trust_policy", "trust"),
    ("session_policy", "session"),
    ("identity_policy", "identity"),
)


def render(template_name: str, **values: Any) -> Any:
    """Render a template and parse its output back as JSON (no policy validation).

    A template rendered with the same values again (the issuer pin of every role of one CA)
    gives a copy of the document it gave before.

    Raises:
        PolicyError: the template is missing, a value is undefined, or the output is not JSON.
    """
    if not shortcuts_on() or not all(map(json_native, values.values())):
        return _render(template_name, values)
    key = (template_name, repr(sorted(values.items())))
    found = _RENDERED.get(key)
    if found is None:
        found = _render(template_name, values)
        if len(_RENDERED) >= 4096:
            _RENDERED.clear()
        _RENDERED[key] = found
    return copy_tree(found)


#: Documents rendered, by template and values (bounded: cleared when full).
_RENDERED: dict[tuple[str, str], Any] = {}


def _render(template_name: str, values: dict[str, Any]) -> Any:
    try:
        text = _ENV.get_template(template_name).render(**values)
    except TemplateError as exc:
        raise PolicyError(f"template {template_name}: {exc.message or exc}") from None
    except (TypeError, ValueError) as exc:  # a value JSON cannot encode
        raise PolicyError(f"template {template_name}: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"template {template_name} rendered invalid JSON ({exc.msg})") from None


def render_document(template_name: str, **values: Any) -> dict[str, Any]:
    """Render a policy document template, then validate grammar and size (see :func:`check_document`).

    The kind (trust or session) comes from the template name; other templates are only parsed.
    """
    doc = render(template_name, **values)
    if not isinstance(doc, dict):
        raise PolicyError(f"template {template_name} did not render a JSON object")
    kind = next((k for prefix, k in _KINDS if template_name.startswith(prefix)), None)
    if kind is not None:
        check_document(doc, kind)
    return doc


def check_document(doc: dict[str, Any], kind: str, *, what: str | None = None) -> None:
    """Refuse a document that is not valid IAM grammar or would not fit AWS's size limits.

    Args:
        doc: the parsed policy.
        kind: ``trust``, ``session`` or ``identity`` (a role's inline permissions policy).
        what: how to name the document in messages (default "the patched trust policy" or
            "the session policy").
    """
    labels = {"trust": "the patched trust policy", "identity": "the permissions policy"}
    label = what or labels.get(kind, "the session policy")
    problems = validate_policy(doc, kind)
    if problems:
        raise PolicyError(f"{label} would not be valid IAM policy grammar: {problems[0]}")
    size = minified_length(doc)
    if kind == "trust" and size > TRUST_POLICY_DEFAULT_LIMIT:
        raise PolicyError(
            f"{label} would be {size:,} characters; IAM allows "
            f"{TRUST_POLICY_DEFAULT_LIMIT:,} by default (quota L-C07B4B0D)"
        )
    if kind == "identity" and size > ROLE_INLINE_POLICY_LIMIT:
        raise PolicyError(
            f"{label} would be {size:,} characters; IAM allows {ROLE_INLINE_POLICY_LIMIT:,} "
            "for a role's inline policies"
        )
    if kind == "session" and size > SESSION_POLICY_LIMIT:
        raise PolicyError(
            f"{label} would be {size:,} characters; STS allows {SESSION_POLICY_LIMIT:,} "
            "for session policies"
        )


def check_managed_arns(arns: list[str]) -> None:
    """Refuse more managed session policy ARNs than STS passes to a session."""
    if len(arns) > SESSION_MANAGED_ARNS_LIMIT:
        raise PolicyError(
            f"the profile would carry {len(arns)} managed policy ARNs; STS allows at most "
            f"{SESSION_MANAGED_ARNS_LIMIT} per session"
        )
