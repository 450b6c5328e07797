"""``dumps_indented`` writes exactly what ``json.dumps(indent=...)`` writes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from remediations.jsontext import dumps_indented

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
