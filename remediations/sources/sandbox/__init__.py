"""Local sandbox accounts: a folder that boto3 reads and writes as if it were AWS.

Public API (boto3 and moto are imported only when a sandbox is opened):

- :func:`init_sandbox` (``rafix sandbox init``): the demo account, or the account in files.
- :func:`open_sandbox`: a :class:`~remediations.sources.sandbox.account.SandboxSession` (an
  ``AccountSession`` with ``faults`` for fault injection); closing it saves what changed.
- :func:`read_inventory`: the account read through boto3, like a live account.
- ``direct.read_direct``: the same inventory computed from the state files (what ``rafix
  scan --sandbox`` reads; None when only boto3 can answer).
- :func:`snapshot_dir`: where snapshots of the sandbox live (``DIR/snapshots``).
"""

from __future__ import annotations

import json
import os
import shutil
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from remediations.errors import InputError
from remediations.jsontext import dumps_indented
from remediations.model import Inventory

if TYPE_CHECKING:
    from collections.abc import Sequence

    from remediations.sources.sandbox.account import SandboxSession

DEMO_ACCOUNT_ID = "111122223333"
STATE_DIR = "state"
SNAPSHOT_DIR = "snapshots"
ACCOUNT_FILE = "account.json"
DEMO_FILES = (
    "iam.json",
    "anchors.json",
    "profiles.json",
    "crls.json",
    "subjects.json",
    "tags.json",
)


def snapshot_dir(directory: str | Path) -> Path:
    """Where ``rafix apply`` keeps the snapshots of a sandbox account (INTERFACE.md)."""
    return Path(directory) / SNAPSHOT_DIR


def open_sandbox(
    directory: str | Path, regions: list[str] | None = None, *, exclusive: bool = False
) -> SandboxSession:
    """Open the sandbox in ``directory``; use it as a context manager (closing saves).

    ``exclusive``: to write (an apply): no other rafix process reads or writes the sandbox
    until this one has saved and closed it; otherwise a shared lock (readers run together)."""
    from remediations.sources.sandbox.account import open_sandbox as _open

    return _open(directory, regions, exclusive=exclusive)


def read_inventory(directory: str | Path, regions: list[str] | None = None) -> Inventory:
    """The sandbox account, read through boto3 exactly like a live account."""
    from remediations.sources.sandbox.account import read_inventory as _read

    return _read(directory, regions)


def demo_files() -> list[Path]:
    """The built-in demo account, in the ``rafix export`` formats (+ ``tags.json``)."""
    folder = resources.files("remediations.sources.sandbox") / "demo"
    return [Path(str(folder / name)) for name in DEMO_FILES]


def init_sandbox(
    directory: str | Path, from_files: Sequence[str | Path] | None = None, force: bool = False
) -> list[Path]:
    """Create a sandbox account in ``directory``: the demo account, or the account the
    files describe (read as ``--from-file`` reads them).

    Returns:
        The files created.

    Raises:
        InputError: ``directory`` is not empty (and not ``force``), or a file is unusable.
    """
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise InputError(f"{folder}: is not empty; use --force to replace a sandbox there")
    state = folder / STATE_DIR
    if from_files:
        documents, account_id, source = _documents_from_files(from_files)
    else:
        documents, account_id, source = _demo_documents(), DEMO_ACCOUNT_ID, "demo"
    for old in (state, snapshot_dir(folder)):
        if old.is_dir():
            shutil.rmtree(old)
    try:
        state.mkdir(parents=True, exist_ok=True)
        snapshot_dir(folder).mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{folder}: cannot create the sandbox ({exc.strerror or exc})") from None
    from remediations.files import write_output
    from remediations.sources.sandbox.seed import creation_stamp

    documents[ACCOUNT_FILE] = {
        "account_id": account_id,
        "source": source,
        "format": 1,
        # The date of whatever the files leave undated (seed.created_moment).
        "created": creation_stamp(),
    }
    created = []
    for name, document in documents.items():
        path = state / name
        write_output(path, dumps_indented(document, ensure_ascii=False) + "\n", what="the sandbox")
        created.append(path)
    os.chmod(snapshot_dir(folder), 0o700)
    return created


def _demo_documents() -> dict[str, object]:
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in demo_files()}


def _documents_from_files(
    paths: Sequence[str | Path],
) -> tuple[dict[str, object], str, str]:
    from remediations.sources.export import export_documents
    from remediations.sources.offline import load_files

    inventory = load_files(list(paths))
    account_id = inventory.account_id or DEMO_ACCOUNT_ID
    documents: dict[str, object] = dict(export_documents(inventory))
    return documents, account_id, "files"


__all__ = [
    "DEMO_ACCOUNT_ID",
    "demo_files",
    "init_sandbox",
    "open_sandbox",
    "read_inventory",
    "snapshot_dir",
]
