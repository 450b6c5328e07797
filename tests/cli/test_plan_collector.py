"""``rafix plan`` is a one-shot process: it pauses the cyclic garbage collector while it plans
(its passes over the plan's many small objects free almost nothing), and leaves it as it was."""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path

import pytest

import remediations.proposals
from remediations.cli import main
from remediations.collector import collector_paused
from remediations.source import FilesSource, LiveSource, OrgSource, SandboxSource, Source, may_pause


class _Node:
    """Something a cycle can be made of (and a weak reference can watch)."""

    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_inside_and_as_it_was_after(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), collector_paused():
            raise RuntimeError("boom")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_a_cycle_built_while_paused_is_still_collected_afterwards() -> None:
    with collector_paused():
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        watch = weakref.ref(a)
        del a, b
        assert watch() is not None  # only the collector frees a cycle
    gc.collect()
    assert watch() is None


def test_what_a_freezing_pause_built_is_out_of_the_collectors_reach() -> None:
    """``freeze=True`` (a scan's inventory and results): what the block built is frozen, so
    full collections no longer walk it; without it, nothing is left frozen."""
    frozen_before = gc.get_freeze_count()
    try:
        with collector_paused():
            kept = [_Node() for _ in range(100)]
        assert gc.get_freeze_count() == 0
        with collector_paused(freeze=True):
            kept += [_Node() for _ in range(100)]
        assert gc.get_freeze_count() >= 200
    finally:
        gc.unfreeze()
        if frozen_before:
            gc.freeze()
    assert len(kept) == 200


def test_plan_runs_with_the_collector_paused_and_restores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    exports = tmp_path / "exp"
    exports.mkdir()
    (exports / "iam.json").write_text(json.dumps({"RoleDetailList": [], "Policies": []}))
    seen: list[bool] = []
    real = remediations.proposals.propose

    def propose(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(remediations.proposals, "propose", propose)
    assert gc.isenabled()
    assert main(["plan", "--from-file", str(exports), "--out", str(tmp_path / "plan.json")]) == 0
    assert seen == [False]
    assert gc.isenabled()
    capsys.readouterr()


_FILES = FilesSource((Path("exp"),))


@pytest.mark.parametrize(
    ("source", "pauses"),
    [
        (_FILES, True),
        (SandboxSource(Path("sb")), True),
        (OrgSource(_FILES), True),
        (OrgSource(_FILES).member("111122223333"), True),
        (LiveSource(), False),
        (OrgSource(LiveSource()), False),
        (OrgSource(SandboxSource(Path("sb"))).member("111122223333"), False),
    ],
)
def test_only_accounts_read_from_local_files_pause_the_collector(
    source: Source, pauses: bool
) -> None:
    """boto3's requests leave cyclic garbage: a live read keeps the collector running."""
    assert may_pause(source) is pauses
