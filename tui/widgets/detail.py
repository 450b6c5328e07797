"""The detail pane: what a finding means, the evidence in the policy, and the fix.

Everything here is display: the words come from the catalog and the finding, the policy text
from the inventory. Account data is shown as :class:`Content` (never parsed as markup).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.events import Resize
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.visual import Visual

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


def finding_content(
    finding: Finding,
    *,
    name: str = "",
    inventory: Inventory | None = None,
    access: Content | None = None,
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
        parts += [_section("Who can assume it through Roles Anywhere"), access]
    parts += [_section("Fix"), Content(finding.fix)]
    parts.append(Content.styled("\nenter: proposed fix · space: mark · c: copy ARN", "dim"))
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


class DetailPane(ScrollView, can_focus=True):
    """Scrollable detail of the finding under the cursor.

    A line-API widget: showing another finding re-wraps one Content and repaints the pane,
    with no layout pass over the screen (a Static in a scroll container costs a layout of the
    whole screen on every cursor move).
    """

    DEFAULT_CSS = """
    DetailPane { padding: 0 1; overflow-x: hidden; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Scroll up", show=False),
        Binding("down", "scroll_down", "Scroll down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.content = Content("Loading…")
        self._strips: list[Strip] = []
        self._width = -1

    def show(self, content: Content) -> None:
        self.content = content
        self._width = -1
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._update_size()
        self.refresh()

    def render(self) -> Content:  # what tests and screenshots read as the pane's text
        return self.content

    def _lines(self, width: int) -> list[Strip]:
        if width != self._width:
            self._strips = Visual.to_strips(
                self, self.content, width, None, self.visual_style, pad=True
            )
            self._width = width
        return self._strips

    def _update_size(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0:
            return
        set_virtual_size(self, Size(width, len(self._lines(width))))

    def on_resize(self, event: Resize) -> None:
        self._width = -1
        self._update_size()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        lines = self._lines(width)
        index = int(self.scroll_y) + y
        if 0 <= index < len(lines):
            return lines[index].crop_extend(0, width, self.rich_style)
        return Strip.blank(width, self.rich_style)
