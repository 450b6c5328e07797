"""The live reader (remediations.sources.aws), run against sandbox accounts through real boto3."""

from __future__ import annotations

import math
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from remediations.errors import SourceError
from remediations.sources import aws, aws_session
from remediations.sources.aws import read_account, read_live_inventory
from remediations.sources.aws_session import AccountSession
from remediations.sources.sandbox import open_sandbox
from remediations.sources.sandbox.emulator import seed_record

ACCOUNT = "111122223333"


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three attempts and no back-off sleeps, so that exhausting retries takes no time."""
    monkeypatch.setattr(aws_session, "RETRIES", {"mode": "standard", "max_attempts": 3})
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)


def _count_calls(session: AccountSession) -> Counter[tuple[str, str]]:
    calls: Counter[tuple[str, str]] = Counter()

    def count(model: Any, context: Any, **_: Any) -> None:
        calls[(model.name, context.get("client_region") or "")] += 1

    session.events.register("before-call", count)
    return calls


def test_reads_the_demo_account(sandbox_dir: Path) -> None:
    with open_sandbox(sandbox_dir) as session:
        inventory = read_account(session)
    assert inventory.account_id == ACCOUNT
    assert inventory.origin == f"sandbox:{sandbox_dir}"
    assert inventory.regions == ["eu-west-1", "us-east-1"]
    assert len(inventory.roles) == 12 and len(inventory.trust_anchors) == 3
    assert len(inventory.profiles) == 8 and len(inventory.crls) == 2
    assert {"iam", "max_session_duration", "rolesanywhere", "crls", "subjects"} <= (
        inventory.coverage
    )
    admin = inventory.roles[f"arn:aws:iam::{ACCOUNT}:role/ra-ops-admin"]
    assert admin.max_session_duration == 43200  # from ListRoles: GAAD lacks it
    assert admin.attached_policy_arns == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    assert admin.trust_policy and admin.trust_policy["Statement"][0]["Sid"] == "OpsLaptops"
    crl = next(c for c in inventory.crls.values() if c.enabled)
    assert crl.crl_data and crl.crl_data.startswith(b"-----BEGIN X509 CRL-----")
    assert not inventory.warnings


def test_api_calls_are_the_pagination_floor(sandbox_dir: Path) -> None:
    regions = ["eu-west-1", "us-east-1"]
    with open_sandbox(sandbox_dir) as session:
        emulator = session.emulator
        for i in range(1234):  # three pages of 500 in eu-west-1
            profile_id = f"00000000-0000-4000-8000-{i:012d}"
            arn = f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/{profile_id}"
            seed_record(emulator, "profiles", {"profileArn": arn, "name": f"bulk-{i}"})
        sizes = {
            (op, region): len(getattr(emulator.regions[region], attr))
            for region in regions
            for op, attr in (
                ("ListTrustAnchors", "anchors"),
                ("ListProfiles", "profiles"),
                ("ListCrls", "crls"),
                ("ListSubjects", "subjects"),
            )
        }
        calls = _count_calls(session)
        inventory = read_account(session)
    assert (
        len(inventory.profiles)
        == sizes[("ListProfiles", "eu-west-1")] + sizes[("ListProfiles", "us-east-1")]
    )
    expected = {key: max(1, math.ceil(n / aws_session.RA_PAGE_SIZE)) for key, n in sizes.items()}
    assert expected[("ListProfiles", "eu-west-1")] == 3
    ra_calls = {key: n for key, n in calls.items() if key[0] in {k[0] for k in expected}}
    assert ra_calls == expected
    other_calls = {op: n for (op, _), n in calls.items() if (op, _) not in expected}
    # One DescribeCertificateAuthority per ACM PCA behind a trust anchor (its key algorithm).
    pcas = {a.acm_pca_arn for a in inventory.trust_anchors.values() if a.acm_pca_arn}
    assert pcas
    assert other_calls == {
        "GetAccountAuthorizationDetails": 1,
        "ListRoles": 1,
        "DescribeCertificateAuthority": len(pcas),
    }


def test_regions_are_read_in_parallel(sandbox_dir: Path) -> None:
    regions = ["eu-west-1", "us-east-1", "ap-south-1"]
    # Each region's first call waits until every region has started: a sequential reader
    # would break the barrier (timeout) and fail the read.
    barrier = threading.Barrier(len(regions), timeout=10)
    started: set[str] = set()
    lock = threading.Lock()

    def rendezvous(context: Any, **_: Any) -> None:
        region = context.get("client_region")
        with lock:
            first = region not in started
            started.add(region)
        if first:
            barrier.wait()

    with open_sandbox(sandbox_dir, regions) as session:
        session.events.register("before-call.rolesanywhere", rendezvous)
        inventory = read_account(session)
    assert started == set(regions)
    assert inventory.regions == regions
    assert not barrier.broken


def test_access_denied_in_one_region_is_a_warning_naming_the_action(sandbox_dir: Path) -> None:
    with open_sandbox(sandbox_dir) as session:
        session.faults.inject("access-denied", operation="ListCrls", region="eu-west-1", times=1000)
        inventory = read_account(session)
    assert [w.where for w in inventory.warnings] == ["rolesanywhere:ListCrls in eu-west-1"]
    assert "access denied" in str(inventory.warnings[0])
    assert "crls" not in inventory.coverage  # half a picture: no absence-based CRL checks
    assert {"rolesanywhere", "subjects", "iam"} <= inventory.coverage
    assert not inventory.crls
    assert any(p.region == "eu-west-1" for p in inventory.profiles.values())
    assert any(p.region == "us-east-1" for p in inventory.profiles.values())


def test_iam_access_denied_keeps_roles_anywhere(sandbox_dir: Path) -> None:
    with open_sandbox(sandbox_dir) as session:
        session.faults.inject("access-denied", service="iam", times=1000)
        inventory = read_account(session)
    wheres = sorted(w.where for w in inventory.warnings)
    assert wheres == ["iam:GetAccountAuthorizationDetails", "iam:ListRoles"]
    assert not inventory.roles and "iam" not in inventory.coverage
    assert len(inventory.profiles) == 8


def test_throttling_within_the_retries_is_absorbed(sandbox_dir: Path, fast_retries: None) -> None:
    with open_sandbox(sandbox_dir) as session:
        session.faults.inject("throttle", operation="ListProfiles", region="us-east-1", times=2)
        inventory = read_account(session)
        attempts = session.faults.count("rolesanywhere", "ListProfiles")
    assert len(inventory.profiles) == 8 and not inventory.warnings
    assert attempts == 2 + 2  # eu-west-1 once; us-east-1 twice throttled, then served


def test_throttling_that_outlasts_the_retries_is_one_clear_error(
    sandbox_dir: Path, fast_retries: None
) -> None:
    with open_sandbox(sandbox_dir) as session:
        session.faults.inject("throttle", operation="ListCrls", times=1000)
        with pytest.raises(SourceError, match=r"rolesanywhere:ListCrls in .*throttled"):
            read_account(session)


def test_dropped_connection_is_retried(sandbox_dir: Path, fast_retries: None) -> None:
    with open_sandbox(sandbox_dir) as session:
        session.faults.inject("drop", service="iam", operation="ListRoles")
        inventory = read_account(session)
    assert inventory.roles[f"arn:aws:iam::{ACCOUNT}:role/ra-ops-admin"].max_session_duration


def test_region_discovery_intersects_availability_with_enabled_regions(
    sandbox_dir: Path,
) -> None:
    with open_sandbox(sandbox_dir) as sandbox:
        live_like = AccountSession(boto_session=sandbox.boto_session)
        regions = live_like.regions()
        available = set(sandbox.boto_session.get_available_regions("rolesanywhere"))
        assert regions and set(regions) <= available
        assert {"eu-west-1", "us-east-1"} <= set(regions)
        sandbox.faults.inject("access-denied", service="ec2", operation="DescribeRegions")
        warnings: list[Any] = []
        fallback = AccountSession(boto_session=sandbox.boto_session).regions(warnings)
        live_like.close()
    assert set(fallback) == aws_session.NO_OPT_IN_REGIONS & available
    assert [w.where for w in warnings] == ["ec2:DescribeRegions"]
    assert AccountSession(regions=["eu-west-1", "eu-west-1"]).regions() == ["eu-west-1"]


def test_a_region_without_roles_anywhere_is_refused() -> None:
    with pytest.raises(SourceError, match="--region eu-nowhere-1: Roles Anywhere is not"):
        AccountSession(regions=["eu-west-1", "eu-nowhere-1"]).regions()
    custom = AccountSession(regions=["lab-1"], endpoint_url="http://localhost:4566")
    assert custom.regions() == ["lab-1"]


def test_a_malformed_endpoint_url_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with pytest.raises(SourceError, match="client"):
        read_live_inventory(regions=["eu-west-1"], endpoint_url="not a url")


def test_no_credentials_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with pytest.raises(SourceError, match="no AWS credentials"):
        read_live_inventory(regions=["eu-west-1"])


def test_unknown_profile_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    with pytest.raises(SourceError, match="cannot start an AWS session"):
        read_live_inventory(profile="no-such-profile", regions=["eu-west-1"])


def test_unreachable_endpoint_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, fast_retries: None
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with pytest.raises(SourceError, match="cannot reach the endpoint"):
        read_live_inventory(regions=["eu-west-1"], endpoint_url="http://127.0.0.1:9")


def test_clients_use_adaptive_retries_and_are_cached(sandbox_dir: Path) -> None:
    with open_sandbox(sandbox_dir) as session:
        client = session.client("rolesanywhere", "eu-west-1")
        assert session.client("rolesanywhere", "eu-west-1") is client
        assert session.client("rolesanywhere", "us-east-1") is not client
        retries = client.meta.config.retries
        # botocore counts max_attempts as retries after the first attempt
        assert (retries["mode"], retries["total_max_attempts"]) == ("adaptive", 11)
        assert client.meta.region_name == "eu-west-1"


def test_reading_leaves_the_session_read_only(sandbox_dir: Path) -> None:
    """scan, plan and export read through read_account; afterwards no mutating call can go
    out on that session, and the account is unchanged (botocore hook, not per command)."""
    from remediations.apply.executor import ReadOnlyError

    with open_sandbox(sandbox_dir) as session:
        read_account(session)
        iam = session.client("iam")
        ra = session.client("rolesanywhere", "eu-west-1")
        with pytest.raises(ReadOnlyError):
            iam.update_assume_role_policy(RoleName="ra-ops-admin", PolicyDocument="{}")
        with pytest.raises(ReadOnlyError):
            ra.update_profile(profileId="00000000-0000-0000-0000-000000000000", durationSeconds=900)
        # reads still work
        assert iam.get_role(RoleName="ra-ops-admin")["Role"]["RoleName"] == "ra-ops-admin"


def test_an_item_without_an_arn_is_skipped_with_a_warning_not_the_end_of_the_scan(
    sandbox_dir: Path,
) -> None:
    good = {
        "profileArn": f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/p1",
        "profileId": "p1",
        "name": "good",
    }
    part = aws.Part(items={"profiles": [good, {"name": "no-arn"}]}, coverage={"profiles"})
    with open_sandbox(sandbox_dir) as session:
        inventory = aws.assemble(session, ["eu-west-1"], [part], [])
    assert list(inventory.profiles) == [good["profileArn"]]
    assert any("skipped" in str(w) and w.where == "profiles" for w in inventory.warnings)
