"""``copy_tree``: ``copy.deepcopy`` for the JSON documents and states a plan edits.

A plan copies every document before each fix step (to restore it when the step is refused),
thousands of times on a large account; ``copy.deepcopy``'s generic machinery was a tenth of
the proposal time. Dicts and lists are copied directly; a container reached twice is copied
once, as ``deepcopy`` does (a trust policy and its statement list stay one list); strings,
numbers, booleans and None are shared (immutable). A value holding anything else is copied by
``copy.deepcopy`` itself. Outside ``plain_paths()`` a dict or list is copied by ``marshal``
instead (in C; it keeps a container met twice as one copy, and refuses what it cannot write,
which then takes the path above).
"""

from __future__ import annotations

import copy
import marshal
from typing import Any, TypeVar, cast

from remediations.shortcuts import shortcuts_on

T = TypeVar("T")
_ATOMS = frozenset({str, int, float, bool, type(None)})
_CONTAINERS: frozenset[type] = frozenset({dict, list})


class _NotJson(Exception):
    pass


def copy_tree(value: T) -> T:
    """A deep copy of ``value``: equal to ``copy.deepcopy(value)``, sharing as it shares."""
    tree: Any = value
    if type(tree) in _CONTAINERS and shortcuts_on():
        try:
            # marshal writes and reads the tree in C (a third faster than _copy), a container
            # met again as a reference to its first copy; what it cannot write, _copy copies.
            return cast(T, marshal.loads(marshal.dumps(tree)))
        except ValueError:
            pass
    try:
        return _copy(value, {})  # type: ignore[no-any-return]
    except _NotJson:
        return copy.deepcopy(value)


def _copy(value: Any, memo: dict[int, Any]) -> Any:
    kind = type(value)
    if kind in _ATOMS:
        return value
    done = memo.get(id(value))
    if done is not None:
        return done
    if kind is dict:
        out: dict[Any, Any] = {}
        memo[id(value)] = out
        for key, item in value.items():
            if type(key) not in _ATOMS:
                raise _NotJson
            out[key] = item if type(item) in _ATOMS else _copy(item, memo)
        return out
    if kind is list:
        items: list[Any] = []
        memo[id(value)] = items
        items.extend(item if type(item) in _ATOMS else _copy(item, memo) for item in value)
        return items
    raise _NotJson
