"""Resource states: created roles (a None state means "does not exist") and their API calls."""

from __future__ import annotations

import json
from typing import Any

import pytest

from remediations.model import Role
from remediations.state import (
    ApiCall,
    calls_to_reach,
    detailed_role_state,
    fingerprint,
    is_detailed,
    pending_profile_arn,
    pending_profile_name,
)

ARN = "arn:aws:iam::111122223333:role/ci/ra-new"
TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        }
    ],
}
INLINE = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
BOUNDARY = "arn:aws:iam::111122223333:policy/boundary"
MANAGED = ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::111122223333:policy/b"]


def created(**changes: Any) -> dict[str, Any]:
    role = Role(
        arn=ARN,
        name="ra-new",
        path="/ci/",
        trust_policy=TRUST,
        max_session_duration=7200,
        inline_policies=[("read", INLINE), ("broken", None)],
        attached_policy_arns=list(MANAGED),
        permissions_boundary_arn=BOUNDARY,
        tags={"team": "platform"},
    )
    for key, value in changes.items():
        setattr(role, key, value)
    return detailed_role_state(role)


def ops(calls: list[ApiCall]) -> list[str]:
    return [c.operation for c in calls]


def test_a_detailed_state_holds_what_a_copy_needs_and_skips_unreadable_policies() -> None:
    state = created()
    assert state["trustPolicy"] == TRUST
    assert state["create"] == {
        "path": "/ci/",
        "maxSessionDuration": 7200,
        "permissionsBoundary": BOUNDARY,
        "managedPolicyArns": sorted(MANAGED),
        "inlinePolicies": {"read": INLINE},
        "tags": {"team": "platform"},
    }
    assert created(max_session_duration=None)["create"]["maxSessionDuration"] == 3600


def test_creating_a_role_creates_it_then_attaches_and_puts_its_policies() -> None:
    calls = calls_to_reach("role", ARN, None, created())
    assert ops(calls) == ["CreateRole", "AttachRolePolicy", "AttachRolePolicy", "PutRolePolicy"]
    create = calls[0].params
    assert create["RoleName"] == "ra-new" and create["Path"] == "/ci/"
    assert json.loads(create["AssumeRolePolicyDocument"]) == TRUST
    assert create["MaxSessionDuration"] == 7200
    assert create["PermissionsBoundary"] == BOUNDARY
    assert create["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert sorted(c.params["PolicyArn"] for c in calls[1:3]) == sorted(MANAGED)
    assert json.loads(calls[3].params["PolicyDocument"]) == INLINE
    assert all(c.service == "iam" and c.region is None for c in calls)


def test_a_role_without_boundary_or_tags_is_created_without_them() -> None:
    calls = calls_to_reach(
        "role", ARN, None, created(permissions_boundary_arn=None, tags={}, inline_policies=[])
    )
    assert "PermissionsBoundary" not in calls[0].params and "Tags" not in calls[0].params
    assert ops(calls) == ["CreateRole", "AttachRolePolicy", "AttachRolePolicy"]


def test_deleting_a_created_role_empties_it_first() -> None:
    calls = calls_to_reach("role", ARN, created(), None)
    assert ops(calls) == ["DeleteRolePolicy", "DetachRolePolicy", "DetachRolePolicy", "DeleteRole"]
    assert calls[0].params == {"RoleName": "ra-new", "PolicyName": "read"}


def test_a_half_created_role_gets_only_what_is_missing() -> None:
    partial = created(inline_policies=[], attached_policy_arns=MANAGED[:1], tags={"old": "x"})
    partial["create"]["permissionsBoundary"] = None
    partial["create"]["maxSessionDuration"] = 3600
    calls = calls_to_reach("role", ARN, partial, created())
    assert ops(calls) == [
        "UpdateRole",
        "PutRolePermissionsBoundary",
        "AttachRolePolicy",
        "PutRolePolicy",
        "TagRole",
        "UntagRole",
    ]
    assert calls[2].params["PolicyArn"] == MANAGED[1]
    assert calls[5].params["TagKeys"] == ["old"]
    back = calls_to_reach("role", ARN, created(), partial)
    assert ops(back) == [
        "UpdateRole",
        "DeleteRolePermissionsBoundary",
        "DetachRolePolicy",
        "DeleteRolePolicy",
        "TagRole",
        "UntagRole",
    ]


def test_existing_role_states_keep_their_single_call() -> None:
    other = {**TRUST, "Version": "2008-10-17"}
    calls = calls_to_reach("role", ARN, {"trustPolicy": TRUST}, {"trustPolicy": other})
    assert ops(calls) == ["UpdateAssumeRolePolicy"]
    assert calls_to_reach("role", ARN, {"trustPolicy": TRUST}, {"trustPolicy": TRUST}) == []
    assert calls_to_reach("role", ARN, None, None) == []


@pytest.mark.parametrize("kind", ["trust-anchor", "crl"])
def test_only_roles_and_profiles_are_created_or_deleted(kind: str) -> None:
    with pytest.raises(ValueError, match="does not create or delete"):
        calls_to_reach(kind, "arn:aws:rolesanywhere:us-east-1:1:x/y", None, {"enabled": True})


def _new_profile() -> dict[str, object]:
    return {
        "enabled": True,
        "roleArns": ["arn:aws:iam::111122223333:role/ra-app-prod"],
        "managedPolicyArns": [],
        "sessionPolicy": {"Version": "2012-10-17", "Statement": []},
        "durationSeconds": 3600,
        "acceptRoleSessionName": False,
        "attributeMappings": [
            {"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}]}
        ],
    }


def test_a_profile_is_created_by_its_pending_name_then_its_mappings_narrowed() -> None:
    arn = pending_profile_arn("aws", "eu-west-1", "111122223333", "ra-team-prod")
    assert arn.endswith(":profile/new:ra-team-prod")
    assert pending_profile_name(arn) == "ra-team-prod"
    calls = calls_to_reach("profile", arn, None, _new_profile())
    ops = [(c.operation, c.params.get("certificateField")) for c in calls]
    assert ops[0] == ("CreateProfile", None)
    assert sorted(ops, key=str) == sorted(
        [
            ("CreateProfile", None),
            ("DeleteAttributeMapping", "x509Issuer"),
            ("DeleteAttributeMapping", "x509SAN"),
            ("PutAttributeMapping", "x509Subject"),
        ],
        key=str,
    )
    create = calls[0].params
    assert create["name"] == "ra-team-prod" and create["enabled"] is True
    assert create["durationSeconds"] == 3600 and create["acceptRoleSessionName"] is False
    assert json.loads(create["sessionPolicy"]) == _new_profile()["sessionPolicy"]
    assert all(c.region == "eu-west-1" for c in calls)
    assert all(c.params.get("profileId") == "new:ra-team-prod" for c in calls[1:])


def test_a_created_profile_is_deleted_on_rollback() -> None:
    arn = "arn:aws:rolesanywhere:eu-west-1:1:profile/new:ra-team-prod"
    calls = calls_to_reach("profile", arn, _new_profile(), None)
    assert [(c.operation, c.params) for c in calls] == [
        ("DeleteProfile", {"profileId": "new:ra-team-prod"})
    ]


def test_creating_a_profile_needs_a_pending_arn() -> None:
    real = "arn:aws:rolesanywhere:eu-west-1:1:profile/0b3e5f1e-0000-4000-8000-000000000000"
    assert pending_profile_name(real) is None
    with pytest.raises(ValueError, match="pending ARN"):
        calls_to_reach("profile", real, None, _new_profile())


def test_creating_needs_the_create_block() -> None:
    with pytest.raises(ValueError, match="'create' block"):
        calls_to_reach("role", ARN, None, {"trustPolicy": TRUST})


def test_not_existing_has_its_own_fingerprint_and_needs_a_detailed_read() -> None:
    assert fingerprint(None) != fingerprint({})
    assert fingerprint(None) == fingerprint(None)
    assert is_detailed("role", None, {"trustPolicy": TRUST})
    assert is_detailed("role", {"trustPolicy": TRUST}, created())
    assert not is_detailed("role", {"trustPolicy": TRUST}, {"trustPolicy": TRUST})
    assert not is_detailed("profile", None)
