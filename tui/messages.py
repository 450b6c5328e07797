"""Messages that workers post to screens (``post_message`` is safe from a thread)."""

from __future__ import annotations

from textual.message import Message


class LoadProgressed(Message):
    """The core reports progress while reading the account."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
