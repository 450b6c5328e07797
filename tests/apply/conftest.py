"""The moto account the write-path tests apply to (fixture ``account``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.builders import ROLES, MotoAccount, trust_policy


@pytest.fixture
def account() -> Iterator[MotoAccount]:
    with mock_aws():
        acct = MotoAccount()
        iam = acct.client("iam")
        for name in ROLES:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy()))
        yield acct
