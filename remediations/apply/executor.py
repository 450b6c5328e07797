"""The executor: the only place in rafix that calls an AWS API which changes the account.

Everything that writes (apply, rollback, recovery) hands :class:`~remediations.state.ApiCall`
objects to :meth:`Executor.run`; everything that verifies reads resource states back through
:meth:`Executor.read_state`, converted exactly as the inventory converts them, so a state read
here compares directly with the ``before``/``after`` states of a plan.

Read-only mode (the default, and what ``scan``, ``plan`` and ``export`` use) is enforced twice:
:meth:`Executor.run` refuses a mutating call before it reaches botocore, and a ``before-call``
hook that a read-only executor registers on every client it hands out refuses any mutating
operation that gets that far by another path (a writable executor's own calls pass). An operation is mutating unless its name starts with a read-only verb.

This module does not import boto3 or botocore (ARCHITECTURE.md): it works on the clients that
``remediations.sources.aws`` / ``remediations.sources.sandbox`` hand out, and classifies their errors by shape.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any, Protocol

from remediations.errors import ApplyError
from remediations.iam.policy import decode_policy_document
from remediations.model import JSON
from remediations.sources.convert import (
    anchor_from_api,
    crl_from_api,
    profile_from_api,
    role_from_api,
    to_jsonable,
)
from remediations.state import (
    ApiCall,
    anchor_state,
    crl_state,
    detailed_role_state,
    equivalent,
    is_detailed,
    pending_profile_name,
    profile_state,
    region_of,
    resource_id,
    role_state,
)

#: Operation-name prefixes that never change an account.
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Head", "Search", "Lookup")
#: Error codes that mean "the resource is not there" when reading a state.
NOT_FOUND_CODES = frozenset({"NoSuchEntity", "ResourceNotFoundException", "NotFoundException"})
_GUARD_ID = "rafix-read-only-guard"
#: Set while a writable executor makes a call, so that the guard a read-only executor put on
#: a shared (cached) client lets that call through but still refuses any other.
_WRITING: contextvars.ContextVar[bool] = contextvars.ContextVar("rafix_writing", default=False)


class AccountLike(Protocol):
    """What the executor needs from an account session (``remediations.sources.aws.AccountSession``)."""

    def client(self, service: str, region: str | None = None) -> Any: ...


class ReadOnlyError(ApplyError):
    """A mutating call was attempted while the executor is read-only."""


class CallFailed(ApplyError):
    """An API call failed: AWS refused it, throttled it beyond retries, or the connection broke.

    Attributes:
        call: The call that failed.
        code: The AWS error code (``AccessDenied``, ``Throttling``...) or the exception's name.
    """

    def __init__(self, call: ApiCall, code: str, message: str) -> None:
        super().__init__(f"{call.describe()} failed: {code}: {message}")
        self.call = call
        self.code = code


class VerifyError(ApplyError):
    """A change did not become visible within the polling bound."""


#: Calls that change nothing although their names do not say so: ``sts:AssumeRole`` issues
#: credentials (how an organisation's member accounts are read).
NOT_MUTATING = frozenset({"AssumeRole"})


def is_mutating(operation: str) -> bool:
    """Whether a botocore operation name (``UpdateProfile``) can change the account."""
    return operation not in NOT_MUTATING and not operation.startswith(READ_ONLY_PREFIXES)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError``, else the exception's class name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__


def error_message(exc: BaseException) -> str:
    """The server's message of a failed call, on one line, credentials redacted."""
    from remediations.sources.debuglog import redact

    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        message = response.get("Error", {}).get("Message")
        if message:
            return redact(str(message).splitlines()[0])
    return redact(str(exc).splitlines()[0]) if str(exc) else type(exc).__name__


class Executor:
    """Runs API calls against one account and reads resource states back.

    Args:
        account: Hands out boto3 clients (``client(service, region)``).
        read_only: Refuse every mutating call (the default).
        poll_timeout: How long :meth:`wait_for` polls for a change to become visible (IAM is
            eventually consistent), in seconds.
        poll_interval: The first pause between two reads; it doubles up to 2 s.
        sleep: The pause function (tests pass one that does not sleep).
    """

    def __init__(
        self,
        account: AccountLike,
        read_only: bool = True,
        *,
        poll_timeout: float = 10.0,
        poll_interval: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account = account
        self.read_only = read_only
        self.poll_timeout = poll_timeout
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._clients: dict[tuple[str, str | None], Any] = {}

    # --- clients and the read-only guard -------------------------------------------------

    def client(self, service: str, region: str | None = None) -> Any:
        """A client of the account; while read-only, with the refusing hook registered."""
        key = (service, region)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self.account.client(service, region)
        if self.read_only:
            # One hook per client (a fixed unique_id), however many executors share it.
            client.meta.events.register("before-call", _refuse_mutation, unique_id=_GUARD_ID)
        return client

    # --- calls ---------------------------------------------------------------------------

    def run(self, call: ApiCall) -> JSON:
        """Make one call; return its (JSON-ready) response.

        Raises:
            ReadOnlyError: the call is mutating and the executor is read-only.
            CallFailed: AWS refused the call or the connection failed.
        """
        if self.read_only and is_mutating(call.operation):
            raise ReadOnlyError(f"read-only mode: refused {call.describe()}; nothing was written")
        call = self._resolve_pending(call)
        client = self.client(call.service, call.region)
        method = getattr(client, _method_name(client, call.operation), None)
        if method is None:
            raise CallFailed(call, "UnknownOperation", "botocore does not know this operation")
        token = _WRITING.set(not self.read_only)
        try:
            response = method(**call.params)
        except ApplyError:
            raise
        except Exception as exc:  # botocore errors of every kind: classified by shape
            raise CallFailed(call, error_code(exc), error_message(exc)) from exc
        finally:
            _WRITING.reset(token)
        result: JSON = to_jsonable(dict(response))
        result.pop("ResponseMetadata", None)
        return result

    def _resolve_pending(self, call: ApiCall) -> ApiCall:
        """A call on a profile the plan created (``profile/new:NAME``) goes to its real ID.

        Raises:
            CallFailed: no profile has that name (ResourceNotFoundException), or several do.
        """
        name = pending_profile_name(str(call.params.get("profileId", "")))
        if call.service != "rolesanywhere" or name is None:
            return call
        found = self.profile_ids_named(name, call.region)
        if len(found) != 1:
            code = "ResourceNotFoundException" if not found else "AmbiguousProfileName"
            what = "no profile" if not found else f"{len(found)} profiles"
            raise CallFailed(call, code, f"{what} named {name!r} in {call.region}")
        return ApiCall(
            call.service, call.operation, {**call.params, "profileId": found[0]}, call.region
        )

    def profile_ids_named(self, name: str, region: str | None) -> list[str]:
        """The IDs of the region's profiles with this name (Roles Anywhere does not make
        names unique; rafix refuses to create a second one)."""
        ids: list[str] = []
        params: dict[str, Any] = {}
        while True:
            response = self.run(ApiCall("rolesanywhere", "ListProfiles", dict(params), region))
            ids += [
                str(p["profileId"]) for p in response.get("profiles") or [] if p.get("name") == name
            ]
            token = response.get("nextToken")
            if not token:
                return ids
            params["nextToken"] = token

    # --- states --------------------------------------------------------------------------

    def read_state(self, resource_type: str, arn: str, *, detailed: bool = False) -> JSON | None:
        """The current state of one resource (state.py shapes); None when it does not exist.

        Args:
            resource_type: role, profile, trust-anchor or crl.
            arn: The resource's ARN.
            detailed: For a role, also read what a created role carries (its managed and
                inline policies, boundary, duration, path, tags: ``detailed_role_state``).
        """
        if detailed and resource_type == "role":
            return self._read_detailed_role(arn)
        reader = _READERS.get(resource_type)
        if reader is None:
            raise ValueError(f"unknown resource type {resource_type!r}")
        operation, param, key, convert = reader
        service = "iam" if resource_type == "role" else "rolesanywhere"
        region = None if service == "iam" else region_of(arn)
        call = ApiCall(service, operation, {param: resource_id(arn)}, region)
        try:
            response = self.run(call)
        except CallFailed as exc:
            if exc.code in NOT_FOUND_CODES:
                return None
            raise
        return convert(response[key])

    def _read_detailed_role(self, arn: str) -> JSON | None:
        name = resource_id(arn)
        try:
            role = role_from_api(self.run(ApiCall("iam", "GetRole", {"RoleName": name}))["Role"])
            role.attached_policy_arns = [
                str(p["PolicyArn"])
                for p in self._pages("ListAttachedRolePolicies", name, "AttachedPolicies")
            ]
            for policy_name in self._pages("ListRolePolicies", name, "PolicyNames"):
                params = {"RoleName": name, "PolicyName": policy_name}
                response = self.run(ApiCall("iam", "GetRolePolicy", params))
                document = decode_policy_document(response["PolicyDocument"])
                role.inline_policies.append((str(policy_name), document))
        except CallFailed as exc:
            if exc.code in NOT_FOUND_CODES:
                return None
            raise
        return detailed_role_state(role)

    def _pages(self, operation: str, role_name: str, key: str) -> list[Any]:
        """Every item of a paginated IAM list call (Marker / IsTruncated)."""
        items: list[Any] = []
        params: dict[str, Any] = {"RoleName": role_name}
        while True:
            response = self.run(ApiCall("iam", operation, dict(params)))
            items += list(response.get(key) or [])
            if not response.get("IsTruncated") or not response.get("Marker"):
                return items
            params["Marker"] = response["Marker"]

    def pause(self, attempt: int) -> None:
        """Back off before retrying: the poll interval, doubled per attempt, at most 2 s."""
        self._sleep(min(self.poll_interval * 2**attempt, 2.0))

    def wait_for(self, resource_type: str, arn: str, target: JSON | None) -> JSON | None:
        """Read a resource until it is equivalent to ``target`` or the polling bound passes.

        Returns:
            The last state read (equivalent to ``target`` unless the bound passed).
        """
        deadline = time.monotonic() + self.poll_timeout
        pause = self.poll_interval
        detailed = is_detailed(resource_type, target)
        while True:
            current = self.read_state(resource_type, arn, detailed=detailed)
            if equivalent(resource_type, current, target) or time.monotonic() >= deadline:
                return current
            self._sleep(pause)
            pause = min(pause * 2, 2.0)


class _SessionEvents(Protocol):
    def register(self, event_name: str, handler: Callable[..., Any]) -> None: ...


def install_read_only_guard(events: _SessionEvents) -> None:
    """Refuse every mutating operation on an account session but a writable executor's own.

    For readers that do not go through an :class:`Executor` (``scan``, ``plan``, ``export``,
    ``tui --read-only``): pass ``AccountSession.events``, which reaches the clients the session
    made and every client it will make.
    """
    events.register("before-call", _refuse_mutation)


def _refuse_mutation(model: Any = None, **_: Any) -> None:
    """botocore ``before-call`` hook: the last line of defence of read-only mode."""
    name = str(getattr(model, "name", ""))
    if is_mutating(name) and not _WRITING.get():
        raise ReadOnlyError(f"read-only mode: refused {name}; nothing was written")


def _method_name(client: Any, operation: str) -> str:
    """botocore's snake_case method name of an operation (its ``xform_name``)."""
    mapping: dict[str, str] = getattr(client.meta, "method_to_api_mapping", {})
    for method, api_name in mapping.items():
        if api_name == operation:
            return method
    return operation


def _role(d: JSON) -> JSON:
    return role_state(role_from_api(d))


def _profile(d: JSON) -> JSON:
    return profile_state(profile_from_api(d))


def _anchor(d: JSON) -> JSON:
    return anchor_state(anchor_from_api(d))


def _crl(d: JSON) -> JSON:
    return crl_state(crl_from_api(d))


_READERS: dict[str, tuple[str, str, str, Callable[[JSON], JSON]]] = {
    "role": ("GetRole", "RoleName", "Role", _role),
    "profile": ("GetProfile", "profileId", "profile", _profile),
    "trust-anchor": ("GetTrustAnchor", "trustAnchorId", "trustAnchor", _anchor),
    "crl": ("GetCrl", "crlId", "crl", _crl),
}
