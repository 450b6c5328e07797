"""The vocabulary of trust-policy condition keys: which certificate dimension (subject,
issuer, SAN, source identity, trust anchor) or other category a key belongs to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from remediations.iam.conditions import variable_keys

# --- key classification ------------------------------------------------------------------------

IP_KEYS = frozenset({"aws:sourceip", "aws:vpcsourceip", "aws:sourcevpc", "aws:sourcevpce"})
_TAG_PREFIXES = ("aws:principaltag/", "aws:requesttag/")
#: Categories that identify the workload (what a subject pin pins).
SUBJECT_CATEGORIES = frozenset({"subject", "san", "source_identity"})
#: Categories whose values come from the certificate or the trust anchor.
CERTIFICATE_CATEGORIES = frozenset({"subject", "issuer", "san", "source_identity", "source_arn"})
#: Keys Roles Anywhere always sets, so "absent" is never a candidate for them.
ALWAYS_PRESENT = frozenset(
    {"aws:sourcearn", "aws:sourceaccount", "sts:sourceidentity", "sts:rolesessionname"}
)


#: Condition-key prefixes a Roles Anywhere CreateSession request can carry: global ``aws:``
#: keys and ``sts:`` keys. Any other key (another service's, or no valid key at all such as
#: ``${a}``) has no value in the request: IAM then matches no positive operator and every
#: negated one, and a ``${...}`` of it resolves to nothing, so the statement does not take
#: effect (IAM User Guide, "Policy variables with no value").
_REQUEST_KEY_PREFIXES = ("aws:", "sts:")


def request_may_carry(key: str) -> bool:
    """Whether a CreateSession request can hold a value for this (lower-case) key."""
    return key.startswith(_REQUEST_KEY_PREFIXES)


def absent_keys(conditions: Iterable[Any]) -> list[str]:
    """Condition keys and ``${...}`` variables of condition uses (``ConditionUse``: ``key``,
    ``values``) that no CreateSession request carries (see :func:`request_may_carry`)."""
    out: list[str] = []
    for use in conditions:
        refs = [use.key, *(k for v in use.values for k in variable_keys(v))]
        out += [r for r in refs if not request_may_carry(r.lower()) and r not in out]
    return out


def key_category(key: str) -> str:
    """The ConditionUse category of a (case-insensitive) condition key."""
    key = key.lower()
    if key.startswith("aws:principaltag/x509subject/"):
        return "subject"
    if key.startswith("aws:principaltag/x509issuer/"):
        return "issuer"
    if key.startswith("aws:principaltag/x509san/"):
        return "san"
    simple = {
        "sts:sourceidentity": "source_identity",
        "aws:sourcearn": "source_arn",
        "aws:sourceaccount": "source_account",
        "sts:rolesessionname": "session_name",
    }
    if key in simple:
        return simple[key]
    if key in IP_KEYS:
        return "ip"
    if key.startswith("aws:requesttag/"):
        return "request_tag"
    return "other"


def certificate_dimension(key: str) -> str | None:
    """ "subject" or "issuer" for keys whose value the certificate decides, else None.

    ``aws:RequestTag/x509...`` (unverified in trust policies, FINDINGS 3.1) mirrors the
    certificate when present, so it counts with the principal tags.
    """
    category = key_category(key)
    if category in SUBJECT_CATEGORIES:
        return "subject"
    if category == "issuer":
        return "issuer"
    if category == "request_tag":
        tail = key.lower()[len("aws:requesttag/") :]
        if tail.startswith(("x509subject/", "x509san/")):
            return "subject"
        if tail.startswith("x509issuer/"):
            return "issuer"
    return None


def canonical_subject_key(key: str) -> str:
    """``aws:PrincipalTag/x509Subject/CN`` -> ``x509subject/cn``; other keys lower-cased."""
    key = key.lower()
    return key[len("aws:principaltag/") :] if key.startswith("aws:principaltag/") else key
