"""The boto3 edge: account sessions, clients, region discovery and the live reader.

This is the only core module that imports boto3/botocore, and it does so inside functions, so
an offline scan never pays for them. The sandbox (``remediations.sandbox``) builds an
:class:`AccountSession` around a local account; everything here then works the same on it.

Reading costs the pagination floor and no more: IAM through one paginated
GetAccountAuthorizationDetails sweep (never one call per role), plus one ListRoles sweep for
MaxSessionDuration; Roles Anywhere through the four List paginators per region, regions in
parallel (RA allows about one request per second per region and call family, so fanning out
across regions is what keeps a scan fast).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from remediations import debuglog
from remediations.errors import RafixError, SourceError
from remediations.model import JSON, Inventory, SourceWarning
from remediations.progress import Progress, Stage, StopCheck, Tracker, stop_if_asked

if TYPE_CHECKING:
    import boto3  # type: ignore[import-untyped]

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
_ACCESS_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
)
_THROTTLED = frozenset(
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
#: (model field, List operation, result key, IAM action, coverage name)
_RA_LISTS = (
    ("trust_anchors", "list_trust_anchors", "trustAnchors", "ListTrustAnchors", "trust_anchors"),
    ("profiles", "list_profiles", "profiles", "ListProfiles", "profiles"),
    ("crls", "list_crls", "crls", "ListCrls", "crls"),
    ("subjects", "list_subjects", "subjects", "ListSubjects", "subjects"),
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
                client = _guard(
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
            identity = _guard(
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
        except _Denied:
            if warnings is not None:
                warnings.append(
                    SourceWarning(
                        "access denied; reading only the regions that need no opt-in",
                        where="ec2:DescribeRegions",
                    )
                )
            enabled = set(NO_OPT_IN_REGIONS)
        return sorted(available & enabled)

    def available_regions(self) -> set[str]:
        """Regions where botocore knows Roles Anywhere, in this session's partition."""
        names = self.boto_session.get_available_regions("rolesanywhere", self.partition)
        return set(names)

    def _enabled_regions(self) -> set[str]:
        response = _call(lambda: self.client("ec2").describe_regions(), "ec2:DescribeRegions")
        return {r["RegionName"] for r in response.get("Regions", [])}

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
    if status >= 500 and code not in _THROTTLED and attempts >= TRANSIENT_ATTEMPTS:
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


# --- errors ----------------------------------------------------------------------------


class _Denied(Exception):
    """An action the credentials may not call: the reader turns it into a SourceWarning."""

    def __init__(self, action: str, code: str) -> None:
        super().__init__(action)
        self.action = action
        self.code = code


def _call(fn: Callable[[], Any], action: str) -> Any:
    """Run one API call; AccessDenied becomes :class:`_Denied`, anything fatal SourceError."""
    from botocore.exceptions import ClientError

    try:
        return _guard(fn, action)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _ACCESS_DENIED:
            raise _Denied(action, code) from exc
        raise


def _guard(fn: Callable[[], Any], action: str) -> Any:
    """Turn what no retry can fix into one clear line (a SourceError)."""
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
        if code in _THROTTLED:
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


# --- reading ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Part:
    """What one reader thread brought back."""

    items: dict[str, list[JSON]] = field(default_factory=dict)
    warnings: list[SourceWarning] = field(default_factory=list)
    coverage: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)


def _paginate(
    client: Any, operation: str, key: str, action: str, tracker: Tracker, **kwargs: Any
) -> list[JSON]:
    from remediations.sources.convert import to_jsonable

    def run() -> list[JSON]:
        out: list[JSON] = []
        for page in client.get_paginator(operation).paginate(**kwargs):
            out.extend(to_jsonable(page.get(key) or []))
            tracker.check()  # between pages: a large account stops within one page
        return out

    result: list[JSON] = _call(run, action)
    return result


def _read_gaad(session: AccountSession, tracker: Tracker) -> _Part:
    part = _Part()
    tracker.check()
    action = "iam:GetAccountAuthorizationDetails"
    try:
        from remediations.sources.convert import to_jsonable

        def run() -> tuple[list[JSON], list[JSON], list[JSON], list[JSON]]:
            roles: list[JSON] = []
            policies: list[JSON] = []
            users: list[JSON] = []
            groups: list[JSON] = []
            paginator = session.client("iam").get_paginator("get_account_authorization_details")
            wanted = session.aws_managed_policy_arns
            # Users and groups: who can administer Roles Anywhere (RA-GOV-ADMIN-SURFACE).
            pages = paginator.paginate(
                Filter=[
                    "Role",
                    "LocalManagedPolicy",
                    "User",
                    "Group",
                    *(["AWSManagedPolicy"] if wanted else []),
                ],
                PaginationConfig={"PageSize": IAM_PAGE_SIZE},
            )
            for page in pages:
                roles.extend(to_jsonable(page.get("RoleDetailList") or []))
                policies.extend(
                    p
                    for p in to_jsonable(page.get("Policies") or [])
                    if not str(p.get("Arn", "")).startswith(AWS_POLICY_PREFIX)
                    or p.get("Arn") in wanted
                )
                users.extend(to_jsonable(page.get("UserDetailList") or []))
                groups.extend(to_jsonable(page.get("GroupDetailList") or []))
                tracker.check()
            return roles, policies, users, groups

        (
            part.items["roles"],
            part.items["policies"],
            part.items["users"],
            part.items["groups"],
        ) = _call(run, action)
        part.coverage |= {"iam", "principals"}
    except _Denied as exc:
        part.warnings.append(_denied_warning(exc, "roles and their policies were not read"))
    tracker.step(action)
    return part


def _read_list_roles(session: AccountSession, tracker: Tracker) -> _Part:
    """MaxSessionDuration, which GAAD lacks. A second IAM sweep, but a cheap one (1,000 roles
    a call, run alongside the Roles Anywhere reads) and the only way to catch profiles whose
    duration exceeds the role's maximum (RA-PROFILE-DURATION-EXCEEDS-ROLE-MAX)."""
    part = _Part()
    tracker.check()
    try:
        part.items["list_roles"] = _paginate(
            session.client("iam"),
            "list_roles",
            "Roles",
            "iam:ListRoles",
            tracker,
            PaginationConfig={"PageSize": IAM_PAGE_SIZE},
        )
        part.coverage.add("max_session_duration")
    except _Denied as exc:
        part.warnings.append(_denied_warning(exc, "role maximum session durations are unknown"))
    tracker.step("iam:ListRoles")
    return part


def _read_region(session: AccountSession, region: str, tracker: Tracker) -> _Part:
    """The four Roles Anywhere lists of one region; a denied list is a warning."""
    part = _Part()
    tracker.check()
    client = session.client("rolesanywhere", region)
    for name, operation, key, action, coverage in _RA_LISTS:
        where = f"rolesanywhere:{action} in {region}"
        tracker.check()
        try:
            part.items[name] = _paginate(
                client,
                operation,
                key,
                where,
                tracker,
                # RA paginators have no limit key: pageSize goes with every request.
                pageSize=RA_PAGE_SIZE,
            )
            part.coverage.add(coverage)
        except _Denied as exc:
            part.missing.add(coverage)
            label = name.replace("_", " ")
            part.warnings.append(_denied_warning(exc, f"{label} in {region} were not read"))
        tracker.step(where)
    return part


def _denied_warning(exc: _Denied, consequence: str) -> SourceWarning:
    return SourceWarning(f"access denied ({exc.code}); {consequence}", where=exc.action)


def read_account(
    session: AccountSession,
    regions: list[str] | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: StopCheck | None = None,
) -> Inventory:
    """The account behind ``session``: IAM roles and policies, and Roles Anywhere in every
    region to read (``regions``, else :meth:`AccountSession.regions`), regions in parallel.

    ``on_progress`` is called (from reader threads) after each API list: the two IAM sweeps,
    then the four Roles Anywhere lists of each region. ``should_stop`` is polled before each
    list and between pages.

    Raises:
        SourceError: the account cannot be read at all (no credentials, unreachable
            endpoint, throttling that outlasted the retries).
        Cancelled: ``should_stop`` returned True.
    """
    from remediations.executor import install_read_only_guard

    # Reading is read-only whatever the caller does next: a mutating call on this session
    # now fails unless it comes from a writable Executor (scan, plan and export never do).
    install_read_only_guard(session.events)
    warnings: list[SourceWarning] = []
    stop_if_asked(should_stop)
    if regions is None:
        regions = _guard(lambda: session.regions(warnings), "region discovery")
    tracker = Tracker(Stage.LOAD, 2 + len(_RA_LISTS) * len(regions), on_progress, should_stop)
    with ThreadPoolExecutor(max_workers=min(16, len(regions) + 2)) as pool:
        iam = pool.submit(_read_gaad, session, tracker)
        durations = pool.submit(_read_list_roles, session, tracker)
        by_region = [pool.submit(_read_region, session, r, tracker) for r in regions]
        futures = [iam, durations, *by_region]
        done, _pending = wait(futures, return_when=FIRST_EXCEPTION)
        if any(f.exception() is not None for f in done):
            # One fatal error (or a cancellation) ends the read: lists not started yet are
            # never started; they would only meet the same unreachable endpoint again, one
            # timeout after another.
            pool.shutdown(wait=True, cancel_futures=True)
            for future in futures:
                if not future.cancelled() and future.exception() is not None:
                    future.result()  # raises it
        parts = [f.result() for f in futures]
    inventory = _assemble(session, regions, parts, warnings)
    _read_pca_keys(session, inventory)
    return inventory


def _read_pca_keys(session: AccountSession, inventory: Inventory) -> None:
    """The key algorithm and status of each ACM PCA behind a trust anchor (the access map's
    post-quantum readiness, as Prowler's rolesanywhere_trust_anchor_pqc_pki reads it).

    Optional: a PCA that cannot be described (denied, deleted, another account's, an endpoint
    without ACM PCA) leaves the algorithm unknown, with one warning; the read goes on.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    by_pca: dict[str, list[Any]] = {}
    for anchor in inventory.trust_anchors.values():
        if anchor.source_type == "AWS_ACM_PCA" and anchor.acm_pca_arn:
            by_pca.setdefault(anchor.acm_pca_arn, []).append(anchor)
    for arn, anchors in sorted(by_pca.items()):
        parts = arn.split(":")
        region = parts[3] if len(parts) > 3 and parts[3] else None
        action = "acm-pca:DescribeCertificateAuthority"

        def describe(pca: str = arn, where: str | None = region) -> Any:
            client = session.client("acm-pca", where)
            return client.describe_certificate_authority(CertificateAuthorityArn=pca)

        try:
            answer = _call(describe, action)
        except _Denied as exc:
            inventory.warnings.append(
                _denied_warning(exc, f"the key algorithm of {arn} is unknown")
            )
            continue
        except (RafixError, ClientError, BotoCoreError) as exc:
            if "ResourceNotFound" in str(exc) or "not found" in str(exc).lower():
                continue  # another account's or a deleted CA (the sandbox has none): unknown
            reason = str(exc).split("\n", 1)[0]
            inventory.warnings.append(
                SourceWarning(f"the key algorithm of {arn} is unknown ({reason})", where=action)
            )
            continue
        authority = answer.get("CertificateAuthority") or {}
        configuration = authority.get("CertificateAuthorityConfiguration") or {}
        for anchor in anchors:
            anchor.pca_key_algorithm = configuration.get("KeyAlgorithm")
            anchor.pca_status = authority.get("Status")


def _assemble(
    session: AccountSession, regions: list[str], parts: list[_Part], warnings: list[SourceWarning]
) -> Inventory:
    from remediations.sources import convert

    inventory = Inventory(origin=session.origin, regions=list(regions))
    inventory.warnings.extend(warnings)
    missing: set[str] = set()
    items: dict[str, list[JSON]] = {}
    for part in parts:
        inventory.warnings.extend(part.warnings)
        inventory.coverage |= part.coverage
        missing |= part.missing
        for name, values in part.items.items():
            items.setdefault(name, []).extend(values)
    # One region that could not be read makes the whole kind partial: checks that reason
    # about absence (orphans, no revocation) must not run on half a picture.
    inventory.coverage -= missing
    if {"trust_anchors", "profiles"} <= inventory.coverage:
        inventory.coverage.add("rolesanywhere")
    durations = {
        str(d.get("Arn")): d["MaxSessionDuration"]
        for d in items.get("list_roles", [])
        if isinstance(d.get("MaxSessionDuration"), int)
    }
    for d in items.get("roles", []):
        if str(d.get("Arn")) in durations:  # as offline.py merges list-roles into GAAD
            d = {**d, "MaxSessionDuration": durations[str(d.get("Arn"))]}
        role = convert.role_from_api(d, inventory.warnings)
        inventory.roles[role.arn] = role
    for d in items.get("policies", []):
        policy = convert.policy_from_api(d, inventory.warnings)
        inventory.policies[policy.arn] = policy
    for d in items.get("users", []):
        user = convert.user_from_api(d, inventory.warnings)
        inventory.users[user.arn] = user
    for d in items.get("groups", []):
        group = convert.group_from_api(d, inventory.warnings)
        inventory.groups[group.arn] = group
    from remediations.sources.offline import RA_LISTS

    # The same table the file reader uses; an item the service returned without the fields
    # rafix needs is skipped with a warning, as it is in a file, not the end of the scan.
    for attr, convert_item, _coverage in RA_LISTS.values():
        store: dict[str, Any] = getattr(inventory, attr)
        for d in items.get(attr, []):
            try:
                obj = convert_item(d)
            except convert.ShapeError as exc:
                inventory.warnings.append(SourceWarning(f"{exc}; skipped", where=attr))
                continue
            store[obj.arn] = obj
    inventory.account_id = _account_of(inventory) or _quiet_account_id(session)
    return inventory


def _account_of(inventory: Inventory) -> str | None:
    from remediations.sources.convert import account_from_arn

    for arns in (inventory.roles, inventory.trust_anchors, inventory.profiles):
        for arn in arns:
            account = account_from_arn(arn)
            if account:
                return account
    return None


def _quiet_account_id(session: AccountSession) -> str | None:
    """The caller's account for an empty account; unknown when STS says no."""
    try:
        return session.account_id
    except Exception:
        return None


def read_live_inventory(
    profile: str | None = None,
    regions: Iterable[str] | None = None,
    endpoint_url: str | None = None,
    *,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: StopCheck | None = None,
) -> Inventory:
    """Read the live account (the default source of every command)."""
    with AccountSession(
        profile=profile,
        regions=regions,
        endpoint_url=endpoint_url,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    ) as session:
        return read_account(session, on_progress=on_progress, should_stop=should_stop)


def read_tags(session: AccountSession, inventory: Inventory, arns: Iterable[str]) -> None:
    """Fill in the tags of these Roles Anywhere resources of ``inventory`` (ListTagsForResource,
    one call each: the list APIs return no tags, so a scan does not pay for them; plans read
    them for the resources they change). A denied or failed read leaves the tags unknown and
    adds a warning; it never ends the plan."""
    from remediations.sources.convert import account_from_arn

    stores = (inventory.profiles, inventory.trust_anchors, inventory.crls)
    denied: set[str] = set()
    for arn in sorted(set(arns)):
        obj = next((store[arn] for store in stores if arn in store), None)
        region = arn.split(":")[3] if arn.count(":") >= 5 else ""
        if obj is None or not region or region in denied or not account_from_arn(arn):
            continue
        where = f"rolesanywhere:ListTagsForResource in {region}"
        try:
            client = session.client("rolesanywhere", region)
            reply = _call(partial(client.list_tags_for_resource, resourceArn=arn), where)
        except _Denied as exc:
            denied.add(region)
            inventory.warnings.append(
                _denied_warning(exc, "tags unknown: management as code not checked")
            )
            continue
        except SourceError as exc:
            inventory.warnings.append(SourceWarning(f"{exc}; tags of {arn} unknown", where=where))
            continue
        obj.tags = {
            str(t["key"]): str(t.get("value", ""))
            for t in reply.get("tags") or []
            if isinstance(t, dict) and "key" in t
        }
