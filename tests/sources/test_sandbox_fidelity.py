"""The sandbox follows IAM where moto's trust-policy check is stricter (an action wildcard),
only while a sandbox serves a request, and still refuses what IAM refuses."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto.iam.exceptions import MalformedPolicyDocument
from moto.iam.policy_validation import IAMTrustPolicyDocumentValidator

from remediations.sources.sandbox import fidelity


def _validate(action: Any) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": action,
            }
        ],
    }
    IAMTrustPolicyDocumentValidator(json.dumps(document)).validate()


@pytest.mark.parametrize("action", ["sts:*", "*", "sts:Assume*", "STS:tag?ession", ["sts:*"]])
def test_a_wildcard_iam_takes_is_accepted_while_a_sandbox_serves(action: Any) -> None:
    fidelity.install()
    with pytest.raises(MalformedPolicyDocument):
        _validate(action)  # moto's own check, outside a sandbox
    with fidelity.serving():
        _validate(action)


@pytest.mark.parametrize("action", ["s3:*", "iam:*", "sts:GetCallerIdent*x", "ec2:RunInstances"])
def test_what_iam_refuses_is_still_refused(action: str) -> None:
    fidelity.install()
    with fidelity.serving(), pytest.raises(MalformedPolicyDocument):
        _validate(action)


TRUST_ACTIONS: tuple[str, ...] = ("sts:AssumeRole", "sts:AssumeRoleWithSAML")
TRUST_ACTIONS += ("sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity", "sts:TagSession")


def _iam_takes(pattern: str) -> bool:
    """An independent oracle: the pattern as a regular expression, matched case-insensitively
    against the STS actions a trust policy may name."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return any(re.fullmatch(regex, a, flags=re.IGNORECASE) for a in TRUST_ACTIONS)


# Action syntax (one vendor prefix) is checked before the trust-policy list, by moto as by IAM.
ACTION_NAMES = st.text(alphabet="saAumeRolTgSincWth*?x3", min_size=1, max_size=14)


@given(st.one_of(st.just("*"), ACTION_NAMES.map("sts:{}".format)))
def test_inside_a_sandbox_a_wildcard_passes_exactly_when_it_names_a_trust_action(
    action: str,
) -> None:
    fidelity.install()
    if "*" not in action and "?" not in action and action not in TRUST_ACTIONS:
        return  # a named action: moto's own list decides, unchanged
    with fidelity.serving():
        if action in TRUST_ACTIONS or _iam_takes(action):
            _validate(action)
        else:
            with pytest.raises(MalformedPolicyDocument):
                _validate(action)
