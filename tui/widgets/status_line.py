"""A one-line bar whose text changes often (counts under the table): repainted, never laid out."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget


class StatusLine(Widget):
    """One line of text. ``update`` repaints it without a layout pass of the screen (a
    ``Static`` lays out the whole screen on every update: a filter keystroke would pay it)."""

    DEFAULT_CSS = """
    StatusLine { height: 1; width: 1fr; }
    """

    def __init__(self, content: Content | str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._content = Content(content) if isinstance(content, str) else content

    def update(self, content: Content | str) -> None:
        self._content = Content(content) if isinstance(content, str) else content
        self.refresh()

    def render(self) -> Content:
        return self._content
