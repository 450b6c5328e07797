"""Resizing a line-API widget's scrollable area without a layout pass of the whole screen."""

from __future__ import annotations

from math import ceil

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar

#: Benchmarks switch this off to measure the plain path (a redraw on every size change).
SKIP_SAME_THUMB = True


def _thumb(bar: ScrollBar, virtual: int, window: int) -> object:
    """What the bar draws for these sizes: its renderer's segments, as ScrollBar.render asks
    for them (the window counts only when smaller than the content)."""
    size = bar.size.height if bar.vertical else bar.size.width
    shown = window if window < virtual else 0
    return bar.renderer.render_bar(
        size=size,
        virtual_size=ceil(virtual),
        window_size=ceil(shown),
        position=bar.position,
        thickness=bar.thickness,
        vertical=bar.vertical,
    ).segments


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """Give ``view`` a new virtual size.

    Assigning ``virtual_size`` lays out the whole screen and then draws all of it again (10
    to 30 ms of CPU with 10,000 findings, measured), which a cursor move or a filter
    keystroke cannot afford. When the vertical scrollbar neither appears nor disappears the
    layout cannot change, so only the value, the scrollbar's window and the scroll position
    are updated, through Textual's public API (``set_reactive``, the scrollbar's
    ``window_virtual_size``/``window_size``). The app's views keep their scrollbar
    (``overflow-y: scroll``), so it never appears or disappears.
    """
    visible = view.scrollable_content_region.height
    if size == view.virtual_size:
        return
    appears_or_goes = view.styles.overflow_y == "auto" and (size.height > visible) != (
        view.virtual_size.height > visible
    )
    if appears_or_goes or visible <= 0:
        view.virtual_size = size
        return
    view.set_reactive(ScrollView.virtual_size, size)
    if view.show_vertical_scrollbar:
        bar = view.vertical_scrollbar
        if SKIP_SAME_THUMB and _thumb(bar, bar.window_virtual_size, bar.window_size) == _thumb(
            bar, size.height, visible
        ):
            # The bar would be drawn the same: only its numbers change (a redraw of the bar
            # was a fifth of a cursor move's CPU on the 10,000-finding benchmark).
            bar.set_reactive(ScrollBar.window_virtual_size, size.height)
            bar.set_reactive(ScrollBar.window_size, visible)
        else:
            bar.window_virtual_size = size.height
            bar.window_size = visible
    if view.scroll_y > view.max_scroll_y:
        view.scroll_to(y=view.max_scroll_y, animate=False, immediate=True)
