"""The Roles Anywhere emulator, driven through real boto3 clients on a sandbox."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from remediations.sources.sandbox import open_sandbox
from remediations.sources.sandbox.account import SandboxSession
from remediations.sources.sandbox.emulator import RolesAnywhereEmulator, compile_routes
from remediations.sources.sandbox.operations import OPERATIONS
from tests.pki import NOW, make_ca, make_crl

MODEL = botocore.session.get_session().get_service_model("rolesanywhere")
REGION = "eu-west-1"


@pytest.fixture
def account(sandbox_dir: Path) -> Iterator[SandboxSession]:
    with open_sandbox(sandbox_dir) as session:
        yield session


@pytest.fixture
def validated(account: SandboxSession) -> list[str]:
    """Every parsed Roles Anywhere response is checked against its output shape."""
    checked: list[str] = []

    def check(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.output_shape is None or "Error" in parsed:
            return
        body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        report = ParamValidator().validate(body, model.output_shape)
        assert not report.has_errors(), f"{model.name}: {report.generate_report()}"
        checked.append(model.name)

    account.events.register("after-call.rolesanywhere", check)
    return checked


def _ra(account: SandboxSession, region: str = REGION) -> Any:
    return account.client("rolesanywhere", region)


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    error = exc.value.response
    return str(error["Error"]["Code"]), int(error["ResponseMetadata"]["HTTPStatusCode"])


def test_every_model_operation_has_a_route_and_a_handler() -> None:
    routes = compile_routes(MODEL)
    assert {r.operation.name for r in routes} == set(MODEL.operation_names)
    assert set(OPERATIONS) == set(MODEL.operation_names)
    emulator = RolesAnywhereEmulator("111122223333", MODEL)
    for name in MODEL.operation_names:
        http = MODEL.operation_model(name).http
        path = re.sub(r"\{[^}]+\}", "some-id", http["requestUri"].split("?")[0])
        op, params = emulator.route(http["method"], path)
        assert op.name == name
        assert all(v == "some-id" for v in params.values())


def test_unknown_path_is_a_validation_error() -> None:
    emulator = RolesAnywhereEmulator("111122223333", MODEL)
    status, headers, body = emulator.handle(REGION, "GET", "/nope", "", b"")
    assert (status, headers["x-amzn-ErrorType"]) == (400, "ValidationException")
    assert "GET /nope" in json.loads(body)["message"]


def test_trust_anchor_lifecycle_with_service_defaults(
    account: SandboxSession, validated: list[str]
) -> None:
    _anchor_lifecycle(account)
    assert {"CreateTrustAnchor", "PutNotificationSettings", "ImportCrl", "GetCrl"} <= set(validated)


def test_profile_lifecycle_mappings_and_tags(account: SandboxSession, validated: list[str]) -> None:
    _profile_lifecycle(account)
    assert {"UpdateProfile", "DeleteAttributeMapping", "ListTagsForResource"} <= set(validated)


def test_list_and_get_of_seeded_resources_match_their_output_shapes(
    account: SandboxSession, validated: list[str]
) -> None:
    _list_and_get(account)
    assert validated.count("ListSubjects") == 2


def test_every_operation_answers_in_its_output_shape(
    account: SandboxSession, validated: list[str]
) -> None:
    _anchor_lifecycle(account)
    _profile_lifecycle(account)
    _list_and_get(account)
    assert set(validated) == set(MODEL.operation_names)


def _anchor_lifecycle(account: SandboxSession) -> None:
    ra = _ra(account)
    ca = make_ca("Test CA")
    pem = ca.pem
    source = {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": pem}}
    anchor = ra.create_trust_anchor(name="test-ca", source=source)["trustAnchor"]
    assert anchor["enabled"] is False
    assert isinstance(anchor["createdAt"], dt.datetime)
    assert anchor["trustAnchorArn"].startswith(f"arn:aws:rolesanywhere:{REGION}:111122223333:")
    events = {
        (n["event"], n["threshold"], n["configuredBy"]) for n in anchor["notificationSettings"]
    }
    assert events == {
        ("CA_CERTIFICATE_EXPIRY", 45, "rolesanywhere.amazonaws.com"),
        ("END_ENTITY_CERTIFICATE_EXPIRY", 45, "rolesanywhere.amazonaws.com"),
    }
    ident = anchor["trustAnchorId"]
    assert ra.enable_trust_anchor(trustAnchorId=ident)["trustAnchor"]["enabled"] is True
    put = ra.put_notification_settings(
        trustAnchorId=ident,
        notificationSettings=[{"enabled": True, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 90}],
    )["trustAnchor"]["notificationSettings"]
    ca_setting = next(n for n in put if n["event"] == "CA_CERTIFICATE_EXPIRY")
    assert (ca_setting["threshold"], ca_setting["configuredBy"]) == (90, "111122223333")
    reset = ra.reset_notification_settings(
        trustAnchorId=ident,
        notificationSettingKeys=[{"event": "CA_CERTIFICATE_EXPIRY", "channel": "ALL"}],
    )["trustAnchor"]["notificationSettings"]
    assert next(n for n in reset if n["event"] == "CA_CERTIFICATE_EXPIRY")["threshold"] == 45
    crl = ra.import_crl(
        name="test-crl",
        crlData=make_crl(ca, NOW + dt.timedelta(days=30)),
        trustAnchorArn=anchor["trustAnchorArn"],
    )["crl"]
    assert crl["crlData"].startswith(b"-----BEGIN X509 CRL-----")
    assert ra.enable_crl(crlId=crl["crlId"])["crl"]["enabled"] is True
    assert ra.disable_crl(crlId=crl["crlId"])["crl"]["enabled"] is False
    ra.enable_crl(crlId=crl["crlId"])
    assert ra.update_crl(crlId=crl["crlId"], name="renamed")["crl"]["name"] == "renamed"
    assert ra.get_crl(crlId=crl["crlId"])["crl"]["enabled"] is True
    ra.delete_crl(crlId=crl["crlId"])
    assert ra.disable_trust_anchor(trustAnchorId=ident)["trustAnchor"]["enabled"] is False
    ra.update_trust_anchor(trustAnchorId=ident, name="renamed-ca")
    assert ra.get_trust_anchor(trustAnchorId=ident)["trustAnchor"]["name"] == "renamed-ca"
    ra.delete_trust_anchor(trustAnchorId=ident)
    with pytest.raises(ClientError) as exc:
        ra.get_trust_anchor(trustAnchorId=ident)
    assert _code(exc) == ("ResourceNotFoundException", 404)


def _profile_lifecycle(account: SandboxSession) -> None:
    ra = _ra(account)
    role = "arn:aws:iam::111122223333:role/ra-payments-batch-prod"
    profile = ra.create_profile(name="p1", roleArns=[role], tags=[{"key": "team", "value": "a"}])[
        "profile"
    ]
    assert (profile["durationSeconds"], profile["acceptRoleSessionName"]) == (3600, False)
    assert "sessionPolicy" not in profile
    fields = [m["certificateField"] for m in profile["attributeMappings"]]
    assert fields == ["x509Issuer", "x509SAN", "x509Subject"]
    pid, arn = profile["profileId"], profile["profileArn"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    updated = ra.update_profile(profileId=pid, sessionPolicy=policy, durationSeconds=900)["profile"]
    assert (updated["sessionPolicy"], updated["durationSeconds"]) == (policy, 900)
    mapped = ra.put_attribute_mapping(
        profileId=pid, certificateField="x509Subject", mappingRules=[{"specifier": "CN"}]
    )["profile"]["attributeMappings"]
    assert {"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}]} in mapped
    san = ra.delete_attribute_mapping(profileId=pid, certificateField="x509SAN", specifiers=["DNS"])
    san_rules = next(
        m for m in san["profile"]["attributeMappings"] if m["certificateField"] == "x509SAN"
    )["mappingRules"]
    assert san_rules == [{"specifier": "URI"}, {"specifier": "Name/*"}]
    dropped = ra.delete_attribute_mapping(profileId=pid, certificateField="x509Issuer")["profile"]
    assert "x509Issuer" not in {m["certificateField"] for m in dropped["attributeMappings"]}
    assert ra.enable_profile(profileId=pid)["profile"]["enabled"] is True
    assert ra.disable_profile(profileId=pid)["profile"]["enabled"] is False
    ra.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "prod"}])
    ra.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert ra.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "prod"}]
    assert ra.get_profile(profileId=pid)["profile"]["name"] == "p1"
    ra.delete_profile(profileId=pid)
    with pytest.raises(ClientError) as exc:
        ra.list_tags_for_resource(resourceArn=arn)
    assert _code(exc) == ("ResourceNotFoundException", 404)


def _list_and_get(account: SandboxSession) -> None:
    for region in ("eu-west-1", "us-east-1"):
        ra = _ra(account, region)
        ra.list_trust_anchors()
        ra.list_profiles()
        ra.list_crls()
        subjects = ra.list_subjects()["subjects"]
        subject = ra.get_subject(subjectId=subjects[0]["subjectId"])["subject"]
        assert subject["credentials"] == []
        assert isinstance(subject["lastSeenAt"], dt.datetime)


@pytest.mark.parametrize(
    ("call", "params"),
    [
        ("update_profile", {"durationSeconds": 50000}),  # the model's max, not checked by boto3
        ("update_profile", {"sessionPolicy": "not json"}),
        ("put_attribute_mapping", {"certificateField": "x509Nope", "mappingRules": []}),
    ],
)
def test_server_side_validation(account: SandboxSession, call: str, params: dict[str, Any]) -> None:
    ra = _ra(account)
    pid = ra.list_profiles()["profiles"][0]["profileId"]
    with pytest.raises(ClientError) as exc:
        getattr(ra, call)(profileId=pid, **params)
    assert _code(exc) == ("ValidationException", 400)


def test_bad_crl_and_foreign_anchor_are_refused(account: SandboxSession) -> None:
    ra = _ra(account)
    anchor = ra.list_trust_anchors()["trustAnchors"][0]["trustAnchorArn"]
    with pytest.raises(ClientError) as exc:
        ra.import_crl(name="x", crlData=b"not a crl", trustAnchorArn=anchor)
    assert _code(exc) == ("ValidationException", 400)
    foreign = anchor.replace("111122223333", "999999999999")
    with pytest.raises(ClientError) as exc:
        ra.import_crl(name="x", crlData=b"x", trustAnchorArn=foreign)
    assert _code(exc) == ("ValidationException", 400)


def test_pagination_with_next_token(account: SandboxSession) -> None:
    ra = _ra(account, "ap-south-1")
    role = "arn:aws:iam::111122223333:role/ra-payments-batch-prod"
    names = [f"p{i:02d}" for i in range(7)]
    for name in names:
        ra.create_profile(name=name, roleArns=[role])
    first = ra.list_profiles(pageSize=3)
    assert len(first["profiles"]) == 3 and first["nextToken"]
    pages = list(ra.get_paginator("list_profiles").paginate(pageSize=3))
    assert [len(p["profiles"]) for p in pages] == [3, 3, 1]
    assert "nextToken" not in pages[-1]
    assert [p["name"] for page in pages for p in page["profiles"]] == names
    with pytest.raises(ClientError) as exc:
        ra.list_profiles(nextToken="garbage-token")
    assert _code(exc) == ("ValidationException", 400)


def test_regions_are_separate(account: SandboxSession) -> None:
    eu = {p["profileArn"] for p in _ra(account, "eu-west-1").list_profiles()["profiles"]}
    us = {p["profileArn"] for p in _ra(account, "us-east-1").list_profiles()["profiles"]}
    assert eu and us and not eu & us
    assert all(":eu-west-1:" in arn for arn in eu)
    assert _ra(account, "sa-east-1").list_profiles()["profiles"] == []


def test_injected_access_denied_is_the_modeled_error(account: SandboxSession) -> None:
    account.faults.inject("access-denied", service="rolesanywhere", operation="ListCrls")
    with pytest.raises(ClientError) as exc:
        _ra(account).list_crls()
    assert _code(exc) == ("AccessDeniedException", 403)
    assert _ra(account).list_crls()["crls"]  # the fault fired once (times=1)


def test_state_persists_across_open_and_close(sandbox_dir: Path) -> None:
    role = "arn:aws:iam::111122223333:role/ra-legacy-backup"
    with open_sandbox(sandbox_dir) as account:
        ra = _ra(account)
        profile = ra.list_profiles()["profiles"][0]
        ra.disable_profile(profileId=profile["profileId"])
        ra.tag_resource(resourceArn=profile["profileArn"], tags=[{"key": "k", "value": "v"}])
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                    "Condition": {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "backup"}},
                }
            ],
        }
        account.client("iam").update_assume_role_policy(
            RoleName="ra-legacy-backup", PolicyDocument=json.dumps(trust)
        )
    state = json.loads((sandbox_dir / "state" / "iam.json").read_text())
    saved = next(r for r in state["RoleDetailList"] if r["Arn"] == role)
    assert saved["AssumeRolePolicyDocument"] == trust
    assert saved["MaxSessionDuration"] == 3600
    with open_sandbox(sandbox_dir) as again:
        ra = _ra(again)
        reread = ra.get_profile(profileId=profile["profileId"])["profile"]
        assert reread["enabled"] is False
        assert reread["createdAt"] == profile["createdAt"]
        tags = ra.list_tags_for_resource(resourceArn=profile["profileArn"])["tags"]
        assert {"key": "k", "value": "v"} in tags
        doc = again.client("iam").get_role(RoleName="ra-legacy-backup")["Role"]
        assert doc["AssumeRolePolicyDocument"] == trust


def test_reading_only_leaves_the_state_files_untouched(sandbox_dir: Path) -> None:
    before = {p.name: p.read_bytes() for p in (sandbox_dir / "state").iterdir()}
    with open_sandbox(sandbox_dir) as account:
        _ra(account).list_profiles()
        account.client("iam").list_roles()
    after = {p.name: p.read_bytes() for p in (sandbox_dir / "state").iterdir()}
    assert after == before
