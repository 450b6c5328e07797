"""API-shaped dicts -> model objects (remediations.sources.convert)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest

from remediations.model import SourceWarning
from remediations.sources.convert import (
    ShapeError,
    account_from_arn,
    anchor_from_api,
    crl_from_api,
    policy_from_api,
    profile_from_api,
    region_from_arn,
    role_from_api,
    subject_from_api,
    to_jsonable,
)
from tests.shared import ra_trust

ROLE_ARN = "arn:aws:iam::111122223333:role/team/ra-build"
TRUST = ra_trust("build")
INLINE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def gaad_role(**overrides: object) -> dict[str, object]:
    role: dict[str, object] = {
        "Path": "/team/",
        "RoleName": "ra-build",
        "RoleId": "AROAEXAMPLE",
        "Arn": ROLE_ARN,
        "CreateDate": "2024-01-02T03:04:05Z",
        "AssumeRolePolicyDocument": TRUST,
        "InstanceProfileList": [],
        "RolePolicyList": [{"PolicyName": "read", "PolicyDocument": INLINE}],
        "AttachedManagedPolicies": [
            {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
        ],
        "PermissionsBoundary": {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/boundary",
        },
        "Tags": [{"Key": "team", "Value": "platform"}],
        "RoleLastUsed": {"LastUsedDate": "2025-05-06T07:08:09Z", "Region": "eu-west-1"},
    }
    role.update(overrides)
    return role


def test_role_from_gaad_role_detail_reads_every_field() -> None:
    raw = gaad_role()
    role = role_from_api(raw)
    assert (role.arn, role.name, role.role_id, role.path) == (
        ROLE_ARN,
        "ra-build",
        "AROAEXAMPLE",
        "/team/",
    )
    assert role.trust_policy == TRUST and role.trust_policy_error is None
    assert role.inline_policies == [("read", INLINE)]
    assert role.attached_policy_arns == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert role.permissions_boundary_arn == "arn:aws:iam::111122223333:policy/boundary"
    assert role.tags == {"team": "platform"}
    assert role.last_used == "2025-05-06T07:08:09Z"
    assert role.max_session_duration is None  # GAAD does not carry it
    assert role.raw is raw


def test_role_from_list_roles_shape_has_max_session_duration() -> None:
    raw = {
        "RoleName": "r",
        "Arn": ROLE_ARN,
        "AssumeRolePolicyDocument": TRUST,
        "MaxSessionDuration": 7200,
    }
    role = role_from_api(raw)
    assert role.max_session_duration == 7200
    assert role.inline_policies == [] and role.attached_policy_arns == []


@pytest.mark.parametrize(
    "encoded",
    [json.dumps(TRUST), quote(json.dumps(TRUST)), quote(json.dumps(TRUST), safe="")],
    ids=["json-string", "url-encoded", "url-encoded-all"],
)
def test_trust_policy_as_string_is_decoded(encoded: str) -> None:
    assert role_from_api(gaad_role(AssumeRolePolicyDocument=encoded)).trust_policy == TRUST


def test_malformed_trust_policy_sets_error_and_keeps_the_role() -> None:
    role = role_from_api(
        gaad_role(AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": [')
    )
    assert role.trust_policy is None
    assert role.trust_policy_error and "not valid JSON" in role.trust_policy_error
    assert role.inline_policies == [("read", INLINE)]


def test_malformed_inline_policy_is_none_with_a_warning() -> None:
    warnings: list[SourceWarning] = []
    role = role_from_api(
        gaad_role(RolePolicyList=[{"PolicyName": "bad", "PolicyDocument": "[1, 2]"}]), warnings
    )
    assert role.inline_policies == [("bad", None)]
    assert (
        len(warnings) == 1 and "bad" in warnings[0].message and warnings[0].resource_arn == ROLE_ARN
    )


def test_role_without_arn_is_a_shape_error() -> None:
    with pytest.raises(ShapeError, match="no Arn"):
        role_from_api({"RoleName": "x"})
    with pytest.raises(ShapeError, match="not an ARN"):
        role_from_api({"RoleName": "x", "Arn": "role/x"})


def test_fields_of_the_wrong_type_are_ignored_not_stringified() -> None:
    arn = "arn:aws:rolesanywhere:us-east-1:111122223333:profile/p"
    profile = profile_from_api(
        {
            "profileArn": arn,
            "roleArns": [ROLE_ARN, 5, {}],
            "managedPolicyArns": True,
            "durationSeconds": True,
        }
    )
    assert profile.role_arns == [ROLE_ARN] and profile.managed_policy_arns == []
    assert profile.duration_seconds is None
    role = role_from_api(
        gaad_role(AttachedManagedPolicies=[{"PolicyArn": 1}], MaxSessionDuration="3600")
    )
    assert role.attached_policy_arns == [] and role.max_session_duration is None


def test_policy_document_is_the_default_version() -> None:
    old = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
    }
    raw: dict[str, Any] = {
        "PolicyName": "p",
        "Arn": "arn:aws:iam::111122223333:policy/p",
        "DefaultVersionId": "v2",
        "PolicyVersionList": [
            {"Document": old, "VersionId": "v1", "IsDefaultVersion": False},
            {"Document": quote(json.dumps(INLINE)), "VersionId": "v2", "IsDefaultVersion": True},
        ],
    }
    policy = policy_from_api(raw)
    assert (policy.name, policy.document) == ("p", INLINE)
    # Without IsDefaultVersion flags, DefaultVersionId decides.
    for version in raw["PolicyVersionList"]:
        del version["IsDefaultVersion"]
    assert policy_from_api(raw).document == INLINE


def test_anchor_certificate_bundle_and_acm_pca() -> None:
    arn = "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/abc"
    bundle = anchor_from_api(
        {
            "trustAnchorArn": arn,
            "trustAnchorId": "abc",
            "name": "corp-ca",
            "enabled": False,
            "source": {
                "sourceType": "CERTIFICATE_BUNDLE",
                "sourceData": {"x509CertificateData": "PEM"},
            },
            "notificationSettings": [
                {"event": "CA_CERTIFICATE_EXPIRY", "threshold": 45, "enabled": True}
            ],
            "createdAt": "2024-01-01T00:00:00Z",
        }
    )
    assert (bundle.region, bundle.enabled, bundle.source_type) == (
        "eu-west-1",
        False,
        "CERTIFICATE_BUNDLE",
    )
    assert bundle.certificate_pem == "PEM" and bundle.acm_pca_arn is None
    assert bundle.notification_settings[0]["threshold"] == 45
    assert bundle.created_at == "2024-01-01T00:00:00Z"
    pca = anchor_from_api(
        {
            "trustAnchorArn": arn,
            "source": {"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": "arn:pca"}},
        }
    )
    assert (pca.acm_pca_arn, pca.certificate_pem, pca.anchor_id, pca.enabled) == (
        "arn:pca",
        None,
        "abc",
        True,
    )


def test_profile_fields_and_absent_defaults() -> None:
    arn = "arn:aws:rolesanywhere:us-east-1:111122223333:profile/p1"
    session = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}'
    )
    profile = profile_from_api(
        {
            "profileArn": arn,
            "profileId": "p1",
            "name": "Read Only",
            "roleArns": [ROLE_ARN],
            "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            "sessionPolicy": session,
            "durationSeconds": 900,
            "acceptRoleSessionName": True,
            "requireInstanceProperties": True,
            "attributeMappings": [
                {"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}]}
            ],
        }
    )
    assert profile.session_policy_text == session
    assert profile.session_policy == json.loads(session)
    assert (profile.duration_seconds, profile.accept_role_session_name) == (900, True)
    assert profile.require_instance_properties and profile.region == "us-east-1"
    assert (
        profile.attribute_mappings
        and profile.attribute_mappings[0]["certificateField"] == "x509Subject"
    )
    bare = profile_from_api({"profileArn": arn})
    assert bare.duration_seconds is None and bare.attribute_mappings is None
    assert bare.session_policy is None and bare.session_policy_text is None and bare.enabled


def test_malformed_session_policy_sets_error() -> None:
    arn = "arn:aws:rolesanywhere:us-east-1:111122223333:profile/p1"
    profile = profile_from_api({"profileArn": arn, "sessionPolicy": "{not json"})
    assert profile.session_policy is None and profile.session_policy_text == "{not json"
    assert profile.session_policy_error and "not valid JSON" in profile.session_policy_error


def test_crl_data_from_cli_base64_and_from_pem() -> None:
    arn = "arn:aws:rolesanywhere:us-east-1:111122223333:crl/c1"
    der = b"\x30\x82\x01\x00binary"
    crl = crl_from_api(
        {
            "crlArn": arn,
            "name": "crl",
            "enabled": False,
            "trustAnchorArn": "arn:ta",
            "crlData": base64.b64encode(der).decode(),
        }
    )
    assert (crl.crl_data, crl.enabled, crl.trust_anchor_arn, crl.crl_id) == (
        der,
        False,
        "arn:ta",
        "c1",
    )
    pem = "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"
    assert crl_from_api({"crlArn": arn, "crlData": pem}).crl_data == pem.encode()


def test_subject() -> None:
    arn = "arn:aws:rolesanywhere:ap-south-1:111122223333:subject/s1"
    subject = subject_from_api(
        {"subjectArn": arn, "x509Subject": "CN=Zoë 🚀,OU=R&D", "lastSeenAt": "2025-01-01T00:00:00Z"}
    )
    assert (subject.region, subject.x509_subject, subject.subject_id) == (
        "ap-south-1",
        "CN=Zoë 🚀,OU=R&D",
        "s1",
    )


def test_to_jsonable_matches_cli_output() -> None:
    value = {
        "createdAt": datetime(2024, 5, 6, 9, 8, 7, tzinfo=timezone(timedelta(hours=2))),
        "naive": datetime(2024, 5, 6, 7, 8, 7, 123000),
        "crlData": b"\x00\xffA",
        "nested": ({"when": datetime(2020, 1, 1, tzinfo=UTC)},),
        "n": 3,
    }
    out = to_jsonable(value)
    assert out == {
        "createdAt": "2024-05-06T07:08:07Z",
        "naive": "2024-05-06T07:08:07.123000Z",
        "crlData": base64.b64encode(b"\x00\xffA").decode(),
        "nested": [{"when": "2020-01-01T00:00:00Z"}],
        "n": 3,
    }
    json.dumps(out)  # JSON-ready


@pytest.mark.parametrize(
    ("arn", "region", "account"),
    [
        (ROLE_ARN, "global", "111122223333"),
        ("arn:aws:iam::aws:policy/ReadOnlyAccess", "global", None),
        (
            "arn:aws-cn:rolesanywhere:cn-north-1:111122223333:profile/x",
            "cn-north-1",
            "111122223333",
        ),
        ("not-an-arn", "global", None),
    ],
)
def test_region_and_account_from_arn(arn: str, region: str, account: str | None) -> None:
    assert region_from_arn(arn) == region
    assert account_from_arn(arn) == account
