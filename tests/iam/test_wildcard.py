"""IAM wildcard matching (remediations.iam.wildcard): agrees with a regular expression, and
hostile patterns cost a number of steps bounded by the pattern and value lengths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remediations.iam import wildcard
from remediations.iam.evaluator import evaluate
from remediations.iam.permissions import action_matches
from remediations.iam.wildcard import compile_parts, fold_case, wildcard_match


def reference(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """The fnmatch-style regular expression IAM wildcards mean (backtracking: small inputs only)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(body, value, flags) is not None


ALPHABET = st.sampled_from("ab.:*?\n\u00e9")
patterns = st.text(ALPHABET, max_size=12)
values = st.text(st.sampled_from("ab.:*?\n\u00e9"), max_size=14)


@settings(max_examples=400, deadline=None)
@given(patterns, values)
def test_matches_like_the_reference(pattern: str, value: str) -> None:
    assert wildcard_match(pattern, value) == reference(pattern, value)


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from("aBc*?"), max_size=10), st.text(st.sampled_from("AbC"), max_size=10))
def test_ignore_case_matches_like_the_reference(pattern: str, value: str) -> None:
    assert wildcard_match(pattern, value, ignore_case=True) == reference(pattern, value, True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(ALPHABET, max_size=5), st.booleans()), max_size=4), values)
def test_literal_parts_keep_their_wildcards_literal(
    parts: list[tuple[str, bool]], value: str
) -> None:
    regex = "".join(
        re.escape(text)
        if literal
        else "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
        for text, literal in parts
    )
    expected = re.fullmatch(regex, value, re.DOTALL) is not None
    assert compile_parts(tuple(parts)).matches(value) == expected


def test_case_folding_keeps_one_character_per_character() -> None:
    # "\u0130".lower() is two characters; "?" must still stand for the one character.
    assert fold_case("A\u0130") == "a\u0130"
    assert wildcard_match("a?", "A\u0130", ignore_case=True)


@contextmanager
def counted() -> Iterator[list[int]]:
    """Count the segment placements the matcher tries (its unit of work)."""
    steps = [0]
    find, matches_at = wildcard.Segment.find, wildcard.Segment.matches_at

    def counting_find(self: wildcard.Segment, value: str, start: int, last: int) -> int:
        steps[0] += 1
        return find(self, value, start, last)

    def counting_matches_at(self: wildcard.Segment, value: str, position: int) -> bool:
        steps[0] += 1
        return matches_at(self, value, position)

    mp = pytest.MonkeyPatch()
    mp.setattr(wildcard.Segment, "find", counting_find)
    mp.setattr(wildcard.Segment, "matches_at", counting_matches_at)
    try:
        yield steps
    finally:
        mp.undo()


HOSTILE = [
    ("?*" * 35, "a" * 34),
    ("?*" * 35, "a" * 200 + "!"),
    ("*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.prod", "a." * 400 + "pro"),
    ("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "a" * 500),
    ("*" * 60 + "x", "y" * 500),
]


@pytest.mark.parametrize(("pattern", "value"), HOSTILE)
def test_hostile_patterns_take_steps_bounded_by_the_input(pattern: str, value: str) -> None:
    wildcard.compile_wildcard.cache_clear()
    with counted() as steps:
        result = wildcard_match(pattern, value)
    assert result is False or result is True
    # One placement per segment, and each anchored-literal search advances through the value:
    # never the exponential retries of a backtracking regular expression.
    assert steps[0] <= len(pattern) + len(value) + 2


@pytest.mark.parametrize(("pattern", "value"), HOSTILE)
def test_hostile_patterns_in_a_condition_and_an_action_are_evaluated(
    pattern: str, value: str
) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringLike": {"aws:PrincipalTag/x509Subject/CN": pattern}},
            }
        ],
    }
    with counted() as steps:
        evaluate(
            document,
            action="sts:AssumeRole",
            principal=("Service", "rolesanywhere.amazonaws.com"),
            context={"aws:PrincipalTag/x509Subject/CN": value},
        )
        action_matches(pattern, value)
    assert steps[0] <= 2 * (len(pattern) + len(value) + 2)


# --- intersection of two patterns (common_match) ------------------------------------------------

_SMALL = st.text(alphabet="ab*?", max_size=4)


def _brute_common(a: str, b: str) -> bool:
    """Some string over the patterns' letters (and one other) of bounded length matches both."""
    import itertools

    longest = len(a.replace("*", "")) + len(b.replace("*", ""))
    for size in range(longest + 1):
        for chars in itertools.product("abr", repeat=size):
            value = "".join(chars)
            if wildcard_match(a, value) and wildcard_match(b, value):
                return True
    return False


@settings(max_examples=300, deadline=None)
@given(_SMALL, _SMALL)
def test_common_match_is_a_value_both_match_or_none_exists(a: str, b: str) -> None:
    found = wildcard.common_match(a, b)
    if isinstance(found, str):
        assert wildcard_match(a, found) and wildcard_match(b, found)
    else:
        assert found is None
        assert not _brute_common(a, b)


def test_common_match_of_disjoint_spiffe_prefixes_is_none() -> None:
    team = "spiffe://example/Team1/"
    assert wildcard.common_match(team + "App1/*", team + "App2/*") is None
    assert wildcard.common_match(team + "App1/*", team + "*") == team + "App1/"
    assert wildcard.common_match("x" * 3000, "*") is True  # too long to decide: may overlap
