"""``dumps_indented`` writes exactly what ``json.dumps(indent=...)`` writes; ``json_native``
tells the values a memo may key by ``repr`` from those it may not."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from remediations.jsontext import dumps_indented, json_native

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet=st.characters(codec=None), max_size=12)
    | st.sampled_from(["é", "\u2028", "\x7f", "\x00", '"\\/', "🚀", "\ud800"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=500, deadline=None)
@given(
    value=values,
    sort_keys=st.booleans(),
    ensure_ascii=st.booleans(),
    indent=st.sampled_from([2, 4]),
)
def test_the_same_text_as_json_dumps(
    value: Any, sort_keys: bool, ensure_ascii: bool, indent: int
) -> None:
    expected = json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
    assert (
        dumps_indented(value, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
        == expected
    )


@given(values)
def test_every_json_value_is_native(value: Any) -> None:
    assert json_native(value)
    assert json_native(value, int_keys=True)


#: What is not JSON: a tuple, a set, bytes, an object; int keys only when asked.
strangers = st.sampled_from([(1,), {1}, b"x", object(), frozenset()])


@given(values, strangers, st.integers(min_value=0, max_value=3))
def test_a_non_json_value_anywhere_inside_is_not_native(
    value: Any, stranger: Any, depth: int
) -> None:
    for _ in range(depth):
        stranger = [value, stranger] if depth % 2 else {"k": stranger}
    assert not json_native(stranger)
    assert not json_native({"outer": [value, stranger]}, int_keys=True)


def test_int_keys_count_only_when_asked() -> None:
    assert not json_native({1: "a"})
    assert json_native({1: "a"}, int_keys=True)
    assert not json_native({(1,): "a"}, int_keys=True)
