"""The command palette: every action, for what is on screen, with a prefix saying what it does
(``plan:``, ``apply:``, ``rollback:``, ``export:``, ``copy:``, ``view:``, ``filter:``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider


class RafixCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        commands: list[tuple[str, str, Callable[[], Any]]] = []
        # The screen under a modal palette is the one whose actions make sense now.
        screen_commands = getattr(self.screen, "palette_commands", None)
        if callable(screen_commands):
            commands.extend(screen_commands())
        app: Any = self.app
        commands.append(
            (
                "onboard: new workload",
                "Create a dedicated role, profile and session policy",
                app.action_onboard,
            )
        )
        commands.append(("help: every key binding", "Show the help screen", app.action_help))
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, partial(callback), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(title), partial(callback), text=title, help=help_text
                )
