"""The detail pane's wrapping shortcuts (a line that fits is taken as it is, a long line
wrapped before is reused) give what Textual's own wrapping of every line gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.content import Content, Span

from tui.widgets.detail import wrap_lines

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
