"""Semantic and text diffs of resource states."""

from __future__ import annotations

import copy
from typing import Any

from remediations.diff import diff, normalize_policy, semantic_diff, text_diff

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
