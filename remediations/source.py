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
from remediations.inputs import InputLimits
from remediations.model import Inventory
from remediations.progress import Progress, StopCheck

if TYPE_CHECKING:
    from remediations.aws import AccountSession
    from remediations.snapshots import SnapshotStore

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


Source = FilesSource | SandboxSource | LiveSource


def source_label(source: Source) -> str:
    """``"files"``, ``"sandbox:/abs/dir"`` or ``"live"``: how plans and snapshots name it."""
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


def writable(source: Source) -> bool:
    """Offline files cannot be written to; a sandbox and the live account can."""
    return not isinstance(source, FilesSource)


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
    if isinstance(source, FilesSource):
        from remediations.sources.offline import load_files

        inventory = load_files([str(p) for p in source.paths], limits=limits)
        if source.regions:
            keep_regions(inventory, source.regions)
        return inventory
    from remediations.aws import read_account

    with open_account(source) as account:
        inventory = read_account(account, on_progress=on_progress, should_stop=should_stop)
        inventory.warnings[:0] = list(getattr(account, "seed_warnings", ()))
        return inventory


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
    if isinstance(source, FilesSource):
        raise ApplyError(
            "--from-file is read-only: offline files cannot be changed; use --sandbox DIR or "
            "the live account"
        )
    regions = list(source.regions) or None
    if isinstance(source, SandboxSource):
        from remediations.sandbox import open_sandbox

        return open_sandbox(source.directory, regions)
    from remediations.aws import AccountSession

    return AccountSession(
        profile=source.profile,
        regions=regions,
        endpoint_url=source.endpoint_url,
        connect_timeout=source.connect_timeout,
        read_timeout=source.read_timeout,
    )


def snapshot_root(source: Source) -> Path:
    """Where the snapshots of an account live: ``DIR/snapshots`` for a sandbox, else
    ``$XDG_STATE_HOME/rafix/snapshots``."""
    from remediations.snapshots import default_root

    if isinstance(source, SandboxSource):
        return source.directory / "snapshots"
    return default_root()


def snapshot_store(source: Source) -> SnapshotStore:
    """The snapshot store of the account ``source`` names."""
    from remediations.snapshots import SnapshotStore

    return SnapshotStore(snapshot_root(source))


__all__ = [
    "FilesSource",
    "LiveSource",
    "SandboxSource",
    "Source",
    "keep_regions",
    "load_inventory",
    "open_account",
    "parse_source_label",
    "same_account_source",
    "snapshot_root",
    "snapshot_store",
    "source_label",
    "writable",
]
