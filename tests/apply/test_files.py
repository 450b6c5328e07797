"""Output files are written the way ``> FILE`` writes them: no node the user named is replaced.

Every path here lives in a temporary folder; no test points at a real system path.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remediations.errors import InputError
from remediations.files import write_atomic, write_output

ROOT = Path(__file__).resolve().parents[2]
OPEN_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        }
    ],
}


def _read_fifo(path: Path, into: list[bytes]) -> threading.Thread:
    def reader() -> None:
        with open(path, "rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread


def test_new_regular_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        written = write_output(tmp_path / "report.json", "{}\n")
    finally:
        os.umask(old)
    assert written == tmp_path / "report.json"
    assert (tmp_path / "report.json").read_text() == "{}\n"
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o644


def test_private_new_file_is_owner_only(tmp_path: Path) -> None:
    write_output(tmp_path / "plan.json", "{}\n", private=True, durable=True)
    assert stat.S_IMODE((tmp_path / "plan.json").stat().st_mode) == 0o600


def test_existing_file_keeps_its_mode_and_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old content that is longer than the new one\n")
    target.chmod(0o640)
    write_output(target, "new\n")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]  # no temporary left behind


def test_symlink_is_followed_and_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old\n")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_output(link, "new\n")
    assert link.is_symlink()
    assert os.readlink(link) == str(real)
    assert real.read_text() == "new\n"


def test_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "later.json")
    write_output(link, "x\n")
    assert link.is_symlink()
    assert (tmp_path / "later.json").read_text() == "x\n"


def test_hard_linked_file_is_written_in_place(tmp_path: Path) -> None:
    first = tmp_path / "a.json"
    first.write_text("old\n")
    second = tmp_path / "b.json"
    os.link(first, second)
    write_output(first, "new\n")
    assert second.read_text() == "new\n"
    assert first.stat().st_ino == second.stat().st_ino


def test_fifo_is_streamed_and_survives(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = _read_fifo(fifo, got)
    assert write_output(fifo, "through the pipe\n") is None
    thread.join(timeout=10)
    assert got == [b"through the pipe\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_character_device_is_written_through_and_survives(tmp_path: Path) -> None:
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the null device's numbers
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here: {exc}")
    try:
        write_output(node, "discarded\n")
    except InputError as exc:  # e.g. a folder mounted nodev: refused, but never replaced
        assert "cannot write" in str(exc)
    info = os.lstat(node)
    assert stat.S_ISCHR(info.st_mode)
    assert info.st_rdev == os.makedev(1, 3)


def test_directory_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        write_output(tmp_path, "x")
    assert "\n" not in str(caught.value)
    assert "folder" in str(caught.value)


def test_missing_folder_is_refused_and_nothing_is_made(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write"):
        write_output(tmp_path / "no" / "such" / "report.json", "x")
    assert list(tmp_path.iterdir()) == []


def test_dash_is_standard_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert write_output("-", "to stdout\n") is None
    assert capsys.readouterr().out == "to stdout\n"
    assert not (tmp_path / "-").exists()


def test_internal_writes_never_replace_a_link(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere"
    real.write_text("keep\n")
    link = tmp_path / "state.json"
    link.symlink_to(real)
    with pytest.raises(OSError):
        write_atomic(link, "x")
    assert real.read_text() == "keep\n"
    assert link.is_symlink()


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=200))
def test_any_text_round_trips(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    folder = tmp_path_factory.mktemp("w")
    write_output(folder / "out.txt", text)
    assert (folder / "out.txt").read_bytes() == text.encode("utf-8", "surrogateescape")


def _scan(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    export = tmp_path / "gaad.json"
    role = {
        "RoleName": "ra-open",
        "Arn": "arn:aws:iam::111122223333:role/ra-open",
        "AssumeRolePolicyDocument": OPEN_TRUST,
    }
    export.write_text(json.dumps({"RoleDetailList": [role], "Policies": []}))
    return subprocess.run(
        [sys.executable, "-m", "remediations", "scan", "--from-file", str(export), *extra],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )


def test_scan_output_to_a_fifo_streams_the_report(tmp_path: Path) -> None:
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = _read_fifo(fifo, got)
    done = _scan(tmp_path, "--format", "json", "--output", str(fifo))
    thread.join(timeout=30)
    assert done.returncode == 1, done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(got[0])["schema"] == "rafix.findings/v1"


def test_scan_output_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "latest.json"
    real.parent.mkdir()
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    done = _scan(tmp_path, "--format", "json", "--output", str(link))
    assert done.returncode == 1, done.stderr
    assert link.is_symlink()
    assert json.loads(real.read_text())["findings"]


def test_scan_output_dash_is_stdout(tmp_path: Path) -> None:
    done = _scan(tmp_path, "--format", "json", "--output", "-")
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["findings"]
    assert not (tmp_path / "-").exists()


def test_scan_output_to_a_folder_is_one_line_exit_2(tmp_path: Path) -> None:
    done = _scan(tmp_path, "--format", "json", "--output", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_plan_out_to_a_fifo_keeps_the_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = _read_fifo(fifo, got)
    export = tmp_path / "gaad.json"
    role = {
        "RoleName": "ra-open",
        "Arn": "arn:aws:iam::111122223333:role/ra-open",
        "AssumeRolePolicyDocument": OPEN_TRUST,
    }
    export.write_text(json.dumps({"RoleDetailList": [role], "Policies": []}))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "remediations",
            "plan",
            "--out",
            str(fifo),
            "--from-file",
            str(export),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    thread.join(timeout=30)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert "changes" in json.loads(got[0])


def test_no_benchmark_or_test_names_a_system_device() -> None:
    """The bug this guards against: a benchmark passed /dev/null to --output and replaced it."""
    offenders = []
    for folder in ("benchmarks", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "test_files.py":
                continue
            text = path.read_text(encoding="utf-8")
            if '"/dev/' in text or "'/dev/" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@settings(max_examples=50, deadline=None)
@given(pieces=st.lists(st.text(max_size=300_000 // 8), max_size=12))
def test_text_in_pieces_is_written_as_the_joined_text(
    tmp_path_factory: pytest.TempPathFactory, pieces: list[str]
) -> None:
    """A report streamed in pieces (batched into megabyte writes) is the joined text."""
    folder = tmp_path_factory.mktemp("pieces")
    write_output(folder / "joined", "".join(pieces))
    write_output(folder / "streamed", iter(pieces))
    assert (folder / "streamed").read_bytes() == (folder / "joined").read_bytes()


def test_a_stream_that_fails_midway_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("before\n")

    def pieces() -> Iterator[str]:
        yield "x" * (3 << 20)  # past one batch: something was written to the temporary file
        raise RuntimeError("encoding failed")

    with pytest.raises(RuntimeError):
        write_output(target, pieces())
    assert target.read_text() == "before\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
