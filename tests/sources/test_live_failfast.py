"""A live read fails fast and in one line when the endpoint is down, silent or broken, and
still rides out throttling. Every endpoint here is a local server on 127.0.0.1."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from remediations.cli import main
from remediations.errors import SourceError
from remediations.sources import aws_session
from remediations.sources.aws import read_account
from remediations.sources.aws_session import AccountSession
from remediations.sources.sandbox import open_sandbox
from tests.localserver import LocalServer, refused_port


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials that sign requests, no config file, no instance metadata."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLEFAILFAST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-example-failfast")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's back-off sleeps take no time (the attempts are what is tested)."""
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)


def _attempts(session: AccountSession) -> Counter[str]:
    attempts: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        attempts[event_name.split(".", 1)[1]] += 1  # "before-send.iam.ListRoles"

    session.events.register("before-send", count)
    return attempts


def test_a_refused_connection_is_tried_twice_then_one_clear_error(
    fake_credentials: None, no_sleep: None
) -> None:
    url = f"http://127.0.0.1:{refused_port()}"
    with AccountSession(regions=["eu-west-1"], endpoint_url=url) as session:
        session.client("iam")
        session.client("rolesanywhere", "eu-west-1")
        attempts = _attempts(session)
        with pytest.raises(SourceError, match="cannot reach the endpoint") as error:
            read_account(session)
    assert "\n" not in str(error.value)
    assert attempts and set(attempts.values()) == {aws_session.TRANSIENT_ATTEMPTS}


def test_a_silent_endpoint_is_not_retried_after_a_read_timeout(
    fake_credentials: None, no_sleep: None
) -> None:
    with LocalServer("silent") as server:
        session = AccountSession(regions=["eu-west-1"], endpoint_url=server.url, read_timeout=0.3)
        with session:
            session.client("iam")
            session.client("rolesanywhere", "eu-west-1")
            attempts = _attempts(session)
            with pytest.raises(SourceError, match="no answer from the endpoint") as error:
                read_account(session)
    assert "--cli-read-timeout" in str(error.value) and "\n" not in str(error.value)
    assert attempts and set(attempts.values()) == {1}
    assert server.connections == sum(attempts.values())


def test_http_500_is_tried_twice_then_one_clear_error(
    fake_credentials: None, no_sleep: None
) -> None:
    with (
        LocalServer("error") as server,
        AccountSession(regions=["eu-west-1"], endpoint_url=server.url) as session,
    ):
        session.client("iam")
        session.client("rolesanywhere", "eu-west-1")
        attempts = _attempts(session)
        with pytest.raises(SourceError) as error:
            read_account(session)
    assert "\n" not in str(error.value)
    assert attempts and set(attempts.values()) == {aws_session.TRANSIENT_ATTEMPTS}
    assert server.requests == sum(attempts.values())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><body><h1>Proxy error</h1></body></html>", "(500)"),
        (b'{"__type": "not what IAM speaks"}', "not an AWS answer"),
    ],
)
def test_a_proxy_page_or_a_garbled_answer_is_one_clear_error(
    fake_credentials: None, no_sleep: None, body: bytes, message: str
) -> None:
    with (
        LocalServer("error", body=body) as server,
        AccountSession(regions=["eu-west-1"], endpoint_url=server.url) as session,
        pytest.raises(SourceError) as error,
    ):
        read_account(session)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_throttling_keeps_the_adaptive_retries(sandbox_dir: Path, no_sleep: None) -> None:
    throttled = aws_session.TRANSIENT_ATTEMPTS + 3  # well past what a broken endpoint gets
    with open_sandbox(sandbox_dir) as session:
        session.faults.inject(
            "throttle", operation="ListProfiles", region="us-east-1", times=throttled
        )
        inventory = read_account(session)
        attempts = session.faults.count("rolesanywhere", "ListProfiles")
    assert len(inventory.profiles) == 8 and not inventory.warnings
    assert attempts == 1 + throttled + 1  # eu-west-1 once; us-east-1 throttled, then served


def test_the_defaults_fail_an_unreachable_or_silent_endpoint_within_20_seconds() -> None:
    # botocore's back-off before retry n (n >= 1) is at most 2**(n-1) seconds.
    backoff = sum(2 ** (n - 1) for n in range(1, aws_session.TRANSIENT_ATTEMPTS))
    unreachable = aws_session.TRANSIENT_ATTEMPTS * aws_session.DEFAULT_CONNECT_TIMEOUT + backoff
    silent = (
        aws_session.DEFAULT_CONNECT_TIMEOUT
        + aws_session.READ_TIMEOUT_ATTEMPTS * aws_session.DEFAULT_READ_TIMEOUT
    )
    assert unreachable < 20 and silent < 20
    session = AccountSession(boto_session=object())
    assert (session.connect_timeout, session.read_timeout) == (5.0, 12.0)
    assert AccountSession(connect_timeout=0, read_timeout=2.5).read_timeout == 2.5
    assert AccountSession(connect_timeout=0).connect_timeout is None  # 0: no limit


def test_clients_carry_the_timeouts(sandbox_dir: Path) -> None:
    with open_sandbox(sandbox_dir) as sandbox:
        session = AccountSession(
            boto_session=sandbox.boto_session, connect_timeout=2, read_timeout=7
        )
        config = session.client("iam").meta.config
        session.close()
    assert (config.connect_timeout, config.read_timeout) == (2.0, 7.0)


def test_aws_region_is_honoured_before_aws_default_region(
    fake_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert AccountSession().home_region == "eu-central-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert AccountSession().home_region == "eu-central-1"  # as the AWS CLI v2 and SDKs do
    monkeypatch.delenv("AWS_REGION")
    assert AccountSession().home_region == "us-west-2"


def test_the_cli_fails_a_silent_endpoint_in_one_line(
    fake_credentials: None, no_sleep: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with LocalServer("silent") as server:
        code = main(
            [
                "scan",
                "--endpoint-url",
                server.url,
                "--region",
                "eu-west-1",
                "--cli-read-timeout",
                "0.3",
                "--cli-connect-timeout",
                "1",
            ]
        )
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rafix: error: ")
    assert "no answer from the endpoint" in lines[0]


@pytest.mark.parametrize("bad", ["-1", "soon", "nan"])
def test_a_bad_timeout_is_a_usage_error(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["scan", "--from-file", "x.json", "--cli-read-timeout", bad])
    assert exit_.value.code == 2
    assert "--cli-read-timeout" in capsys.readouterr().err
