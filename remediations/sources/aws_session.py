"""The boto3 edge: account sessions, clients (adaptive retries, timeouts), region discovery.

This and the sandbox are the only core modules that import boto3/botocore, and they do so inside
functions, so an offline scan never pays for them. The sandbox (``remediations.sources.sandbox``)
builds an :class:`AccountSession` around a local account; everything then works the same on it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from remediations.errors import SourceError
from remediations.model import SourceWarning
from remediations.sources import debuglog

if TYPE_CHECKING:
    import boto3  # type: ignore[import-untyped]
from remediations.sources.aws_errors import THROTTLED_CODES, Denied, call_api, guard_call

log = logging.getLogger(__name__)

#: Adaptive retries: client-side rate limiting on top of exponential backoff. RA allows about
#: 1 request/s per family and region; IAM's quota error ``LimitExceeded`` is not a throttle
#: code in botocore's standard/adaptive modes, so a full trust policy is never retried.
RETRIES = {"mode": "adaptive", "max_attempts": 10}
#: Seconds to open a connection and to wait for an answer (``--cli-connect-timeout``,
#: ``--cli-read-timeout``); botocore's 60 s each, times ten attempts, kept a user waiting
#: minutes for an endpoint that would never answer. An unreachable or silent endpoint now
#: fails within 20 s: two connection attempts of 5 s, or a connection and one read of 12 s.
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 12.0
#: Attempts for a failure that is not throttling: a refused or dropped connection, a connect
#: timeout, an HTTP 5xx. Throttling keeps the adaptive retries above (RETRIES).
TRANSIENT_ATTEMPTS = 2
#: A read timeout is not retried: the endpoint took the request and said nothing for a whole
#: read timeout; another wait as long would only double the time to the same error.
READ_TIMEOUT_ATTEMPTS = 1
RA_PAGE_SIZE = 500
AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"
IAM_PAGE_SIZE = 1000
#: Regions enabled in every account (no opt-in), for when EC2 DescribeRegions is denied.
NO_OPT_IN_REGIONS = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-north-1",
        "ap-south-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "sa-east-1",
    }
)


class _Events:
    """Registers a hook on the session and on every client it made or will make (botocore
    clients copy the session's event emitter when they are created)."""

    def __init__(self, session: AccountSession) -> None:
        self._session = session

    def _emitters(self) -> Iterator[Any]:
        yield self._session.boto_session._session.get_component("event_emitter")
        for client in self._session.clients():
            yield client.meta.events

    def register(self, event_name: str, handler: Callable[..., Any]) -> None:
        for emitter in self._emitters():
            emitter.register(event_name, handler)

    def register_first(self, event_name: str, handler: Callable[..., Any]) -> None:
        for emitter in self._emitters():
            emitter.register_first(event_name, handler)

    def unregister(self, event_name: str, handler: Callable[..., Any]) -> None:
        for emitter in self._emitters():
            emitter.unregister(event_name, handler)


class AccountSession:
    """One AWS account as rafix sees it: a boto3 session, cached clients, the regions to read.

    Args:
        profile: AWS named profile (live); None uses the standard credential chain.
        regions: Roles Anywhere regions to read; None discovers them (:meth:`regions`).
        endpoint_url: an AWS-compatible endpoint for every client.
        boto_session: an existing session (the sandbox passes its own).
        origin: "live" or "sandbox:DIR", for messages and ``Inventory.origin``.
        on_close: called once by :meth:`close`, after the clients are closed.
        connect_timeout: seconds to open a connection (None: the default; 0: no limit).
        read_timeout: seconds to wait for an answer (None: the default; 0: no limit).
    """

    def __init__(
        self,
        *,
        profile: str | None = None,
        regions: Iterable[str] | None = None,
        endpoint_url: str | None = None,
        boto_session: boto3.Session | None = None,
        origin: str = "live",
        on_close: Callable[[], None] | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
    ) -> None:
        self.profile = profile
        #: AWS managed policies (``arn:aws:iam::aws:policy/...``) to read with their documents;
        #: empty for a live account, whose AWS managed policies rafix knows by name.
        self.aws_managed_policy_arns: frozenset[str] = frozenset()
        self.connect_timeout = _timeout(connect_timeout, DEFAULT_CONNECT_TIMEOUT)
        self.read_timeout = _timeout(read_timeout, DEFAULT_READ_TIMEOUT)
        self.requested_regions = list(dict.fromkeys(regions)) if regions else None
        self.endpoint_url = endpoint_url
        self.origin = origin
        self._boto_session = boto_session
        self._on_close = on_close
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()
        self._account_id: str | None = None
        self.events = _Events(self)

    # --- clients ---------------------------------------------------------------------

    @property
    def boto_session(self) -> boto3.Session:
        if self._boto_session is None:
            self._boto_session = _new_boto_session(self.profile)
        return self._boto_session

    @property
    def home_region(self) -> str:
        """The region for global services and discovery calls."""
        return self.boto_session.region_name or "us-east-1"

    @property
    def partition(self) -> str:
        try:
            return str(self.boto_session.get_partition_for_region(self.home_region))
        except Exception:  # an unknown region name: assume the commercial partition
            return "aws"

    def client(self, service: str, region: str | None = None) -> Any:
        """A cached client with adaptive retries for throttling, bounded attempts for an
        endpoint that cannot be reached, and connect and read timeouts; IAM and STS ignore
        ``region``."""
        from botocore.config import Config

        key = (service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                config = Config(
                    retries=RETRIES,  # type: ignore[arg-type]
                    connect_timeout=self.connect_timeout,
                    read_timeout=self.read_timeout,
                )
                client = guard_call(
                    lambda: self.boto_session.client(
                        service,
                        region_name=region or self.home_region,
                        endpoint_url=self.endpoint_url,
                        config=config,
                    ),
                    f"{service} client",
                )
                # On the service's own event name: botocore calls the handlers of the most
                # specific name first, and its retry handler sits on this one.
                service_event = client.meta.service_model.service_id.hyphenize()
                client.meta.events.register_first(
                    f"needs-retry.{service_event}", _bound_transient_retries
                )
                self._clients[key] = client
                if debuglog.debugging():
                    self._redact_credentials()
        return client

    def _redact_credentials(self) -> None:
        """``--debug``: the credentials this session signs with never show in the log."""
        try:
            credentials = self.boto_session.get_credentials()
            frozen = credentials.get_frozen_credentials() if credentials else None
        except Exception:  # no credentials yet: the call that needs them will say so
            return
        if frozen is not None:
            for value in (frozen.access_key, frozen.secret_key, frozen.token):
                debuglog.add_secret(value)

    def clients(self) -> list[Any]:
        with self._lock:
            return list(self._clients.values())

    @property
    def account_id(self) -> str:
        """The account the credentials belong to (STS GetCallerIdentity, once)."""
        if self._account_id is None:
            identity = guard_call(
                lambda: self.client("sts").get_caller_identity(), "sts:GetCallerIdentity"
            )
            self._account_id = str(identity["Account"])
        return self._account_id

    # --- regions ---------------------------------------------------------------------

    def regions(self, warnings: list[SourceWarning] | None = None) -> list[str]:
        """``--region`` when given; else where RA is available and the account is enabled.

        When EC2 DescribeRegions is denied, a warning is added and the regions that need no
        opt-in are used.
        """
        available = self.available_regions()
        if self.requested_regions:
            unknown = [r for r in self.requested_regions if r not in available]
            # A custom endpoint may serve any region name; AWS itself only the known ones.
            if unknown and self.endpoint_url is None:
                raise SourceError(
                    f"--region {unknown[0]}: Roles Anywhere is not available there "
                    f"(it is in {', '.join(sorted(available))})"
                )
            return list(self.requested_regions)
        try:
            enabled = self._enabled_regions()
        except Denied:
            if warnings is not None:
                warnings.append(
                    SourceWarning(
                        "access denied; reading only the regions that need no opt-in",
                        where="ec2:DescribeRegions",
                        incomplete=True,
                    )
                )
            enabled = set(NO_OPT_IN_REGIONS)
        return sorted(available & enabled)

    def available_regions(self) -> set[str]:
        """Regions where botocore knows Roles Anywhere, in this session's partition."""
        names = self.boto_session.get_available_regions("rolesanywhere", self.partition)
        return set(names)

    def _enabled_regions(self) -> set[str]:
        response = call_api(lambda: self.client("ec2").describe_regions(), "ec2:DescribeRegions")
        return {r["RegionName"] for r in response.get("Regions", [])}

    def commit(self) -> None:
        """Make what was written durable before an apply reports it: a live account already
        holds it (a sandbox saves its state here)."""
        return None

    def close(self) -> None:
        """Close every client, then run ``on_close`` (once)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
        callback, self._on_close = self._on_close, None
        if callback is not None:
            callback()

    def __enter__(self) -> AccountSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _timeout(value: float | None, default: float) -> float | None:
    """``None`` is the default; ``0`` means no limit (as in the AWS CLI); else seconds."""
    if value is None:
        return default
    if value < 0:
        raise SourceError(f"a timeout cannot be negative ({value:g} s)")
    return None if value == 0 else float(value)


def _bound_transient_retries(
    attempts: int, response: Any = None, caught_exception: Any = None, **_: Any
) -> bool | None:
    """Stop retrying a failure that is not throttling after a few attempts.

    botocore's adaptive mode retries everything it deems transient up to ``RETRIES``
    attempts, with exponential back-off: right for throttling, minutes of silence for an
    endpoint that is down. Registered first on ``needs-retry``, this answers ``False`` (do
    not retry; botocore then raises the error it has) once a non-throttling failure used its
    attempts, and ``None`` (let botocore decide) otherwise.
    """
    from botocore.exceptions import ReadTimeoutError

    if caught_exception is not None:
        limit = (
            READ_TIMEOUT_ATTEMPTS
            if isinstance(caught_exception, ReadTimeoutError)
            else TRANSIENT_ATTEMPTS
        )
        if attempts >= limit:
            log.debug("not retrying after %d attempt(s): %s", attempts, caught_exception)
            return False
        return None
    if response is None:
        return None
    http, parsed = response
    status = int(getattr(http, "status_code", 0) or 0)
    code = str((parsed or {}).get("Error", {}).get("Code", "")) if isinstance(parsed, dict) else ""
    if status >= 500 and code not in THROTTLED_CODES and attempts >= TRANSIENT_ATTEMPTS:
        log.debug("not retrying HTTP %d (%s) after %d attempt(s)", status, code, attempts)
        return False
    return None


def _new_boto_session(profile: str | None) -> boto3.Session:
    import os

    import boto3
    from botocore.exceptions import BotoCoreError

    # The AWS CLI v2 and the SDKs read AWS_REGION before AWS_DEFAULT_REGION; boto3 reads only
    # the latter. A profile's own region still applies when neither is set.
    region = os.environ.get("AWS_REGION") or None
    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except BotoCoreError as exc:  # ProfileNotFound, bad config file
        raise SourceError(f"cannot start an AWS session: {exc}") from exc
