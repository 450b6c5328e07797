"""The detail pane's shortcuts give what the plain path gives: a line that fits and a long
line wrapped before (wrap_lines), and a scrollbar left as drawn when its thumb would not
change (set_virtual_size)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.content import Content, Span
from textual.geometry import Region

from tests.tui.pilot import run_async
from tui.widgets.detail import DetailPane, wrap_lines

#: Letters, spaces, tabs, wide (CJK), combining and zero-width characters, no-break spaces.
TEXT = st.text(
    alphabet=st.sampled_from([*'ab yz-:{}"\t', "\u00a0", "界", "é", "\u0301", "\u200b"]),
    max_size=90,
)


@st.composite
def contents(draw: st.DrawFn) -> Content:
    lines = []
    for text in draw(st.lists(TEXT, min_size=1, max_size=6)):
        spans = []
        if text and draw(st.booleans()):
            start = draw(st.integers(0, len(text) - 1))
            end = draw(st.integers(start + 1, len(text)))
            spans.append(Span(start, end, draw(st.sampled_from(["bold", "$warning", "dim"]))))
        lines.append(Content(text, spans))
    return Content("\n").join(lines)


def shape(lines: list[tuple[Content, int, int]]) -> list[tuple[str, list[Span], int, int]]:
    return [(line.plain, list(line.spans), x, y) for line, x, y in lines]


@settings(max_examples=300, deadline=None)
@given(content=contents(), width=st.integers(1, 60))
def test_the_wrapping_shortcuts_give_textuals_own_wrapping(content: Content, width: int) -> None:
    plain = wrap_lines(content, width, shortcuts=False)
    assert shape(wrap_lines(content, width)) == shape(plain)
    assert shape(wrap_lines(content, width)) == shape(plain)  # the second time from the cache


class PaneApp(App[None]):
    def compose(self) -> ComposeResult:
        yield DetailPane(id="detail")


def drawn(bar: Any) -> list[list[tuple[str, object]]]:
    region = Region(0, 0, bar.size.width, bar.size.height)
    return [[(s.text, s.style) for s in strip] for strip in bar.render_lines(region)]


@run_async
async def test_a_scrollbar_left_as_drawn_is_the_bar_a_redraw_gives() -> None:
    app = PaneApp()
    async with app.run_test(size=(60, 20)) as pilot:
        pane = app.query_one(DetailPane)
        bar = pane.vertical_scrollbar
        # Heights around the window (18 lines): no thumb, a thumb of the same size for
        # neighbouring heights, and thumbs that change; back and forth.
        heights = [1, 5, 18, 19, 20, 21, 40, 41, 42, 80, 81, 18, 3, 300, 301, 299, 20, 19, 1]
        for height in heights:
            await pilot.pause()
            drawn(bar)  # the bar as it is now
            pane.show(Content("\n".join(f"line {n}" for n in range(height))))
            assert bar.window_virtual_size == pane.virtual_size.height == height
            kept = drawn(bar)  # what the next frame shows: the lines drawn before unless dirty
            bar.refresh()
            assert kept == drawn(bar), height  # what a redraw gives
