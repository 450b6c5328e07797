"""--debug shows botocore's calls and retries and never a credential."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from remediations.errors import SourceError
from remediations.sources import debuglog
from remediations.sources.aws import read_account
from remediations.sources.aws_session import AccountSession
from remediations.sources.debuglog import REDACTED, redact
from tests.localserver import LocalServer

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKENvalue+with/slashes=="


@pytest.fixture
def debug_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    debuglog.enable_debug(stream)
    try:
        yield stream
    finally:
        debuglog.disable_debug()


@pytest.mark.parametrize(
    "line",
    [
        "headers={'Authorization': b'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261203/"
        "eu-west-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd"
        "0123abcd0123abcd0123abcd0123abcd0123abcd0123abcd0123abcd'}",
        "{'X-Amz-Security-Token': b'" + TOKEN + "'}",
        "x-amz-security-token:" + TOKEN,
        "Signature:\n" + "ab" * 32,
        "<Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE12</AccessKeyId><SecretAccessKey>"
        + SECRET
        + "</SecretAccessKey><SessionToken>"
        + TOKEN
        + "</SessionToken></Credentials>",
        '{"SecretAccessKey": "' + SECRET + '", "SessionToken": "' + TOKEN + '"}',
        "https://rolesanywhere.eu-west-1.amazonaws.com/?X-Amz-Signature=" + "f" * 64,
        "aws_secret_access_key = " + SECRET,
        "AccessKeyId " + ACCESS_KEY,
    ],
)
def test_redact_removes_every_credential_shape(line: str) -> None:
    out = redact(line)
    assert REDACTED in out
    for secret in (ACCESS_KEY, SECRET, TOKEN, "ab" * 32, "f" * 64, "0123abcd" * 8):
        assert secret not in out
    assert "ASIAEXAMPLEEXAMPLE12" not in out


def test_redact_keeps_ordinary_text() -> None:
    line = "Retry needed, retrying request after delay of: 0.5 (ListProfiles in eu-west-1)"
    assert redact(line) == line


def test_known_secret_values_are_redacted_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    assert redact(f"odd place {SECRET} here") == f"odd place {REDACTED} here"


def test_formatter_redacts_arguments_and_tracebacks(debug_stream: io.StringIO) -> None:
    logger = logging.getLogger("botocore.test")
    logger.debug("headers: %s", {"Authorization": "AWS4-HMAC-SHA256 Credential=x, Signature=1"})
    try:
        raise RuntimeError(f"token={TOKEN}")
    except RuntimeError:
        logger.debug("failed", exc_info=True)
    text = debug_stream.getvalue()
    assert TOKEN not in text and "Signature=1" not in text and "RuntimeError" in text


def test_a_debug_live_read_shows_calls_and_retries_but_no_credential(
    debug_stream: io.StringIO, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)
    # the environment is not where the filter learns them: the session's own credentials are
    monkeypatch.setattr(debuglog, "ENVIRONMENT_SECRETS", ())
    with (
        LocalServer("error") as server,
        AccountSession(regions=["eu-west-1"], endpoint_url=server.url) as session,
        pytest.raises(SourceError),
    ):
        read_account(session)
    text = debug_stream.getvalue()
    assert "GetAccountAuthorizationDetails" in text  # the calls
    assert "Authorization" in text and REDACTED in text
    assert "retry" in text.lower()  # the retries
    for secret in (ACCESS_KEY, SECRET, TOKEN):
        assert secret not in text
    assert "Signature=" not in text.replace(f"Signature={REDACTED}", "")
