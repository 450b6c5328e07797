"""A local AWS account that boto3 talks to: moto for IAM/STS/EC2, the emulator for RA.

Every request a sandbox client sends goes through :class:`Dispatcher`, one botocore
``before-send`` hook that (1) records the attempt and applies injected faults, (2) hands
Roles Anywhere requests to the emulator, and (3) hands everything else to moto's own stubber.
moto's stubber is a built-in handler of every botocore session; the sandbox session drops it
and calls it itself, so an injected error never reaches moto and nothing is served twice.

State lives in ``DIR/state/`` in the ``rafix export`` formats (``iam.json``,
``anchors.json``, ``profiles.json``, ``crls.json``, ``subjects.json``) plus ``tags.json``
(Roles Anywhere tags) and ``account.json``. Opening seeds moto and the emulator from those
files; closing after a write reads the account back through boto3 and rewrites them.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from remediations.errors import ApplyError, InputError
from remediations.jsontext import dumps_indented
from remediations.locks import Lock, acquire
from remediations.model import Inventory, SourceWarning
from remediations.sources.aws import read_account
from remediations.sources.aws_session import AccountSession
from remediations.sources.sandbox import fidelity
from remediations.sources.sandbox.emulator import RolesAnywhereEmulator
from remediations.sources.sandbox.faults import Fault, FaultInjector, is_write
from remediations.sources.sandbox.seed import LOCK_FILE, read_account_file, state_dir

if TYPE_CHECKING:
    import boto3  # type: ignore[import-untyped]
    from botocore.awsrequest import AWSPreparedRequest, AWSResponse

STATE_DIR = "state"
SNAPSHOT_DIR = "snapshots"
ACCOUNT_FILE = "account.json"
TAGS_FILE = "tags.json"
HOME_REGION = "us-east-1"
#: The files ``rafix export`` writes, in the order they are read back.
EXPORT_FILES = ("iam.json", "anchors.json", "profiles.json", "crls.json", "subjects.json")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
_HOST_REGION = re.compile(r"^[a-z0-9-]+\.([a-z]{2}(?:-[a-z]+)+-\d)\.")
_PROTOCOL_ERRORS = {
    # fault kind -> (code, HTTP status, message) per protocol family
    "rest-json": {
        "throttle": ("ThrottlingException", 429, "Rate exceeded"),
        "access-denied": ("AccessDeniedException", 403, "not authorized (injected)"),
        "error": ("InternalServerException", 500, "internal error (injected)"),
    },
    "query": {
        "throttle": ("Throttling", 400, "Rate exceeded"),
        "access-denied": ("AccessDenied", 403, "not authorized (injected)"),
        "error": ("ServiceFailure", 500, "internal error (injected)"),
    },
    "ec2": {
        "throttle": ("RequestLimitExceeded", 503, "Request limit exceeded."),
        "access-denied": ("UnauthorizedOperation", 403, "not authorized (injected)"),
        "error": ("InternalError", 500, "internal error (injected)"),
    },
}

_open_accounts: set[str] = set()
_open_lock = threading.Lock()


def state_digest(directory: str | Path) -> str:
    """SHA-256 over the state files (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(state_dir(directory).glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class Dispatcher:
    """The one ``before-send`` hook of a sandbox session (see the module docstring)."""

    def __init__(
        self, account_id: str, emulator: RolesAnywhereEmulator, faults: FaultInjector
    ) -> None:
        self.account_id = account_id
        self.emulator = emulator
        self.faults = faults
        #: Set by a successful IAM write: the sandbox then saves iam.json on close.
        self.iam_dirty = False
        # moto and the emulator keep plain dicts: one request at a time.
        self._lock = threading.RLock()
        fidelity.install()

    def __call__(self, request: AWSPreparedRequest, event_name: str, **kwargs: Any) -> AWSResponse:
        _, service, operation_name = event_name.split(".", 2)
        region = request_region(request)
        fault = self.faults.check(service, operation_name, region)
        if fault is not None and fault.when == "before":
            return fail(fault, request, service)
        with self._lock:
            response = self._serve(request, service)
        if service == "iam" and is_write(operation_name) and response.status_code < 300:
            self.iam_dirty = True
        if fault is not None:  # when="after": the change is made, the caller sees a failure
            return fail(fault, request, service)
        return response

    def _serve(self, request: AWSPreparedRequest, service: str) -> AWSResponse:
        from botocore.exceptions import EndpointConnectionError
        from moto.core.models import botocore_stubber

        if service == "rolesanywhere":
            path, _, query = request.url.split("://", 1)[-1].partition("/")[2].partition("?")
            status, headers, payload = self.emulator.handle(
                request_region(request),
                request.method or "GET",
                "/" + path,
                query,
                _body_bytes(request.body),
            )
            return response(request.url, status, headers, payload)
        request.headers["x-moto-account-id"] = self.account_id
        try:
            with fidelity.serving():  # moto judges trust policies as IAM does
                served: AWSResponse | None = botocore_stubber("before-send", request)
        except KeyError:  # a region moto has no backend for: no such endpoint, as in AWS
            raise EndpointConnectionError(endpoint_url=request.url) from None
        if served is None:  # a service moto does not serve: never reach the network
            raise EndpointConnectionError(endpoint_url=request.url)
        return served


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    data = body.read()  # a file-like body (botocore streams large uploads)
    return data.encode() if isinstance(data, str) else bytes(data)


def response(url: str, status: int, headers: dict[str, str], body: bytes) -> AWSResponse:
    """An ``AWSResponse`` as botocore's HTTP layer would return it."""
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    return AWSResponse(url, status, HTTPHeaders.from_dict(headers), _Raw(body))


class _Raw:
    """The raw stream botocore reads a response body from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def request_region(request: AWSPreparedRequest) -> str:
    """The signing region (from the SigV4 credential scope), else the host's."""
    auth = request.headers.get("Authorization") or b""
    text = auth.decode() if isinstance(auth, bytes) else str(auth)
    match = _SCOPE.search(text)
    if match:
        return match.group(1)
    host = request.url.split("://", 1)[-1]
    match = _HOST_REGION.match(host)
    return match.group(1) if match else HOME_REGION


def fail(fault: Fault, request: AWSPreparedRequest, service: str) -> AWSResponse:
    """The response (or dropped connection) an injected fault produces, in the service's
    own wire format so that botocore's parser and retry logic treat it as the real thing."""
    from botocore.exceptions import ConnectionClosedError

    if fault.kind == "drop":
        raise ConnectionClosedError(endpoint_url=request.url)
    family = "rest-json" if service == "rolesanywhere" else "ec2" if service == "ec2" else "query"
    code, status, message = _PROTOCOL_ERRORS[family][fault.kind]
    code, status, message = fault.code or code, fault.status or status, fault.message or message
    if family == "rest-json":
        headers = {"x-amzn-ErrorType": code, "Content-Type": "application/json"}
        body = json.dumps({"message": message}).encode()
    elif family == "ec2":
        headers = {"Content-Type": "text/xml"}
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{_xml(message)}</Message>"
            f"</Error></Errors><RequestID>rafix-fault</RequestID></Response>"
        ).encode()
    else:
        headers = {"Content-Type": "text/xml"}
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{_xml(message)}</Message></Error>"
            f"<RequestId>rafix-fault</RequestId></ErrorResponse>"
        ).encode()
    return response(request.url, status, headers, body)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SandboxSession(AccountSession):
    """An :class:`AccountSession` on a sandbox; closing it saves what changed.

    Attributes:
        directory: the sandbox folder.
        faults: inject faults and count calls (see ``remediations.sources.sandbox.faults``).
        emulator: the Roles Anywhere service (its state, for tests).
        seed_warnings: what could not be loaded into the account from the state files.
    """

    def __init__(
        self,
        directory: Path,
        account_id: str,
        boto_session: boto3.Session,
        dispatcher: Dispatcher,
        mock: Any,
        regions: list[str] | None,
        seed_warnings: list[SourceWarning],
    ) -> None:
        from remediations.source import SandboxSource, source_label

        origin = source_label(SandboxSource(directory))
        super().__init__(regions=regions, boto_session=boto_session, origin=origin)
        self.directory = directory
        self.dispatcher = dispatcher
        self.faults = dispatcher.faults
        self.emulator = dispatcher.emulator
        self.seed_warnings = seed_warnings
        self._sandbox_account = account_id
        self._mock = mock
        self._closed = False
        #: The state files as opened: saving refuses to overwrite another process's changes.
        self.opened_digest = state_digest(directory)
        #: The sandbox's lock (``remediations.locks``), released when the session closes.
        self.lock: Lock | None = None

    @property
    def account_id(self) -> str:
        return self._sandbox_account

    def regions(self, warnings: list[SourceWarning] | None = None) -> list[str]:
        """``--region``, else every region the sandbox has Roles Anywhere resources in
        (the regions "enabled" for this account)."""
        if self.requested_regions:
            return list(self.requested_regions)
        used = [name for name, state in self.emulator.regions.items() if not state.empty]
        return sorted(used) or [HOME_REGION]

    def __enter__(self) -> SandboxSession:
        return self

    @property
    def dirty(self) -> bool:
        return self.emulator.dirty or self.dispatcher.iam_dirty

    def save(self) -> list[Path]:
        """Write the account back to ``DIR/state`` (atomically, file by file)."""
        from remediations.files import write_output
        from remediations.sources.export import export_documents

        # Read through clients of its own: saving is the sandbox's bookkeeping, not calls an
        # apply makes (no injected fault fails it, no hook on the apply's clients sees it).
        self.faults.active = False
        with self._lock:
            kept, self._clients = self._clients, {}
        # IAM unchanged: iam.json stays as it is (re-reading 10,000 roles costs 13 s of CPU).
        iam = self.dispatcher.iam_dirty or not (state_dir(self.directory) / "iam.json").is_file()
        try:
            inventory = read_account(self, regions=sorted(self.emulator.regions), iam=iam)
        finally:
            self.faults.active = True
            with self._lock:
                mine, self._clients = list(self._clients.values()), kept
            for client in mine:
                client.close()
        docs = export_documents(inventory)
        folder = state_dir(self.directory)
        if state_digest(self.directory) != self.opened_digest:
            raise ApplyError(
                f"{self.directory}: the sandbox was changed by another rafix process while "
                "this one had it open; this session's changes were not saved"
            )
        written = []
        for name in EXPORT_FILES:
            if name in docs:
                write_output(folder / name, dumps_indented(docs[name]) + "\n", what="the sandbox")
                written.append(folder / name)
        tags = {
            arn: tags
            for region in self.emulator.regions.values()
            for arn, tags in region.tags.items()
            if tags
        }
        write_output(
            folder / TAGS_FILE,
            json.dumps(tags, indent=2, sort_keys=True) + "\n",
            what="the sandbox",
        )
        written.append(folder / TAGS_FILE)
        self.emulator.dirty = self.dispatcher.iam_dirty = False
        self.opened_digest = state_digest(self.directory)
        return written

    def close(self) -> None:
        """Save when something changed, then release the local account."""
        if self._closed:
            return
        try:
            if self.dirty:
                self.save()
        finally:
            super().close()
            self._closed = True
            self._mock.stop()
            with _open_lock:
                _open_accounts.discard(self._sandbox_account)
            if self.lock is not None:
                self.lock.release()

    def commit(self) -> None:
        """Save what changed now (an apply is as planned only once it is saved).

        Raises:
            ApplyError: the state files were changed behind rafix's back; nothing was saved.
        """
        if self.dirty:
            self.save()


def open_sandbox(
    directory: str | Path, regions: list[str] | None = None, *, exclusive: bool = False
) -> SandboxSession:
    """Open the sandbox account in ``directory`` (use as a context manager: closing saves).

    The sandbox's lock (``DIR/.rafix.lock``) is taken before its state is loaded and held until
    the session is closed: ``exclusive`` to write, else shared (see ``remediations.locks``).

    Raises:
        InputError: not a sandbox, unreadable state, or the same account already open.
        ApplyError / SourceError: another rafix process holds the sandbox for too long.
    """
    from moto import mock_aws

    from remediations.sources.sandbox.seed import (
        AWS_POLICY_PREFIX,
        created_moment,
        load_state,
        seed_emulator,
        seed_iam,
    )

    # Resolved, so that plans and snapshots name the sandbox the same way from any directory.
    folder = Path(directory).resolve()
    account_id = str(read_account_file(folder)["account_id"])
    with _open_lock:
        if account_id in _open_accounts:
            raise InputError(f"{folder}: account {account_id} is already open in this process")
        _open_accounts.add(account_id)
    try:
        lock = acquire(folder / LOCK_FILE, what=f"the sandbox {folder}", shared=not exclusive)
    except BaseException:
        with _open_lock:
            _open_accounts.discard(account_id)
        raise
    try:
        inventory, tags = load_state(folder)
    except BaseException:
        lock.release()
        with _open_lock:
            _open_accounts.discard(account_id)
        raise
    mock = mock_aws()
    mock.start()
    try:
        warnings = list(inventory.warnings)
        created = created_moment(folder)
        warnings += seed_iam(account_id, inventory, created=created)
        emulator = RolesAnywhereEmulator(account_id, _service_model())
        warnings += seed_emulator(emulator, inventory, tags, created=created)
        dispatcher = Dispatcher(account_id, emulator, FaultInjector())
        session = SandboxSession(
            folder, account_id, _boto_session(dispatcher), dispatcher, mock, regions, warnings
        )
        # The AWS managed policies the account's files hold are read back as they were given
        # (the live reader skips AWS managed policies: rafix knows the common ones).
        session.aws_managed_policy_arns = frozenset(
            arn for arn in inventory.policies if arn.startswith(AWS_POLICY_PREFIX)
        )
        session.lock = lock
    except BaseException:
        mock.stop()
        lock.release()
        with _open_lock:
            _open_accounts.discard(account_id)
        raise
    return session


def _service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("rolesanywhere")


def _boto_session(dispatcher: Dispatcher) -> boto3.Session:
    """A session whose every request goes to ``dispatcher`` (moto's built-in stubber removed
    from it, so that the dispatcher alone decides what moto sees)."""
    import boto3
    from moto.core.models import botocore_stubber

    session = boto3.Session(
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
        region_name=HOME_REGION,
    )
    core = session._session
    core.unregister("before-send", botocore_stubber)
    core.register("before-send", dispatcher)
    return session


def read_inventory(directory: str | Path, regions: list[str] | None = None) -> Inventory:
    """The sandbox account, read through boto3 exactly like a live account."""
    with open_sandbox(directory, regions) as session:
        inventory = read_account(session)
        inventory.warnings[:0] = session.seed_warnings
        return inventory


def utc_now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


__all__ = [
    "Dispatcher",
    "SandboxSession",
    "open_sandbox",
    "read_inventory",
]
