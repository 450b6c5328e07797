"""Screens of the rafix app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from tui.app import RafixApp


def rafix_app(node: DOMNode) -> RafixApp:
    """The app a screen runs in, typed as rafix's own (every screen is pushed by it)."""
    from tui.app import RafixApp

    app = node.app
    assert isinstance(app, RafixApp)
    return app
