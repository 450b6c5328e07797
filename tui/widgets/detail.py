"""The detail pane: what a finding means, the evidence in the policy, and the fix.

Everything here is display: the words come from the catalog and the finding, the policy text
from the inventory. Account data is shown as :class:`Content` (never parsed as markup).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any, ClassVar

from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.content import Content
from textual.events import Resize
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import Visual

from remediations.access import AccessMap
from remediations.catalog import CATALOG
from remediations.findings import Finding
from remediations.model import Inventory
from tui.view import GroupHeader
from tui.widgets.scrolling import set_virtual_size

#: Evidence keys whose values name the parts of a policy that cause the finding.
_HIGHLIGHT_KEYS = ("keys", "operators", "values", "issuer_wildcards", "pinned_source_arns")


def policy_of(finding: Finding, inventory: Inventory | None) -> tuple[str, Any] | None:
    """The policy document a finding is about, and its name, when the inventory has it."""
    if inventory is None:
        return None
    role = inventory.roles.get(finding.resource_arn)
    if role is not None and role.trust_policy is not None:
        return "trust policy", role.trust_policy
    profile = inventory.profiles.get(finding.resource_arn)
    if profile is not None and profile.session_policy is not None:
        return "session policy", profile.session_policy
    return None


def _section(title: str) -> Content:
    return Content.styled(f"\n{title}\n", "bold $accent")


def _evidence_lines(finding: Finding, inventory: Inventory | None) -> list[Content]:
    lines: list[Content] = []
    found = policy_of(finding, inventory)
    indexes = finding.evidence.get("statement_indexes")
    if found is not None and isinstance(indexes, list) and indexes:
        kind, document = found
        statements = document.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        marks = _highlight_words(finding.evidence)
        for index in indexes:
            if not isinstance(index, int) or not 0 <= index < len(statements):
                continue
            lines.append(Content.styled(f"{kind}, statement {index + 1}:", "italic"))
            text = json.dumps(statements[index], indent=2, sort_keys=False)
            for line in text.splitlines():
                # Wrapping drops leading spaces; no-break spaces keep the JSON's indentation.
                stripped = line.lstrip(" ")
                line = "\u00a0" * (len(line) - len(stripped)) + stripped
                hot = "condition" in line.lower() or any(m in line.lower() for m in marks)
                lines.append(Content.styled(line, "bold $warning" if hot else "$text-muted"))
    for key, value in finding.evidence.items():
        if key == "statement_indexes":
            continue
        shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        if len(shown) > 300:
            shown = shown[:299] + "…"
        lines.append(Content.assemble((f"{key}: ", "bold"), shown))
    return lines


def _highlight_words(evidence: dict[str, Any]) -> set[str]:
    words: set[str] = set()
    for key in _HIGHLIGHT_KEYS:
        value = evidence.get(key)
        items = value if isinstance(value, list) else [value]
        words.update(str(v).lower() for v in items if isinstance(v, str) and len(v) > 3)
    return words


#: The detail pane's access section, by the kind of resource the finding is about.
ACCESS_TITLES = {
    "role": "Who can assume it through Roles Anywhere",
    "profile": "Roles this profile lets certificates assume",
    "anchor": "Roles this trust anchor's certificates can assume",
}


def finding_content(
    finding: Finding,
    *,
    name: str = "",
    inventory: Inventory | None = None,
    access: Content | None = None,
    access_title: str = ACCESS_TITLES["role"],
) -> Content:
    """The whole detail of one finding."""
    spec = CATALOG.get(finding.id)
    parts: list[Content] = [
        Content.assemble(
            (f" {finding.severity.label.upper()} ", f"bold reverse $sev-{finding.severity.label}"),
            " ",
            (finding.id, "bold"),
        ),
        Content.styled(finding.title, "bold"),
        Content.assemble(("resource: ", "dim"), name or finding.resource_arn),
        Content.assemble(("arn:      ", "dim"), finding.resource_arn),
        Content.assemble(("region:   ", "dim"), finding.region),
        _section("What was seen"),
        Content(finding.detail),
    ]
    if spec is not None:
        parts += [_section("Why it matters"), Content(spec.explanation)]
    evidence = _evidence_lines(finding, inventory)
    if evidence:
        parts += [_section("Evidence"), *evidence]
    if access is not None:
        parts += [_section(access_title), access]
    parts += [_section("Fix"), Content(finding.fix)]
    parts.append(Content.styled("\nenter: proposed fix · space: mark · c: copy ARN", "dim"))
    return Content("\n").join(parts)


#: Roles listed in full under a profile or an anchor (the access screen, A, has every one).
THROUGH_ROLES_SHOWN = 12


def access_kind(arn: str, inventory: Inventory | None) -> str | None:
    """``role``, ``profile`` or ``anchor``: what the access section of ``arn`` answers."""
    if inventory is None:
        return None
    if arn in inventory.roles:
        return "role"
    if arn in inventory.profiles:
        return "profile"
    if arn in inventory.trust_anchors:
        return "anchor"
    return None


def through_content(access: AccessMap, render: Callable[[AccessMap, str], str]) -> Content:
    """The roles reachable through one profile or trust anchor (``Session.access(through=)``):
    how many, how many by any certificate, and the first ones in full."""
    roles = access.roles
    if not roles:
        return Content("No role can be assumed this way (no enabled path reaches one).")
    anyc = sum(1 for r in roles if r.any_certificate)
    privileged = sum(1 for r in roles if r.any_privileged_path)
    summary = Content.assemble(
        (f"{len(roles)} role(s)", "bold"),
        f"; {anyc} by ANY certificate of the anchor" if anyc else "",
        f"; {privileged} with a privileged session" if privileged else "",
    )
    shown = dataclasses.replace(access, roles=roles[:THROUGH_ROLES_SHOWN])
    text = render(shown, "table").rstrip("\n").rsplit("\n", 1)[0]  # without its own total
    parts = [summary, access_content(text)]
    if len(roles) > THROUGH_ROLES_SHOWN:
        more = len(roles) - THROUGH_ROLES_SHOWN
        parts.append(Content.styled(f"… and {more} more (A: the access screen)", "dim"))
    return Content("\n").join(parts)


def access_content(text: str) -> Content:
    """The core's access text for one role, with any-certificate paths marked."""
    lines = []
    for line in text.rstrip("\n").splitlines():
        if "ANY CERTIFICATE" in line or "any certificate of the anchor" in line:
            lines.append(Content.styled(line, "bold $error"))
        elif line.lstrip().startswith("- CA "):
            lines.append(Content.styled(line, "$accent"))
        else:
            lines.append(Content(line))
    return Content("\n").join(lines)


def group_content(header: GroupHeader) -> Content:
    return Content("\n").join(
        [
            Content.styled(header.name or header.resource_arn, "bold"),
            Content(header.resource_arn),
            Content(f"\n{header.count} finding(s) on this resource below."),
        ]
    )


#: Long lines wrapped before, by (text, spans, width): findings of one check share their
#: headings, explanation and fix, and roles share most lines of their policies.
_WRAPPED: LRUCache[tuple[object, ...], list[tuple[Content, int]]] = LRUCache(4096)


def wrap_lines(
    content: Content, width: int, *, shortcuts: bool = True
) -> list[tuple[Content, int, int]]:
    """The lines of ``content`` wrapped at ``width``, each with the column and the line of
    the content where it starts (Textual's own wrapping, line by line).

    ``shortcuts`` (the default) takes a line that fits as it is and reuses the wrapping of a
    long line met before; ``shortcuts=False`` wraps every line (what the shortcuts must equal,
    tests/tui/test_tui_detail_wrap.py).
    """
    lines: list[tuple[Content, int, int]] = []
    for y, logical in enumerate(content.split(allow_blank=True)):
        text = logical.plain
        # A line that fits (no tab to expand, no zero-width character making it longer in
        # characters than in cells) is its own wrapping: Content.wrap hands back an equal
        # line, at a cost that was most of showing a finding.
        if shortcuts and len(text) <= width and "\t" not in text and logical.cell_length <= width:
            lines.append((logical, 0, y))
            continue
        key = (text, tuple(logical.spans), width)
        pieces = _WRAPPED.get(key) if shortcuts else None
        if pieces is None:
            pieces = []
            position = 0
            for piece in logical.wrap(width):
                found = text.find(piece.plain, position) if piece.plain else -1
                x = found if found >= 0 else position
                pieces.append((piece, x))
                position = x + len(piece.plain)
            if shortcuts:
                _WRAPPED[key] = pieces
        lines.extend((piece, x, y) for piece, x in pieces)
    return lines


class DetailPane(ScrollView, can_focus=True):
    """Scrollable detail of the finding under the cursor.

    A line-API widget: showing another finding re-wraps one Content and repaints the pane,
    with no layout pass over the screen (a Static in a scroll container costs a layout of the
    whole screen on every cursor move).
    """

    DEFAULT_CSS = """
    DetailPane { padding: 0 1; overflow-x: hidden; overflow-y: scroll; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Scroll up", show=False, id="detail_scroll_up"),
        Binding("down", "scroll_down", "Scroll down", show=False, id="detail_scroll_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="detail_page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="detail_page_down"),
        Binding("home", "scroll_home", "Top", show=False, id="detail_top"),
        Binding("end", "scroll_end", "Bottom", show=False, id="detail_bottom"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # The text has no links; looking for them costs a walk of the DOM for every line.
        self.set_reactive(DetailPane.auto_links, False)
        self.content = Content("Loading…")
        #: The content wrapped at ``_width``: each line with where it starts in the content
        #: (column, line) for text selection. Cheap; it gives the pane its height.
        self._wrapped: list[tuple[Content, int, int]] = []
        #: Lines turned into strips as they are first drawn (the costly step): showing a
        #: finding converts only the lines on screen, not the whole policy below them.
        self._strips: dict[int, Strip] = {}
        self._drawn: LRUCache[tuple[object, ...], Strip] = LRUCache(2048)
        self._width = -1
        #: The width and styles of one render pass (``render_lines``): looking them up for
        #: each line walks the DOM, which was most of the cost of drawing the pane.
        self._pass: tuple[int, Style, Strip] | None = None
        self._pass_visual_style: VisualStyle | None = None

    def show(self, content: Content) -> None:
        self.content = content
        self._width = -1
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._update_size()
        self.refresh()

    def render(self) -> Content:  # what tests and screenshots read as the pane's text
        return self.content

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips = {}  # a new theme: the lines are drawn again in its colours
        self._drawn.clear()

    def _lines(self, width: int) -> list[tuple[Content, int, int]]:
        if width != self._width:
            self._wrapped = wrap_lines(self.content, width) if width > 0 else []
            self._strips = {}
            self._width = width
        return self._wrapped

    def _update_size(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            return
        set_virtual_size(self, Size(width, len(self._lines(width))))

    def on_resize(self, event: Resize) -> None:
        self._width = -1
        self._update_size()

    def render_lines(self, crop: Region) -> list[Strip]:
        width, style = self.scrollable_content_region.width, self.rich_style
        self._pass = (width, style, Strip.blank(width, style))
        self._pass_visual_style = self.visual_style
        try:
            return super().render_lines(crop)
        finally:
            self._pass = self._pass_visual_style = None

    def _visual_style_now(self) -> VisualStyle:
        return self._pass_visual_style or self.visual_style

    def render_line(self, y: int) -> Strip:
        if self._pass is None:
            width, style = self.scrollable_content_region.width, self.rich_style
            blank = Strip.blank(width, style)
        else:
            width, style, blank = self._pass
        lines = self._lines(width)
        index = int(self.scroll_y) + y
        if not 0 <= index < len(lines):
            return blank
        strip = self._strips.get(index)
        if strip is None:
            line, x, y = lines[index]
            # Findings of one check share most of their lines (headings, explanation, fix):
            # a line drawn for one is kept for the next.
            key = (line.plain, tuple(line.spans), x, y, width)
            strip = self._drawn.get(key)
            if strip is None:
                strip = self._drawn[key] = self._draw(line, x, y, width, blank)
            self._strips[index] = strip
        return strip

    def _draw(self, line: Content, x: int, y: int, width: int, blank: Strip) -> Strip:
        visual_style = self._visual_style_now()
        drawn = Visual.to_strips(self, line, width, 1, visual_style)
        # Text selection finds its place in the content by these offsets, as when the whole
        # content is drawn at once.
        strip = drawn[0].apply_offsets(x, y) if drawn else blank
        pad = (visual_style + VisualStyle(reverse=False)).rich_style
        return strip.extend_cell_length(width, pad).crop(0, width)
