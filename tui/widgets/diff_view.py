"""Unified diffs as coloured Content, and side by side for wide terminals (display only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.content import Content

from remediations.diff import text_diff

#: Wider than this, a diff is shown side by side.
SIDE_BY_SIDE = 150


def unified_content(lines: Sequence[str]) -> Content:
    out: list[Content] = []
    for line in lines:
        line = line.rstrip("\n")
        if line.startswith(("+++", "---")):
            out.append(Content.styled(line, "bold"))
        elif line.startswith("@@"):
            out.append(Content.styled(line, "$accent"))
        elif line.startswith("+"):
            out.append(Content.styled(line, "$success"))
        elif line.startswith("-"):
            out.append(Content.styled(line, "$error"))
        else:
            out.append(Content.styled(line, "$text-muted"))
    return Content("\n").join(out)


def side_by_side_rows(lines: Sequence[str]) -> list[tuple[str, str, str]]:
    """(left, right, kind) per display line; kind is ``same``, ``change``, ``hunk``, ``file``.

    Removed lines pair with the added lines that follow them, so a changed line sits beside
    its new version.
    """
    rows: list[tuple[str, str, str]] = []
    removed: list[str] = []
    added: list[str] = []

    def flush() -> None:
        for i in range(max(len(removed), len(added))):
            left = removed[i] if i < len(removed) else ""
            right = added[i] if i < len(added) else ""
            rows.append((left, right, "change"))
        removed.clear()
        added.clear()

    for raw in lines:
        line = raw.rstrip("\n")
        if line.startswith(("+++", "---")):
            flush()
            rows.append((line, "", "file"))
        elif line.startswith("@@"):
            flush()
            rows.append((line, "", "hunk"))
        elif line.startswith("-"):
            if added:
                flush()
            removed.append(line[1:])
        elif line.startswith("+"):
            added.append(line[1:])
        else:
            flush()
            text = line[1:] if line.startswith(" ") else line
            rows.append((text, text, "same"))
    flush()
    return rows


def side_by_side_content(lines: Sequence[str], width: int) -> Content:
    half = max((width - 3) // 2, 10)
    out: list[Content] = []
    for left, right, kind in side_by_side_rows(lines):
        if kind in ("file", "hunk"):
            out.append(Content.styled(left[:width], "bold" if kind == "file" else "$accent"))
            continue
        l_style = "$error" if kind == "change" and left else "$text-muted"
        r_style = "$success" if kind == "change" and right else "$text-muted"
        out.append(
            Content.assemble(
                (_fit(left, half), l_style), (" │ ", "dim"), (_fit(right, half), r_style)
            )
        )
    return Content("\n").join(out)


def step_diff_content(
    before: Any, after: Any, semantic: Sequence[str] = (), width: int = 0
) -> Content:
    """A change as a reviewer reads it: what it means (the semantic lines), then the unified
    diff of the JSON (side by side when ``width`` is at least :data:`SIDE_BY_SIDE`)."""
    parts: list[Content] = []
    for line in semantic:
        # The core's warning that a change lets in certificates refused today stands out.
        style = "bold $error" if line.startswith("WIDENS ACCESS") else ""
        parts.append(Content.assemble(("  ≡ ", "$accent"), (line, style)))
    lines = text_diff(before, after).splitlines()
    if lines:
        parts.append(
            side_by_side_content(lines, width - 4)
            if width >= SIDE_BY_SIDE
            else unified_content(lines)
        )
    return Content("\n").join(parts)


def _fit(text: str, width: int) -> str:
    return text[: width - 1] + "…" if len(text) > width else text.ljust(width)
