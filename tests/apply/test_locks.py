"""The local locks that keep two writers of one account apart."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from remediations.errors import ApplyError, SourceError
from remediations.locks import account_locks, acquire


def test_an_exclusive_lock_keeps_a_second_writer_out_until_released(tmp_path: Path) -> None:
    path = tmp_path / "account.lock"
    held = acquire(path, what="account 111122223333")
    with pytest.raises(ApplyError, match="in use by another rafix process"):
        acquire(path, what="account 111122223333", wait=0.1)
    with pytest.raises(SourceError, match="in use"):
        acquire(path, what="account 111122223333", shared=True, wait=0.1)
    held.release()
    acquire(path, what="account 111122223333", wait=0.1).release()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_readers_share(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.lock"
    first = acquire(path, what="x", shared=True)
    second = acquire(path, what="x", shared=True, wait=0.1)  # readers run together
    with pytest.raises(ApplyError):
        acquire(path, what="x", wait=0.1)
    first.release()
    second.release()


def test_account_locks_per_region_and_never_through_a_link(tmp_path: Path) -> None:
    with account_locks(tmp_path, "live", "111122223333", ["global", "eu-west-1"]):
        names = sorted(p.name for p in tmp_path.iterdir())
        assert len(names) == 2 and names[0].endswith("-eu-west-1.lock")
        with (
            pytest.raises(ApplyError),
            account_locks(tmp_path, "live", "111122223333", ["global"], wait=0.1),
        ):
            pass
        with account_locks(tmp_path, "live", "111122223333", ["us-east-1"], wait=0.1):
            pass  # another region of the same account: no conflict
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    link = tmp_path / "link.lock"
    link.symlink_to(target)
    with pytest.raises(SourceError, match="cannot open the lock"):
        acquire(link, what="x")
    assert target.read_text() == "keep"
