"""Accounts per minute of an organisation scan, and its API calls against the pagination floor.

    python benchmarks/bench_org.py [--accounts 100] [--size 3] [--parallel 1 4 8]

Builds a sandbox organisation (``rafix sandbox init DIR --accounts N``): a management account
(the demo account) and N members in four shapes (the demo re-addressed, generated workloads in
the trust shapes of real accounts, hardened, IAM only), every literal distinct per account
(account IDs, role and resource names, unique IDs, resource IDs). Then, for each ``--parallel``:

- the whole organisation scan through the facade (list the accounts, assume the role in each,
  read every region, run every check per account), timed: accounts per minute;
- the calls made per account (every HTTP attempt the sandbox saw) against the pagination
  floor of that account: for IAM ceil(roles / 1000) GetAccountAuthorizationDetails pages and
  as many ListRoles pages, for each region with Roles Anywhere ceil(items / 500) pages of each
  of its four lists (at least one each), plus the one sts:AssumeRole that reaches a member.

The sandbox answers from memory under one lock (moto and the emulator are not thread-safe), so
the figures are rafix's own cost plus moto's; a live organisation adds network latency and
Roles Anywhere's ~1 request/s per region, which is what reading accounts in parallel hides.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections import Counter
from pathlib import Path

from remediations.model import Inventory
from remediations.session import Session
from remediations.source import OrgSource, SandboxSource
from remediations.sources.organization import list_accounts, read_organization
from remediations.sources.sandbox.org_session import OrgSandboxSession, open_organization
from remediations.sources.sandbox.organization import init_organization

IAM_PAGE = 1000
RA_PAGE = 500


def floor_of(inventory: Inventory, member: bool) -> int:
    """The fewest calls that can read this account."""
    iam = max(1, math.ceil(len(inventory.roles) / IAM_PAGE))
    calls = 2 * iam + (1 if member else 0)
    for region in inventory.regions:
        for store in (
            inventory.trust_anchors,
            inventory.profiles,
            inventory.crls,
            inventory.subjects,
        ):
            items = sum(1 for obj in store.values() if obj.region == region)
            calls += max(1, math.ceil(items / RA_PAGE))
    return calls


def count_calls(folder: Path, parallel: int) -> tuple[Counter[str], dict[str, int], int]:
    """Calls made per account (and per operation, summed), the floor per account, and the
    organisation-level calls (ListAccounts)."""
    made: Counter[str] = Counter()
    operations: Counter[str] = Counter()
    floors: dict[str, int] = {}
    with open_organization(folder) as management:
        assert isinstance(management, OrgSandboxSession)
        accounts = list_accounts(management)
        org_calls = management.faults.count(service="organizations")
        org = read_organization(management, accounts, parallel=parallel)
        for account_id, dispatcher in management.router.dispatchers.items():
            for call in dispatcher.faults.calls:
                if call.service == "organizations":
                    continue
                if call.operation == "AssumeRole":
                    # Made by the management account on the member's behalf.
                    target = "member"
                    made[target] += 1
                else:
                    made[account_id] += 1
                operations[f"{call.service}:{call.operation}"] += 1
        for result in org.accounts:
            assert result.inventory is not None, result.error
            floors[result.account.account_id] = floor_of(
                result.inventory, member=not result.account.management
            )
    # The AssumeRole calls belong to the members: one each.
    members = [a for a in floors if a != management.account_id]
    per_member = made.pop("member", 0)
    assert per_member == len(members), (per_member, len(members))
    for account in members:
        made[account] += 1
    operations_total = sum(operations.values())
    assert operations_total == sum(made.values())
    print("calls by operation:", ", ".join(f"{k} {v}" for k, v in sorted(operations.items())))
    return made, floors, org_calls


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--size", type=int, default=3, help="scale of the generated members")
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rafix-org-bench-") as tmp:
        folder = Path(tmp) / "org"
        start = time.perf_counter()
        init_organization(folder, args.accounts, size=args.size)
        built = time.perf_counter() - start
        result = Session(OrgSource(SandboxSource(folder))).scan()
        roles = len(result.inventory.roles)
        profiles = len(result.inventory.profiles)
        print(
            f"organisation of {len(result.accounts)} accounts built in {built:.1f} s: {roles} "
            f"roles, {profiles} profiles, {len(result.findings)} findings"
        )
        for parallel in args.parallel:
            source = OrgSource(SandboxSource(folder), parallel=parallel)
            start = time.perf_counter()
            scan = Session(source).scan()
            elapsed = time.perf_counter() - start
            assert all(a.read for a in scan.accounts)
            rate = len(scan.accounts) / elapsed * 60
            print(
                f"--parallel {parallel}: {len(scan.accounts)} accounts scanned in "
                f"{elapsed:.1f} s: {rate:.0f} accounts per minute"
            )
        made, floors, org_calls = count_calls(folder, max(args.parallel))
    over = {a: (made[a], floors[a]) for a in floors if made[a] != floors[a]}
    print(
        f"calls: {sum(made.values())} for {len(floors)} accounts, pagination floor "
        f"{sum(floors.values())}; organizations:ListAccounts pages: {org_calls}"
    )
    fewest, most = min(made[a] for a in floors), max(made[a] for a in floors)
    print(f"per account: {fewest} to {most} calls; accounts above the floor: {len(over)}")
    for account, (n, floor) in sorted(over.items())[:10]:
        print(f"  {account}: {n} calls, floor {floor}")
    return 0 if not over else 1


if __name__ == "__main__":
    raise SystemExit(main())
