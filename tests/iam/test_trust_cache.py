"""The shared-analysis cache of ``analyze_trust`` is invisible: every field equals a fresh
analysis of the caller's own document, whatever values it pins."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remediations import trust
from remediations.trust.analysis import analyze_uncached
from remediations.trust.cache import clear_cache, shapes_cached
from tests.shared import CORPUS
from tests.strategies import trust_policies

COMPARED = [f.name for f in dataclasses.fields(trust.TrustAnalysis) if f.name != "compiled"]


def assert_same_as_fresh(document: dict[str, Any]) -> None:
    cached = trust.analyze_trust(document)
    fresh = analyze_uncached(document)
    for name in COMPARED:
        assert getattr(cached, name) == getattr(fresh, name), name
    assert cached.document is document


def _pinned(cn: str, ou: str, anchor: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": anchor},
                    "StringEquals": {
                        "aws:PrincipalTag/x509Subject/CN": cn,
                        "aws:PrincipalTag/x509Subject/OU": ou,
                    },
                },
            }
        ],
    }


def test_documents_of_one_shape_get_their_own_values() -> None:
    anchor = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/a"
    first = trust.analyze_trust(_pinned("app-a.prod", "payments", anchor))
    second = trust.analyze_trust(_pinned("app-b.prod", "payments", anchor))
    assert first.pinned_subjects["x509subject/cn"] == {"app-a.prod"}
    assert second.pinned_subjects["x509subject/cn"] == {"app-b.prod"}
    assert {v for u in second.conditions for v in u.values} >= {"app-b.prod", "payments"}


def test_equal_literals_under_two_keys_stay_equal() -> None:
    # The same literal under CN and OU must keep meaning "the same value" after renaming.
    assert_same_as_fresh(
        _pinned("same", "same", "arn:aws:rolesanywhere:us-east-1:1:trust-anchor/a")
    )


def test_admits_uses_the_callers_values() -> None:
    anchor = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/a"
    trust.analyze_trust(_pinned("app-a.prod", "team", anchor))
    analysis = trust.analyze_trust(_pinned("app-b.prod", "team", anchor))
    cert = trust.CertificateContext(source_arn=anchor, subject={"CN": "app-b.prod", "OU": "team"})
    other = trust.CertificateContext(source_arn=anchor, subject={"CN": "app-a.prod", "OU": "team"})
    assert analysis.admits(cert)
    assert not analysis.admits(other)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_corpus_trust_policies() -> None:
    for path in sorted((CORPUS / "trust").glob("*.json")):
        assert_same_as_fresh(json.loads(path.read_text(encoding="utf-8")))


@settings(max_examples=200, deadline=None)
@given(doc=trust_policies())
def test_generated_trust_policies(doc: dict[str, Any]) -> None:
    assert_same_as_fresh(doc)


def test_roles_pinning_different_anchors_share_one_analysis() -> None:
    clear_cache()
    anchors = [f"arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/t{i}" for i in range(3)]
    analyses = [trust.analyze_trust(_pinned(f"app{i}", "team", a)) for i, a in enumerate(anchors)]
    assert shapes_cached() == 1
    for analysis, anchor in zip(analyses, anchors, strict=True):
        assert analysis.pinned_source_arns == {anchor}
        assert {v for u in analysis.conditions for v in u.values} >= {anchor}


def _with_source_arn(operator: str, values: list[str], also: dict[str, Any]) -> dict[str, Any]:
    doc = _pinned("app", "team", values[0])
    doc["Statement"][0]["Condition"] = {
        operator: {"aws:SourceArn": values},
        **also,
    }
    return doc


TA = "arn:aws:rolesanywhere:eu-west-1:444455556666:trust-anchor/abc"


@pytest.mark.parametrize(
    "doc",
    [
        # A pattern elsewhere: the fresh anchor takes its region/account from the named ARN.
        _with_source_arn("ArnEquals", [TA], {"ArnLike": {"aws:SourceArn": "arn:aws:*:*:*:*"}}),
        _with_source_arn("ArnLike", [TA, "arn:aws:rolesanywhere:*:444455556666:*"], {}),
        # Compared otherwise than by equality: left as written.
        _with_source_arn("ArnEquals", [TA], {"ArnNotEquals": {"aws:SourceArn": TA}}),
        _with_source_arn("ArnEqualsIfExists", [TA], {}),
        _with_source_arn("StringEqualsIgnoreCase", [TA.upper()], {}),
        # The same literal as an anchor and as a subject value stays one value.
        _with_source_arn(
            "StringLike", [TA], {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": TA}}
        ),
        _with_source_arn("ArnEquals", [TA], {"StringEquals": {"aws:SourceAccount": "1"}}),
    ],
)
def test_source_arn_shapes_match_a_fresh_analysis(doc: dict[str, Any]) -> None:
    assert_same_as_fresh(doc)


def test_a_verbatim_repeat_gets_its_own_document() -> None:
    first = _pinned("app", "team", TA)
    second = json.loads(json.dumps(first))
    trust.analyze_trust(first)
    assert_same_as_fresh(second)


def _docs_to_screen() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    if CORPUS.is_dir():
        for path in sorted((CORPUS / "trust").glob("*.json")) + sorted(
            (CORPUS / "grammar").glob("*.json")
        ):
            data = json.loads(path.read_text(encoding="utf-8"))
            docs.extend(
                d for d in (data if isinstance(data, list) else [data]) if isinstance(d, dict)
            )
    ec2 = {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    docs.append({"Version": "2012-10-17", "Statement": [ec2]})
    docs.append({"Version": "2012-10-17", "Statement": {**ec2, "Principal": "*"}})
    return docs


def test_the_not_ra_screen_never_hides_a_roles_anywhere_trust() -> None:
    """ScanContext.ra_roles skips documents plainly_not_ra clears without analysing them."""
    screened = 0
    for doc in _docs_to_screen():
        if trust.plainly_not_ra(doc):
            screened += 1
            assert not analyze_uncached(doc).trusts_ra, doc
    assert screened >= 1


@settings(max_examples=200, deadline=None)
@given(doc=trust_policies())
def test_the_not_ra_screen_on_generated_policies(doc: dict[str, Any]) -> None:
    if trust.plainly_not_ra(doc):
        assert not analyze_uncached(doc).trusts_ra


_RA_ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
#: Values that relate to one another: a literal a pattern matches, the same text in other case,
#: a pattern that matches a placeholder's characters, the search's own reserved text.
_VALUES = [
    "prod-x",
    "prod-*",
    "PROD-X",
    "x",
    "*x*",
    "a?c",
    "abc",
    "rafix",
    "*",
    "prod-y",
    # Patterns whose text is renamed when alone on their key, and ones that must not be: one
    # that matches the search's fresh value, one made of a placeholder's characters.
    "svc-7-*.team-3.corp",
    "svc-7-*",
    "*-7-*",
    "?-7*",
    "*-unnamed-*",
    "f?x*",
    # Variables: the keys they hold and the keys they read keep their values.
    "${aws:PrincipalTag/x509Subject/OU}",
    "${aws:PrincipalTag/x509Subject/CN}-*",
]
_KEYS = [
    "aws:PrincipalTag/x509Subject/CN",
    "aws:PrincipalTag/x509Subject/OU",
    "aws:PrincipalTag/x509SAN/DNS",
]
_OPERATORS = [
    "StringEquals",
    "StringLike",
    "StringNotEquals",
    "StringNotLike",
    "StringEqualsIgnoreCase",
    "ForAnyValue:StringEquals",
    "StringEqualsIfExists",
]


@st.composite
def related_literal_policies(draw: st.DrawFn) -> dict[str, Any]:
    """Statements whose conditions put literals and patterns of one key side by side."""
    statements = []
    for _ in range(draw(st.integers(1, 3))):
        condition: dict[str, dict[str, Any]] = {}
        for _ in range(draw(st.integers(1, 3))):
            block = condition.setdefault(draw(st.sampled_from(_OPERATORS)), {})
            values = draw(st.lists(st.sampled_from(_VALUES), min_size=1, max_size=3))
            block[draw(st.sampled_from(_KEYS))] = values if len(values) > 1 else values[0]
        statements.append(
            {
                "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": _RA_ACTIONS,
                "Condition": condition,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def test_a_literal_beside_a_pattern_that_matches_it_keeps_its_meaning() -> None:
    # Renaming prod-x would take it out of the Deny's prod-*: the role would look usable.
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": _RA_ACTIONS,
                "Condition": {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "prod-x"}},
            },
            {
                "Effect": "Deny",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": _RA_ACTIONS,
                "Condition": {"StringLike": {"aws:PrincipalTag/x509Subject/CN": "prod-*"}},
            },
        ],
    }
    assert not trust.analyze_trust(doc).usable
    assert_same_as_fresh(doc)


@settings(max_examples=300, deadline=None)
@given(doc=related_literal_policies())
def test_literals_related_to_other_values_of_their_key(doc: dict[str, Any]) -> None:
    assert_same_as_fresh(doc)


def _cn_pattern(pattern: str, anchor: str) -> dict[str, Any]:
    doc = _pinned("app", "team", anchor)
    condition = doc["Statement"][0]["Condition"]
    del condition["StringEquals"]
    condition["StringLike"] = {"aws:PrincipalTag/x509Subject/CN": pattern}
    return doc


def test_roles_with_their_own_cn_patterns_share_one_analysis() -> None:
    """The abstraction is over the literal text of a pattern, not a cache of repeats: every
    role's own CN pattern (and anchor) gets one shared analysis, with its own values back."""
    clear_cache()
    docs = [
        _cn_pattern(f"ledger-{i}-*.team-{i * 7}.corp.example", f"{TA[:-3]}t{i}") for i in range(5)
    ]
    analyses = [trust.analyze_trust(doc) for doc in docs]
    assert shapes_cached() == 1
    for index, (doc, analysis) in enumerate(zip(docs, analyses, strict=True)):
        pattern = f"ledger-{index}-*.team-{index * 7}.corp.example"
        assert analysis.subject_wildcards == (("x509subject/cn", pattern),)
        assert pattern in {v for u in analysis.conditions for v in u.values}
        assert_same_as_fresh(doc)
        cert = trust.CertificateContext(
            source_arn=f"{TA[:-3]}t{index}", subject={"CN": pattern.replace("*", "web")}
        )
        assert analysis.admits(cert)


@pytest.mark.parametrize(
    "pattern",
    ["*-unnamed-*", "rafix-*", "*", "app-*", "?pp", "svc-7-*"],
    ids=["matches-fresh", "reserved", "no-text", "matches-literal", "matches-literal-2", "overlap"],
)
def test_patterns_that_relate_to_other_values_keep_their_text(pattern: str) -> None:
    doc = _cn_pattern(pattern, TA)
    denied = "*-7-*" if pattern == "svc-7-*" else "app"  # a Deny pattern covering the Allow's
    doc["Statement"].append(
        {
            "Effect": "Deny",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": _RA_ACTIONS,
            "Condition": {
                "StringLike" if "*" in denied else "StringEquals": {
                    "aws:PrincipalTag/x509Subject/CN": denied
                }
            },
        }
    )
    assert_same_as_fresh(doc)


def test_variables_keep_the_keys_they_read_and_the_anchors_are_shared() -> None:
    """A trust binding the session name to the CN: its anchors are renamed and shared, the CN
    it reads keeps its text."""
    clear_cache()
    docs = []
    for i in range(3):
        doc = _pinned("app", "team", f"{TA[:-3]}t{i}")
        doc["Statement"][0]["Condition"]["StringLike"] = {
            "sts:RoleSessionName": "${aws:PrincipalTag/x509Subject/CN}"
        }
        docs.append(doc)
    for doc in docs:
        assert_same_as_fresh(doc)
    assert shapes_cached() == 1
    other = _pinned("other", "team", TA)
    other["Statement"][0]["Condition"]["StringLike"] = docs[0]["Statement"][0]["Condition"][
        "StringLike"
    ]
    assert_same_as_fresh(other)
    assert shapes_cached() == 2  # the CN a variable reads keeps its text


@given(docs=st.lists(trust_policies(), min_size=1, max_size=6))
def test_one_pass_over_the_conditions_shares_as_the_plain_path_does(
    docs: list[dict[str, Any]],
) -> None:
    """The one pass that decides what may be renamed (shortcut) shares analyses between the
    same documents, and gives the same analyses, as the three separate passes (plain path)."""
    from remediations.shortcuts import plain_paths

    clear_cache()
    fast = [trust.analyze_trust(d) for d in docs]
    fast_shapes = shapes_cached()
    clear_cache()
    with plain_paths():
        plain = [trust.analyze_trust(d) for d in docs]
        plain_shapes = shapes_cached()
    clear_cache()
    assert fast_shapes == plain_shapes
    for a, b in zip(fast, plain, strict=True):
        for name in COMPARED:
            assert getattr(a, name) == getattr(b, name), name
