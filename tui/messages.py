"""Messages that workers post to screens (``post_message`` is safe from a thread)."""

from __future__ import annotations

from textual.message import Message

from remediations.progress import Progress


class LoadProgressed(Message):
    """The core reports progress while reading the account or running the checks."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress
