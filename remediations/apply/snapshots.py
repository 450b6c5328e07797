"""Snapshots taken before every apply, and the journal that makes an interrupted apply recoverable.

A snapshot is one JSON file, ``<id>.json``, in the store directory (``$XDG_STATE_HOME/rafix/
snapshots/``, default ``~/.local/state/rafix/snapshots/``; ``DIR/snapshots/`` for a sandbox
account). It holds, per resource: its type, ARN, the state before the apply (everything needed
to restore it), the state the plan aimed at and, once the change was applied and verified, the
state read back after it (so a rollback can tell whether someone changed the resource since).
It also names the plan it came from. The body is covered by an HMAC-SHA256 checksum keyed with
a per-user secret (:mod:`remediations.apply.secret`) that :meth:`SnapshotStore.load` verifies:
a tampered, truncated or re-checksummed snapshot is refused, never used; so is one whose id is
not its file name, and a store folder that is a symbolic link.

The journal, ``<id>.journal`` next to it, is append-only JSON lines: one line when a call starts,
one when it is done, one when the apply finishes. A journal without its ``finished`` line is an
apply that was killed midway; ``rafix apply`` (same plan) finishes it, ``rafix rollback`` undoes it.

Every file is written atomically (temporary file, fsync, rename), owner-only (0600), in a
directory that only the owner can enter (0700).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from remediations.apply.secret import keyed_checksum, same, snapshot_key
from remediations.errors import InputError
from remediations.files import write_atomic
from remediations.model import JSON
from remediations.source import Source, parse_source_label, snapshot_root

SNAPSHOT_SCHEMA = "rafix.snapshot/v1"
#: What a snapshot id may be (``new_snapshot_id``'s, and any plain name): never a path.
SNAPSHOT_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,99}$")


def check_snapshot_id(snapshot_id: str) -> str:
    """``snapshot_id`` when it can only name a file in the store (no ``/``, no ``..``).

    Raises:
        SnapshotError: anything else.
    """
    if not SNAPSHOT_ID.match(snapshot_id or "") or ".." in snapshot_id:
        from remediations.textsafe import shown

        raise SnapshotError(
            f"'{shown(snapshot_id, limit=80)}' is not a snapshot id (see `rafix snapshots`)"
        )
    return snapshot_id


class SnapshotError(InputError):
    """A snapshot that is missing, tampered with, truncated or not a snapshot at all."""


@dataclass(slots=True)
class SnapshotResource:
    """One resource a snapshot covers."""

    resource_type: str
    arn: str
    #: The state before the apply: what a rollback restores.
    before: JSON | None
    #: The state the plan aimed at.
    planned: JSON | None = None
    #: The state read back once the change was applied and verified; None until then.
    after: JSON | None = None

    def to_json(self) -> JSON:
        return {
            "resource_type": self.resource_type,
            "arn": self.arn,
            "before": self.before,
            "planned": self.planned,
            "after": self.after,
        }

    @classmethod
    def from_json(cls, d: JSON) -> SnapshotResource:
        return cls(d["resource_type"], d["arn"], d.get("before"), d.get("planned"), d.get("after"))


@dataclass(slots=True)
class Snapshot:
    """What an apply is about to change, taken before its first write."""

    id: str
    created_at: str
    #: The plan it came from: a file path, or e.g. ``rollback of <id>``.
    plan: str
    #: The plan's identity (see ``remediations.apply.plan_key``), to match an interrupted apply.
    plan_key: str
    source: str
    account_id: str | None
    resources: list[SnapshotResource] = field(default_factory=list)

    def resource(self, arn: str) -> SnapshotResource | None:
        return next((r for r in self.resources if r.arn == arn), None)

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "plan": self.plan,
            "plan_key": self.plan_key,
            "source": self.source,
            "account_id": self.account_id,
            "resources": [r.to_json() for r in self.resources],
        }

    @classmethod
    def from_json(cls, d: JSON) -> Snapshot:
        return cls(
            id=d["id"],
            created_at=d["created_at"],
            plan=d.get("plan", ""),
            plan_key=d.get("plan_key", ""),
            source=d.get("source", ""),
            account_id=d.get("account_id"),
            resources=[SnapshotResource.from_json(r) for r in d.get("resources", [])],
        )

    def summary(self) -> JSON:
        """The INTERFACE.md ``snapshots --format json`` entry."""
        return {
            "id": self.id,
            "created_at": self.created_at,
            "resources": [r.arn for r in self.resources],
            "plan": self.plan,
        }


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """A snapshot as a list shows it; a damaged one has only its ``id`` and ``damaged``."""

    id: str
    created_at: str = ""
    plan: str = ""
    resources: tuple[str, ...] = ()
    source: str = ""
    account_id: str | None = None
    #: Its apply started and never finished (``rafix rollback ID`` undoes it).
    interrupted: bool = False
    #: Why it cannot be used (truncated, checksum), or None.
    damaged: str | None = None

    def summary(self) -> JSON:
        """The INTERFACE.md ``snapshots --format json`` entry."""
        return {
            "id": self.id,
            "created_at": self.created_at,
            "resources": list(self.resources),
            "plan": self.plan,
        }


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One line of a journal: ``event`` is started | done | finished."""

    event: str
    change: str = ""
    #: The ARN of the resource the call changes.
    resource: str = ""
    call: int = -1
    operation: str = ""
    outcome: str = ""


@dataclass(slots=True)
class Journal:
    """The calls an apply made, read back from its journal file."""

    snapshot_id: str
    entries: list[JournalEntry]

    @property
    def finished(self) -> bool:
        return any(e.event == "finished" for e in self.entries)

    def touched(self) -> set[str]:
        """The ARNs of the resources on which at least one call was started."""
        return {e.resource for e in self.entries if e.event == "started"}

    def calls_done(self) -> int:
        return sum(1 for e in self.entries if e.event == "done")

    def progress(self) -> str:
        """``3 call(s)``, plus whether one more was started and may or may not have been made."""
        started = sum(1 for e in self.entries if e.event == "started")
        done = self.calls_done()
        return f"{done} call(s)" + (" (and one more in flight)" if started > done else "")


def root_for_source(source: str) -> Path:
    """Where the snapshots of an account live: inside the sandbox folder for a sandbox."""

    return snapshot_root(parse_source_label(source))


def new_snapshot_id(now: datetime | None = None) -> str:
    """Sortable and unique: ``20261124T100000.123Z-3f9a1c``.

    Milliseconds, because an apply and its rollback can happen within one second and
    ``rafix snapshots`` must still list the newer one first.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%S}.{moment.microsecond // 1000:03d}Z-{secrets.token_hex(3)}"


def utc_now() -> str:
    """ISO-8601 UTC with milliseconds (INTERFACE.md's ``created_at``)."""
    moment = datetime.now(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _checksum(body: JSON, key: bytes) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return keyed_checksum(text, key)


def atomic_write(path: Path, text: str) -> None:
    """Owner-only, atomic and on disk before the first write to the account."""
    write_atomic(path, text, durable=True)


class SnapshotStore:
    """The snapshots and journals of one account, in one directory."""

    def __init__(self, root: Path, key: bytes | None = None) -> None:
        self.root = root
        self._key = key

    @property
    def key(self) -> bytes:
        """The per-user secret that keys the checksums (created on first use)."""
        if self._key is None:
            self._key = snapshot_key()
        return self._key

    def checksum(self, body: JSON) -> str:
        """The keyed checksum a snapshot body is saved with."""
        return _checksum(body, self.key)

    def _check_root(self) -> bool:
        """Whether the store folder exists; a symbolic link (or a file) there is refused, so
        that nothing is written, read or chmod-ed through it.

        Raises:
            SnapshotError: the folder is a symbolic link or not a folder.
        """
        try:
            info = os.lstat(self.root)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise SnapshotError(
                f"{self.root}: cannot use the snapshot folder ({exc.strerror})"
            ) from None
        if stat.S_ISLNK(info.st_mode):
            raise SnapshotError(
                f"{self.root}: the snapshot folder is a symbolic link; refusing to use it "
                "(make it a real folder, owner-only)"
            )
        if not stat.S_ISDIR(info.st_mode):
            raise SnapshotError(f"{self.root}: the snapshot folder is not a folder")
        return True

    def _ensure_root(self) -> None:
        if not self._check_root():
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._check_root()  # not replaced by a link meanwhile
        fd = os.open(self.root, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_DIRECTORY)
        try:
            os.fchmod(fd, 0o700)
        finally:
            os.close(fd)

    def path(self, snapshot_id: str) -> Path:
        return self.root / f"{check_snapshot_id(snapshot_id)}.json"

    def journal_path(self, snapshot_id: str) -> Path:
        return self.root / f"{check_snapshot_id(snapshot_id)}.journal"

    # --- snapshots -------------------------------------------------------------------------

    def save(self, snapshot: Snapshot) -> Path:
        """Write (or rewrite) a snapshot atomically, with its checksum."""
        self._ensure_root()
        body = snapshot.to_json()
        document = {
            "schema": SNAPSHOT_SCHEMA,
            "checksum": self.checksum(body),
            "snapshot": body,
        }
        path = self.path(snapshot.id)
        atomic_write(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return path

    def load(self, snapshot_id: str) -> Snapshot:
        """Read a snapshot and verify its checksum.

        Raises:
            SnapshotError: it does not exist, is not JSON (truncated) or fails its checksum.
        """
        path = self.path(snapshot_id)
        self._check_root()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SnapshotError(
                f"no snapshot {snapshot_id!r} in {self.root} (see `rafix snapshots`)"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SnapshotError(f"cannot read snapshot {path}: {exc}") from None
        return _parse(text, path, self.key)

    def list_snapshots(self) -> list[Snapshot]:
        """Every readable snapshot, newest first (a damaged one is skipped, not fatal)."""
        if not self._check_root():
            return []
        out = []
        for path in self.root.glob("*.json"):
            try:
                out.append(_parse(path.read_text(encoding="utf-8"), path, self.key))
            except (SnapshotError, OSError, UnicodeDecodeError):
                continue
        return sorted(out, key=lambda s: (s.created_at, s.id), reverse=True)

    def infos(self) -> list[SnapshotInfo]:
        """Every snapshot, newest first, damaged ones included (marked, listed last)."""
        if not self._check_root():
            return []
        out = []
        for path in self.root.glob("*.json"):
            try:
                s = _parse(path.read_text(encoding="utf-8"), path, self.key)
            except (SnapshotError, OSError, UnicodeDecodeError) as exc:
                reason = str(exc) if isinstance(exc, SnapshotError) else "unreadable"
                out.append(SnapshotInfo(path.stem, damaged=reason))
                continue
            journal = self.journal(s.id)
            out.append(
                SnapshotInfo(
                    id=s.id,
                    created_at=s.created_at,
                    plan=s.plan,
                    resources=tuple(r.arn for r in s.resources),
                    source=s.source,
                    account_id=s.account_id,
                    interrupted=journal is not None and not journal.finished,
                )
            )
        return sorted(out, key=lambda s: (s.created_at, s.id), reverse=True)

    # --- journal ---------------------------------------------------------------------------

    def journal_append(self, snapshot_id: str, entry: JournalEntry) -> None:
        """Append one line and fsync it: it is on disk before the call it announces is made."""
        self._ensure_root()
        line = json.dumps({k: v for k, v in _entry_json(entry).items() if v not in ("", -1)})
        fd = os.open(self.journal_path(snapshot_id), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def journal(self, snapshot_id: str) -> Journal | None:
        """The journal of a snapshot; a last line cut short by a kill is ignored."""
        try:
            lines = self.journal_path(snapshot_id).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return None
        entries = []
        for line in lines:
            try:
                d = json.loads(line)
            except json.JSONDecodeError:
                continue
            entries.append(
                JournalEntry(
                    d.get("event", ""),
                    d.get("change", ""),
                    d.get("resource", ""),
                    d.get("call", -1),
                    d.get("operation", ""),
                    d.get("outcome", ""),
                )
            )
        return Journal(snapshot_id, entries)

    def unfinished(self, plan_key: str | None = None) -> list[Snapshot]:
        """Snapshots whose apply started and never finished (newest first), for one plan."""
        out = []
        for snapshot in self.list_snapshots():
            journal = self.journal(snapshot.id)
            if journal is None or journal.finished:
                continue
            if plan_key is None or snapshot.plan_key == plan_key:
                out.append(snapshot)
        return out


def _entry_json(entry: JournalEntry) -> dict[str, Any]:
    return {
        "event": entry.event,
        "change": entry.change,
        "resource": entry.resource,
        "call": entry.call,
        "operation": entry.operation,
        "outcome": entry.outcome,
    }


def _parse(text: str, path: Path, key: bytes) -> Snapshot:
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise SnapshotError(
            f"snapshot {path} is truncated or not JSON; refusing to use it"
        ) from None
    if not isinstance(document, dict) or document.get("schema") != SNAPSHOT_SCHEMA:
        raise SnapshotError(f"{path} is not a rafix snapshot ({SNAPSHOT_SCHEMA})")
    body = document.get("snapshot")
    checksum = document.get("checksum")
    if (
        not isinstance(body, dict)
        or not isinstance(checksum, str)
        or not same(checksum, _checksum(body, key))
    ):
        raise SnapshotError(
            f"snapshot {path} fails its checksum (changed, damaged, or written by an older "
            "rafix or another user); refusing to use it"
        )
    try:
        snapshot = Snapshot.from_json(body)
    except (KeyError, TypeError, AttributeError) as exc:
        raise SnapshotError(f"snapshot {path} lacks {exc}; refusing to use it") from None
    if snapshot.id != path.name.removesuffix(".json"):
        raise SnapshotError(
            f"snapshot {path} names itself {snapshot.id!r}, not its file name; refusing to use it"
        )
    return snapshot


def snapshot_store(source: Source) -> SnapshotStore:
    """The snapshot store of the account ``source`` names."""
    return SnapshotStore(snapshot_root(source))
