"""The findings table: a line-API widget, so 20,000 findings scroll and filter instantly.

Only the lines on screen are rendered (``render_line``); filtering and sorting replace a list
of row indexes computed by :mod:`tui.view`. Rows are never copied into widgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.events import Click, Resize
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from remediations.findings import Finding
from tui.query import Row
from tui.view import Entry, GroupHeader
from tui.widgets.scrolling import set_virtual_size

SEVERITY_WIDTH = 9
REGION_WIDTH = 11
#: The account column, shown only when the findings come from more than one account.
ACCOUNT_WIDTH = 12


def _cell(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if len(text) > width:
        return text[: max(width - 1, 0)] + "…"
    return text.ljust(width)


class FindingsTable(ScrollView, can_focus=True):
    """Findings, one per line, with a header line; ``space`` marks, ``enter`` opens."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor(1)", "Down", show=False, id="cursor_down"),
        Binding("up,k", "cursor(-1)", "Up", show=False, id="cursor_up"),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False, id="page_down"),
        Binding("pageup,ctrl+u", "page(-1)", "Page up", show=False, id="page_up"),
        Binding("home", "first", "First", show=False, id="first"),
        Binding("end", "last", "Last", show=False, id="last"),
        Binding(
            "space",
            "toggle_mark",
            "Mark",
            id="mark",
            tooltip="Mark the finding to plan it with others",
        ),
        Binding("enter", "open", "Open", id="open", tooltip="Show the proposed fix"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "findings-table--header",
        "findings-table--cursor",
        "findings-table--group",
        "findings-table--marked",
        "findings-table--critical",
        "findings-table--high",
        "findings-table--medium",
        "findings-table--low",
        "findings-table--info",
    }

    DEFAULT_CSS = """
    FindingsTable { height: 1fr; overflow-x: hidden; overflow-y: scroll; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class Highlighted(Message):
        """The cursor is on a finding (or a group header: ``finding`` is None)."""

        def __init__(self, finding: Finding | None, header: GroupHeader | None) -> None:
            super().__init__()
            self.finding = finding
            self.header = header

    class Opened(Message):
        def __init__(self, finding: Finding) -> None:
            super().__init__()
            self.finding = finding

    class MarksChanged(Message):
        def __init__(self, marked: frozenset[str]) -> None:
            super().__init__()
            self.marked = marked

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: Sequence[Row] = ()
        self.entries: list[Entry] = []
        self.marked: set[int] = set()
        self.sort_label = "severity"
        self.account_width = 0
        self._cache: LRUCache[tuple[int, bool, int], Strip] = LRUCache(512)
        #: The width and base style of one render pass (``render_lines``): each lookup walks
        #: the DOM, which would otherwise be most of the cost of drawing a line.
        self._pass: tuple[int, Style] | None = None

    # --- data ------------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[Row], entries: list[Entry]) -> None:
        self.rows = rows
        self.account_width = ACCOUNT_WIDTH if len({r.account for r in rows}) > 1 else 0
        self.marked.clear()
        self.show(entries)

    def show(self, entries: list[Entry]) -> None:
        """Replace what is shown, keeping the cursor on the same finding when it is still there."""
        current = self.current_entry
        self.entries = entries
        self._cache.clear()
        set_virtual_size(self, Size(0, len(entries) + 1))
        position = 0
        if current is not None and current in entries:
            position = entries.index(current)
        self.cursor = min(position, max(len(entries) - 1, 0))
        self.refresh()

    @property
    def current_entry(self) -> Entry | None:
        if 0 <= self.cursor < len(self.entries):
            return self.entries[self.cursor]
        return None

    @property
    def current_finding(self) -> Finding | None:
        entry = self.current_entry
        return self.rows[entry].finding if isinstance(entry, int) else None

    @property
    def marked_findings(self) -> list[Finding]:
        return [self.rows[i].finding for i in sorted(self.marked)]

    def clear_marks(self) -> None:
        self.marked.clear()
        self._cache.clear()
        self.refresh()
        self.post_message(self.MarksChanged(frozenset()))

    # --- cursor ----------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        # Cached lines are keyed by "is the cursor here", so nothing needs to be dropped;
        # without scrolling only the two lines change (line 0 is the header).
        top = int(self.scroll_y)
        self._scroll_to_cursor()
        if int(self.scroll_y) == top:
            self.refresh_line(old + 1)
            self.refresh_line(new + 1)
        else:
            self.refresh()
        entry = self.current_entry
        finding = self.rows[entry].finding if isinstance(entry, int) else None
        header = entry if isinstance(entry, GroupHeader) else None
        self.post_message(self.Highlighted(finding, header))

    def _scroll_to_cursor(self) -> None:
        visible = max(self.size.height - 1, 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        if self.entries:
            self.cursor = max(0, min(len(self.entries) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self.size.height - 2, 1))

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = max(len(self.entries) - 1, 0)

    def action_toggle_mark(self) -> None:
        entry = self.current_entry
        if isinstance(entry, int):
            self.marked.symmetric_difference_update({entry})
            self._cache.clear()
            self.refresh()
            self.post_message(
                self.MarksChanged(frozenset(self.rows[i].finding.resource_arn for i in self.marked))
            )
            self.action_cursor(1)

    def action_open(self) -> None:
        finding = self.current_finding
        if finding is not None:
            self.post_message(self.Opened(finding))

    def on_click(self, event: Click) -> None:
        if event.y >= 1:
            position = int(self.scroll_y) + event.y - 1
            if 0 <= position < len(self.entries):
                if position == self.cursor and event.chain >= 2:
                    self.action_open()
                self.cursor = position

    def on_resize(self, event: Resize) -> None:
        self._cache.clear()
        self.virtual_size = Size(0, len(self.entries) + 1)

    # --- rendering -------------------------------------------------------------------------

    def _widths(self, width: int) -> tuple[int, int, int]:
        """ID, resource and title widths for the table's width."""
        rest = width - 2 - SEVERITY_WIDTH - REGION_WIDTH - 4
        if self.account_width:
            rest -= self.account_width + 1
        id_width = min(38, max(14, rest * 2 // 5))
        resource_width = min(30, max(10, (rest - id_width) // 2))
        title_width = max(rest - id_width - resource_width, 0)
        return id_width, resource_width, title_width

    def header_text(self, width: int) -> str:
        id_w, res_w, title_w = self._widths(width)
        labels = {"severity": "SEVERITY", "id": "ID", "resource": "RESOURCE"}
        labels |= {"region": "REGION", "account": "ACCOUNT", "title": "TITLE"}
        mark = "▼"
        cells = []
        for key, w in (
            ("severity", SEVERITY_WIDTH),
            ("id", id_w),
            ("resource", res_w),
            ("region", REGION_WIDTH),
            ("account", self.account_width),
            ("title", title_w),
        ):
            if not w:
                continue
            label = labels[key] + (mark if key == self.sort_label else "")
            cells.append(_cell(label, w))
        return "  " + " ".join(cells)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._pass = (self.scrollable_content_region.width, self.rich_style)
        try:
            return super().render_lines(crop)
        finally:
            self._pass = None

    def render_line(self, y: int) -> Strip:
        width, base = self._pass or (self.scrollable_content_region.width, self.rich_style)
        if y == 0:
            style = self.get_component_rich_style("findings-table--header")
            return Strip([Segment(_cell(self.header_text(width), width), style)], width)
        position = int(self.scroll_y) + y - 1
        if position >= len(self.entries):
            return Strip.blank(width, base)
        key = (position, position == self.cursor, width)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        strip = self._render_entry(position, width, base)
        self._cache[key] = strip
        return strip

    def _render_entry(self, position: int, width: int, base: Style) -> Strip:
        entry = self.entries[position]
        is_cursor = position == self.cursor
        cursor = self.get_component_rich_style("findings-table--cursor") if is_cursor else None
        if isinstance(entry, GroupHeader):
            style = self.get_component_rich_style("findings-table--group")
            label = f"▸ {entry.name or entry.resource_arn}  ({entry.count})"
            line_style = base + style + cursor if cursor is not None else base + style
            return Strip([Segment(_cell(label, width), line_style)], width)
        row = self.rows[entry]
        finding = row.finding
        id_w, res_w, title_w = self._widths(width)
        severity_style = self.get_component_rich_style(f"findings-table--{finding.severity.label}")
        marked = entry in self.marked
        mark_style = self.get_component_rich_style("findings-table--marked")
        segments = [
            Segment("● " if marked else "  ", base + mark_style),
            Segment(
                _cell(finding.severity.label.upper(), SEVERITY_WIDTH) + " ", base + severity_style
            ),
            Segment(
                " ".join(
                    (
                        _cell(finding.id, id_w),
                        _cell(row.name or finding.resource_arn, res_w),
                        _cell(finding.region, REGION_WIDTH),
                        *([_cell(row.account, self.account_width)] if self.account_width else []),
                        _cell(finding.title, title_w),
                    )
                ),
                base,
            ),
        ]
        if cursor is not None:
            segments = [Segment(seg.text, (seg.style or base) + cursor) for seg in segments]
            base = base + cursor
        return Strip(segments).adjust_cell_length(width, base)
