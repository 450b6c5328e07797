"""The snapshot store: atomic owner-only files, checksums, ordering, and the journal."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from remediations.apply.snapshots import (
    JournalEntry,
    Snapshot,
    SnapshotError,
    SnapshotResource,
    SnapshotStore,
    new_snapshot_id,
    root_for_source,
)
from remediations.source import default_root

ARN = "arn:aws:iam::111122223333:role/ra-x"


def snapshot(
    snapshot_id: str = "20261124T100000Z-aaaaaa", created: str = "2026-11-24T10:00:00Z"
) -> Snapshot:
    return Snapshot(
        id=snapshot_id,
        created_at=created,
        plan="/plans/fix.json",
        plan_key="sha256:k",
        source="sandbox:/s",
        account_id="111122223333",
        resources=[
            SnapshotResource(
                "role",
                ARN,
                {"trustPolicy": {"Statement": [{"Effect": "Allow", "Sid": 'é"\\n{{x}}'}]}},
                planned={"trustPolicy": {}},
            )
        ],
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip_with_owner_only_permissions(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "deep" / "snapshots")
    original = snapshot()
    path = store.save(original)
    assert store.load(original.id) == original
    assert mode(path) == 0o600
    assert mode(store.root) == 0o700
    store.journal_append(original.id, JournalEntry("started", "c1", ARN, 0, "UpdateRole"))
    assert mode(store.journal_path(original.id)) == 0o600


def test_tampered_snapshot_is_refused(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    path = store.save(snapshot())
    document = json.loads(path.read_text())
    document["snapshot"]["resources"][0]["before"] = {"trustPolicy": {"Statement": []}}
    path.write_text(json.dumps(document))
    with pytest.raises(SnapshotError, match="fails its checksum"):
        store.load(snapshot().id)


def test_truncated_snapshot_is_refused(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    path = store.save(snapshot())
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(SnapshotError, match="truncated or not JSON"):
        store.load(snapshot().id)


@pytest.mark.parametrize("text", ['{"schema": "other"}', "[]", '{"schema": "rafix.snapshot/v1"}'])
def test_other_json_is_not_a_snapshot(tmp_path: Path, text: str) -> None:
    store = SnapshotStore(tmp_path)
    (tmp_path / "x.json").write_text(text)
    with pytest.raises(SnapshotError):
        store.load("x")


def test_missing_and_malicious_ids(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    with pytest.raises(SnapshotError, match="rafix snapshots"):
        store.load("20990101T000000Z-ffffff")
    with pytest.raises(SnapshotError, match="not a snapshot id"):
        store.load("../../etc/passwd")


def test_a_failed_write_leaves_the_old_snapshot_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SnapshotStore(tmp_path)
    first = snapshot()
    store.save(first)
    changed = snapshot()
    changed.resources[0].after = {"trustPolicy": {"Statement": []}}

    def crash(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.save(changed)
    monkeypatch.undo()
    assert store.load(first.id) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{first.id}.json"]  # no temp file left


def test_list_is_newest_first_and_skips_damaged_files(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.save(snapshot("20261124T100000Z-aaaaaa", "2026-11-24T10:00:00Z"))
    store.save(snapshot("20261125T090000Z-bbbbbb", "2026-11-25T09:00:00Z"))
    store.save(snapshot("20261124T120000Z-cccccc", "2026-11-24T12:00:00Z"))
    (tmp_path / "junk.json").write_text("{")
    ids = [s.id for s in store.list_snapshots()]
    assert ids == ["20261125T090000Z-bbbbbb", "20261124T120000Z-cccccc", "20261124T100000Z-aaaaaa"]
    assert store.list_snapshots()[0].summary() == {
        "id": "20261125T090000Z-bbbbbb",
        "created_at": "2026-11-25T09:00:00Z",
        "resources": [ARN],
        "plan": "/plans/fix.json",
    }


def test_empty_or_absent_store_lists_nothing(tmp_path: Path) -> None:
    assert SnapshotStore(tmp_path / "absent").list_snapshots() == []


def test_journal_tells_an_unfinished_apply_and_ignores_a_torn_last_line(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    s = snapshot()
    store.save(s)
    assert store.unfinished() == []  # no journal: the apply never started writing
    store.journal_append(s.id, JournalEntry("started", "c1", ARN, 0, "UpdateAssumeRolePolicy"))
    store.journal_append(s.id, JournalEntry("done", "c1", ARN, 0, "UpdateAssumeRolePolicy"))
    with store.journal_path(s.id).open("a") as handle:
        handle.write('{"event": "star')  # killed while writing
    journal = store.journal(s.id)
    assert journal is not None and not journal.finished
    assert journal.touched() == {ARN} and journal.calls_done() == 1
    assert journal.progress() == "1 call(s)"
    assert [u.id for u in store.unfinished("sha256:k")] == [s.id]
    assert store.unfinished("sha256:other") == []
    with store.journal_path(s.id).open("a") as handle:
        handle.write("\n")
    store.journal_append(s.id, JournalEntry("started", "c2", ARN, 0, "EnableCrl"))
    assert store.journal(s.id).progress() == "1 call(s) (and one more in flight)"  # type: ignore[union-attr]
    store.journal_append(s.id, JournalEntry("finished", outcome="as planned"))
    assert store.unfinished() == []


def test_roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_root() == tmp_path / "rafix" / "snapshots"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_root() == tmp_path / "home" / ".local" / "state" / "rafix" / "snapshots"
    assert root_for_source("sandbox:/srv/acct") == Path("/srv/acct/snapshots")
    assert root_for_source("live") == default_root()


def test_ids_sort_by_time() -> None:
    early = new_snapshot_id(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    late = new_snapshot_id(datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC))
    assert early.startswith("20260102T030405.000Z-") and early < late


def test_ids_and_times_within_one_second_still_sort_newest_first(tmp_path: Path) -> None:
    # An apply and its rollback often land in the same second.
    first = new_snapshot_id(datetime(2026, 11, 24, 10, 0, 0, 100_000, tzinfo=UTC))
    second = new_snapshot_id(datetime(2026, 11, 24, 10, 0, 0, 900_000, tzinfo=UTC))
    store = SnapshotStore(tmp_path)
    store.save(snapshot(second, "2026-11-24T10:00:00.900Z"))
    store.save(snapshot(first, "2026-11-24T10:00:00.100Z"))
    assert [s.id for s in store.list_snapshots()] == [second, first]
