"""Templates render valid JSON whatever the values, and refuse what IAM would refuse."""

from __future__ import annotations

import json

import pytest
from jinja2 import Environment

from remediations.errors import PolicyError
from remediations.iam.policy import TRUST_POLICY_DEFAULT_LIMIT
from remediations.proposals import render as render_module
from remediations.proposals.render import (
    TEMPLATES_DIR,
    check_document,
    check_managed_arns,
    render,
    render_document,
)

TA = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/aaaa"
HOSTILE = [
    'pipe"line',
    "back\\slash",
    "new\nline\r\t",
    "{{ 7*7 }}",
    "{% if true %}x{% endif %}",
    '", "Effect": "Allow", "x": "',
    "ünïcødé ☃ 名前 \u2028",
    "}]}",
    "a" * 2000,
]


def _wrap(statement: dict[str, object]) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [statement]}


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_encoded_literally(value: str) -> None:
    statement = render(
        "trust_statement_hardened.json.j2",
        sid="RolesAnywhereApp",
        trust_anchor_arns=[TA],
        cn=value,
        ou=value,
        issuer_cn=value,
    )
    equals = statement["Condition"]["StringEquals"]
    assert equals["aws:PrincipalTag/x509Subject/CN"] == value
    assert equals["aws:PrincipalTag/x509Subject/OU"] == value
    assert equals["aws:PrincipalTag/x509Issuer/CN"] == value
    assert set(statement) == {"Sid", "Effect", "Principal", "Action", "Condition"}
    assert statement["Effect"] == "Allow"


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_pins_in_condition_fragments(value: str) -> None:
    fragment = render("trust_conditions_subject.json.j2", pins=[(value, value), ("k", value)])
    assert fragment == {"StringEquals": {value: value, "k": value}}
    deny = render(
        "trust_statement_deny_blocklist.json.j2",
        sid="S",
        operator="StringEquals",
        key=value,
        blocked=[value],
        actions=["sts:AssumeRole"],
    )
    assert deny["Condition"] == {"StringEquals": {value: [value]}}


def test_long_cn_makes_the_trust_policy_too_large() -> None:
    statement = render(
        "trust_statement_hardened.json.j2",
        sid="S",
        trust_anchor_arns=[TA],
        cn="a" * 2000,
        ou=None,
        issuer_cn=None,
    )
    with pytest.raises(PolicyError) as info:
        check_document(_wrap(statement), "trust")
    message = str(info.value)
    assert "the patched trust policy would be" in message
    assert f"{TRUST_POLICY_DEFAULT_LIMIT:,}" in message and "L-C07B4B0D" in message


def test_trust_limit_counts_characters_without_white_space() -> None:
    statement = render(
        "trust_statement_hardened.json.j2",
        sid="S",
        trust_anchor_arns=[TA],
        cn="x",
        ou=None,
        issuer_cn=None,
    )
    doc = _wrap(statement)
    size = len(json.dumps(doc, separators=(",", ":")))
    statement["Condition"]["StringEquals"]["aws:PrincipalTag/x509Subject/CN"] = "x" * (
        TRUST_POLICY_DEFAULT_LIMIT - size + 1
    )
    check_document(doc, "trust")  # exactly at the limit: accepted
    statement["Condition"]["StringEquals"]["aws:PrincipalTag/x509Subject/CN"] += "x"
    with pytest.raises(PolicyError):
        check_document(doc, "trust")


def test_guardrail_session_policy_keeps_an_allow() -> None:
    doc = render_document("session_policy_guardrails.json.j2", allow_actions=["*"])
    effects = [(s["Sid"], s["Effect"]) for s in doc["Statement"]]
    assert effects[0] == ("AllowWorkloadServices", "Allow")
    deny_actions = {a for s in doc["Statement"] if s["Effect"] == "Deny" for a in s["Action"]}
    assert {
        "iam:*",
        "rolesanywhere:*",
        "s3:DeleteBucket",
        "kms:ScheduleKeyDeletion",
    } <= deny_actions
    scoped = render_document("session_policy_guardrails.json.j2", allow_actions=["s3:*", "sqs:*"])
    assert scoped["Statement"][0]["Action"] == ["s3:*", "sqs:*"]
    deny_only = render_document("session_policy_guardrails.json.j2", allow_actions=None)
    assert all(s["Effect"] == "Deny" for s in deny_only["Statement"])


def test_session_policy_size_is_checked() -> None:
    services = [f"service{i:04d}:*" for i in range(200)]
    with pytest.raises(PolicyError, match=r"session policy would be .* characters"):
        render_document("session_policy_guardrails.json.j2", allow_actions=services)


def test_managed_arn_limit() -> None:
    check_managed_arns([f"arn:aws:iam::aws:policy/P{i}" for i in range(10)])
    with pytest.raises(PolicyError, match="11 managed policy ARNs"):
        check_managed_arns([f"arn:aws:iam::aws:policy/P{i}" for i in range(11)])


def test_grammar_problems_are_refused() -> None:
    with pytest.raises(PolicyError, match="not be valid IAM policy grammar"):
        check_document({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]}, "trust")


def test_undefined_value_is_an_error_not_empty_text() -> None:
    with pytest.raises(PolicyError, match="undefined"):
        render("crl_state.json.j2")


def test_output_without_tojson_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    env: Environment = render_module.environment()
    template = env.from_string('{"cn": "{{ cn }}"}')
    with pytest.raises(Exception, match="without \\| tojson"):
        template.render(cn="x")


def test_every_template_uses_tojson_for_each_output() -> None:
    for path in TEMPLATES_DIR.glob("*.j2"):
        text = path.read_text(encoding="utf-8")
        for chunk in text.split("{{")[1:]:
            expression = chunk.split("}}", 1)[0]
            assert "tojson" in expression, f"{path.name}: {{{{{expression}}}}} without tojson"


def test_settings_templates_render_their_shapes() -> None:
    assert render("crl_state.json.j2", enabled=True) == {"enabled": True}
    mapping = render(
        "attribute_mapping.json.j2", certificate_field="x509Subject", specifiers=["CN"]
    )
    assert mapping == {"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}]}
    settings = render("notification_settings.json.j2", ca_threshold=45, end_entity_threshold=30)
    assert [(s["event"], s["threshold"], s["enabled"]) for s in settings] == [
        ("CA_CERTIFICATE_EXPIRY", 45, True),
        ("END_ENTITY_CERTIFICATE_EXPIRY", 30, True),
    ]
