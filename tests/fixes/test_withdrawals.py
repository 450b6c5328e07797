"""Withdrawing the phase-1 fixes that would add a finding (issue 9), fast (issue 10).

When the phase-1 changes together would add a finding, the plan withdraws each change that
adds one on its own. It finds them by judging each change near itself first, then proving
the result on the part of the account the changes touch (``remediations.proposals.converge``);
``plain_paths()`` judges every change on that whole part. The properties force fixes to
diverge the way a user does (an answer the fix pins and the scan then reports) on generated
and corpus accounts, and check that:

- the plan, reasons included, is the one of the plain path;
- after the changes a plain apply makes, the scan of the whole account reports nothing it
  did not report before.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import remediations.checks.run
import remediations.proposals.converge as converge_module
from remediations.catalog import spec
from remediations.checks.run import run_checks
from remediations.findings import Finding
from remediations.model import Inventory, Profile, Role, TrustAnchor
from remediations.plan import ProposalSet, ProposedChange
from remediations.proposals import propose
from remediations.proposals.converge import inventory_after, withdraw_diverging
from remediations.settings import Settings
from remediations.shortcuts import plain_paths
from remediations.sources.offline import load_files
from remediations.workers import ENV_VAR, Background, workers_allowed
from tests.account_strategies import account_examples, generated_accounts
from tests.builders import count_forks, plan_json
from tests.corpus_accounts import accounts as corpus_accounts
from tests.corpus_accounts import answers as corpus_answers
from tests.corpus_accounts import write_account

SETTINGS = Settings()


def _keys(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.id, f.resource_arn) for f in findings}


#: The answers that make a fix add a finding, as a user might give them: a CN the naming check
#: reports (RA-TRUST-SUBJECT-NAMING), a trust anchor ARN with a wildcard
#: (RA-TRUST-SOURCEARN-WILDCARD) or of an anchor that is not there (RA-TRUST-SOURCEARN-STALE).
SWAPS = (
    ("cn", "anchor-wildcard"),
    ("anchor-wildcard",),
    ("cn",),
    (),
    ("anchor-gone",),
    ("cn", "anchor-gone"),
)


def diverging(values: dict[str, str], swaps: list[tuple[str, ...]]) -> dict[str, str]:
    """The answers with those of each role (in turn) swapped as ``swaps`` says."""
    out = dict(values)
    names = sorted({k.rsplit(".", 1)[0] for k in values if k.endswith(".cn")})
    for number, (name, swap) in enumerate(zip(names, swaps * len(names), strict=False)):
        anchor = values.get(f"{name}.trust_anchor_arn", values.get("trust_anchor_arn", ""))
        if "cn" in swap:
            out[f"{name}.cn"] = f"dépôt-{number}.corp.example"
        if "anchor-wildcard" in swap and anchor:
            out[f"{name}.trust_anchor_arn"] = anchor.rsplit("/", 1)[0] + "/*"
        if "anchor-gone" in swap and anchor:
            out[f"{name}.trust_anchor_arn"] = anchor[:-12] + "0123456789ab"
    return out


def assert_withdrawals_exact_and_safe(inventory: Inventory, values: dict[str, str]) -> int:
    """The plan equals the plain path's (with and without ``--repair-broken``) and a plain
    apply adds no finding to the account; returns how many fixes were withdrawn."""
    for repair in (False, True):  # with --repair-broken, the opted-in repairs are judged first
        fast = plan_json(inventory, values, repair)
        with plain_paths():
            assert plan_json(inventory, values, repair) == fast
    before = run_checks(inventory, SETTINGS)
    result = propose(inventory, before, SETTINGS, values)
    phase_one = [c for c in result.changes if c.phase == 1]
    after = run_checks(inventory_after(inventory, phase_one), SETTINGS)
    assert not _keys(after) - _keys(before), [c.summary for c in phase_one]
    return sum("Withdrawn: after this fix" in n.reason for n in result.not_fixable)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(generated_accounts(), st.lists(st.sampled_from(SWAPS), min_size=1, max_size=4))
def test_withdrawals_on_generated_accounts_are_the_plain_paths_and_add_nothing(
    account: tuple[Inventory, dict[str, str]], swaps: list[tuple[str, ...]]
) -> None:
    inventory, values = account
    assert_withdrawals_exact_and_safe(inventory, diverging(values, swaps))


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
    reason="a second process is used only on Linux with two cores or more",
)
@account_examples(40)
@given(generated_accounts(), st.lists(st.sampled_from(SWAPS), min_size=1, max_size=4))
def test_changes_judged_alone_in_two_processes_are_withdrawn_alike(
    monkeypatch: pytest.MonkeyPatch,
    account: tuple[Inventory, dict[str, str]],
    swaps: list[tuple[str, ...]],
) -> None:
    """Every other change judged near itself by a second process (forced on every account):
    the same plan as in one process."""
    inventory, values = account
    values = diverging(values, swaps)
    forked = count_forks(monkeypatch, converge_module, "PARALLEL_SUSPECTS")
    one = plan_json(inventory, values)
    with workers_allowed():
        two = plan_json(inventory, values)
    if "Withdrawn: after this fix" in one:  # judged alone: every other change by the child
        assert forked and all(forked)
    assert all(forked)
    assert two == one


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(corpus_accounts()) or ["(no corpus)"])
@pytest.mark.parametrize("swaps", [[("cn",)], [(), ("cn",), ("cn",)], [("cn",), (), (), ()]])
def test_withdrawals_on_corpus_accounts_are_the_plain_paths_and_add_nothing(
    name: str, swaps: list[tuple[str, ...]], tmp_path: Path
) -> None:
    if name == "(no corpus)":
        pytest.skip("../shared/corpus is absent")
    inventory = load_files(write_account(name, tmp_path))
    values = corpus_answers(r.name for r in inventory.roles.values())
    assert_withdrawals_exact_and_safe(inventory, diverging(values, swaps))


# --- one diverging fix among many -----------------------------------------------------------

ACCOUNT = "444455556666"
REGION = "eu-west-1"
ANCHOR = (
    f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:trust-anchor/5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
)
TEAMS = 12


def teams_account() -> Inventory:
    """Twelve workloads, each a role in its own profile, whose trust pins the anchor and no
    subject: each role's fix pins its CN (one change per role)."""
    inv = Inventory(account_id=ACCOUNT, origin="files", regions=[REGION])
    inv.coverage = {"iam", "rolesanywhere", "profiles", "trust_anchors", "max_session_duration"}
    inv.trust_anchors[ANCHOR] = TrustAnchor(
        arn=ANCHOR, anchor_id=ANCHOR[-36:], name="corp-issuing", region=REGION
    )
    session = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
        ],
    }
    for number in range(TEAMS):
        name = f"team-{number:02d}-ledger"
        arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            "Condition": {"ArnEquals": {"aws:SourceArn": ANCHOR}},
        }
        document = {"Version": "2012-10-17", "Statement": [statement]}
        inv.roles[arn] = Role(arn=arn, name=name, trust_policy=document)
        profile = f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:profile/{number:08d}-7d4e-4c11-8a0b-1e2f3a4b5c6d"
        inv.profiles[profile] = Profile(
            arn=profile,
            profile_id=profile[-36:],
            name=name,
            region=REGION,
            role_arns=[arn],
            session_policy=session,
            session_policy_text=json.dumps(session),
        )
    return inv


TWO_CORES = sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) > 1


@pytest.mark.parametrize("two_processes", [False, True] if TWO_CORES else [False])
def test_one_diverging_fix_among_many_is_withdrawn_alone_without_a_scan_per_fix(
    monkeypatch: pytest.MonkeyPatch, two_processes: bool
) -> None:
    """Also with every other change judged near itself by a second process (forced here):
    a wrong verdict from it would send the proof down the path that judges each fix alone on
    the whole account (one scan per fix), which the count of scans sees."""
    inventory = teams_account()
    values = {"issuer_cn": "Corp Issuing CA G2"}
    values |= {f"team-{n:02d}-ledger.cn": f"team-{n:02d}.corp.example" for n in range(TEAMS)}
    values["team-07-ledger.cn"] = "équipe-07.corp.example"
    scans: list[int] = []
    scan = remediations.checks.run.run_checks

    def counted(inventory: Inventory, *args: Any, **kwargs: Any) -> list[Finding]:
        scans.append(len(inventory.roles))
        return scan(inventory, *args, **kwargs)

    forked: list[bool] = []

    def background(work: Callable[[], Any], what: str = "") -> Background[Any]:
        job = Background(work, what)
        forked.append(job.forked)
        return job

    before = run_checks(inventory, SETTINGS)
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(converge_module, "PARALLEL_SUSPECTS", 1)
    monkeypatch.setattr(converge_module, "in_background", background)
    monkeypatch.setattr(remediations.checks.run, "run_checks", counted)
    with workers_allowed(two_processes):
        result = propose(inventory, before, SETTINGS, values)
    monkeypatch.undo()
    assert forked == ([True] if two_processes else [])
    roles = [c.resource_arn.rsplit("/", 1)[-1] for c in result.changes if c.phase == 1]
    assert len(roles) == TEAMS - 1 and "team-07-ledger" not in roles
    (reason,) = {n.reason for n in result.not_fixable if "Withdrawn" in n.reason}
    assert "équipe-07.corp.example" in reason
    assert f"RA-TRUST-SUBJECT-NAMING on arn:aws:iam::{ACCOUNT}:role/team-07-ledger" in reason
    # The proof scans the whole part a few times (before, all together, the culprit alone,
    # the others together), not once per fix; each fix alone is judged near itself.
    assert sum(count == TEAMS for count in scans) <= 4 < TEAMS
    assert_withdrawals_exact_and_safe(inventory, values)


# --- fixes that add a finding only together ----------------------------------------------------


class _Scripted:
    """A judgement whose scan is scripted: what each set of changes adds."""

    def __init__(self, phase_one: list[Any], adds: Callable[[set[str]], list[Finding]]) -> None:
        self.phase_one = phase_one
        self._adds = adds

    def added(self, changes: list[Any]) -> list[Finding]:
        return self._adds({c.resource_arn for c in changes})

    def suspects(self) -> list[Any]:
        return [c for c in self.phase_one if self.added([c])]


@pytest.mark.parametrize("plain", [False, True])
def test_fixes_that_add_a_finding_only_together_once_another_is_withdrawn_all_go(
    plain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """c3 adds a finding on its own and is withdrawn; c1 and c2 add one only together, so a
    plain apply of what is left would add it: they are withdrawn too."""
    arns = [f"arn:aws:iam::111122223333:role/ra-team-{n}" for n in (1, 2, 3)]
    changes = [
        ProposedChange(arn, "role", "global", ["RA-TRUST-NO-SOURCEARN"], "pins", "why", {}, {})
        for arn in arns
    ]
    naming = spec("RA-TRUST-SUBJECT-NAMING")

    def adds(applied: set[str]) -> list[Finding]:
        found = []
        if arns[2] in applied:
            found.append(naming.finding(arns[2], "c3 alone", region="global"))
        if {arns[0], arns[1]} <= applied:
            found.append(naming.finding(arns[0], "c1 with c2", region="global"))
        return found

    monkeypatch.setattr(converge_module, "_judge", lambda *_: _Scripted(changes, adds))
    result = ProposalSet(changes=list(changes))
    if plain:
        with plain_paths():
            withdraw_diverging(Inventory(), SETTINGS, result)
    else:
        withdraw_diverging(Inventory(), SETTINGS, result)
    assert result.changes == []
    reasons = {n.resource_arn: n.reason for n in result.not_fixable}
    assert f"RA-TRUST-SUBJECT-NAMING on {arns[2]}" in reasons[arns[2]]  # its own finding
    for arn in arns[:2]:  # the finding the two make together
        assert f"RA-TRUST-SUBJECT-NAMING on {arns[0]}" in reasons[arn]
