"""Every account of an AWS Organization: list the accounts, assume a role in each, read them
concurrently.

The management account (or a delegated administrator) lists the organisation's ACTIVE
accounts (``organizations:ListAccounts``) and is itself read with the caller's own
credentials; every other account is read through ``sts:AssumeRole`` into ``--assume-role``
(default ``OrganizationAccountAccessRole``), with ``--external-id`` when given and a role
session name that says rafix. Accounts are read ``parallel`` at a time, the regions of each in
parallel (``remediations.sources.aws.read_account``); one account that cannot be read (role missing,
AccessDenied, an SCP, a disabled region) is one warning naming the account, the role and the
IAM action, and the rest goes on.

The same code reads a live organisation and a sandbox one (``rafix sandbox init --accounts N``):
the sandbox's management session lists accounts through moto's Organizations and assumes roles
through moto's STS, and builds each member's session on the credentials STS returned.
An offline organisation is a folder of per-account folders (``rafix export --org``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from remediations.errors import Cancelled, InputError, RafixError, SourceError
from remediations.model import Inventory, SourceWarning
from remediations.progress import Progress, Stage, StopCheck, stop_if_asked

if TYPE_CHECKING:
    from remediations.sources.aws_session import AccountSession

DEFAULT_ROLE = "OrganizationAccountAccessRole"
#: The role session name: CloudTrail shows who read the account (``rafix``).
SESSION_NAME = "rafix"
DEFAULT_PARALLEL = 4
ACCOUNT_ID = re.compile(r"^\d{12}$")
#: IAM role names: 1-64 of ``[\w+=,.@-]`` (a path is not part of the name).
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


@dataclass(frozen=True, slots=True)
class OrgAccount:
    """One account of the organisation."""

    account_id: str
    name: str = ""
    status: str = "ACTIVE"
    #: The account whose credentials list the organisation (read without assuming a role).
    management: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "name": self.name,
            "status": self.status,
            "management": self.management,
        }


@dataclass(slots=True)
class AccountResult:
    """What reading one account gave: its inventory, or why it could not be read."""

    account: OrgAccount
    inventory: Inventory | None = None
    #: One line: the account, the role and the IAM action that failed.
    error: str | None = None
    role_arn: str | None = None

    @property
    def ok(self) -> bool:
        return self.inventory is not None


@dataclass(slots=True)
class OrgInventory:
    """Every account read, in the order listed; ``merged`` is them all in one inventory."""

    accounts: list[AccountResult] = field(default_factory=list)
    management_account_id: str | None = None

    def merged(self, origin: str = "") -> Inventory:
        """One inventory of every account read (ARNs carry the account, so nothing
        collides); the unreadable accounts are warnings."""
        merged = Inventory(origin=origin)
        coverage: set[str] | None = None
        for result in self.accounts:
            if result.inventory is None:
                merged.warnings.append(
                    SourceWarning(
                        result.error or "not read",
                        where=result.account.account_id,
                        incomplete=True,
                    )
                )
                continue
            inv = result.inventory
            merged.roles.update(inv.roles)
            merged.policies.update(inv.policies)
            merged.trust_anchors.update(inv.trust_anchors)
            merged.profiles.update(inv.profiles)
            merged.crls.update(inv.crls)
            merged.subjects.update(inv.subjects)
            merged.regions.extend(r for r in inv.regions if r not in merged.regions)
            merged.warnings.extend(
                SourceWarning(
                    w.message,
                    f"{inv.account_id or result.account.account_id}: {w.where}"
                    if w.where
                    else inv.account_id or result.account.account_id,
                    w.resource_arn,
                    w.incomplete,
                )
                for w in inv.warnings
            )
            coverage = set(inv.coverage) if coverage is None else coverage & inv.coverage
        merged.coverage = coverage or set()
        read = [r.inventory.account_id for r in self.accounts if r.inventory is not None]
        merged.account_id = read[0] if len(read) == 1 else None
        return merged

    @property
    def inventories(self) -> list[Inventory]:
        return [r.inventory for r in self.accounts if r.inventory is not None]


def check_account_ids(ids: Sequence[str]) -> tuple[str, ...]:
    """``--account`` values: 12 digits each; duplicates dropped, order kept.

    Raises:
        InputError: a value that is not a 12-digit account ID.
    """
    for value in ids:
        if not ACCOUNT_ID.match(value):
            raise InputError(f"--account {value!r}: an AWS account ID is 12 digits")
    return tuple(dict.fromkeys(ids))


def check_role_name(name: str) -> str:
    """``--assume-role``: a role name (an ARN's name part is taken as the name)."""
    candidate = name.rsplit("/", 1)[-1] if name.startswith("arn:") else name
    if not ROLE_NAME.match(candidate):
        raise InputError(
            f"--assume-role {name!r}: not an IAM role name (1-64 letters, digits and +=,.@_-)"
        )
    return candidate


# --- live and sandbox organisations --------------------------------------------------------


def list_accounts(management: AccountSession) -> list[OrgAccount]:
    """Every ACTIVE account of the organisation (``organizations:ListAccounts``), the caller's
    own account first and marked as the management account.

    Raises:
        SourceError: the caller cannot list the organisation (one line says why and what to do).
    """
    from botocore.exceptions import ClientError

    from remediations.sources.aws_errors import guard_call as _guard

    def run() -> list[dict[str, Any]]:
        client = management.client("organizations")
        accounts: list[dict[str, Any]] = []
        for page in client.get_paginator("list_accounts").paginate():
            accounts.extend(page.get("Accounts") or [])
        return accounts

    try:
        listed = _guard(run, "organizations:ListAccounts")
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code == "AWSOrganizationsNotInUseException":
            raise SourceError(
                "--org: this account is not in an AWS Organization; drop --org to read it alone"
            ) from None
        raise SourceError(
            f"--org: organizations:ListAccounts was refused ({code}); run rafix with the "
            "management account or a delegated administrator, or name accounts with --account"
        ) from None
    caller = management.account_id
    accounts = [
        OrgAccount(
            str(a["Id"]),
            str(a.get("Name") or ""),
            str(a.get("Status") or "ACTIVE"),
            management=str(a["Id"]) == caller,
        )
        for a in listed
        if str(a.get("Status") or "ACTIVE") == "ACTIVE"
    ]
    accounts.sort(key=lambda a: (not a.management, a.account_id))
    if not any(a.management for a in accounts):
        accounts.insert(0, OrgAccount(caller, "", "ACTIVE", management=True))
    return accounts


def role_arn(management: AccountSession, account_id: str, role_name: str) -> str:
    return f"arn:{management.partition}:iam::{account_id}:role/{role_name}"


def assume_account(
    management: AccountSession,
    account_id: str,
    role_name: str = DEFAULT_ROLE,
    external_id: str | None = None,
) -> AccountSession:
    """A session in ``account_id`` through ``sts:AssumeRole`` from ``management``.

    Raises:
        SourceError: the role cannot be assumed (the message names the account, the role
            and the action).
    """
    from botocore.exceptions import ClientError

    from remediations.sources.aws_errors import guard_call as _guard

    arn = role_arn(management, account_id, role_name)
    request: dict[str, Any] = {"RoleArn": arn, "RoleSessionName": SESSION_NAME}
    if external_id:
        request["ExternalId"] = external_id
    try:
        reply = _guard(lambda: management.client("sts").assume_role(**request), "sts:AssumeRole")
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "")) or "error"
        raise SourceError(
            f"account {account_id}: cannot assume {arn} (sts:AssumeRole: {code}); "
            "is the role there, and does it trust this account?"
        ) from None
    except SourceError as exc:
        raise SourceError(f"account {account_id}: cannot assume {arn} ({exc})") from None
    credentials = reply["Credentials"]
    factory = getattr(management, "member_session", None)
    if factory is not None:  # a sandbox: the member is one of its local accounts
        member: AccountSession = factory(account_id, credentials)
        return member
    return _live_member(management, account_id, credentials)


def _live_member(
    management: AccountSession, account_id: str, credentials: dict[str, Any]
) -> AccountSession:
    import boto3  # type: ignore[import-untyped]

    from remediations.sources.aws_session import AccountSession

    boto_session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=management.home_region,
    )
    member = AccountSession(
        regions=management.requested_regions,
        endpoint_url=management.endpoint_url,
        boto_session=boto_session,
        origin=management.origin,
        connect_timeout=management.connect_timeout,
        read_timeout=management.read_timeout,
    )
    member._account_id = account_id
    return member


@contextmanager
def open_member(
    management: AccountSession,
    account: OrgAccount,
    role_name: str = DEFAULT_ROLE,
    external_id: str | None = None,
) -> Iterator[AccountSession]:
    """The account's session: the management session itself, else an assumed one (closed
    on exit; the management session stays open)."""
    if account.management or account.account_id == management.account_id:
        yield management
        return
    member = assume_account(management, account.account_id, role_name, external_id)
    try:
        yield member
    finally:
        member.close()


def read_organization(
    management: AccountSession,
    accounts: Sequence[OrgAccount],
    *,
    role_name: str = DEFAULT_ROLE,
    external_id: str | None = None,
    parallel: int = DEFAULT_PARALLEL,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: StopCheck | None = None,
) -> OrgInventory:
    """Read ``accounts`` through ``management``, ``parallel`` at a time.

    ``on_progress`` gets one step per account read (or failed). An account that cannot be
    read is an :class:`AccountResult` with ``error``; cancelling stops every account.
    """
    from remediations.sources.aws import read_account

    results = [AccountResult(a) for a in accounts]
    lock = threading.Lock()
    done = 0

    def read_one(result: AccountResult) -> None:
        nonlocal done
        stop_if_asked(should_stop)
        account = result.account
        if not account.management:
            result.role_arn = role_arn(management, account.account_id, role_name)
        try:
            with open_member(management, account, role_name, external_id) as session:
                inventory = read_account(session, should_stop=should_stop)
                inventory.warnings[:0] = list(getattr(session, "seed_warnings", ()))
                if inventory.account_id is None:
                    inventory.account_id = account.account_id
                result.inventory = inventory
        except Cancelled:
            raise
        except RafixError as exc:
            message = str(exc)
            if not message.startswith(f"account {account.account_id}"):
                via = f" through {result.role_arn}" if result.role_arn else ""
                message = f"account {account.account_id}{via}: {message}"
            result.error = f"{message}; the other accounts were read"
        with lock:
            done += 1
            step = f"account {account.account_id}" + (" (not read)" if result.error else "")
            report = Progress(Stage.LOAD, step, done, len(results))
        if on_progress is not None:
            on_progress(report)

    stop_if_asked(should_stop)
    # Imported here: the pool brings in logging and more, which a file scan (that only asks
    # whether its folder is an organisation's) should not pay for at start-up.
    from concurrent.futures import ThreadPoolExecutor

    workers = max(1, min(parallel, len(results) or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rafix-account") as pool:
        futures = [pool.submit(read_one, r) for r in results]
        try:
            for future in futures:
                future.result()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return OrgInventory(results, management.account_id if results else None)


# --- offline organisations ------------------------------------------------------------------


def account_folders(directory: Path) -> list[Path]:
    """The per-account folders (named by 12-digit account ID) of an exported organisation."""
    try:
        if not directory.is_dir():
            return []
        return sorted(p for p in directory.iterdir() if p.is_dir() and ACCOUNT_ID.match(p.name))
    except OSError:  # too long, unreadable: not an organisation; the file reader says why
        return []


def is_org_folder(paths: Sequence[Path]) -> bool:
    """One folder holding per-account folders, as ``rafix export --org`` writes it."""
    return len(paths) == 1 and bool(account_folders(Path(paths[0])))


def read_org_folder(
    directory: Path,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
    *,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: StopCheck | None = None,
) -> OrgInventory:
    """The organisation exported into ``directory`` (one folder per account ID).

    Raises:
        InputError: an ``--account`` with no folder there, or a file that cannot be read.
    """
    from remediations.sources.offline import keep_regions, load_files

    folders = {p.name: p for p in account_folders(directory)}
    if not folders:
        raise InputError(
            f"{directory}: no per-account folders (named by 12-digit account ID) in it; "
            "write them with `rafix export --org --out DIR`, or drop --org to read one account"
        )
    missing = [a for a in accounts if a not in folders]
    if missing:
        raise InputError(
            f"--account {missing[0]}: {directory} has no folder for that account "
            f"(it has {', '.join(sorted(folders)) or 'none'})"
        )
    meta = _read_org_meta(directory)
    chosen = list(accounts) or sorted(folders)
    # Accounts the export could not read: listed, with why, so a scan of it still says so.
    unread = [] if accounts else [a for a in meta if a not in folders and not meta[a].get("read")]
    results: list[AccountResult] = []
    for account_id in unread:
        why = str(meta[account_id].get("error") or "not read")
        results.append(
            AccountResult(
                OrgAccount(account_id, str(meta[account_id].get("name", ""))),
                error=f"account {account_id}: not in the export ({why})",
            )
        )
    for index, account_id in enumerate(chosen, 1):
        stop_if_asked(should_stop)
        files = sorted(p for p in folders[account_id].glob("*.json") if p.name != ORG_EXPORT_FILE)
        account = OrgAccount(
            account_id,
            str(meta.get(account_id, {}).get("name", "")),
            management=bool(meta.get(account_id, {}).get("management", False)),
        )
        if not files:
            results.append(AccountResult(account, error=f"account {account_id}: no files"))
            continue
        inventory = load_files([str(f) for f in files])
        if regions:
            keep_regions(inventory, regions)
        inventory.account_id = inventory.account_id or account_id
        results.append(AccountResult(account, inventory))
        if on_progress is not None:
            on_progress(Progress(Stage.LOAD, f"account {account_id}", index, len(chosen)))
    management = next((r.account.account_id for r in results if r.account.management), None)
    return OrgInventory(results, management)


ORG_EXPORT_FILE = "organization.json"


def _read_org_meta(directory: Path) -> dict[str, dict[str, Any]]:
    import json

    path = directory / ORG_EXPORT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    accounts = data.get("accounts") if isinstance(data, dict) else None
    if not isinstance(accounts, list):
        return {}
    return {
        str(a.get("account_id")): a
        for a in accounts
        if isinstance(a, dict) and isinstance(a.get("account_id"), str)
    }


__all__ = [
    "DEFAULT_PARALLEL",
    "DEFAULT_ROLE",
    "SESSION_NAME",
    "AccountResult",
    "OrgAccount",
    "OrgInventory",
    "account_folders",
    "assume_account",
    "check_account_ids",
    "check_role_name",
    "is_org_folder",
    "list_accounts",
    "open_member",
    "read_org_folder",
    "read_organization",
]
