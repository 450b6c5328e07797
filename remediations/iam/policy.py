"""Policy documents: decoding (objects or URL-encoded strings), canonical form and sizes.

Grammar validation lives in :func:`validate_policy` (``remediations.iam.grammar``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import msgspec

from remediations.errors import PolicyError
from remediations.jsontext import dumps_indented

#: AWS refuses larger trust policies by default (quota L-C07B4B0D, adjustable to 8,192).
TRUST_POLICY_DEFAULT_LIMIT = 2048
#: Plain-text limit of inline session policies through STS AssumeRole (FINDINGS 2.9).
SESSION_POLICY_LIMIT = 2048
#: Aggregate size of a role's inline policies (IAM quota, not adjustable).
ROLE_INLINE_POLICY_LIMIT = 10240
#: Managed policy ARNs a session can carry through STS AssumeRole.
SESSION_MANAGED_ARNS_LIMIT = 10
#: Hard cap on a document rafix will parse at all (IAM's API limit is 131,072).
MAX_DOCUMENT_CHARS = 131072


def decode_policy_document(value: Any) -> dict[str, Any]:
    """A policy document as a dict, from a dict, a JSON string or a URL-encoded JSON string.

    Raises :class:`PolicyError` with a one-line reason when it is none of these.
    """
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise PolicyError(f"expected a JSON object or string, got {type(value).__name__}")
    if len(value) > MAX_DOCUMENT_CHARS:
        raise PolicyError(
            f"document is {len(value):,} characters; IAM allows at most {MAX_DOCUMENT_CHARS:,}"
        )
    text = value.strip()
    if (
        text.startswith("%7B")
        or text.startswith("%7b")
        or (not text.startswith("{") and "%" in text)
    ):
        text = unquote(text)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(
            f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise PolicyError("not valid JSON (nested too deeply)") from None
    if not isinstance(doc, dict):
        raise PolicyError(f"a policy must be a JSON object, not {type(doc).__name__}")
    return doc


def canonical_json(doc: Any, *, indent: int | None = 2) -> str:
    """Stable text for diffs and fingerprints: sorted keys, UTF-8 kept as is."""
    if indent is None:
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return dumps_indented(doc, indent=indent, sort_keys=True, ensure_ascii=False)


def minified(doc: Any) -> str:
    """The document as sent to AWS: no white space, key order kept."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def minified_length(doc: Any) -> int:
    """Characters AWS counts against size quotas (IAM does not count white space)."""
    return len(minified(doc))


_MINIFY = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_COMPACT = msgspec.json.Encoder().encode


def minified_longer_than(doc: Any, limit: int) -> bool:
    """``minified_length(doc) > limit``, told without json's encoder for a document far
    below the limit (every trust policy of a 10,000-role export is measured).

    msgspec's compact UTF-8 encoding is at least as long as the minified text, character for
    character (a string's character is one or more bytes, and both escape the same characters
    alike), except for floats, which json may spell up to five characters longer
    (``1e+16``, ``-Infinity`` for msgspec's ``null``): each takes at least one byte, so the
    minified text is at most six times as long.
    """
    try:
        compact = len(_COMPACT(doc))
    except (TypeError, ValueError, OverflowError, RecursionError):
        return len(_MINIFY(doc)) > limit
    if 6 * compact <= limit:
        return False
    return len(_MINIFY(doc)) > limit


def as_list(value: Any) -> list[Any]:
    """IAM lets most elements be one value or a list of them."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The statements of a document; ``Statement`` may be one object or a list."""
    return [s for s in as_list(doc.get("Statement")) if isinstance(s, dict)]
