"""A plan made with a second process is the plan made in one (issue 10).

``propose`` hands 9 resources in 20 and the changes' diffs to a second process when it may
(remediations.workers); the results are merged back in the one-process order. The properties
force that path on every account (``PARALLEL_JOBS`` at 1), check that it forked, and compare
the plan's JSON with the plan made in one process, on generated and corpus accounts, and end to
end through ``rafix plan`` on a generated account large enough to fork on its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given

import remediations.proposals as proposals_module
from remediations.model import Inventory
from remediations.settings import Settings
from remediations.sources.offline import load_files
from remediations.workers import ENV_VAR, workers_allowed
from tests.account_strategies import account_examples, generated_accounts
from tests.builders import count_forks, plan_json
from tests.corpus_accounts import accounts as corpus_accounts
from tests.corpus_accounts import answers as corpus_answers
from tests.corpus_accounts import write_account

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = Settings()

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
    reason="a second process is used only on Linux with two cores or more",
)


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every account forks (no minimum size); whether each background job forked."""
    return count_forks(monkeypatch, proposals_module, "PARALLEL_JOBS")


def assert_same_plans(inventory: Inventory, values: dict[str, str], seen: list[bool]) -> None:
    for answers, repair in ((values, False), ({}, False), (values, True)):
        one = plan_json(inventory, answers, repair)
        seen.clear()
        with workers_allowed():
            two = plan_json(inventory, answers, repair)
        assert all(seen), "a background job ran in this process"
        if json.loads(two)["changes"]:  # the changes' diffs at least were made by the other
            assert seen, "the plan did not use a second process"
        assert two == one


@account_examples(40)
@given(generated_accounts())
def test_plans_of_generated_accounts_made_in_two_processes_are_the_same(
    forks: list[bool], account: tuple[Inventory, dict[str, str]]
) -> None:
    inventory, values = account
    assert_same_plans(inventory, values, forks)


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(corpus_accounts()) or ["(no corpus)"])
def test_plans_of_corpus_accounts_made_in_two_processes_are_the_same(
    name: str, tmp_path: Path, forks: list[bool]
) -> None:
    if name == "(no corpus)":
        pytest.skip("../shared/corpus is absent")
    inventory = load_files(write_account(name, tmp_path))
    assert_same_plans(inventory, corpus_answers(r.name for r in inventory.roles.values()), forks)


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["DataDog__stratus-red-team", "aws__eks-hybrid"])
def test_fixes_that_add_a_finding_are_withdrawn_alike_in_two_processes(
    name: str, tmp_path: Path, forks: list[bool]
) -> None:
    """A CN outside the session-tag charset: pinning it would add RA-TRUST-SUBJECT-NAMING, so
    the proof's verdict (made by the second process) sends the plan down the withdrawal path."""
    if name not in corpus_accounts():
        pytest.skip("../shared/corpus is absent")
    inventory = load_files(write_account(name, tmp_path))
    names = (r.name for r in inventory.roles.values())
    values = {k: "dépôt.prod" if k.endswith("cn") else v for k, v in corpus_answers(names).items()}
    values["cn"] = "dépôt.prod"
    one = plan_json(inventory, values)
    with workers_allowed():
        two = plan_json(inventory, values)
    assert forks and all(forks)
    assert "Withdrawn: after this fix" in one
    assert two == one


def test_rafix_plan_of_a_large_account_forks_and_writes_the_one_process_plan(
    tmp_path: Path,
) -> None:
    account = tmp_path / "account"
    subprocess.run(
        [sys.executable, "benchmarks/generate_account.py", str(account), "--roles", "600"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    files = sorted(account.glob("*.json"))
    texts = {}
    for workers in ("", "1"):
        out = tmp_path / f"plan-{workers or 'two'}.json"
        env = {**os.environ, ENV_VAR: workers}
        done = subprocess.run(
            [sys.executable, "-m", "remediations", "plan", "--debug", "--out", str(out)]
            + [a for f in files for a in ("--from-file", str(f))],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        handed = "handed over" in done.stderr
        assert handed == (workers == ""), done.stderr[-2000:]
        plan = json.loads(out.read_text())
        plan.pop("created_at")
        texts[workers] = json.dumps(plan, indent=1)
    assert len(json.loads(texts[""])["changes"]) > proposals_module.PARALLEL_JOBS
    assert texts[""] == texts["1"]
