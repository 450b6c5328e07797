"""IAM evaluation of one request (FINDINGS 3.4 rules 2-9) and its algebraic properties."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remediations.iam.evaluator import (
    Decision,
    compile_policy,
    evaluate,
    parse_operator,
    wildcard_match,
)

RA = ("Service", "rolesanywhere.amazonaws.com")
EC2 = ("Service", "ec2.amazonaws.com")
CN = "aws:PrincipalTag/x509Subject/CN"
ARN = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/abc"


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    out: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        out["Version"] = version
    return out


def allow(condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "rolesanywhere.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
    }
    if condition is not None:
        statement["Condition"] = condition
    statement.update(extra)
    return statement


def deny(condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return allow(condition, Effect="Deny", **extra)


def decide(policy: Any, context: dict[str, Any] | None = None, **kw: Any) -> Decision:
    return evaluate(
        policy,
        action=kw.get("action", "sts:AssumeRole"),
        principal=kw.get("principal", RA),
        context=context or {},
    )


def matches(operator: str, key: str, values: Any, context: dict[str, Any]) -> bool:
    return decide(doc(allow({operator: {key: values}})), context) is Decision.ALLOW


# --- rule 3: absent keys -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", False),
        ("StringLike", False),
        ("ArnEquals", False),
        ("ArnLike", False),
        ("StringNotEquals", True),
        ("StringNotLike", True),
        ("ArnNotEquals", True),
        ("ArnNotLike", True),
        ("StringEqualsIfExists", True),
        ("ArnLikeIfExists", True),
        ("ForAllValues:StringEquals", True),
        ("ForAnyValue:StringEquals", False),
        ("ForAnyValue:StringNotEquals", False),
    ],
)
def test_absent_key_rules(operator: str, expected: bool) -> None:
    assert matches(operator, CN, "x", {}) is expected


def test_null_operator_requires_presence_or_absence() -> None:
    assert matches("Null", CN, "false", {CN: "a"})
    assert not matches("Null", CN, "false", {})
    assert matches("Null", CN, "true", {})
    assert not matches("Null", CN, "true", {CN: "a"})


# --- rule 2: OR within a key, AND across keys and operators ------------------------------------


def test_values_of_one_key_are_ored() -> None:
    assert matches("StringEquals", CN, ["a", "b"], {CN: "b"})
    assert not matches("StringEquals", CN, ["a", "b"], {CN: "c"})


def test_keys_and_operators_are_anded() -> None:
    policy = doc(
        allow(
            {
                "StringEquals": {CN: "a", "aws:SourceAccount": "1"},
                "ArnEquals": {"aws:SourceArn": ARN},
            }
        )
    )
    full = {CN: "a", "aws:SourceAccount": "1", "aws:SourceArn": ARN}
    assert decide(policy, full) is Decision.ALLOW
    for missing in full:
        partial = {k: v for k, v in full.items() if k != missing}
        assert decide(policy, partial) is Decision.IMPLICIT_DENY


def test_negated_operator_with_several_values_needs_none_to_match() -> None:
    assert matches("StringNotEquals", CN, ["a", "b"], {CN: "c"})
    assert not matches("StringNotEquals", CN, ["a", "b"], {CN: "b"})


# --- rule 4: keys case-insensitive, values case-sensitive --------------------------------------


def test_condition_keys_are_case_insensitive_values_are_not() -> None:
    policy = doc(allow({"StringEquals": {"AWS:PrincipalTag/X509Subject/cn": "App"}}))
    assert decide(policy, {"aws:principaltag/x509subject/CN": "App"}) is Decision.ALLOW
    assert decide(policy, {CN: "app"}) is Decision.IMPLICIT_DENY
    assert matches("StringEqualsIgnoreCase", CN, "App", {CN: "aPP"})
    assert not matches("StringNotEqualsIgnoreCase", CN, "App", {CN: "aPP"})


# --- rule 5: wildcards -------------------------------------------------------------------------


def test_string_like_wildcards() -> None:
    assert matches("StringLike", CN, "*", {CN: "anything"})
    assert matches("StringLike", CN, "app-?", {CN: "app-1"})
    assert not matches("StringLike", CN, "app-?", {CN: "app-10"})
    assert not matches("StringLike", CN, "app.*", {CN: "appx"})  # "." is literal
    assert matches("StringNotLike", CN, "prod-*", {CN: "dev-1"})


def test_arn_like_matches_segment_by_segment() -> None:
    pattern = "arn:aws:rolesanywhere:*:111122223333:trust-anchor/*"
    assert matches("ArnLike", "aws:SourceArn", pattern, {"aws:SourceArn": ARN})
    other_account = ARN.replace("111122223333", "999999999999")
    assert not matches("ArnLike", "aws:SourceArn", pattern, {"aws:SourceArn": other_account})
    # A wildcard in the region segment cannot swallow the account segment.
    assert not matches(
        "ArnLike", "aws:SourceArn", "arn:aws:rolesanywhere:*:trust-anchor/*", {"aws:SourceArn": ARN}
    )
    assert not matches("ArnEquals", "aws:SourceArn", ARN, {"aws:SourceArn": "not-an-arn"})
    assert matches("ArnLike", "aws:SourceArn", "*", {"aws:SourceArn": ARN})


# --- other operator families -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "policy_value", "context_value", "expected"),
    [
        ("NumericLessThan", "10", "9", True),
        ("NumericLessThan", "10", "10", False),
        ("NumericGreaterThanEquals", "10", "10", True),
        ("NumericEquals", "10", "ten", False),
        ("DateLessThan", "2030-01-01T00:00:00Z", "2026-01-01T00:00:00Z", True),
        ("DateGreaterThan", "2030-01-01T00:00:00Z", "2026-01-01T00:00:00Z", False),
        ("Bool", True, "true", True),
        ("Bool", "false", "TRUE", False),
        ("IpAddress", "203.0.113.0/24", "203.0.113.9", True),
        ("IpAddress", "203.0.113.0/24", "198.51.100.1", False),
        ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", True),
        ("IpAddress", "2001:db8::/32", "2001:db8::1", True),
    ],
)
def test_operator_families(
    operator: str, policy_value: Any, context_value: str, expected: bool
) -> None:
    assert matches(operator, "k", policy_value, {"k": context_value}) is expected


def test_set_operators_on_multivalued_keys() -> None:
    assert matches("ForAllValues:StringEquals", "k", ["a", "b"], {"k": ["a", "b"]})
    assert not matches("ForAllValues:StringEquals", "k", ["a"], {"k": ["a", "b"]})
    assert matches("ForAnyValue:StringEquals", "k", ["a"], {"k": ["a", "z"]})
    assert not matches("ForAnyValue:StringEquals", "k", ["a"], {"k": ["y", "z"]})


def test_unknown_operator_never_matches_for_allow_or_deny() -> None:
    assert not matches("StringSortOf", CN, "a", {CN: "a"})
    policy = doc(allow(), deny({"StringSortOf": {CN: "a"}}))
    # The Deny is ignored: a finder over-states access rather than hide it.
    assert decide(policy, {CN: "a"}) is Decision.ALLOW


def test_operator_parsing() -> None:
    op = parse_operator("ForAnyValue:StringNotLikeIfExists")
    assert (op.set_op, op.base, op.if_exists, op.negated, op.known) == (
        "ForAnyValue",
        "StringNotLike",
        True,
        True,
        True,
    )
    assert not parse_operator("NullIfExists").known
    assert parse_operator("StringEquals").positive
    assert not parse_operator("StringEqualsIfExists").positive


# --- rule 6: policy variables ------------------------------------------------------------------


def test_policy_variable_binds_two_request_values() -> None:
    cond = {"StringEquals": {"sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"}}
    policy = doc(allow(cond))
    assert decide(policy, {CN: "node-1", "sts:RoleSessionName": "node-1"}) is Decision.ALLOW
    assert decide(policy, {CN: "node-1", "sts:RoleSessionName": "node-2"}) is Decision.IMPLICIT_DENY
    # The variable's key absent and no default: the value matches nothing.
    assert decide(policy, {"sts:RoleSessionName": "node-1"}) is Decision.IMPLICIT_DENY


def test_policy_variables_are_literal_without_version_2012() -> None:
    literal = "${aws:PrincipalTag/x509Subject/CN}"
    for version in (None, "2008-10-17"):
        policy = doc(allow({"StringEquals": {"sts:RoleSessionName": literal}}), version=version)
        assert decide(policy, {CN: "n", "sts:RoleSessionName": "n"}) is Decision.IMPLICIT_DENY
        assert decide(policy, {"sts:RoleSessionName": literal}) is Decision.ALLOW


def test_variable_default_and_escapes() -> None:
    assert matches("StringEquals", "k", "${aws:missing, 'dflt'}", {"k": "dflt"})
    assert matches("StringLike", "k", "a${*}b", {"k": "a*b"})
    assert not matches("StringLike", "k", "a${*}b", {"k": "axxb"})
    assert matches("StringEquals", "k", "${$}{x}", {"k": "${x}"})
    assert matches("StringEquals", "k", "q${?}", {"k": "q?"})
    # A substituted value is literal even under StringLike.
    assert not matches("StringLike", "k", "${other}", {"k": "abc", "other": "*"})


# --- rules 7-9: principals, actions, statement shapes ------------------------------------------


@pytest.mark.parametrize(
    ("principal", "covers_ra"),
    [
        ("*", True),
        ({"AWS": "*"}, True),
        ({"Service": "rolesanywhere.amazonaws.com"}, True),
        ({"Service": ["ec2.amazonaws.com", "ROLESANYWHERE.amazonaws.com"]}, True),
        ({"Service": "ec2.amazonaws.com"}, False),
        ({"AWS": "arn:aws:iam::111122223333:root", "Service": "rolesanywhere.amazonaws.com"}, True),
        ({"Federated": "cognito-identity.amazonaws.com"}, False),
        ("rolesanywhere.amazonaws.com", False),
    ],
)
def test_principal_forms(principal: Any, covers_ra: bool) -> None:
    policy = doc(allow(Principal=principal))
    assert (decide(policy) is Decision.ALLOW) is covers_ra


def test_not_principal_is_evaluated_as_everyone_else() -> None:
    statement = allow()
    del statement["Principal"]
    statement["NotPrincipal"] = {"Service": "ec2.amazonaws.com"}
    assert decide(doc(statement)) is Decision.ALLOW
    assert decide(doc(statement), principal=EC2) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("actions", "key", "covered"),
    [
        ("sts:*", "Action", True),
        ("*", "Action", True),
        ("STS:assume*", "Action", True),
        ("sts:Assume?ole", "Action", True),
        ("sts:TagSession", "Action", False),
        (["sts:TagSession"], "NotAction", True),
        ("sts:*", "NotAction", False),
    ],
)
def test_action_forms(actions: Any, key: str, covered: bool) -> None:
    statement = allow()
    del statement["Action"]
    statement[key] = actions
    assert (decide(doc(statement)) is Decision.ALLOW) is covered


def test_statement_object_equals_one_element_list() -> None:
    statement = allow({"StringEquals": {CN: "a"}})
    as_object = {"Version": "2012-10-17", "Statement": statement}
    for context in ({CN: "a"}, {CN: "b"}, {}):
        assert decide(as_object, context) is decide(doc(statement), context)


def test_explicit_deny_wins_and_no_allow_is_implicit() -> None:
    policy = doc(allow(), deny({"StringNotEquals": {CN: "good"}}))
    assert decide(policy, {CN: "good"}) is Decision.ALLOW
    assert decide(policy, {CN: "evil"}) is Decision.EXPLICIT_DENY
    assert decide(policy, {}) is Decision.EXPLICIT_DENY  # Deny-side pin fails closed
    assert decide(doc(deny()), {}) is Decision.EXPLICIT_DENY
    assert decide(doc(), {}) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    "odd",
    [
        None,
        [],
        "text",
        {"Statement": "x"},
        {"Statement": [1, None, "s"]},
        {"Statement": {"Effect": "Allow", "Principal": {"Service": 3}, "Action": 5}},
        {"Statement": {"Effect": "allow", "Principal": "*", "Action": "*"}},
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": "x"}},
        {
            "Statement": {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Condition": {"StringEquals": 1},
            }
        },
        {
            "Statement": {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "*",
                "Condition": {"StringEquals": {"k": {"a": 1}}},
            }
        },
    ],
)
def test_odd_shapes_never_raise_and_grant_nothing(odd: Any) -> None:
    assert decide(odd, {"k": "a"}) is Decision.IMPLICIT_DENY


def test_wildcard_match_helper_is_anchored() -> None:
    assert wildcard_match("a*c", "abbbc")
    assert not wildcard_match("a*c", "abbbcd")


# --- properties --------------------------------------------------------------------------------

_KEYS = ["aws:PrincipalTag/x509Subject/CN", "aws:SourceArn", "sts:SourceIdentity", "k"]
_VALUES = ["a", "b", "a*", "*", "?", ARN]
_OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIfExists",
    "ForAllValues:StringEquals",
    "ForAnyValue:StringLike",
    "ArnLike",
    "Null",
]
conditions = st.dictionaries(
    st.sampled_from(_OPERATORS),
    st.dictionaries(
        st.sampled_from(_KEYS),
        st.one_of(st.sampled_from(_VALUES), st.lists(st.sampled_from(_VALUES), max_size=3)),
        min_size=1,
        max_size=2,
    ),
    max_size=2,
)
statements = st.builds(
    lambda effect, action, cond: {
        "Effect": effect,
        "Principal": {"Service": "rolesanywhere.amazonaws.com"},
        "Action": action,
        **({"Condition": cond} if cond else {}),
    },
    st.sampled_from(["Allow", "Deny"]),
    st.sampled_from(["sts:AssumeRole", "sts:*", "sts:TagSession"]),
    conditions,
)
contexts = st.dictionaries(
    st.sampled_from(_KEYS), st.one_of(st.sampled_from(_VALUES), st.just(None)), max_size=4
)


@settings(max_examples=150, deadline=None)
@given(st.lists(statements, max_size=4), statements, contexts)
def test_adding_a_deny_never_widens(
    existing: list[dict[str, Any]], extra: dict[str, Any], context: dict[str, Any]
) -> None:
    extra = {**extra, "Effect": "Deny"}
    before = decide(doc(*existing), context)
    after = decide(doc(*existing, extra), context)
    if before is not Decision.ALLOW:
        assert after is not Decision.ALLOW


@settings(max_examples=150, deadline=None)
@given(st.lists(statements, min_size=1, max_size=4), st.data(), contexts)
def test_adding_a_condition_to_an_allow_never_widens(
    existing: list[dict[str, Any]], data: st.DataObject, context: dict[str, Any]
) -> None:
    index = data.draw(st.integers(0, len(existing) - 1))
    narrowed = copy.deepcopy(existing)
    target = narrowed[index]
    if target["Effect"] != "Allow":
        return
    key = data.draw(st.sampled_from(_KEYS))
    value = data.draw(st.sampled_from(_VALUES))
    block = target.setdefault("Condition", {}).setdefault("StringEquals", {})
    if key.lower() in {k.lower() for k in block}:
        return  # replacing a key's values is not "adding" a condition
    block[key] = value
    if decide(doc(*existing), context) is not Decision.ALLOW:
        assert decide(doc(*narrowed), context) is not Decision.ALLOW


@settings(max_examples=100, deadline=None)
@given(statements, contexts)
def test_statement_object_is_a_one_element_list(
    statement: dict[str, Any], context: dict[str, Any]
) -> None:
    as_object = {"Version": "2012-10-17", "Statement": statement}
    assert decide(as_object, context) is decide(doc(statement), context)


def test_compiled_policy_is_reusable() -> None:
    policy = compile_policy(doc(allow({"StringEquals": {CN: "a"}})))
    assert policy.evaluate(action="sts:AssumeRole", principal=RA, context={CN.lower(): "a"}) is (
        Decision.ALLOW
    )
    assert policy.evaluate(action="sts:AssumeRole", principal=RA, context={}) is (
        Decision.IMPLICIT_DENY
    )
