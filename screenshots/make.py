"""Regenerate the pictures of the terminal app in screenshots/ from the demo account.

    .venv/bin/python screenshots/make.py            # every picture, SVG and PNG
    .venv/bin/python screenshots/make.py main diff  # only these

Each picture is the real app (Textual's headless pilot) on a fresh sandbox of the built-in
demo account, driven by the keys a user would press. SVGs come from Textual; PNGs from
``rsvg-convert`` (Debian/Ubuntu: ``apt-get install librsvg2-bin``; without it only the SVGs are
written) with the font the SVGs name, Fira Code (``apt-get install fonts-firacode``), which
has every box-drawing and block glyph the app draws. Snapshot ids and times are fixed so that
regenerating changes only what changed.

Textual's SVG places each run of text at its first cell and relies on ``textLength`` to keep
the run on the cell grid; rsvg-convert ignores ``textLength``, so a run drifts by the
difference between the font's advance and the grid's cell (about 0.2 px a character: borders
and columns end up a character off by the end of a wide line). The PNGs are drawn from a copy
of the SVG in which every character is placed at its own cell (:func:`on_the_grid`).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from textual.widgets import Input  # noqa: E402
from textual.worker import WorkerFailed  # noqa: E402

import remediations.apply.execute as apply_module  # noqa: E402
from remediations.session import Session  # noqa: E402
from remediations.source import SandboxSource  # noqa: E402
from remediations.sources.sandbox import init_sandbox  # noqa: E402
from tui.app import RafixApp  # noqa: E402
from tui.screens.proposal import QuestionInput  # noqa: E402

Steps = Callable[[Any], Awaitable[None]]


async def settle(pilot: Any) -> None:
    await pilot.pause()
    for _ in range(3):
        for worker in list(pilot.app.workers):
            with contextlib.suppress(WorkerFailed):
                await worker.wait()
        await pilot.pause()


async def main_screen(pilot: Any) -> None:
    await settle(pilot)


async def diff(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    pilot.app.screen.query_one(QuestionInput).query_one(Input).value = "payments-batch.prod"
    await pilot.press("enter")
    await settle(pilot)


async def confirm(pilot: Any) -> None:
    await diff(pilot)
    await pilot.press("a")
    await pilot.pause()


async def applied(pilot: Any) -> None:
    await confirm(pilot)
    await pilot.press("y")
    await settle(pilot)


async def snapshots(pilot: Any) -> None:
    await applied(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("S")
    await settle(pilot)


async def help_screen(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


async def access(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("A")
    await settle(pilot)


async def filtered(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("slash")
    for key in "sev:high+ id:RA-TRUST-*":
        await pilot.press({" ": "space", ":": "colon", "+": "plus", "*": "asterisk"}.get(key, key))
    await pilot.press("enter")
    await pilot.pause()


#: name -> (terminal size, the keys that lead there)
SHOTS: dict[str, tuple[tuple[int, int], Steps]] = {
    "main": ((160, 48), main_screen),
    "main-80x24": ((80, 24), main_screen),
    "filter": ((160, 48), filtered),
    "diff": ((160, 48), diff),
    "confirm": ((120, 40), confirm),
    "applied": ((120, 40), applied),
    "snapshots": ((120, 40), snapshots),
    "help": ((120, 40), help_screen),
    "access": ((120, 40), access),
}


async def shoot(name: str, size: tuple[int, int], steps: Steps, out: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="rafix-shots-") as tmp:
        sandbox = Path(tmp) / "demo"
        init_sandbox(sandbox)
        # As `rafix tui --sandbox demo` would open it: the rollback command the result screen
        # prints names the sandbox the same way in every regeneration (not the temp folder).
        app = RafixApp(
            Session(SandboxSource(sandbox)),
            source_text="demo account",
            remember_theme=False,
            account_args=["--sandbox", "demo"],
        )
        async with app.run_test(size=size) as pilot:
            await steps(pilot)
            svg = app.export_screenshot(title=f"rafix: {name}")
    # Every space explicit and preserved, so that rsvg-convert (which collapses runs of
    # spaces) draws the same columns as a browser.
    svg = svg.replace("\u00a0", "&#160;").replace("<svg ", '<svg xml:space="preserve" ', 1)
    path = out / f"{name}.svg"
    path.write_text(svg, encoding="utf-8")
    return path


#: One run of text in Textual's SVG: its first cell's x, its length on the grid, its text.
TEXT_RUN = re.compile(
    r'(<text\b[^>]*?\bx=")([\d.]+)("[^>]*?\btextLength=")([\d.]+)("[^>]*>)(.*?)(</text>)', re.S
)


def on_the_grid(svg: str) -> str:
    """``svg`` with every character of every text run placed at its own cell (a ``tspan`` with
    its x), so that a renderer that ignores ``textLength`` draws the terminal's columns."""
    from rich.cells import cell_len

    def place(match: re.Match[str]) -> str:
        x, length, body = float(match.group(2)), float(match.group(4)), match.group(6)
        text = html.unescape(body)
        cells = cell_len(text)
        if cells < 2:
            return match.group(0)
        cell = length / cells
        spans, column = [], 0
        for char in text:
            if char not in " \u00a0":
                spans.append(f'<tspan x="{x + column * cell:.2f}">{html.escape(char)}</tspan>')
            column += cell_len(char)
        head = "".join(match.group(i) for i in range(1, 6))
        return head + "".join(spans) + match.group(7)

    return TEXT_RUN.sub(place, svg)


def has_font(family: str) -> bool:
    found = subprocess.run(
        ["fc-list", f":family={family}", "family"], capture_output=True, text=True, check=False
    )
    return bool(found.stdout.strip())


def to_png(svg: Path) -> Path | None:
    converter = shutil.which("rsvg-convert")
    if converter is None:
        return None
    png = svg.with_suffix(".png")
    with tempfile.TemporaryDirectory(prefix="rafix-png-") as tmp:
        placed = Path(tmp) / svg.name
        placed.write_text(on_the_grid(svg.read_text(encoding="utf-8")), encoding="utf-8")
        subprocess.run([converter, "-o", str(png), str(placed)], check=True)
    return png


def main(argv: list[str]) -> int:
    wanted = argv or list(SHOTS)
    unknown = [n for n in wanted if n not in SHOTS]
    if unknown:
        print(f"unknown picture(s): {', '.join(unknown)}; known: {', '.join(SHOTS)}")
        return 2
    # The same snapshot id and time in every run: a regenerated picture differs only when
    # the screen does.
    apply_module.new_snapshot_id = lambda: "20261206T120000.000Z-a1b2c3"  # type: ignore[assignment]
    apply_module.utc_now = lambda: "2026-12-06T12:00:00.000Z"
    if shutil.which("rsvg-convert") is None:
        print("rsvg-convert not found (apt-get install librsvg2-bin): writing SVGs only")
    elif shutil.which("fc-list") and not has_font("Fira Code"):
        print("Fira Code not installed (apt-get install fonts-firacode): PNGs use another font")
    for name in wanted:
        size, steps = SHOTS[name]
        svg = asyncio.run(shoot(name, size, steps, HERE))
        png = to_png(svg)
        print(f"{svg.relative_to(HERE.parent)}" + (f", {png.name}" if png else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
