"""The raw-document reading of the scan's identity analyses (remediations.iam.doc_facts)
answers what the compiled statements answer, for statements of every shape a policy file
can hold (odd types and both element forms included), and the analyses it shares between
roles and profiles give each its own fresh answer when their literals differ."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from remediations.iam.doc_facts import (
    ADMIN_WRITES,
    PASS_ROLE,
    PRIVILEGE_ACTIONS,
    VOCABULARY,
    raw_covered_resources,
    read_document,
    shared_role_privilege,
    statement_mask,
)
from remediations.iam.permissions import (
    analyze_role_privilege,
    covered_resources,
    dangerous_session_probes,
    guardrail_probes,
    privilege_probes,
)
from remediations.iam.session_policies import analyze_session_policies
from remediations.iam.statements import Element, compile_statement, compile_statements
from tests.builders import role_with_documents

ACCOUNT = "111122223333"
PROFILE = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:profile/p"

_PATTERNS = [
    "*",
    "iam:*",
    "IAM:Pass*",
    "iam:PassRole",
    "i?m:Attach*",
    "*:Put*",
    "*Role",
    "rolesanywhere:*",
    "RolesAnywhere:Create*",
    "rolesanywhere:List*",
    "s3:*",
    "s3:Delete*",
    "sts:AssumeRole",
    "organizations:*",
    "kms:*Key*",
    "dynamodb:DeleteTable",
    "rafixprobe:RafixProbe",
    "",
]
_RESOURCES = [
    "*",
    f"arn:aws:iam::{ACCOUNT}:role/*",
    f"arn:aws:iam::{ACCOUNT}:role/rafix-probe",
    f"arn:aws:iam::{ACCOUNT}:user/app-*",
    f"arn:aws:s3:::bucket-{ACCOUNT}/*",
    "arn:aws:*:*:*:*",
    "arn:aws:iam::*:policy/*",
    f"arn:aws:rafixprobe:rafix-probe-region:{ACCOUNT}:rafix-probe/rafix-probe",
    "arn:aws:s3:rafix-probe-region:*",
    "arn:*",
    "?rn:aws:iam::*",
    "",
]
_CONDITIONS: list[Any] = [
    None,
    {},
    {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
    {"StringEquals": {"aws:PrincipalTag/team": "x"}},
    {"StringLikeIfExists": {"aws:RequestTag/x": "*"}},
    "not a block",
]


def _element_values(patterns: list[str]) -> st.SearchStrategy[Any]:
    """An element's value as a file may hold it: a string, a list (now and then with items
    that are not strings), or something else altogether."""
    listed = st.lists(st.sampled_from(patterns), max_size=3)
    odd = st.sampled_from([None, 7, {"x": 1}, [["nested"]], [1, "iam:*"], [{"x": 1}, "s3:*"]])
    return st.one_of(st.sampled_from(patterns), listed, odd)


@st.composite
def raw_statements(draw: st.DrawFn) -> dict[str, Any]:
    """Any statement: Allow, Deny, another effect or none; Action, NotAction, both or
    neither; Resource, NotResource, both or neither; conditions of every kind."""
    statement: dict[str, Any] = {}
    effect = draw(st.sampled_from(["Allow", "Allow", "Deny", "allow", None, 1]))
    if effect is not None:
        statement["Effect"] = effect
    for name in draw(st.sampled_from([["Action"], ["NotAction"], ["Action", "NotAction"], []])):
        statement[name] = draw(_element_values(_PATTERNS))
    for name in draw(
        st.sampled_from([["Resource"], ["NotResource"], ["NotResource", "Resource"], []])
    ):
        statement[name] = draw(_element_values(_RESOURCES))
    condition = draw(st.sampled_from(_CONDITIONS))
    if condition is not None:
        statement["Condition"] = condition
    return statement


def raw_documents() -> st.SearchStrategy[Any]:
    statements = st.lists(st.one_of(raw_statements(), st.just("junk")), max_size=4)
    return st.one_of(
        st.builds(lambda s: {"Version": "2012-10-17", "Statement": s}, statements),
        st.builds(lambda s: {"Statement": s}, raw_statements()),
        st.just({"Version": "2012-10-17"}),
    )


def _probe_resources() -> list[tuple[str, ...]]:
    privilege = tuple(r for p in privilege_probes("aws", ACCOUNT) for r in p.resources)
    session = tuple(
        r
        for p in (*dangerous_session_probes(PROFILE), *guardrail_probes(PROFILE))
        for r in p.resources
    )
    return [tuple(dict.fromkeys(privilege)), tuple(dict.fromkeys(session))]


@settings(max_examples=500, deadline=None)
@given(raw=raw_statements())
def test_a_statement_mask_is_what_the_compiled_action_element_covers(raw: dict[str, Any]) -> None:
    compiled = compile_statement(raw, 0, variables=True)
    mask = statement_mask(raw)
    for i, action in enumerate(VOCABULARY):
        assert bool(mask >> i & 1) == compiled.covers_action(action), action
    assert statement_mask(raw) == mask  # the kept answer is the same


@settings(max_examples=500, deadline=None)
@given(raw=raw_statements())
def test_raw_covered_resources_is_covered_resources_of_the_element(raw: dict[str, Any]) -> None:
    element = Element.of(raw, "Resource", ignore_case=False)
    for resources in _probe_resources():
        assert raw_covered_resources(raw, resources) == covered_resources(element, resources)


@settings(max_examples=500, deadline=None)
@given(doc=raw_documents())
def test_document_facts_are_what_the_compiled_statements_say(doc: Any) -> None:
    facts = read_document(doc)
    allows = always = denies = 0
    privilege = []
    for stmt in compile_statements(doc)[1]:
        if not stmt.effect:
            continue
        mask = sum(1 << i for i, a in enumerate(VOCABULARY) if stmt.covers_action(a))
        if stmt.effect == "Allow":
            allows |= mask
            if stmt.vacuous:
                always |= mask & PRIVILEGE_ACTIONS
        else:
            denies |= mask
        if mask & PRIVILEGE_ACTIONS:
            privilege.append((stmt.effect, mask & PRIVILEGE_ACTIONS, stmt.vacuous, stmt.raw))
    assert facts.allows == allows
    assert facts.always_allows == always
    assert facts.denies == denies
    assert list(facts.privilege_statements) == privilege


def test_the_vocabulary_holds_every_action_the_gates_read() -> None:
    assert ADMIN_WRITES and PASS_ROLE and PRIVILEGE_ACTIONS & PASS_ROLE
    assert "iam:passrole" in VOCABULARY and "rolesanywhere:createtrustanchor" in VOCABULARY


def _renamed(doc: Any, tag: str) -> Any:
    """The document with every literal resource made its own (what a real account's roles
    and profiles differ by), the rest untouched."""
    text = json.dumps(doc).replace("bucket-", f"bucket-{tag}-").replace("app-", f"app-{tag}-")
    return json.loads(text.replace('rafix-probe"', f'rafix-probe-{tag}"'))


def _turned(doc: Any, only: int | None = None) -> Any:
    """The document with the condition of each statement (or only of statement ``only``)
    turned around: none becomes one that can fail, one becomes none."""
    out = json.loads(json.dumps(doc))
    statements = out.get("Statement")
    for j, statement in enumerate(statements if isinstance(statements, list) else []):
        if isinstance(statement, dict) and only in (None, j) and "Condition" in statement:
            del statement["Condition"]
        elif isinstance(statement, dict) and only in (None, j):
            statement["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": "x"}}
    return out


def _near_misses(doc: Any, tag: str) -> list[Any]:
    """The document renamed, and the nearest misses a shared table must tell apart: the same
    statements with their conditions turned around (all, or one), and with their Resources
    made "*"."""
    starred = json.loads(json.dumps(doc))
    for statement in starred.get("Statement") or []:
        if isinstance(statement, dict) and "Resource" in statement:
            statement["Resource"] = "*"
    return [_renamed(doc, tag), _turned(doc), _turned(doc, 0), _turned(doc, 1), starred]


@settings(max_examples=400, deadline=None)
@given(
    docs=st.lists(st.lists(raw_documents(), min_size=1, max_size=3), min_size=2, max_size=4),
    boundary=st.sampled_from(
        [None, "arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/IAMFullAccess"]
    ),
)
def test_roles_sharing_privilege_analyses_get_their_own_verdicts(
    docs: list[list[Any]], boundary: str | None
) -> None:
    """Roles of every document shape, the same roles with their literals renamed, and their
    nearest misses (conditions turned around, Resources made "*") each get through one
    shared table what a fresh analysis of their own says."""
    shapes: dict[Any, Any] = {}
    facts: dict[int, Any] = {}
    memo: dict[int, Any] = {}
    roles = [*docs]
    for i, role_docs in enumerate(docs):
        roles += [list(v) for v in zip(*(_near_misses(d, str(i)) for d in role_docs), strict=True)]
        for k, doc in enumerate(role_docs):  # one statement of one document turned
            roles += [[*role_docs[:k], _turned(doc, j), *role_docs[k + 1 :]] for j in range(4)]
    for i, role_docs in enumerate(roles):
        role, policies = role_with_documents(f"r{i}", role_docs, boundary=boundary)
        fresh = analyze_role_privilege(role, policies)
        assert shared_role_privilege(role, policies, memo, shapes, facts) == fresh


@settings(max_examples=400, deadline=None)
@given(
    docs=st.lists(raw_documents(), min_size=2, max_size=5),
    managed=st.sampled_from([[], ["arn:aws:iam::aws:policy/ReadOnlyAccess"], ["gone"]]),
)
def test_profiles_sharing_session_analyses_get_their_own_analyses(
    docs: list[Any], managed: list[str]
) -> None:
    shapes: dict[Any, Any] = {}
    variants = [m for i, d in enumerate(docs) for m in _near_misses(d, str(i))]
    for i, doc in enumerate([*docs, *variants]):
        profile = f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:profile/p{i}"
        fresh = analyze_session_policies(profile, doc, managed, {})
        assert analyze_session_policies(profile, doc, managed, {}, {}, shapes) == fresh
