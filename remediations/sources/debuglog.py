"""``--debug``: botocore's calls and retries on stderr, with every credential taken out.

botocore's debug log shows signed requests: the ``Authorization`` header (access key ID and
signature), ``X-Amz-Security-Token``, the canonical request and string to sign, and response
bodies (an STS or credential-process answer holds a secret key and a session token). Every
line goes through :func:`redact` in the formatter, after the message, its arguments and any
traceback are put together, so no path around it exists. The credentials rafix uses are also
redacted by value (:func:`add_secret`), wherever they appear.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from typing import IO

REDACTED = "<redacted>"
#: Loggers shown with ``--debug``: the AWS SDK, its HTTP layer, and rafix.
DEBUG_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "remediations")
#: Loggers kept at INFO even then: botocore's event dispatch, thousands of lines per scan
#: that say nothing about calls or retries.
QUIET_LOGGERS = ("botocore.hooks",)

_HEADER_NAMES = (
    r"authorization|x-amz-security-token|x-amz-signature|x-amz-credential|"
    r"x-amz-content-sha256-secret|proxy-authorization|cookie|set-cookie"
)
_SECRET_NAMES = (
    r"aws_secret_access_key|secret_?access_?key|aws_session_token|session_?token|"
    r"security_?token|secret_?key|password|private_?key|client_?secret|token"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # a Signature V4 Authorization value, wherever it appears
    (
        re.compile(r"AWS4-(?:HMAC|ECDSA-P256)-SHA256\s+Credential=[^\r\n'\"]*"),
        "AWS4-HMAC-SHA256 " + REDACTED,
    ),
    # headers, dict items and canonical-request lines: 'Authorization': b'...', x-amz-...:v
    (
        re.compile(rf"(?i)(['\"]?(?:{_HEADER_NAMES})['\"]?\s*[:=]\s*b?['\"]?)([^'\"\r\n,}}]+)"),
        r"\1" + REDACTED,
    ),
    # presigned-URL style query parameters
    (
        re.compile(r"(?i)([?&]X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s'\"]+"),
        r"\1" + REDACTED,
    ),
    # botocore's "Signature:\n<hex>" and "Signature=<hex>"
    (re.compile(r"(?i)(\bsignature\s*[:=]\s*)[0-9a-f]{16,}"), r"\1" + REDACTED),
    # XML answers: <SecretAccessKey>..</SecretAccessKey>, <SessionToken>..</SessionToken>
    (
        re.compile(
            r"(?is)(<(SecretAccessKey|SessionToken|SecurityToken|Token|Password)>)"
            r"[^<]*(</\2>)"
        ),
        r"\1" + REDACTED + r"\3",
    ),
    # JSON and Python reprs: "SecretAccessKey": "..", 'sessionToken': '..', secret_key=..
    (
        re.compile(rf"(?i)(['\"]?\b(?:{_SECRET_NAMES})\b['\"]?\s*[:=]\s*b?['\"])([^'\"]*)"),
        r"\1" + REDACTED,
    ),
    (re.compile(rf"(?i)(\b(?:{_SECRET_NAMES})\b\s*=\s*)([^\s'\",&]+)"), r"\1" + REDACTED),
    # access key IDs on their own: keep the kind (AKIA long-term, ASIA temporary)
    (re.compile(r"\b(AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b"), r"\1" + REDACTED),
)

#: Environment variables whose values are redacted wherever they appear.
ENVIRONMENT_SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")

_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def add_secret(value: str | None) -> None:
    """Redact this exact value (a secret key, a session token) from every debug line."""
    if value and len(value) >= 8:
        with _secrets_lock:
            _secrets.add(value)


def _known_secrets() -> list[str]:
    with _secrets_lock:
        known = set(_secrets)
    for name in ENVIRONMENT_SECRETS:
        value = os.environ.get(name)
        if value and len(value) >= 8:
            known.add(value)
    return sorted(known, key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every credential, token, signature and Authorization value replaced."""
    for secret in _known_secrets():
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter whose every output line has been through :func:`redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_handler: logging.Handler | None = None


def enable_debug(stream: IO[str]) -> logging.Handler:
    """Send the AWS SDK's and rafix's debug log to ``stream`` (stderr), redacted. Idempotent."""
    global _handler
    if _handler is not None:
        return _handler
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        RedactingFormatter("rafix debug %(asctime)s %(threadName)s %(name)s: %(message)s")
    )
    handler.setLevel(logging.DEBUG)
    for name in DEBUG_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    _handler = handler
    return handler


def disable_debug() -> None:
    """Undo :func:`enable_debug` (tests; a long-lived app turning debugging off)."""
    global _handler
    if _handler is None:
        return
    for name in DEBUG_LOGGERS:
        logger = logging.getLogger(name)
        logger.removeHandler(_handler)
        logger.setLevel(logging.NOTSET)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    _handler = None


def debugging() -> bool:
    return _handler is not None
