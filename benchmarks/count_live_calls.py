"""Count the API calls of a live scan against a sandbox of the large synthetic account.

    python benchmarks/count_live_calls.py [--roles 10000] [--seed 7]

Builds the account with ``generate_account.py``, loads it into a sandbox (moto IAM plus the
Roles Anywhere emulator), reads it through the same code as a live scan, and compares the
calls made (counted with a botocore ``before-call`` hook) with the pagination floor: for each
paginated list, ceil(items / the largest page the service returned), at least one call (moto
returns GetAccountAuthorizationDetails in one page; real IAM pages it by MaxItems).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_account import generate  # noqa: E402

from remediations.sources import aws  # noqa: E402
from remediations.sources.sandbox import init_sandbox, open_sandbox  # noqa: E402

#: Response members that hold the listed items.
LISTED = {
    "RoleDetailList",
    "UserDetailList",
    "GroupDetailList",
    "Policies",
    "Roles",
    "trustAnchors",
    "profiles",
    "crls",
    "subjects",
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--roles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rafix-bench-") as tmp:
        files, sandbox = Path(tmp) / "files", Path(tmp) / "sandbox"
        counts = generate(files, args.roles, args.seed)
        start = time.perf_counter()
        init_sandbox(sandbox, from_files=sorted(files.glob("*.json")))
        print(
            f"sandbox of {args.roles} roles and {counts['profiles']} profiles built in {time.perf_counter() - start:.1f} s"
        )

        with open_sandbox(sandbox) as session:
            regions = sorted(session.emulator.regions)
            calls: Counter[tuple[str, str]] = Counter()
            items: Counter[tuple[str, str]] = Counter()
            largest: Counter[tuple[str, str]] = Counter()

            def where(model: Any, context: Any) -> tuple[str, str]:
                region = context.get("client_region") or "global"
                return (
                    model.name,
                    "global" if model.service_model.service_name == "iam" else region,
                )

            def count(model: Any, context: Any, **_: Any) -> None:
                calls[where(model, context)] += 1

            def page(model: Any, context: Any, parsed: Any, **_: Any) -> None:
                n = sum(len(v) for k, v in parsed.items() if isinstance(v, list) and k in LISTED)
                items[where(model, context)] += n
                largest[where(model, context)] = max(largest[where(model, context)], n)

            session.events.register("before-call", count)
            session.events.register("after-call", page)
            start = time.perf_counter()
            inventory = aws.read_account(session, regions)
            elapsed = time.perf_counter() - start

    floor = {key: max(1, math.ceil(items[key] / max(1, largest[key]))) for key in calls}
    made = {key: n for key, n in calls.items() if key[0] != "DescribeRegions"}
    floor = {key: n for key, n in floor.items() if key[0] != "DescribeRegions"}
    per_role_calls = [
        key for key in made if key[0] in {"GetRole", "ListRolePolicies", "ListAttachedRolePolicies"}
    ]
    if per_role_calls:
        print(f"per-role calls made: {per_role_calls}")

    print(
        f"read {len(inventory.roles)} roles, {len(inventory.profiles)} profiles in {len(regions)} regions in {elapsed:.1f} s"
    )
    print(f"{'call':<32} {'region':<16} {'made':>5} {'floor':>5}")
    for key in sorted(set(made) | set(floor)):
        print(f"{key[0]:<32} {key[1]:<16} {made.get(key, 0):>5} {floor.get(key, 0):>5}")
    total_made, total_floor = sum(made.values()), sum(floor.values())
    print(f"total: {total_made} calls, pagination floor {total_floor}")
    return 0 if made == floor else 1


if __name__ == "__main__":
    raise SystemExit(main())
