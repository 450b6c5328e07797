"""Time rafix on real-shaped accounts against a bare ``json.load`` of the same files.

    python benchmarks/bench.py [--sizes 1000,10000] [--runs 5] [--commands scan,plan,...]
                               [--work DIR] [--markdown]

For each size, generates the account (``generate_account.py``: distinct literals everywhere a
real account has them) unless WORK already holds it, then runs every command ``--runs`` times
as a whole process, in rounds (json.load, scan, plan, ... then again), so that a drift in the
machine's speed touches every command alike. It reports the median wall time, the median of
the per-round ratios to the json.load of that round (and to the scan), and the peak resident
memory of each command (the child's own ``ru_maxrss``). Everything the commands write goes
under WORK (default ``benchmarks/out``), never to a system path.

Commands:
  load          python -c "json.load each file" (the floor: the input has to be parsed)
  scan          rafix scan --from-file FILES --format json --output WORK/...
  plan          rafix plan --from-file FILES --format json --out WORK/... (on Linux with two
                processors or more, part of it in a second process)
  plan-1p       the same plan in one process (RAFIX_WORKERS=1)
  sandbox-init  rafix sandbox init WORK/sandbox --from-file FILES (a fresh folder each run)
  sandbox-scan  rafix scan --sandbox WORK/sandbox --format json --output WORK/...
  start-up      the same scan of a 10-role account of the same shapes (WORK/account-10): what
                every scan pays whatever the size (the interpreter, rafix's modules and
                cryptography's, the report), against the load of the full-size account

Targets (issue 10): scan at most 2.0x load at 10,000 roles and 2.5x at 1,000, linear up to
50,000; scan peak memory at most 6x the input; plan at most 3x the scan; sandbox init and
sandbox scan at most 3x the scan. ``start-up`` x load is the part of the scan's ratio that no
speed of the analysis can remove.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COMMANDS = ("load", "scan", "plan", "plan-1p", "sandbox-init", "sandbox-scan", "start-up")
#: The account of the ``start-up`` command: its roles, next to the full-size accounts.
START_UP_ROLES = 10
LOAD = (
    "import json, sys\nfor f in sys.argv[1:]:\n    with open(f, 'rb') as fh:\n        json.load(fh)"
)


@dataclass
class Sample:
    wall: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)
    ratio_load: list[float] = field(default_factory=list)
    ratio_scan: list[float] = field(default_factory=list)


def run_once(cmd: list[str], log: Path) -> tuple[float, int, int]:
    """Wall seconds, peak RSS (KiB) and exit status of one whole process."""
    with log.open("ab") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=out, stdin=subprocess.DEVNULL, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss, proc.returncode


def rafix(*args: str) -> list[str]:
    return [sys.executable, "-m", "remediations", *args]


def from_files(files: list[str]) -> list[str]:
    return [a for f in files for a in ("--from-file", f)]


def commands_for(work: Path, files: list[str], small: list[str]) -> dict[str, list[str]]:
    """``small``: the files of the ``start-up`` command's account (empty when not wanted)."""
    file_args = from_files(files)
    return {
        "load": [sys.executable, "-c", LOAD, *files],
        "scan": rafix("scan", *file_args, "--format", "json", "--output", str(work / "scan.json")),
        "plan": rafix("plan", *file_args, "--format", "json", "--out", str(work / "plan.json")),
        "plan-1p": [
            "env",
            "RAFIX_WORKERS=1",
            *rafix("plan", *file_args, "--format", "json", "--out", str(work / "plan-1p.json")),
        ],
        "sandbox-init": rafix("sandbox", "init", str(work / "sandbox-fresh"), *file_args),
        "sandbox-scan": rafix(
            "scan",
            "--sandbox",
            str(work / "sandbox"),
            "--format",
            "json",
            "--output",
            str(work / "sandbox-scan.json"),
        ),
        "start-up": rafix(
            "scan", *from_files(small), "--format", "json", "--output", str(work / "start-up.json")
        ),
    }


def generate(account: Path, size: int, seed: int) -> list[str]:
    """The account's files, generated first unless ``account`` holds them."""
    if not (account / "iam.json").exists():
        print(f"generating {size} roles into {account} ...", flush=True)
        # In a child of its own, so that this process stays small: a child's peak memory
        # counts the parent's pages it was forked from.
        subprocess.run(
            [
                sys.executable,
                str(HERE / "generate_account.py"),
                str(account),
                "--roles",
                str(size),
                "--seed",
                str(seed),
            ],
            check=True,
        )
    return sorted(str(p) for p in account.glob("*.json"))


def bench_size(
    size: int, runs: int, wanted: list[str], work_root: Path, seed: int
) -> dict[str, Sample]:
    account = work_root / f"account-{size}"
    files = generate(account, size, seed)
    small = (
        generate(work_root / f"account-{START_UP_ROLES}", START_UP_ROLES, seed)
        if "start-up" in wanted
        else []
    )
    input_bytes = sum(Path(f).stat().st_size for f in files)
    work = work_root / f"run-{size}"
    work.mkdir(parents=True, exist_ok=True)
    cmds = commands_for(work, files, small)
    log = work / "output.log"
    log.write_bytes(b"")

    if "sandbox-scan" in wanted and not (work / "sandbox").exists():
        _, _, code = run_once(
            rafix(
                "sandbox",
                "init",
                str(work / "sandbox"),
                *from_files(files),
            ),
            log,
        )
        if code != 0:
            sys.exit(f"sandbox init failed (exit {code}); see {log}")
    # A check run of each command (also a warm-up of the page cache).
    for name in wanted:
        shutil.rmtree(work / "sandbox-fresh", ignore_errors=True)
        _, _, code = run_once(cmds[name], log)
        if code not in (0, 1):
            sys.exit(f"{name} failed (exit {code}); see {log}")

    samples = {name: Sample() for name in wanted}
    for _ in range(runs):
        round_wall: dict[str, float] = {}
        for name in wanted:
            shutil.rmtree(work / "sandbox-fresh", ignore_errors=True)
            wall, peak, _ = run_once(cmds[name], log)
            samples[name].wall.append(wall)
            samples[name].peak_kib.append(peak)
            round_wall[name] = wall
        for name in wanted:
            if "load" in round_wall:
                samples[name].ratio_load.append(round_wall[name] / round_wall["load"])
            if "scan" in round_wall:
                samples[name].ratio_scan.append(round_wall[name] / round_wall["scan"])
    shutil.rmtree(work / "sandbox-fresh", ignore_errors=True)

    mib = input_bytes / 2**20
    print(f"\n{size:,} roles: {len(files)} files, {mib:.1f} MiB of AWS CLI JSON; median of {runs}")
    print(
        f"  {'command':<13} {'wall s':>8} {'x load':>7} {'x scan':>7} {'peak MiB':>9} {'x input':>8}"
    )
    for name, s in samples.items():
        peak = statistics.median(s.peak_kib) / 1024
        print(
            f"  {name:<13} {statistics.median(s.wall):8.3f} {_ratio(s.ratio_load):>7} "
            f"{_ratio(s.ratio_scan):>7} {peak:9.0f} {peak / mib:7.1f}x"
        )
    return samples


def _ratio(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "-"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="1000,10000", help="role counts, comma-separated (e.g. 1000,10000,50000)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--work", type=Path, default=HERE / "out")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    wanted = [c.strip() for c in args.commands.split(",") if c.strip()]
    unknown = sorted(set(wanted) - set(COMMANDS))
    if unknown:
        parser.error(f"unknown command(s) {', '.join(unknown)}; choose from {', '.join(COMMANDS)}")
    # An installed rafix runs from .pyc files; compile them once so that no timed run pays for
    # compiling the package.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "remediations")], check=True
    )
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    per_size = {size: bench_size(size, args.runs, wanted, args.work, args.seed) for size in sizes}
    if len(sizes) > 1:
        print("\nlinearity (median wall per 1,000 roles, seconds):")
        for name in wanted:
            row = "  ".join(
                f"{size:>6,}: {statistics.median(per_size[size][name].wall) / size * 1000:.4f}"
                for size in sizes
            )
            print(f"  {name:<13} {row}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
