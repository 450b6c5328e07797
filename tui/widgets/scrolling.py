"""Resizing a line-API widget's scrollable area without a layout pass of the whole screen."""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """Give ``view`` a new virtual size.

    Assigning ``virtual_size`` lays out the whole screen (about 50 ms on a loaded two-core
    machine with 10,000 findings), which a cursor move or a filter keystroke cannot afford.
    When the vertical scrollbar neither appears nor disappears the layout cannot change, so
    only the value and the scrollbar are updated. (``_scroll_update`` is Textual's own
    private step; Textual is pinned exactly in pyproject.toml and the pilot tests use this.)
    """
    visible = view.scrollable_content_region.height
    if size == view.virtual_size:
        return
    if (size.height > visible) != (view.virtual_size.height > visible) or visible <= 0:
        view.virtual_size = size
        return
    view.set_reactive(ScrollView.virtual_size, size)
    view._scroll_update(size)
