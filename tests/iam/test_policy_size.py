"""The size check of a trust policy read from a file: the shortcut that skips json's encoder
for documents far below the limit answers what the minified length answers."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from remediations.iam.policy import minified_length, minified_longer_than

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()  # inf, nan, 1e+16 and -0.0 are spelled differently by the two encoders
    | st.text(),  # control characters, quotes, astral characters, lone surrogates
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(doc=JSON_VALUES, limit=st.integers(min_value=0, max_value=3000))
def test_minified_longer_than_is_the_minified_length(doc: Any, limit: int) -> None:
    assert minified_longer_than(doc, limit) == (minified_length(doc) > limit)


@settings(max_examples=200, deadline=None)
@given(doc=JSON_VALUES)
def test_the_shortcut_answers_below_the_limit(doc: Any) -> None:
    """Far below the limit (the case the shortcut serves) and just at it."""
    size = minified_length(doc)
    for limit in (size - 1, size, size + 1, 6 * size, 6 * size + 100):
        if limit >= 0:
            assert minified_longer_than(doc, limit) == (size > limit)
