"""What a failed AWS call means for a read: denied (a warning, the scan goes on), throttled after
the retries, unreachable, rejected credentials (one clear line, a SourceError)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from remediations.errors import SourceError

_ACCESS_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
)
THROTTLED_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
        "BandwidthLimitExceeded",
    }
)


# --- errors ----------------------------------------------------------------------------


class Denied(Exception):
    """An action the credentials may not call: the reader turns it into a SourceWarning."""

    def __init__(self, action: str, code: str) -> None:
        super().__init__(action)
        self.action = action
        self.code = code


def call_api(fn: Callable[[], Any], action: str) -> Any:
    """Run one API call; AccessDenied becomes :class:`Denied`, anything fatal SourceError."""
    from botocore.exceptions import ClientError

    try:
        return guard_call(fn, action)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _ACCESS_DENIED:
            raise Denied(action, code) from exc
        raise


def guard_call(fn: Callable[[], Any], action: str) -> Any:
    """Turn what no retry can fix into one clear line (a SourceError), with anything shaped
    like a credential taken out: a misbehaving endpoint may echo the request's headers (the
    access key ID, the session token) in its error message."""
    from remediations.sources.debuglog import redact

    try:
        return _guard_once(fn, action)
    except SourceError as exc:
        raise SourceError(redact(str(exc))) from exc.__cause__


def _guard_once(fn: Callable[[], Any], action: str) -> Any:
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ReadTimeoutError,
    )
    from botocore.parsers import ResponseParserError

    try:
        return fn()
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise SourceError(f"no AWS credentials: {exc} (use --profile, or --from-file)") from exc
    except NoRegionError as exc:
        raise SourceError(f"no AWS region configured: {exc} (use --region)") from exc
    except ConnectTimeoutError as exc:
        raise SourceError(
            f"{action}: cannot reach the endpoint: {exc} (--cli-connect-timeout sets how long "
            "to wait)"
        ) from exc
    except EndpointConnectionError as exc:
        raise SourceError(f"{action}: cannot reach the endpoint: {exc}") from exc
    except ReadTimeoutError as exc:
        raise SourceError(
            f"{action}: no answer from the endpoint: {exc} (--cli-read-timeout sets how long "
            "to wait)"
        ) from exc
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in THROTTLED_CODES:
            raise SourceError(
                f"{action}: still throttled after retries ({code}); try later"
            ) from exc
        if code in _ACCESS_DENIED:
            raise
        if code in ("InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken"):
            raise SourceError(f"{action}: the AWS credentials were rejected ({code})") from exc
        raise SourceError(f"{action}: {exc}") from exc
    except BotoCoreError as exc:
        raise SourceError(f"{action}: {exc}") from exc
    except ResponseParserError as exc:  # a proxy's or captive portal's page, not AWS
        reason = str(exc).split("\n", 1)[0]
        raise SourceError(
            f"{action}: the endpoint sent something that is not an AWS answer ({reason})"
        ) from exc
    except ValueError as exc:  # botocore's check of --endpoint-url
        raise SourceError(f"{action}: {exc}") from exc
