"""Time the offline scan against a bare ``json.load`` of the same files (whole processes).

    python benchmarks/bench_offline_scan.py [--runs 7] [--dir DIR]

Generates the synthetic account (``generate_account.py``) when DIR has none, then runs each
command ``--runs`` times in a fresh interpreter and reports the medians and their ratio.
Target: the scan takes at most 2.5x the json.load (the input has to be parsed; the analysis
should cost little beyond that).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_RATIO = 2.5


def median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=HERE / "out" / "account")
    args = parser.parse_args()
    if not (args.dir / "iam.json").exists():
        subprocess.run(
            [sys.executable, str(HERE / "generate_account.py"), str(args.dir)], check=True
        )
    files = sorted(str(p) for p in args.dir.glob("*.json"))
    # An installed rafix runs from .pyc files; compile them once so that every timed run does
    # not pay for compiling the package (PYTHONDONTWRITEBYTECODE would otherwise force it).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(HERE.parent / "remediations")], check=True
    )

    load = [
        sys.executable,
        "-c",
        "import json, sys\nfor f in sys.argv[1:]:\n    json.load(open(f, 'rb'))",
        *files,
    ]
    report = args.dir.parent / "scan-report.json"  # a file of our own, never a system path
    scan = [
        sys.executable,
        "-m",
        "remediations",
        "scan",
        "--format",
        "json",
        "--output",
        str(report),
    ]
    for f in files:
        scan += ["--from-file", f]

    check = subprocess.run(scan, capture_output=True, text=True, check=False)
    if check.returncode not in (0, 1):
        print(f"scan failed (exit {check.returncode}): {check.stderr.strip()}", file=sys.stderr)
        return 2

    t_load = median_seconds(load, args.runs)
    t_scan = median_seconds(scan, args.runs)
    ratio = t_scan / t_load
    print(f"json.load of the export : {t_load * 1000:8.0f} ms (median of {args.runs})")
    print(f"rafix scan --from-file  : {t_scan * 1000:8.0f} ms (median of {args.runs})")
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    print(f"ratio                   : {ratio:8.2f}x ({verdict} the {TARGET_RATIO}x target)")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
