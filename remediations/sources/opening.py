"""Reading a source and opening it to write: the core functions of a typed
:data:`~remediations.source.Source` (the inventory, the open account, an organisation's
accounts). Only the chosen branch is imported, so a files source never loads boto3."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from remediations.errors import ApplyError, InputError
from remediations.inputs import InputLimits
from remediations.model import Inventory
from remediations.progress import Progress, StopCheck
from remediations.source import (
    FilesSource,
    LiveSource,
    MemberSource,
    OrgSource,
    SandboxSource,
    Source,
    source_label,
)
from remediations.sources.offline import keep_regions

if TYPE_CHECKING:
    from remediations.sources.aws_session import AccountSession
    from remediations.sources.organization import OrgInventory


# --- reading ---------------------------------------------------------------------------------


def load_inventory(
    source: Source,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: StopCheck | None = None,
    limits: InputLimits | None = None,
) -> Inventory:
    """Read the account ``source`` names (``limits``: on the size of and the wait for input
    files, default the built-in ones).

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

        inventory = load_files([str(p) for p in source.paths], limits=limits)
        if source.regions:
            keep_regions(inventory, source.regions)
        return inventory
    if isinstance(source, SandboxSource):
        # Its state files answer what a read through boto3 would (sources/sandbox/direct.py),
        # unless they hold something only that read can tell.
        from remediations.sources.sandbox.direct import read_direct

        direct = read_direct(
            source.directory,
            list(source.regions) or None,
            on_progress=on_progress,
            should_stop=should_stop,
        )
        if direct is not None:
            return direct
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


# --- writing ---------------------------------------------------------------------------------


def open_account(source: Source, *, write: bool = False) -> AccountSession:
    """The account behind ``source``, open (use as a context manager: closing saves a sandbox).

    ``write``: the caller will write (an apply): a sandbox is opened under its exclusive lock.

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

        return open_sandbox(source.directory, regions, exclusive=write)
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
