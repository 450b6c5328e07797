"""The terminal app on the 10,000-role benchmark account, with Textual's headless pilot.

    python benchmarks/bench_tui.py [--dir DIR] [--runs 20]

Generates the account (``generate_account.py``) when DIR has none, scans it once through the
session facade, then hands that scan to the app as a finished load would and measures:

- table interactive: from the scan arriving to the table drawn with every finding and
  answering a key (target 1 s);
- filter keystroke: one key typed in the ``/`` filter until the table shows the new rows
  (target 50 ms; median and worst of ``--runs``);
- cursor to detail: one ``j`` until the detail pane shows the next finding (target 16 ms);
- memory: what the app keeps beside the scan (Python allocations, tracemalloc), as a
  multiple of what the scan result itself holds (target: app and scan within 2x the scan).

Each key timing is the whole round trip through the pilot (key event, handler, repaint),
which includes the pilot's own pause; the handler alone is also shown.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from remediations.session import ScanResult, Session  # noqa: E402
from remediations.source import FilesSource  # noqa: E402

TARGETS = {"interactive_s": 1.0, "filter_ms": 50.0, "cursor_ms": 16.0, "memory_x": 2.0}


class ScannedSession(Session):
    """The benchmark account, already scanned: ``scan`` hands back the same result, so the
    app's load measures the app, not the reading of 10,000 roles."""

    def __init__(self, source: FilesSource, result: ScanResult) -> None:
        super().__init__(source, read_only=True)
        self.result = result

    def scan(self, **_: Any) -> ScanResult:
        return self.result


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def measure(result: ScanResult, source: FilesSource, runs: int) -> dict[str, Any]:
    from tui.app import RafixApp
    from tui.screens.main import MainScreen
    from tui.widgets.findings_table import FindingsTable

    app = RafixApp(ScannedSession(source, result), remember_theme=False)
    figures: dict[str, Any] = {"findings": len(result.findings)}
    async with app.run_test(size=(160, 48)) as pilot:
        # Let the app's own load finish, then time a second arrival of the same data.
        for _ in range(50):
            await pilot.pause()
            if isinstance(app.screen, MainScreen) and app.screen.loaded:
                break
        screen = app.screen
        assert isinstance(screen, MainScreen) and screen.loaded
        table = screen.query_one(FindingsTable)

        start = time.perf_counter()
        screen._show_scan(result)
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()
        interactive = time.perf_counter() - start
        assert table.cursor == 1 and len(table.entries) == len(result.findings)
        figures["interactive_s"] = round(interactive, 3)

        # The pilot's own cost: a key nothing is bound to (event, idle wait, no repaint).
        baseline = []
        for _ in range(runs):
            start = time.perf_counter()
            await pilot.press("z")
            baseline.append(time.perf_counter() - start)
        figures["pilot_baseline_ms"] = _ms(statistics.median(baseline))

        # Cursor to detail: j, until the pane shows the new finding.
        round_trips, handlers = [], []
        for _ in range(runs):
            start = time.perf_counter()
            await pilot.press("j")
            round_trips.append(time.perf_counter() - start)
            finding = table.current_finding
            assert finding is not None
            start = time.perf_counter()
            screen.query_one("#detail").show(screen.detail_of(finding))  # type: ignore[attr-defined]
            handlers.append(time.perf_counter() - start)
        figures["cursor_ms"] = _ms(statistics.median(round_trips))
        figures["cursor_ms_worst"] = _ms(max(round_trips))
        figures["cursor_handler_ms"] = _ms(statistics.median(handlers))

        # Filter: open it, then type a query one key at a time (each key re-filters).
        await pilot.press("slash")
        query = "sev:high+ id:RA-TRUST-* !app1 region:global"
        keys = {" ": "space", ":": "colon", "+": "plus", "*": "asterisk", "!": "exclamation_mark"}
        round_trips, handlers = [], []
        for ch in (query * ((runs // len(query)) + 1))[:runs]:
            start = time.perf_counter()
            await pilot.press(keys.get(ch, ch))
            round_trips.append(time.perf_counter() - start)
            start = time.perf_counter()
            screen._refresh_table()
            handlers.append(time.perf_counter() - start)
        figures["filter_ms"] = _ms(statistics.median(round_trips))
        figures["filter_ms_worst"] = _ms(max(round_trips))
        figures["filter_handler_ms"] = _ms(statistics.median(handlers))
    return figures


def memory(result_factory: Any, source: FilesSource) -> dict[str, Any]:
    """Bytes the scan result holds, and what the app adds on top of it."""
    from tui.app import RafixApp
    from tui.screens.main import MainScreen

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    result = result_factory()
    gc.collect()
    scan_bytes = tracemalloc.get_traced_memory()[0] - base

    async def run() -> int:
        app = RafixApp(ScannedSession(source, result), remember_theme=False)
        async with app.run_test(size=(160, 48)) as pilot:
            for _ in range(50):
                await pilot.pause()
                if isinstance(app.screen, MainScreen) and app.screen.loaded:
                    break
            gc.collect()
            return tracemalloc.get_traced_memory()[0] - base - scan_bytes

    app_bytes = asyncio.run(run())
    tracemalloc.stop()
    return {
        "scan_mb": round(scan_bytes / 2**20, 1),
        "app_mb": round(app_bytes / 2**20, 1),
        "memory_x": round((scan_bytes + app_bytes) / scan_bytes, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=HERE / "out" / "account")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if not (args.dir / "iam.json").exists():
        subprocess.run(
            [sys.executable, str(HERE / "generate_account.py"), str(args.dir)], check=True
        )
    source = FilesSource((args.dir,))
    start = time.perf_counter()
    result = Session(source).scan()
    print(
        f"scan of {args.dir}: {len(result.findings)} findings in {time.perf_counter() - start:.1f} s"
    )
    figures = asyncio.run(measure(result, source, args.runs))
    del result
    figures |= memory(lambda: Session(source).scan(), source)
    for key, target in TARGETS.items():
        value = figures[key]
        verdict = "ok" if value <= target else "MISSED"
        extra = ""
        if key in ("filter_ms", "cursor_ms"):
            extra = f" (worst {figures[key + '_worst']}, handler alone {figures[key.replace('_ms', '_handler_ms')]})"
        print(f"{key:>14}: {value}{extra}   target <= {target}   {verdict}")
    print(f"{'pilot alone':>14}: {figures['pilot_baseline_ms']} ms a key (included above)")
    print(f"{'memory':>14}: scan {figures['scan_mb']} MB, app adds {figures['app_mb']} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
