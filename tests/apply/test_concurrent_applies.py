"""Two ``rafix apply`` of different plans on one sandbox, started together as real processes:
both changes end in the account, and neither says "as planned" (nor finishes its journal)
unless its changes were saved."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from remediations.apply.executor import Executor
from remediations.cli import main
from remediations.sources.sandbox import init_sandbox, open_sandbox
from remediations.state import equivalent, is_detailed

ROUNDS = 3


def plan_for(
    capsys: pytest.CaptureFixture[str], sandbox: Path, arn: str, out: Path
) -> dict[str, Any]:
    code = main(["plan", "--sandbox", str(sandbox), "--resource", arn, "--out", str(out)])
    _out, err = capsys.readouterr()
    assert code == 0, err
    plan: dict[str, Any] = json.loads(out.read_text())
    return plan


def two_resources(capsys: pytest.CaptureFixture[str], sandbox: Path) -> tuple[str, str]:
    """Two resources the demo plan changes in phase 1 (each on its own)."""
    path = sandbox.parent / "all.json"
    code = main(["plan", "--sandbox", str(sandbox), "--out", str(path)])
    capsys.readouterr()
    assert code == 0
    changes = json.loads(path.read_text())["changes"]
    arns = list(dict.fromkeys(c["resource_arn"] for c in changes if c["phase"] == 1))
    roles = [a for a in arns if ":role/" in a]
    others = [a for a in arns if ":role/" not in a]
    return roles[0], (others or roles[1:])[0]


def states(sandbox: Path, plan: dict[str, Any]) -> dict[str, Any]:
    with open_sandbox(sandbox) as account:
        reader = Executor(account)
        return {
            c["resource_arn"]: reader.read_state(
                c["resource_type"],
                c["resource_arn"],
                detailed=is_detailed(c["resource_type"], c["before"], c["after"]),
            )
            for c in plan["changes"]
        }


def spawn(plan: Path, sandbox: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "remediations", "apply", str(plan), "--sandbox", str(sandbox), "-y"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_applies_of_different_plans_both_land(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = tmp_path / "sandbox"
    for _round in range(ROUNDS):
        if sandbox.exists():
            shutil.rmtree(sandbox)
        init_sandbox(sandbox)
        first, second = two_resources(capsys, sandbox)
        plan_a = plan_for(capsys, sandbox, first, tmp_path / "a.json")
        plan_b = plan_for(capsys, sandbox, second, tmp_path / "b.json")
        runs = [spawn(tmp_path / "a.json", sandbox), spawn(tmp_path / "b.json", sandbox)]
        results = [run.communicate(timeout=300) for run in runs]
        for run, (out, err) in zip(runs, results, strict=True):
            assert run.returncode == 0, err
            assert "the account is as planned" in out, out
        for plan in (plan_a, plan_b):
            now = states(sandbox, plan)
            for change in plan["changes"]:
                if change["phase"] != 1:
                    continue
                arn = change["resource_arn"]
                assert equivalent(change["resource_type"], now[arn], change["after"]), arn
        snapshots = main(["snapshots", "--sandbox", str(sandbox), "--format", "json"])
        listing = json.loads(capsys.readouterr().out)
        assert snapshots == 0 and len(listing["snapshots"]) == 2
        assert not any(s.get("interrupted") for s in listing["snapshots"])


def test_as_planned_only_once_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sandbox whose state files were changed behind rafix's back refuses to save: the
    apply must not say "as planned" nor finish its journal."""
    from remediations.sources.sandbox import account

    sandbox = tmp_path / "sandbox"
    init_sandbox(sandbox)
    path = tmp_path / "plan.json"
    assert main(["plan", "--sandbox", str(sandbox), "--out", str(path)]) == 0
    capsys.readouterr()
    real_save = account.SandboxSession.save

    def edited_meanwhile(self: account.SandboxSession) -> list[Path]:
        self.opened_digest = "edited by someone else"
        return real_save(self)

    monkeypatch.setattr(account.SandboxSession, "save", edited_meanwhile)
    code = main(["apply", str(path), "--sandbox", str(sandbox), "--yes"])
    out, err = capsys.readouterr()
    assert code != 0
    assert "as planned" not in out
    assert "changed by another rafix process" in err
    monkeypatch.undo()
    journals = list((sandbox / "snapshots").glob("*/journal*"))
    for journal in journals:
        assert '"finished"' not in journal.read_text()
