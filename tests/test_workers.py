"""The second process of a one-shot plan (remediations.workers): when it forks, that the value
comes back whole, and that every failure of the child gives the same value computed here."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from remediations.shortcuts import plain_paths
from remediations.workers import ENV_VAR, can_fork, in_background, workers_allowed

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
    reason="a second process is used only on Linux with two cores or more",
)


def python(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` run by a fresh interpreter (RAFIX_WORKERS unset), its output captured."""
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.fixture(autouse=True)
def allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert threading.active_count() == 1, "a thread of another test is still running"
    with workers_allowed():
        yield


def test_the_work_runs_in_another_process_and_its_value_comes_back() -> None:
    parent = os.getpid()
    value = {"rows": [(n, str(n) * 3) for n in range(5000)], "pid": None}
    with in_background(lambda: {**value, "pid": os.getpid()}) as job:
        assert job.forked
        got = job.result()
    assert got["pid"] not in (None, parent)
    assert got["rows"] == value["rows"]  # 5,000 rows: more than a pipe holds at once


@pytest.mark.parametrize(
    "why",
    ["not asked", "RAFIX_WORKERS=1", "plain paths", "a second thread"],
)
def test_without_a_second_process_the_work_is_done_here(
    why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    try:
        if why == "not asked":
            context = workers_allowed(False)
        elif why == "RAFIX_WORKERS=1":
            monkeypatch.setenv(ENV_VAR, "1")
            context = workers_allowed()
        elif why == "plain paths":
            context = plain_paths()
        else:
            thread.start()
            context = workers_allowed()
        with context:
            assert not can_fork()
            job = in_background(os.getpid)
            assert not job.forked
            assert job.result() == os.getpid()
    finally:
        stop.set()
        if thread.is_alive():
            thread.join()


def test_a_process_allowed_one_processor_does_not_fork() -> None:
    script = (
        "import os\n"
        "from remediations.workers import can_fork, workers_allowed\n"
        "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
        "with workers_allowed():\n"
        "    print(can_fork())\n"
    )
    done = python(script)
    assert (done.stdout, done.stderr) == ("False\n", "")


def test_the_second_process_does_not_fork_again() -> None:
    with in_background(lambda: (can_fork(), in_background(os.getpid).forked)) as job:
        assert job.forked
        assert job.result() == (False, False)
    assert can_fork()


def test_a_child_that_fails_leaves_the_work_to_this_process() -> None:
    parent = os.getpid()

    def work() -> int:
        if os.getpid() != parent:
            raise RuntimeError("only the child fails")
        return 42

    job = in_background(work)
    assert job.forked
    assert job.result() == 42


def test_a_killed_child_leaves_the_work_to_this_process() -> None:
    parent = os.getpid()

    def work() -> str:
        if os.getpid() != parent:
            os.kill(os.getpid(), 9)
        return "done here"

    job = in_background(work)
    assert job.forked
    assert job.result() == "done here"


def test_an_error_of_the_work_itself_reaches_the_caller() -> None:
    def work() -> int:
        raise ValueError("bad account")

    job = in_background(work)
    assert job.forked
    with pytest.raises(ValueError, match="bad account"):
        job.result()


def test_a_child_whose_value_is_not_wanted_is_stopped_and_reaped() -> None:
    started = threading.Event()
    with pytest.raises(KeyError), in_background(lambda: started.wait(60)) as job:
        pid = job._pid
        assert pid > 0
        raise KeyError("the caller fails")
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no such child any more
    assert not job.forked


def test_the_child_writes_no_second_copy_of_what_this_process_had_not_yet_written() -> None:
    script = (
        "import sys\n"
        "from remediations.workers import in_background, workers_allowed\n"
        "sys.stdout.write('written once')\n"  # still in this process's buffer at the fork
        "with workers_allowed():\n"
        "    job = in_background(lambda: 7)\n"
        "    assert job.forked\n"
        "    sys.stdout.write(f' {job.result()}')\n"
    )
    done = python(script)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "written once 7"
    assert done.stderr == ""
