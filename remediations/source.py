"""Where an account comes from, as a typed value: offline files, a sandbox, or live AWS.

Front ends build a :data:`Source` (the CLI from its options, the app and the wizard directly)
and hand it to :class:`remediations.session.Session`. The core functions of a source live here:
reading its inventory (:func:`load_inventory`), opening it to write (:func:`open_account`) and
finding its snapshot store (:func:`snapshot_store`). :func:`source_label` and
:func:`parse_source_label` are the one place the ``"sandbox:DIR"`` labels that plans and
snapshots record are written and read.

Only the chosen branch is imported, so a files source never loads boto3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from remediations.errors import ApplyError, InputError
from remediations.model import Inventory
from remediations.progress import Progress, StopCheck

if TYPE_CHECKING:
    from remediations.apply.snapshots import SnapshotStore
    from remediations.sources.aws_session import AccountSession
    from remediations.sources.organization import OrgInventory

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


# --- reading ---------------------------------------------------------------------------------


def load_inventory(
    source: Source,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: StopCheck | None = None,
) -> Inventory:
    """Read the account ``source`` names.

    Raises:
        InputError / SourceError: the source cannot be read (one line says why).
        Cancelled: ``should_stop`` returned True.
    """
    if isinstance(source, OrgSource):
        return load_organization(source, on_progress=on_progress, should_stop=should_stop).merged(
            source_label(source)
        )
    if isinstance(source, MemberSource) and isinstance(source.org.base, FilesSource):
        return _member_files(source)
    if isinstance(source, FilesSource):
        from remediations.sources.offline import load_files

        inventory = load_files([str(p) for p in source.paths])
        if source.regions:
            keep_regions(inventory, source.regions)
        return inventory
    from remediations.sources.aws import read_account

    with open_account(source) as account:
        inventory = read_account(account, on_progress=on_progress, should_stop=should_stop)
        inventory.warnings[:0] = list(getattr(account, "seed_warnings", ()))
        return inventory


def load_organization(
    source: OrgSource,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: StopCheck | None = None,
) -> OrgInventory:
    """Read every account of the organisation ``source`` names (per account: an inventory,
    or the one line saying why it could not be read).

    Raises:
        InputError / SourceError: the organisation cannot be listed at all.
        Cancelled: ``should_stop`` returned True.
    """
    from remediations.sources.organization import OrgAccount, read_org_folder, read_organization

    base = source.base
    if isinstance(base, FilesSource):
        if len(base.paths) != 1 or not base.paths[0].is_dir():
            raise InputError(
                "--org with --from-file reads one folder of per-account folders "
                "(as `rafix export --org --out DIR` writes it)"
            )
        return read_org_folder(
            base.paths[0],
            source.accounts,
            base.regions,
            on_progress=on_progress,
            should_stop=should_stop,
        )
    with open_management(base) as management:
        if source.all_accounts:
            from remediations.sources.organization import list_accounts

            accounts = list_accounts(management)
            if source.accounts:
                listed = {a.account_id for a in accounts}
                unknown = [a for a in source.accounts if a not in listed]
                if unknown:
                    raise InputError(
                        f"--account {unknown[0]}: not an ACTIVE account of the organisation"
                    )
                accounts = [a for a in accounts if a.account_id in source.accounts]
        else:
            caller = management.account_id
            accounts = [OrgAccount(a, management=a == caller) for a in source.accounts]
        return read_organization(
            management,
            accounts,
            role_name=source.assume_role,
            external_id=source.external_id,
            parallel=source.parallel,
            on_progress=on_progress,
            should_stop=should_stop,
        )


def _member_files(source: MemberSource) -> Inventory:
    from remediations.sources.organization import read_org_folder

    base = source.org.base
    assert isinstance(base, FilesSource)
    org = read_org_folder(base.paths[0], (source.account_id,), base.regions)
    result = org.accounts[0]
    if result.inventory is None:
        raise InputError(result.error or f"account {source.account_id}: cannot be read")
    return result.inventory


def keep_regions(inventory: Inventory, regions: Sequence[str]) -> None:
    """Files with regions: keep only the Roles Anywhere resources of those regions."""
    wanted = set(regions)
    for store in (inventory.trust_anchors, inventory.profiles, inventory.crls, inventory.subjects):
        for arn in [arn for arn, obj in store.items() if obj.region not in wanted]:
            del store[arn]
    inventory.regions = [r for r in inventory.regions if r in wanted]


# --- writing ---------------------------------------------------------------------------------


def open_account(source: Source) -> AccountSession:
    """The account behind ``source``, open (use as a context manager: closing saves a sandbox).

    Raises:
        ApplyError: a files source (offline files cannot be written to).
    """
    if isinstance(source, OrgSource):
        raise ApplyError(
            "an organisation is written one account at a time; this needs one account "
            "(--account ID)"
        )
    if isinstance(source, MemberSource):
        return _open_member(source)
    if isinstance(source, FilesSource):
        raise ApplyError(
            "--from-file is read-only: offline files cannot be changed; use --sandbox DIR or "
            "the live account"
        )
    regions = list(source.regions) or None
    if isinstance(source, SandboxSource):
        from remediations.sources.sandbox import open_sandbox

        return open_sandbox(source.directory, regions)
    from remediations.sources.aws_session import AccountSession

    return AccountSession(
        profile=source.profile,
        regions=regions,
        endpoint_url=source.endpoint_url,
        connect_timeout=source.connect_timeout,
        read_timeout=source.read_timeout,
    )


def open_management(base: SandboxSource | LiveSource) -> AccountSession:
    """The account an organisation is reached through: the live caller's account, or the
    management account of a sandbox organisation (with its members behind AssumeRole).

    Raises:
        InputError: a sandbox folder that holds one account, not an organisation.
    """
    if isinstance(base, SandboxSource):
        from remediations.sources.sandbox.organization import is_organization, open_organization

        if not is_organization(base.directory):
            raise InputError(
                f"{base.directory}: a sandbox of one account, not an organisation; create "
                f"one with `rafix sandbox init DIR --accounts 3`"
            )
        return open_organization(base.directory, list(base.regions) or None)
    return open_account(base)


def _open_member(source: MemberSource) -> AccountSession:
    """The member's session through the organisation (closing it closes the organisation)."""
    from remediations.sources.organization import assume_account

    base = source.org.base
    if isinstance(base, FilesSource):
        raise ApplyError(
            "--from-file is read-only: offline files cannot be changed; use --sandbox DIR or "
            "the live account"
        )
    management = open_management(base)
    try:
        if source.account_id == management.account_id:
            return management
        member = assume_account(
            management, source.account_id, source.org.assume_role, source.org.external_id
        )
    except BaseException:
        management.close()
        raise
    closing = member.close

    def close_both() -> None:
        try:
            closing()
        finally:
            management.close()

    member.close = close_both  # type: ignore[method-assign]
    return member


def snapshot_root(source: Source) -> Path:
    """Where the snapshots of an account live: ``DIR/snapshots`` for a sandbox (a member of
    a sandbox organisation: its own folder's), else ``$XDG_STATE_HOME/rafix/snapshots``."""
    from remediations.apply.snapshots import default_root

    if isinstance(source, MemberSource) and isinstance(source.org.base, SandboxSource):
        return _member_folder(source.org.base.directory, source.account_id) / "snapshots"
    if isinstance(source, OrgSource) and isinstance(source.base, SandboxSource):
        return source.base.directory / "snapshots"
    if isinstance(source, SandboxSource):
        return source.directory / "snapshots"
    return default_root()


def snapshot_store(source: Source) -> SnapshotStore:
    """The snapshot store of the account ``source`` names."""
    from remediations.apply.snapshots import SnapshotStore

    return SnapshotStore(snapshot_root(source))


__all__ = [
    "FilesSource",
    "LiveSource",
    "MemberSource",
    "OrgSource",
    "SandboxSource",
    "Source",
    "is_organization",
    "keep_regions",
    "load_inventory",
    "load_organization",
    "open_account",
    "parse_source_label",
    "same_account_source",
    "snapshot_root",
    "snapshot_store",
    "source_label",
    "writable",
]
