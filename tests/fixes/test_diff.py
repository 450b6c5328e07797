"""Semantic and text diffs of resource states."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remediations.diff import diff, normalize_policy, semantic_diff, text_diff
from tests.strategies import trust_policies

RA = {"Service": "rolesanywhere.amazonaws.com"}
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]


def _trust(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version:
        doc = {"Version": version, **doc}
    return {"trustPolicy": doc}


def test_added_condition_reads_like_a_sentence() -> None:
    before = _trust({"Sid": "X", "Effect": "Allow", "Principal": RA, "Action": ACTIONS})
    after = copy.deepcopy(before)
    after["trustPolicy"]["Statement"][0]["Condition"] = {
        "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "pipeline.prod"}
    }
    assert semantic_diff(before, after) == [
        "adds condition aws:PrincipalTag/x509Subject/CN = pipeline.prod (StringEquals) "
        "to statement 1 (Sid X)"
    ]


def test_removed_ip_condition_and_added_statement() -> None:
    before = _trust(
        {"Effect": "Allow", "Principal": RA, "Action": ACTIONS},
        {
            "Effect": "Allow",
            "Principal": RA,
            "Action": ACTIONS,
            "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        },
    )
    after = copy.deepcopy(before)
    del after["trustPolicy"]["Statement"][1]["Condition"]
    after["trustPolicy"]["Statement"].append(
        {"Sid": "D", "Effect": "Deny", "Principal": RA, "Action": ACTIONS}
    )
    lines = semantic_diff(before, after)
    assert "removes aws:SourceIp condition (NotIpAddress 10.0.0.0/8) from statement 2" in lines
    assert "adds statement 3 (Sid D, Deny)" in lines
    assert len(lines) == 2


def test_iam_equivalent_forms_are_no_difference() -> None:
    before = _trust(
        {
            "Effect": "Allow",
            "Principal": {"Service": ["rolesanywhere.amazonaws.com"]},
            "Action": ["sts:TagSession", "sts:AssumeRole"],
            "Condition": {"StringEquals": {"aws:principaltag/x509subject/cn": ["a", "b"]}},
        }
    )
    after = _trust(
        {
            "Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": ["b", "a"]}},
        }
    )
    assert semantic_diff(before, after) == []
    assert text_diff(before, after) != ""  # the text diff still shows the spelling


def test_version_and_value_changes() -> None:
    statement = {
        "Effect": "Allow",
        "Principal": RA,
        "Action": ACTIONS,
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:rolesanywhere:*:1:trust-anchor/*"}},
    }
    before = _trust(statement, version=None)
    after = _trust(copy.deepcopy(statement))
    after["trustPolicy"]["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] = "arn:x"
    lines = semantic_diff(before, after)
    assert "sets Version to 2012-10-17" in lines
    assert any(line.startswith("changes condition aws:SourceArn (ArnLike)") for line in lines)


def test_profile_settings_lines() -> None:
    before: dict[str, Any] = {
        "enabled": True,
        "roleArns": ["arn:a", "arn:b"],
        "managedPolicyArns": [],
        "sessionPolicy": None,
        "durationSeconds": 43200,
        "acceptRoleSessionName": True,
        "attributeMappings": [
            {"certificateField": "x509Subject", "mappingRules": [{"specifier": "OU"}]}
        ],
    }
    after = copy.deepcopy(before)
    after.update(roleArns=["arn:a"], durationSeconds=3600, acceptRoleSessionName=False)
    after["sessionPolicy"] = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny"}]}
    after["attributeMappings"][0]["mappingRules"].append({"specifier": "CN"})
    lines = semantic_diff(before, after)
    assert "sets durationSeconds 43200 -> 3600" in lines
    assert "sets acceptRoleSessionName true -> false" in lines
    assert "removes arn:b from roleArns" in lines
    assert "maps x509Subject specifier CN" in lines
    assert "session policy: adds a policy with 1 statement(s)" in lines


def test_text_diff_is_unified_over_canonical_json() -> None:
    both = diff({"enabled": False}, {"enabled": True})
    assert both.text.startswith("--- before\n+++ after\n")
    assert '-  "enabled": false\n' in both.text and '+  "enabled": true\n' in both.text
    assert both.to_json() == {"semantic": ["sets enabled false -> true"], "text": both.text}
    assert diff({"a": 1}, {"a": 1}).text == ""


def test_normalize_policy_accepts_one_statement_object() -> None:
    doc = {"Statement": {"Effect": "Allow", "Action": "s3:GetObject"}}
    assert normalize_policy(doc)["Statement"][0]["Action"] == {"s3:GetObject": True}


def test_presence_requirement_reads_as_such() -> None:
    statement = {"Effect": "Allow", "Principal": RA, "Action": ACTIONS}
    before = _trust(statement)
    after = _trust(
        dict(statement, Condition={"Null": {"aws:PrincipalTag/x509Subject/CN": "false"}})
    )
    assert semantic_diff(before, after) == [
        "requires aws:PrincipalTag/x509Subject/CN to be present (Null false) in statement 1"
    ]


# --- pruning equal parts before DeepDiff (a shortcut: the same lines as the plain path) --------

_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.0, 1.0, -0.0, 2.5]),
    st.sampled_from(["a", "b", "A", "*", "s3:Get*", ""]),
)
_TREES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", "c", "Sid", "Effect"]), inner, max_size=4),
        st.lists(st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3), max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def _edited(draw: st.DrawFn, tree: Any) -> Any:
    """The tree with some of its parts replaced, dropped or added (mostly equal parts)."""
    if isinstance(tree, dict):
        out = {k: draw(_edited(v)) for k, v in tree.items()}
        if draw(st.integers(0, 4)) == 0 and out:
            out.pop(draw(st.sampled_from(sorted(out))))
        if draw(st.integers(0, 4)) == 0:
            out[draw(st.sampled_from(["a", "b", "d"]))] = draw(_TREES)
        return out
    if isinstance(tree, list):
        out_list = [draw(_edited(v)) for v in tree]
        if draw(st.integers(0, 4)) == 0:
            out_list.append(draw(_TREES))
        if draw(st.integers(0, 4)) == 0 and out_list:
            out_list.pop(draw(st.integers(0, len(out_list) - 1)))
        return out_list
    return draw(_TREES) if draw(st.integers(0, 3)) == 0 else tree


@st.composite
def _state_pairs(draw: st.DrawFn) -> tuple[Any, Any]:
    kind = draw(st.sampled_from(["trust", "session", "profile", "tree"]))
    if kind == "tree":
        before = {"x": draw(_TREES), "roleArns": draw(st.lists(st.sampled_from("abc")))}
    elif kind == "trust":
        before = {"trustPolicy": draw(trust_policies())}
    else:
        before = {
            "enabled": draw(st.booleans()),
            "roleArns": draw(st.lists(st.sampled_from(["r1", "r2", "r3"]), max_size=3)),
            "sessionPolicy": draw(trust_policies()),
            "durationSeconds": draw(st.sampled_from([3600, 3600.0, 900])),
            "notificationSettings": [
                {"event": "CA_CERTIFICATE_EXPIRY", "enabled": draw(st.booleans()), "threshold": 45}
            ],
        }
    return before, draw(_edited(copy.deepcopy(before)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_state_pairs())
def test_pruned_diff_reads_exactly_like_the_plain_one(pair: tuple[Any, Any]) -> None:
    before, after = pair
    assert semantic_diff(before, after) == semantic_diff(before, after, prune=False)
    assert semantic_diff(after, before) == semantic_diff(after, before, prune=False)


def test_pruning_keeps_type_changes_and_list_positions() -> None:
    before = {"x": [{"a": 1}, {"a": 2}], "y": 1, "z": True}
    after = {"x": [{"a": 1}, {"a": 3}, {"b": 1}], "y": 1.0, "z": 1}
    lines = semantic_diff(before, after)
    assert lines == semantic_diff(before, after, prune=False)
    assert any("x.1.a" in line for line in lines) and any("x.2" in line for line in lines)
    assert any(line.startswith("sets y") for line in lines)


def _strings(tree: Any) -> set[str]:
    if isinstance(tree, str):
        return {tree}
    if isinstance(tree, dict):
        return set().union(*(_strings(v) for v in tree.values()))
    if isinstance(tree, list):
        return set().union(*(_strings(v) for v in tree))
    return set()


def _renamed(tree: Any, names: dict[str, str]) -> Any:
    if isinstance(tree, str):
        return names[tree]
    if isinstance(tree, dict):
        return {k: _renamed(v, names) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_renamed(v, names) for v in tree]
    return tree


_TRICKY_TEXTS = [
    "",
    "false",
    "FALSE",
    "true",
    "<absent>",
    'q"uote',
    "back\\slash",
    "tab\t",
    "l\u2028s",
    "n\x85",
]
_OTHER_TEXTS = st.sampled_from(
    [*_TRICKY_TEXTS, "\ue0000\ue001", "2012-10-17", "app-7.corp", "Zoë", "*", "a", "b"]
) | st.text(max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_state_pairs(), st.data())
def test_a_diff_of_other_values_reads_as_its_plain_diff(pair: tuple[Any, Any], data: Any) -> None:
    """A pair whose values differ from one met before only in their text reuses its lines
    with its own texts put back: they read exactly as the plain path's (no pruning, no memo),
    whatever the texts (empty, "false", JSON escapes, the placeholder's own characters)."""
    before, after = pair
    texts = sorted(_strings(before) | _strings(after))
    others = data.draw(
        st.lists(_OTHER_TEXTS, min_size=len(texts), max_size=len(texts), unique=True)
    )
    names = dict(zip(texts, others, strict=True))
    semantic_diff(before, after)  # met first: its lines are kept
    other_before, other_after = _renamed(before, names), _renamed(after, names)
    assert semantic_diff(other_before, other_after) == semantic_diff(
        other_before, other_after, prune=False
    )
    assert semantic_diff(before, after) == semantic_diff(before, after, prune=False)


_ARNS = st.lists(
    st.sampled_from(["ab", "ab!x", "a b", "ab'x", 'x"y', "back\\s", "Zoë", "r1", "r10", "r2"])
    | st.text(max_size=4),
    max_size=5,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ARNS, _ARNS, _ARNS, _ARNS, st.sampled_from(["profile", "trust"]))
def test_value_set_lines_read_as_deepdiffs(
    a: list[str], b: list[str], c: list[str], d: list[str], kind: str
) -> None:
    """Two sets of values (role ARNs, managed policy ARNs, actions) read as DeepDiff's report
    on them does (the plain path), in its order, whatever the values."""
    if kind == "profile":
        before: Any = {"roleArns": a, "managedPolicyArns": c}
        after: Any = {"roleArns": b, "managedPolicyArns": d}
    else:
        before = _trust({"Effect": "Allow", "Principal": RA, "Action": a or ["x"]})
        after = _trust({"Effect": "Allow", "Principal": RA, "Action": b or ["x"]})
    assert semantic_diff(before, after) == semantic_diff(before, after, prune=False)


def test_an_odd_value_written_as_a_python_list_reads_as_the_plain_path() -> None:
    """A statement whose Effect is a list is described with the list as Python writes it: its
    placeholder cannot be put back there, so such a pair is read from its own texts."""
    added = {"Effect": ["x"], "Principal": RA, "Action": "sts:TagSession"}
    before, after = _trust(), _trust(added)
    assert semantic_diff(before, after) == ["adds statement 1 (['x'])"]
    assert semantic_diff(before, after) == semantic_diff(before, after, prune=False)
