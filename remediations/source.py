"""Where an account comes from, as a typed value: offline files, a sandbox, or live AWS.

Front ends build a :data:`Source` (the CLI from its options, the app and the wizard directly)
and hand it to :class:`remediations.session.Session`. This module is plain typed data:
:func:`source_label` and :func:`parse_source_label` are the one place the ``"sandbox:DIR"``
labels that plans and snapshots record are written and read, and :func:`snapshot_root` says
where an account's snapshots live. Reading a source and opening it to write are in
:mod:`remediations.sources.opening`; its snapshot store is
:func:`remediations.apply.snapshots.snapshot_store`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from remediations.errors import InputError

if TYPE_CHECKING:
    pass

FILES_LABEL = "files"
LIVE_LABEL = "live"
SANDBOX_PREFIX = "sandbox:"


@dataclass(frozen=True, slots=True)
class FilesSource:
    """The AWS CLI's JSON outputs (``--from-file``): read-only."""

    paths: tuple[Path, ...]
    regions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SandboxSource:
    """A local sandbox account (``--sandbox DIR``); ``directory`` is stored resolved."""

    directory: Path
    regions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Resolved, so that plans and snapshots name the sandbox the same way from any folder.
        object.__setattr__(self, "directory", Path(self.directory).expanduser().resolve())


@dataclass(frozen=True, slots=True)
class LiveSource:
    """The live account through boto3's credential chain."""

    profile: str | None = None
    regions: tuple[str, ...] = ()
    endpoint_url: str | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None


@dataclass(frozen=True, slots=True)
class OrgSource:
    """Several accounts of an AWS Organization (``--org``, ``--account ID``).

    ``base`` is where the organisation is reached: the management (or delegated
    administrator) account, live or a sandbox organisation, or a folder of per-account
    folders (``rafix export --org``). With ``all_accounts`` every ACTIVE account is read; else
    only ``accounts``. Members are read through ``assume_role`` (with ``external_id``),
    ``parallel`` accounts at a time.
    """

    base: FilesSource | SandboxSource | LiveSource
    all_accounts: bool = True
    accounts: tuple[str, ...] = ()
    assume_role: str = "OrganizationAccountAccessRole"
    external_id: str | None = None
    parallel: int = 4

    @property
    def regions(self) -> tuple[str, ...]:
        return self.base.regions

    def member(self, account_id: str) -> MemberSource:
        """One account of the organisation, as a source of its own."""
        return MemberSource(self, account_id)


@dataclass(frozen=True, slots=True)
class MemberSource:
    """One account of an organisation, reached as the organisation reaches it: the
    management account with the caller's credentials, any other through the role."""

    org: OrgSource
    account_id: str

    @property
    def regions(self) -> tuple[str, ...]:
        return self.org.base.regions


Source = FilesSource | SandboxSource | LiveSource | OrgSource | MemberSource


def source_label(source: Source) -> str:
    """``"files"``, ``"sandbox:/abs/dir"`` or ``"live"``: how plans and snapshots name it.

    An organisation is named by its base; one member of a sandbox organisation by its own
    folder (``sandbox:/abs/dir/accounts/ID``), a sandbox account in its own right."""
    if isinstance(source, OrgSource):
        return source_label(source.base)
    if isinstance(source, MemberSource):
        return _member_label(source)
    if isinstance(source, FilesSource):
        return FILES_LABEL
    if isinstance(source, SandboxSource):
        return SANDBOX_PREFIX + str(source.directory)
    return LIVE_LABEL


def parse_source_label(text: str) -> Source:
    """The source a plan or snapshot label names (the inverse of :func:`source_label`).

    ``""`` (plans of old) means files. A sandbox label's folder is resolved.

    Raises:
        InputError: a label rafix never writes.
    """
    if text in ("", FILES_LABEL):
        return FilesSource(())
    if text == LIVE_LABEL:
        return LiveSource()
    if text.startswith(SANDBOX_PREFIX) and text != SANDBOX_PREFIX:
        return SandboxSource(Path(text.removeprefix(SANDBOX_PREFIX)))
    raise InputError(f"{text!r} is not an account source (files, live or sandbox:DIR)")


def same_account_source(label_a: str, label_b: str) -> bool:
    """Whether two labels name the same source (sandbox folders compared resolved)."""
    try:
        return source_label(parse_source_label(label_a)) == source_label(
            parse_source_label(label_b)
        )
    except InputError:
        return label_a == label_b


def _member_label(source: MemberSource) -> str:
    base = source.org.base
    if isinstance(base, SandboxSource):
        return SANDBOX_PREFIX + str(_member_folder(base.directory, source.account_id))
    return source_label(base)


def _member_folder(directory: Path, account_id: str) -> Path:
    """A member's sandbox folder (the organisation's own folder for the management)."""
    from remediations.sources.organization import account_folders

    candidate = directory / "accounts" / account_id
    if candidate.is_dir():
        return candidate
    for folder in account_folders(directory):
        if folder.name == account_id:
            return folder
    return directory


def writable(source: Source) -> bool:
    """Offline files cannot be written to; a sandbox and the live account can."""
    if isinstance(source, OrgSource):
        return writable(source.base)
    if isinstance(source, MemberSource):
        return writable(source.org.base)
    return not isinstance(source, FilesSource)


def is_organization(source: Source) -> bool:
    """Whether ``source`` reads several accounts."""
    return isinstance(source, OrgSource)


# --- snapshots -------------------------------------------------------------------------------


def default_root() -> Path:
    """``$XDG_STATE_HOME/rafix/snapshots`` (default ``~/.local/state/rafix/snapshots``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "rafix" / "snapshots"


def snapshot_root(source: Source) -> Path:
    """Where the snapshots of an account live: ``DIR/snapshots`` for a sandbox (a member of
    a sandbox organisation: its own folder's), else ``$XDG_STATE_HOME/rafix/snapshots``."""
    if isinstance(source, MemberSource) and isinstance(source.org.base, SandboxSource):
        return _member_folder(source.org.base.directory, source.account_id) / "snapshots"
    if isinstance(source, OrgSource) and isinstance(source.base, SandboxSource):
        return source.base.directory / "snapshots"
    if isinstance(source, SandboxSource):
        return source.directory / "snapshots"
    return default_root()


__all__ = [
    "FilesSource",
    "LiveSource",
    "MemberSource",
    "OrgSource",
    "SandboxSource",
    "Source",
    "default_root",
    "is_organization",
    "parse_source_label",
    "same_account_source",
    "snapshot_root",
    "source_label",
    "writable",
]


def may_pause(source: Source) -> bool:
    """Whether a one-shot command on this account may pause the collector: the account is read
    from local files (``--from-file``, a sandbox, an organisation exported to folders), not
    through boto3 (live accounts, a sandbox organisation's members), whose requests leave
    cyclic garbage that would pile up until the process ends."""
    if isinstance(source, MemberSource):
        source = source.org
    if isinstance(source, OrgSource):
        return isinstance(source.base, FilesSource)
    return isinstance(source, FilesSource | SandboxSource)
