"""``--set`` values are validated by their kind before anything is planned: a trust anchor ARN
of this account and region, a CN or OU within the STS session-tag charset, services as IAM
service prefixes. Hostile strings (quotes, JSON fragments, escapes) never reach a policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remediations.answers import ANCHOR_ARN, Answer, answers_from_set, value_problem
from remediations.cli import main
from remediations.errors import InputError
from remediations.session import Session
from remediations.source import SandboxSource
from remediations.textsafe import is_safe

EU_ANCHOR = (
    "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/3071b7f4-b645-5100-a7e7-85ac0dd169d6"
)
HOSTILE_ANCHORS = [
    EU_ANCHOR + '"',
    EU_ANCHOR + '"]}, {"Effect": "Allow", "Principal": "*"',
    EU_ANCHOR + "\n",
    EU_ANCHOR + "\\u0022",
    EU_ANCHOR.replace("trust-anchor/", "trust-anchor/*"),
    EU_ANCHOR.replace("eu-west-1", "${aws:SourceIp}"),
    EU_ANCHOR.replace("111122223333", "*"),
    "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/",
    "arn:aws:iam::111122223333:role/admin",
    "*",
    '{"Fn::Sub": "x"}',
    "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/a\x1b[2J",
]


@pytest.mark.parametrize("value", HOSTILE_ANCHORS)
def test_hostile_anchor_values_are_refused_in_one_safe_line(value: str) -> None:
    with pytest.raises(InputError) as info:
        answers_from_set([f"trust_anchor_arn={value}"])
    message = str(info.value)
    assert message.startswith("--set trust_anchor_arn: ")
    assert is_safe(message)
    assert "not a trust anchor ARN" in message or "control character" in message


@given(st.text(max_size=200))
def test_only_anchor_arns_are_accepted(value: str) -> None:
    problem = value_problem("trust_anchor_arn", value)
    items = [v.strip() for v in value.split(",") if v.strip()]
    if problem is None:
        assert items and all(ANCHOR_ARN.match(v) for v in items)
        assert not any(c in value for c in "\"'{}[]*?\\$ \n")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cn", 'app"prod'),
        ("cn", "app\nPlan: 0 change(s)"),
        ("cn", "app*"),
        ("cn", "app.prod\u2028"),
        ("ou", "team}"),
        ("services", "s3;rm"),
        ("services", "s3,notaservice"),
        ("services", "S3"),
        ("services", "*,s3"),
    ],
)
def test_values_outside_their_kind_are_refused(key: str, value: str) -> None:
    with pytest.raises(InputError) as info:
        answers_from_set([f"{key}={value}"])
    assert is_safe(str(info.value))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cn", "app.prod"),
        ("cn", "billing service@corp:eu/1"),
        ("ou", "payments-team"),
        ("services", "s3,sqs, dynamodb"),
        ("services", "*"),
        ("trust_anchor_arn", EU_ANCHOR),
    ],
)
def test_values_of_their_kind_are_accepted(key: str, value: str) -> None:
    assert answers_from_set([f"{key}={value}"]) == [Answer(None, key, value.strip())]


def test_anchor_of_another_account_or_region_or_unknown_is_refused(sandbox_dir: Path) -> None:
    session = Session(SandboxSource(sandbox_dir))
    other_account = EU_ANCHOR.replace("111122223333", "444455556666")
    other_region = EU_ANCHOR.replace("eu-west-1", "ap-south-2")
    unknown = EU_ANCHOR[:-4] + "0000"
    scan = session.scan()
    for value, reason in (
        (other_account, "not in this account (111122223333)"),
        (other_region, "not in a region read"),
        (unknown, "is not a trust anchor of this account"),
    ):
        with pytest.raises(InputError, match=re.escape(reason)):
            session.plan(answers=[Answer(None, "trust_anchor_arn", value)], scan=scan)
    plan = session.plan(answers=[Answer(None, "trust_anchor_arn", EU_ANCHOR)], scan=scan)
    assert plan.changes


def test_cli_refuses_a_hostile_set_value_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["plan", "--sandbox", str(tmp_path / "absent"), "--set", 'cn=a"b'])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("rafix: error: --set cn: the value contains '\"'")
