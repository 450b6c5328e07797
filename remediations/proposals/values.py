"""The ``--set`` grammar: values only the user knows, for every resource or scoped to one."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from remediations.errors import InputError

KNOWN_KEYS = ("cn", "ou", "uri", "dns", "issuer_cn", "trust_anchor_arn", "services")
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def parse_values(items: Iterable[str]) -> dict[str, str]:
    """``--set`` options -> values for :func:`propose`.

    Raises:
        InputError: an item without ``=``, an unknown key or an empty value.
    """
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--set {item!r}: expected KEY=VALUE or RESOURCE.KEY=VALUE")
        key = name.rsplit(".", 1)[-1].strip()
        if key not in KNOWN_KEYS:
            raise InputError(
                f"--set {item!r}: unknown key {key!r} (one of: {', '.join(KNOWN_KEYS)})"
            )
        if not value.strip():
            raise InputError(f"--set {item!r}: the value is empty")
        values[name.strip()] = value.strip()
    return values


def _scope_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


class _Values:
    """The ``--set`` values that apply to one resource (scoped ones win)."""

    def __init__(self, values: dict[str, str], arn: str, name: str) -> None:
        self._values = values
        self._scopes = (arn, name, _scope_name(arn))

    def get(self, key: str) -> str | None:
        for scope in self._scopes:
            if f"{scope}.{key}" in self._values:
                return self._values[f"{scope}.{key}"]
        return self._values.get(key)

    def get_list(self, key: str) -> list[str] | None:
        value = self.get(key)
        if value is None:
            return None
        return [v.strip() for v in value.split(",") if v.strip()]


def tag_value_problem(value: str) -> str | None:
    """Why Roles Anywhere could not map a value into a session tag (STS charset), or None."""
    if len(value) > 256:
        return f"is {len(value):,} characters (session tag values are limited to 256)"
    for ch in value:
        if ch in _TAG_PUNCTUATION or unicodedata.category(ch)[0] in "LNZ":
            continue
        return f"contains {ch!r}, outside the STS session-tag charset, so it can never match"
    return None
