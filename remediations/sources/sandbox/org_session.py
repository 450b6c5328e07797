"""An open sandbox organisation: one moto mock, one :class:`Router`, a session per account.

Opening the organisation (:func:`open_organization`) starts one moto mock for every account:
moto keeps each account's IAM apart, the Roles Anywhere emulator keeps one state per account,
moto's Organizations lists the accounts and moto's STS answers ``AssumeRole``. Every request
goes through one :class:`Router`, which tells the account from the request's access key (the
management key, or the temporary key STS returned for a member) and hands it to that
account's :class:`~remediations.sources.sandbox.account.Dispatcher`: the credentials decide the
account, as in AWS. ``AssumeRole`` is allowed only as IAM would allow it: the role must exist
in the member and its trust policy must allow the caller's account (and the external ID).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs

from remediations.errors import InputError
from remediations.model import SourceWarning
from remediations.sources.sandbox.account import Dispatcher, SandboxSession
from remediations.sources.sandbox.organization import FAULTS_ENV, ORG_FILE, SandboxOrg, read_org

if TYPE_CHECKING:
    import boto3  # type: ignore[import-untyped]
    from botocore.awsrequest import AWSPreparedRequest, AWSResponse

_KEY = re.compile(r"Credential=([^/]+)/")


class Router:
    """The one ``before-send`` hook of an organisation: the request's access key names the
    account; that account's :class:`Dispatcher` serves it."""

    def __init__(self, org: SandboxOrg) -> None:
        self.org = org
        self.dispatchers: dict[str, Dispatcher] = {}
        self._lock: Any = threading.Lock()

    def account_of(self, request: AWSPreparedRequest) -> str | None:
        from moto.iam.models import get_account_id_from

        auth = request.headers.get("Authorization") or b""
        text = auth.decode() if isinstance(auth, bytes) else str(auth)
        match = _KEY.search(text)
        key = match.group(1) if match else ""
        if key == "sandbox":
            return self.org.management_account_id
        with self._lock:
            account = get_account_id_from(key)
        return account if account in self.dispatchers else None

    def __call__(self, request: AWSPreparedRequest, event_name: str, **kwargs: Any) -> AWSResponse:
        from remediations.sources.sandbox.account import fail
        from remediations.sources.sandbox.faults import Fault

        _, service, operation = event_name.split(".", 2)
        account = self.account_of(request)
        if account is None:
            return fail(
                Fault(
                    "error",
                    code="InvalidClientTokenId",
                    status=403,
                    message="The security token included in the request is invalid.",
                ),
                request,
                service,
            )
        if service == "sts" and operation == "AssumeRole":
            refusal = self._refuse_assume_role(account, request)
            if refusal is not None:
                return fail(
                    Fault("access-denied", code="AccessDenied", status=403, message=refusal),
                    request,
                    service,
                )
        return self.dispatchers[account](request, event_name, **kwargs)

    def _refuse_assume_role(self, caller: str, request: AWSPreparedRequest) -> str | None:
        """Why IAM would refuse this AssumeRole, or None: the role must exist in an account of
        the organisation and trust the caller's account (with the external ID)."""
        from moto.iam.models import iam_backends

        from remediations.iam.evaluator import Decision, evaluate
        from remediations.sources.sandbox.account import _body_bytes

        body = _body_bytes(request.body).decode("utf-8", "replace")
        fields = {k: v[0] for k, v in parse_qs(body).items()}
        arn = fields.get("RoleArn", "")
        denied = (
            f"User: arn:aws:sts::{caller}:assumed-role/sandbox/rafix is not authorized to "
            f"perform: sts:AssumeRole on resource: {arn}"
        )
        match = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)", arn)
        if match is None or match.group(1) not in self.dispatchers:
            return denied
        target, name = match.groups()
        with self._lock:
            try:
                role = iam_backends[target]["global"].get_role(name)
            except Exception:
                return denied
            document = role.assume_role_policy_document
        try:
            trust = json.loads(document) if isinstance(document, str) else document
        except ValueError:
            return denied
        context = {"sts:ExternalId": fields["ExternalId"]} if "ExternalId" in fields else {}
        decision = evaluate(
            trust,
            action="sts:AssumeRole",
            principal=("AWS", f"arn:aws:iam::{caller}:root"),
            context=context,
        )
        return None if decision is Decision.ALLOW else denied


class _SharedMock:
    """The organisation's one moto mock: member sessions do not stop it; the management
    session stops it last."""

    def stop(self) -> None:
        return None


def open_organization(directory: str | Path, regions: list[str] | None = None) -> SandboxSession:
    """Open every account of the organisation in ``directory``; returns the management
    account's session (with ``member_session`` for the assume-role path). Closing it saves
    every account that changed and releases them all.

    Raises:
        InputError: not an organisation, unreadable state, or already open in this process.
    """
    from moto import mock_aws

    from remediations.sources.sandbox import account as sandbox_account
    from remediations.sources.sandbox.emulator import RolesAnywhereEmulator
    from remediations.sources.sandbox.faults import FaultInjector
    from remediations.sources.sandbox.seed import (
        created_moment,
        load_state,
        read_account_file,
        seed_emulator,
        seed_iam,
    )

    org = read_org(directory)
    ids = [org.management_account_id, *org.accounts]
    with sandbox_account._open_lock:
        busy = [a for a in ids if a in sandbox_account._open_accounts]
        if busy:
            raise InputError(f"{org.directory}: account {busy[0]} is already open in this process")
        sandbox_account._open_accounts.update(ids)
    mock = mock_aws()
    mock.start()
    try:
        router = Router(org)
        # moto's backends are shared by every account: one request at a time, org-wide.
        lock = threading.RLock()
        router._lock = lock
        warnings: dict[str, list[SourceWarning]] = {}
        model = sandbox_account._service_model()
        for account_id in ids:
            folder = org.folder(account_id)
            stated = str(read_account_file(folder)["account_id"])
            if stated != account_id:
                raise InputError(
                    f"{folder}: holds account {stated}, but {ORG_FILE} says {account_id}"
                )
            inventory, tags = load_state(folder)
            created = created_moment(folder)
            found = list(inventory.warnings) + seed_iam(account_id, inventory, created=created)
            emulator = RolesAnywhereEmulator(account_id, model)
            found += seed_emulator(emulator, inventory, tags, created=created)
            dispatcher = sandbox_account.Dispatcher(account_id, emulator, FaultInjector())
            dispatcher._lock = lock
            router.dispatchers[account_id] = dispatcher
            warnings[account_id] = found
        _seed_organizations(org)
        _inject_env_faults(router)
        session = OrgSandboxSession(
            org,
            router,
            mock,
            regions,
            warnings,
            sandbox_account._boto_session(cast(Any, router)),
        )
    except BaseException:
        mock.stop()
        with sandbox_account._open_lock:
            sandbox_account._open_accounts.difference_update(ids)
        raise
    return session


def _seed_organizations(org: SandboxOrg) -> None:
    """moto's Organizations with the accounts of ``organization.json`` (their own IDs)."""
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[org.management_account_id]["aws"]
    backend.create_organization(region="us-east-1", FeatureSet="ALL")
    backend.accounts[0].name = "management"
    for account_id, meta in org.accounts.items():
        backend.create_account(AccountName=meta.get("name", account_id), Email=meta.get("email"))
        account = backend.accounts[-1]
        organizations_backends.master_accounts.pop(account.id, None)
        account.id = account_id
        account.status = meta.get("status", "ACTIVE")
        organizations_backends.master_accounts[account_id] = (org.management_account_id, "aws")


def _inject_env_faults(router: Router) -> None:
    """Faults from ``$RAFIX_SANDBOX_FAULTS`` (a JSON list; each fault names its account)."""
    text = os.environ.get(FAULTS_ENV)
    if not text:
        return
    try:
        faults = json.loads(text)
        if not isinstance(faults, list):
            raise ValueError("not a list")
        for fault in faults:
            options = dict(fault)
            account = str(options.pop("account"))
            kind = options.pop("kind")
            if account in router.dispatchers:
                router.dispatchers[account].faults.inject(kind, **options)
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(f"${FAULTS_ENV}: not a list of faults ({exc})") from None


class OrgSandboxSession(SandboxSession):
    """The management account of a sandbox organisation; members through ``AssumeRole``."""

    def __init__(
        self,
        org: SandboxOrg,
        router: Router,
        mock: Any,
        regions: list[str] | None,
        warnings: dict[str, list[SourceWarning]],
        boto_session: boto3.Session,
    ) -> None:
        management = org.management_account_id
        super().__init__(
            org.directory,
            management,
            boto_session,
            router.dispatchers[management],
            mock,
            regions,
            warnings[management],
        )
        self.org = org
        self.router = router
        self._warnings = warnings
        self._members: list[SandboxSession] = []
        self._members_lock = threading.Lock()

    def member_session(self, account_id: str, credentials: Mapping[str, Any]) -> SandboxSession:
        """The member's session on the credentials STS returned (the key names the account)."""
        from remediations.sources.sandbox.account import _boto_session

        boto_session = _boto_session(cast(Any, self.router))
        core = boto_session._session
        core.set_credentials(
            credentials["AccessKeyId"],
            credentials["SecretAccessKey"],
            credentials.get("SessionToken"),
        )
        member = SandboxSession(
            self.org.folder(account_id),
            account_id,
            boto_session,
            self.router.dispatchers[account_id],
            _SharedMock(),
            self.requested_regions,
            self._warnings.get(account_id, []),
        )
        with self._members_lock:
            self._members.append(member)
        return member

    def faults_of(self, account_id: str) -> Any:
        """The fault injector of one account of the organisation (tests, demos)."""
        return self.router.dispatchers[account_id].faults

    def close(self) -> None:
        from remediations.sources.sandbox import account as sandbox_account

        if self._closed:
            return
        try:
            with self._members_lock:
                members, self._members = self._members, []
            for member in members:
                member.close()  # saves a member that changed and was not closed yet
        finally:
            try:
                super().close()
            finally:
                with sandbox_account._open_lock:
                    sandbox_account._open_accounts.difference_update(self.org.accounts)


__all__ = ["OrgSandboxSession", "Router", "open_organization"]
