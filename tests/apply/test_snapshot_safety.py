"""Snapshots an attacker (or an accident) edited: ids that are paths, a store folder that is a
symbolic link, damaged files, checksums recomputed without the user's key; and rollback
previews that say plainly when a restore widens access."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from remediations.apply.secret import key_path
from remediations.apply.snapshots import (
    Snapshot,
    SnapshotError,
    SnapshotResource,
    SnapshotStore,
    check_snapshot_id,
)
from remediations.apply.widening import widening
from remediations.cli import main

ARN = "arn:aws:iam::111122223333:role/ra-x"
PINNED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            "Condition": {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "app.prod"}},
        }
    ],
}


def snapshot(snapshot_id: str = "20261124T100000.000Z-aaaaaa") -> Snapshot:
    return Snapshot(
        id=snapshot_id,
        created_at="2026-11-24T10:00:00.000Z",
        plan="/plans/fix.json",
        plan_key="sha256:k",
        source="sandbox:/s",
        account_id="111122223333",
        resources=[SnapshotResource("role", ARN, {"trustPolicy": PINNED})],
    )


def rewrite(path: Path, edit: Any, checksum: Any) -> None:
    document = json.loads(path.read_text())
    edit(document["snapshot"])
    document["checksum"] = checksum(document["snapshot"])
    path.write_text(json.dumps(document))


def unkeyed(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("bad", ["../../escape", "a/b", "..", ".hidden", "", "x\ny", "a..b"])
def test_snapshot_ids_are_never_paths(tmp_path: Path, bad: str) -> None:
    store = SnapshotStore(tmp_path / "store")
    with pytest.raises(SnapshotError, match="is not a snapshot id"):
        check_snapshot_id(bad)
    with pytest.raises(SnapshotError):
        store.journal_path(bad)
    with pytest.raises(SnapshotError):
        store.path(bad)


def test_a_snapshot_naming_itself_elsewhere_is_refused(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "store")
    original = snapshot()
    path = store.save(original)
    forged = snapshot("../../escape")
    body = forged.to_json()
    document = json.loads(path.read_text())
    document["snapshot"] = body
    document["checksum"] = store.checksum(body)  # even with the user's own key
    path.write_text(json.dumps(document))
    with pytest.raises(SnapshotError, match="not its file name"):
        store.load(original.id)
    assert not (tmp_path / "escape.journal").exists()
    [info] = store.infos()
    assert info.damaged and "not its file name" in info.damaged


def test_a_symlinked_store_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "shared"
    target.mkdir()
    target.chmod(0o1777)
    link = tmp_path / "snapshots"
    link.symlink_to(target)
    store = SnapshotStore(link)
    with pytest.raises(SnapshotError, match="symbolic link"):
        store.save(snapshot())
    with pytest.raises(SnapshotError, match="symbolic link"):
        store.infos()
    assert stat.S_IMODE(target.stat().st_mode) == 0o1777
    assert list(target.iterdir()) == []


def test_a_recomputed_unkeyed_checksum_is_refused(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "store")
    original = snapshot()
    path = store.save(original)

    def open_to_everyone(body: dict[str, Any]) -> None:
        body["resources"][0]["before"]["trustPolicy"]["Statement"][0]["Principal"] = {"AWS": "*"}

    rewrite(path, open_to_everyone, unkeyed)
    with pytest.raises(SnapshotError, match="fails its checksum"):
        store.load(original.id)
    other_key = SnapshotStore(tmp_path / "store", key=b"k" * 32)
    with pytest.raises(SnapshotError, match="fails its checksum"):
        other_key.load(original.id)


def test_the_key_is_created_owner_only_once(tmp_path: Path) -> None:
    first = SnapshotStore(tmp_path / "a").key
    second = SnapshotStore(tmp_path / "b").key
    assert first == second and len(first) == 32
    assert stat.S_IMODE(key_path().stat().st_mode) == 0o600
    key_path().chmod(0o644)
    with pytest.raises(Exception, match="readable by others"):
        _ = SnapshotStore(tmp_path / "c").key


def test_damaged_snapshots_are_listed_as_damaged_in_json(
    sandbox_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = SnapshotStore(sandbox_dir / "snapshots")
    store.save(snapshot())
    (sandbox_dir / "snapshots" / "20261125T100000.000Z-bbbbbb.json").write_text('{"schema": ')
    assert main(["snapshots", "--sandbox", str(sandbox_dir), "--format", "json"]) == 0
    listed = {s["id"]: s for s in json.loads(capsys.readouterr().out)["snapshots"]}
    assert listed["20261124T100000.000Z-aaaaaa"]["damaged"] is None
    assert "truncated or not JSON" in listed["20261125T100000.000Z-bbbbbb"]["damaged"]
    assert main(["snapshots", "--sandbox", str(sandbox_dir)]) == 0
    assert "(damaged: " in capsys.readouterr().out


# --- rollback previews that widen access ------------------------------------------------------


def test_widening_of_a_trust_policy_is_named() -> None:
    everyone = json.loads(json.dumps(PINNED))
    everyone["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    )
    lines = widening("role", {"trustPolicy": PINNED}, {"trustPolicy": everyone})
    assert any("AWS:*" in line for line in lines)
    unpinned = json.loads(json.dumps(PINNED))
    del unpinned["Statement"][0]["Condition"]
    lines = widening("role", {"trustPolicy": PINNED}, {"trustPolicy": unpinned})
    assert any("would accept a certificate it refuses now" in line for line in lines)
    assert widening("role", {"trustPolicy": unpinned}, {"trustPolicy": PINNED}) == []


def test_widening_of_profiles_anchors_and_crls() -> None:
    policy = {"Version": "2012-10-17", "Statement": []}
    now = {"enabled": True, "sessionPolicy": policy, "durationSeconds": 3600, "roleArns": []}
    then = {**now, "sessionPolicy": None, "durationSeconds": 43200}
    lines = " ".join(widening("profile", now, then))
    assert "session policy is removed" in lines and "3,600 s -> 43,200 s" in lines
    assert widening("trust-anchor", {"enabled": False}, {"enabled": True})
    assert widening("crl", {"enabled": True}, {"enabled": False})
    assert widening("crl", {"enabled": False}, {"enabled": True}) == []


def test_rollback_preview_says_it_widens_and_that_configured_by_changes(
    sandbox_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = sandbox_dir.parent / "plan.json"
    assert main(["plan", "--sandbox", str(sandbox_dir), "--out", str(plan)]) == 0
    assert main(["apply", str(plan), "--sandbox", str(sandbox_dir), "--yes"]) == 0
    capsys.readouterr()
    assert main(["snapshots", "--sandbox", str(sandbox_dir), "--format", "json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)["snapshots"]
    code = main(["rollback", entry["id"], "--sandbox", str(sandbox_dir), "--read-only"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Warning: this rollback WIDENS ACCESS on" in out
    assert "WIDENS ACCESS: Roles Anywhere would accept a certificate it refuses now" in out
    assert "configuredBy" in out


def test_the_snapshot_store_never_chmods_through_a_link_of_the_sandbox(
    sandbox_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "elsewhere"
    shared.mkdir()
    shared.chmod(0o1777)
    store = sandbox_dir / "snapshots"
    if store.exists():
        os.rmdir(store)
    store.symlink_to(shared)
    plan = sandbox_dir.parent / "plan.json"
    assert main(["plan", "--sandbox", str(sandbox_dir), "--out", str(plan)]) == 0
    code = main(["apply", str(plan), "--sandbox", str(sandbox_dir), "--yes"])
    err = capsys.readouterr().err
    assert code != 0 and "symbolic link" in err
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
