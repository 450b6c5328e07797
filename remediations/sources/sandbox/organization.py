"""A sandbox AWS Organization: a management account and N member accounts in one folder.

Layout (``rafix sandbox init DIR --accounts N``)::

    DIR/organization.json          the organisation: management account, members, statuses
    DIR/state/, DIR/snapshots/     the management account (a sandbox account of its own)
    DIR/accounts/ID/state/, ...    each member account (each a sandbox account of its own)

The members' documents come from :mod:`remediations.sources.sandbox.members`; opening the organisation
(moto's Organizations and STS, one Roles Anywhere state per account) is
:mod:`remediations.sources.sandbox.org_session`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from remediations.errors import InputError
from remediations.sources.sandbox.members import (
    ACCESS_ROLE,
    MANAGEMENT_ACCOUNT_ID,
    SHAPES,
    TEAMS,
    add_chained_role,
    member_account,
    member_ids,
    readdress,
    with_access_role,
)

if TYPE_CHECKING:
    from remediations.sources.sandbox.account import SandboxSession

ORG_FILE = "organization.json"
ACCOUNTS_DIR = "accounts"
#: Sandbox fault injection from outside the process (see docs/interface.md): a JSON list of
#: faults, each with an "account" and the fields of ``sandbox.faults.Fault``.
FAULTS_ENV = "RAFIX_SANDBOX_FAULTS"


@dataclass(frozen=True, slots=True)
class SandboxOrg:
    """What ``organization.json`` says."""

    directory: Path
    management_account_id: str
    organization_id: str
    #: account id -> {"name", "email", "status", "shape"}
    accounts: dict[str, dict[str, str]]

    def folder(self, account_id: str) -> Path:
        """The sandbox folder of an account (the organisation's folder for the management)."""
        if account_id == self.management_account_id:
            return self.directory
        return self.directory / ACCOUNTS_DIR / account_id


def is_organization(directory: str | Path) -> bool:
    return (Path(directory) / ORG_FILE).is_file()


def read_org(directory: str | Path) -> SandboxOrg:
    """The organisation in ``directory``.

    Raises:
        InputError: no organisation there, or an unreadable ``organization.json``.
    """
    folder = Path(directory).expanduser().resolve()
    path = folder / ORG_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{directory}: not a sandbox organisation (no {ORG_FILE}); create one with "
            f"`rafix sandbox init {directory} --accounts 3`"
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the sandbox organisation ({exc})") from None
    try:
        management = str(data["management_account_id"])
        accounts = {
            str(a["id"]): {k: str(v) for k, v in a.items() if k != "id"} for a in data["accounts"]
        }
        org_id = str(data.get("organization_id") or "o-sandbox")
    except (KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a rafix sandbox organisation ({exc})") from None
    bad = [a for a in [management, *accounts] if not re.fullmatch(r"\d{12}", a)]
    if bad:
        raise InputError(f"{path}: {bad[0]!r} is not a 12-digit account ID")
    return SandboxOrg(folder, management, org_id, accounts)


# --- creating ------------------------------------------------------------------------------


def init_organization(
    directory: str | Path,
    members: int,
    *,
    from_files: Sequence[str | Path] | None = None,
    force: bool = False,
    member_documents: Sequence[Mapping[str, Any]] = (),
    size: int = 1,
) -> list[Path]:
    """Create an organisation in ``directory``: the management account (the demo account,
    or the account in ``from_files``) and ``members`` member accounts of different shapes.

    Args:
        member_documents: documents (``iam.json``... by file name) for the first members,
            instead of generated ones; their account ID is rewritten to the member's.
        size: scales the generated members (1: a few dozen roles; 4: a few hundred).

    Returns:
        The files created.
    """
    from remediations.files import write_output
    from remediations.sources.sandbox import init_sandbox

    if members < 1:
        raise InputError("--accounts: at least one member account")
    if members > 1000:
        raise InputError("--accounts: at most 1000 member accounts in a sandbox")
    folder = Path(directory)
    created = init_sandbox(folder, from_files, force)
    management = str(json.loads((folder / "state" / "account.json").read_text())["account_id"])
    accounts_dir = folder / ACCOUNTS_DIR
    if accounts_dir.is_dir():
        shutil.rmtree(accounts_dir)
    ids = member_ids(members, management)
    chained = _first_ra_role(folder / "state" / "iam.json")
    listing = []
    for index, account_id in enumerate(ids):
        if index < len(member_documents):
            documents = readdress(dict(member_documents[index]), account_id)
            shape = "given"
        else:
            shape = SHAPES[index % len(SHAPES)]
            documents = member_account(account_id, shape, seed=index, size=size)
        documents["iam.json"] = with_access_role(documents.get("iam.json"), account_id, management)
        if shape == "generated" and chained:
            add_chained_role(documents["iam.json"], account_id, chained)
        created += _write_account(folder / ACCOUNTS_DIR / account_id, account_id, documents)
        team = TEAMS[index % len(TEAMS)]
        listing.append(
            {
                "id": account_id,
                "name": f"{team}-{'prod' if index % 2 == 0 else 'staging'}-{index + 1}",
                "email": f"aws+{team}-{index + 1}@example.com",
                "status": "ACTIVE",
                "shape": shape,
            }
        )
    org = {
        "format": 1,
        "organization_id": "o-" + hashlib.sha256(management.encode()).hexdigest()[:10],
        "management_account_id": management,
        "accounts": listing,
    }
    path = folder / ORG_FILE
    write_output(path, json.dumps(org, indent=2) + "\n", what="the sandbox organisation")
    created.append(path)
    return created


def _first_ra_role(iam_file: Path) -> str | None:
    """The ARN of the management account's first Roles Anywhere role (a chaining source)."""
    try:
        roles = json.loads(iam_file.read_text(encoding="utf-8")).get("RoleDetailList") or []
    except (OSError, ValueError, AttributeError):
        return None
    for role in roles:
        if "rolesanywhere.amazonaws.com" in json.dumps(role.get("AssumeRolePolicyDocument")):
            return str(role.get("Arn"))
    return None


def _write_account(folder: Path, account_id: str, documents: dict[str, Any]) -> list[Path]:
    from remediations.files import write_output
    from remediations.sources.sandbox.seed import creation_stamp

    state = folder / "state"
    snapshots = folder / "snapshots"
    state.mkdir(parents=True, exist_ok=True)
    snapshots.mkdir(mode=0o700, exist_ok=True)
    os.chmod(snapshots, 0o700)
    documents["account.json"] = {
        "account_id": account_id,
        "source": "organization",
        "format": 1,
        # The date of whatever the member's files leave undated (seed.created_moment).
        "created": creation_stamp(),
    }
    created = []
    for name, document in documents.items():
        path = state / name
        write_output(
            path, json.dumps(document, indent=2, ensure_ascii=False) + "\n", what="the sandbox"
        )
        created.append(path)
    return created


def open_organization(directory: str | Path, regions: list[str] | None = None) -> SandboxSession:
    """Open every account of the organisation in ``directory``; returns the management
    account's session (see :func:`remediations.sources.sandbox.org_session.open_organization`)."""
    from remediations.sources.sandbox.org_session import open_organization as _open

    return _open(directory, regions)


__all__ = [
    "ACCESS_ROLE",
    "ACCOUNTS_DIR",
    "FAULTS_ENV",
    "MANAGEMENT_ACCOUNT_ID",
    "ORG_FILE",
    "SHAPES",
    "SandboxOrg",
    "init_organization",
    "is_organization",
    "member_account",
    "member_ids",
    "open_organization",
    "read_org",
    "readdress",
]
