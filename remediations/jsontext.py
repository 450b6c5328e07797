"""JSON text exactly as ``json.dumps(value, indent=...)`` writes it, at the C encoder's speed.

``json.dumps`` with ``indent`` runs the pure-Python encoder: for a plan or a sandbox state of
a large account that costs seconds. Here the C encoder writes the compact text (the same
number and string forms, the same key order) and msgspec only lays it out with line breaks
and indentation, which it does without reading the values. What msgspec refuses (``NaN`` and
``Infinity``, which are not JSON) is left to ``json.dumps`` itself.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec


def dumps_indented(
    value: Any, *, indent: int = 2, sort_keys: bool = False, ensure_ascii: bool = True
) -> str:
    """``json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)``."""
    compact = json.dumps(
        value, separators=(",", ":"), sort_keys=sort_keys, ensure_ascii=ensure_ascii
    )
    try:
        laid_out = msgspec.json.format(compact.encode("utf-8", "surrogatepass"), indent=indent)
    except msgspec.DecodeError:
        return json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
    return laid_out.decode("utf-8", "surrogatepass")


def json_native(value: Any, *, int_keys: bool = False) -> bool:
    """Whether ``value`` is JSON-native all the way down (str, int, float, bool, None, lists
    and dicts with str keys, or int keys too with ``int_keys``): the values whose ``repr``
    tells them apart exactly as JSON rendering and DeepDiff do, so that it can key a memo."""
    kind = type(value)
    if kind in (str, int, float, bool, type(None)):
        return True
    if kind is list:
        return all(json_native(v, int_keys=int_keys) for v in value)
    if kind is dict:
        keys = (str, int) if int_keys else (str,)
        return all(type(k) in keys and json_native(v, int_keys=int_keys) for k, v in value.items())
    return False
