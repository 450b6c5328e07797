"""The values a fix reads (``--set``/answers), for every resource or scoped to one.

The grammar and its checks live in :mod:`remediations.answers` (plain data for front ends).
"""

from __future__ import annotations

from remediations.answers import KNOWN_KEYS, parse_values, scope_name, tag_value_problem

__all__ = ["KNOWN_KEYS", "parse_values", "tag_value_problem"]


class _Values:
    """The ``--set`` values that apply to one resource (scoped ones win)."""

    def __init__(self, values: dict[str, str], arn: str, name: str) -> None:
        self._values = values
        self._scopes = (arn, name, scope_name(arn))

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
