"""The access map as text: a table for people, JSON for scripts (INTERFACE.md's
``rafix.access/v1``), and Graphviz dot / Mermaid graphs (CA -> trust anchor -> profile -> role
-> privilege) with any-certificate paths and privileged roles marked.

Pure functions of :class:`~remediations.access.AccessMap`; names from the account are shown
with control characters escaped, so a resource name cannot move the terminal's cursor or
split a line, and graph labels are quoted for their language.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable

from remediations.access import AccessMap, AccessPath, AnchorInfo, RoleAccess

FORMATS = ("table", "json", "dot", "mermaid")


def render_access(access: AccessMap, fmt: str, *, width: int = 100) -> str:
    """The map in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "json":
        return json.dumps(access.to_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "dot":
        return render_dot(access)
    if fmt == "mermaid":
        return render_mermaid(access)
    return render_table(access, width=width)


def safe(text: str) -> str:
    """``text`` with control and other non-printable characters shown as escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# --- table ------------------------------------------------------------------------------------


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _services(services: Iterable[str]) -> str:
    items = list(services)
    if not items:
        return "none"
    return "every service" if "*" in items else ", ".join(items)


def _anchor_label(info: AnchorInfo | None, path: AccessPath) -> str:
    name = safe(path.trust_anchor_name)
    if info is None:
        return f"anchor {name}"
    key = info.key_algorithm or "key unknown"
    if info.key_size:
        key += f" {info.key_size}"
    ca = safe(info.ca_subject) if info.ca_subject else info.source_type or "CA"
    return f"CA {ca} ({key}) -> anchor {name}"


def _certificate_line(path: AccessPath) -> str:
    if path.any_certificate and not path.constraints:
        return "any certificate of the anchor"
    shown = "; ".join(safe(c.describe()) for c in path.constraints) or "no constraint"
    if path.any_certificate:
        return f"ANY CERTIFICATE the policy does not name ({shown})"
    return shown


def _role_header(role: RoleAccess) -> str:
    if not role.reachable:
        return f"UNREACHABLE: {safe(role.unreachable_reason or '')}"
    marks = ["reachable"]
    if role.any_certificate:
        marks.append("ANY CERTIFICATE")
    if role.privileged:
        marks.append("PRIVILEGED")
    if role.open_to_new_anchors:
        marks.append("any new trust anchor")
    return ", ".join(marks)


def render_table(access: AccessMap, *, width: int = 100) -> str:
    """One block per role: its paths, what sessions can do, the roles it chains into."""
    lines: list[str] = []

    def wrap(text: str, indent: str) -> None:
        lines.extend(
            textwrap.wrap(
                text,
                width=max(width, len(indent) + 30),
                initial_indent=indent,
                subsequent_indent=" " * len(indent) + "  ",
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [indent.rstrip()]
        )

    if access.query is not None:
        lines.extend(_reverse_lines(access))
        lines.append("")
    roles = access.roles
    if not roles:
        lines.append("No role trusts rolesanywhere.amazonaws.com.")
    for role in roles:
        lines.append(f"{safe(role.role_name)}  [{_role_header(role)}]")
        wrap(safe(role.role_arn), "  ")
        power = f"privileged: {_yes_no(role.privileged)}"
        if role.privilege_grants:
            grants = list(role.privilege_grants[:3])
            more = len(role.privilege_grants) - len(grants)
            power += f" ({', '.join(grants)}{f' and {more} more' if more else ''})"
        wrap(f"{power}; the role's policies grant: {_services(role.services)}", "  ")
        for path in role.paths:
            info = access.anchors.get(path.trust_anchor_arn)
            wrap(f"{_anchor_label(info, path)} -> profile {safe(path.profile_name)}", "  - ")
            wrap(f"certificate: {_certificate_line(path)}", "      ")
            if path.dropped_attributes:
                wrap("the profile's mapping drops " + ", ".join(path.dropped_attributes), "      ")
            scope = path.session
            policy = "session policy" if scope.has_session_policy else "no session policy"
            wrap(
                f"session: {policy}; privileged: {_yes_no(scope.privileged)}; services: "
                f"{_services(scope.services)}",
                "      ",
            )
        for link in role.chains_to:
            how = "conditional" if link.conditional else "allowed"
            wrap(f"chains into {safe(link.role_arn)} ({how}, via {link.via})", "  -> ")
        lines.append("")
    reachable = sum(1 for r in roles if r.reachable)
    anyc = sum(1 for r in roles if r.any_certificate)
    lines.append(
        f"{len(roles)} role(s) trust Roles Anywhere: {reachable} reachable, "
        f"{anyc} by any certificate of an anchor, {len(roles) - reachable} unreachable."
    )
    return "\n".join(lines) + "\n"


def _reverse_lines(access: AccessMap) -> list[str]:
    assert access.query is not None
    head = f"Certificate {safe(access.query.describe())}"
    if not access.matches:
        return [f"{head} reaches no role."]
    out = [f"{head} reaches {len({m.role_arn for m in access.matches})} role(s):"]
    for match in access.matches:
        path = match.path
        note = "" if match.issuer_confirmed else " (if that anchor's CA issued it)"
        scope = path.session
        policy = "session policy" if scope.has_session_policy else "NO session policy"
        out.append(
            f"  {safe(match.role_arn)} via profile {safe(path.profile_name)}, anchor "
            f"{safe(path.trust_anchor_name)}{note}; {policy}, services "
            f"{_services(scope.services)}"
        )
    return out


# --- graphs -----------------------------------------------------------------------------------


class _Graph:
    """Nodes and edges shared by the dot and Mermaid renderers."""

    def __init__(self, access: AccessMap) -> None:
        self.nodes: dict[str, tuple[str, str]] = {}  # id -> (label, kind)
        self.edges: dict[tuple[str, str], tuple[str, bool]] = {}  # -> (label, any certificate)
        ids: dict[str, str] = {}

        def node(key: str, label: str, kind: str) -> str:
            if key not in ids:
                ids[key] = f"{kind[0]}{len(ids)}"
                self.nodes[ids[key]] = (label, kind)
            return ids[key]

        # The anchors each profile is drawn from, to say when a role takes fewer of them.
        profile_anchors: dict[str, set[str]] = {}
        for role in access.roles:
            for path in role.paths:
                profile_anchors.setdefault(path.profile_arn, set()).add(path.trust_anchor_arn)
        for role in access.roles:
            role_id = node(role.role_arn, role.role_name, "role")
            if role.privileged:
                self.nodes[role_id] = (role.role_name, "privileged")
            if not role.reachable:
                self.nodes[role_id] = (f"{role.role_name}\nunreachable", "unreachable")
            for path in role.paths:
                info = access.anchors.get(path.trust_anchor_arn)
                ca_label = (info.ca_subject if info and info.ca_subject else None) or (
                    f"{info.source_type} CA" if info else "CA"
                )
                if info and info.key_algorithm:
                    ca_label += f"\n{info.key_algorithm} {info.key_size or ''}".rstrip()
                ca = node("ca|" + path.trust_anchor_arn, ca_label, "ca")
                anchor = node(path.trust_anchor_arn, f"anchor {path.trust_anchor_name}", "anchor")
                profile = node(path.profile_arn, f"profile {path.profile_name}", "profile")
                self.edges.setdefault((ca, anchor), ("", False))
                self.edges.setdefault((anchor, profile), ("", False))
                label = (
                    "ANY certificate"
                    if path.any_certificate and not path.constraints
                    else "; ".join(c.describe() for c in path.constraints)
                )
                if path.any_certificate and path.constraints:
                    label = "ANY certificate not named: " + label
                taken = {
                    p.trust_anchor_arn for p in role.paths if p.profile_arn == path.profile_arn
                }
                if taken != profile_anchors[path.profile_arn]:
                    label = f"via {path.trust_anchor_name} only: {label}"
                old = self.edges.get((profile, role_id))
                if old is not None:
                    label = old[0] + " OR " + label if label not in old[0] else old[0]
                any_cert = path.any_certificate or (old[1] if old else False)
                self.edges[(profile, role_id)] = (label, any_cert)
            if role.reachable:
                if role.privileged:
                    power_label = "PRIVILEGED"
                elif role.privileged is None and not role.services:
                    power_label = "can use: unknown (policies rafix cannot read)"
                else:
                    power_label = "can use: " + _services(role.services)
                power = node("power|" + role.role_arn, power_label, "power")
                self.edges[(role_id, power)] = ("", False)
            for link in role.chains_to:
                target = node(link.role_arn, link.role_arn.rsplit("/", 1)[-1], "role")
                self.edges[(role_id, target)] = ("chains", False)


def _dot_text(text: str) -> str:
    """A dot string: each line escaped, lines joined by dot's own ``\\n``."""
    parts = [safe(line).replace("\\", "\\\\").replace('"', '\\"') for line in text.split("\n")]
    return '"' + "\\n".join(parts) + '"'


_DOT_STYLE = {
    "ca": 'shape=note, style=filled, fillcolor="#eef2ff"',
    "anchor": 'shape=box, style="rounded,filled", fillcolor="#e0f2fe"',
    "profile": 'shape=box, style="rounded,filled", fillcolor="#ecfccb"',
    "role": 'shape=box, style="filled", fillcolor="#fef9c3"',
    "privileged": 'shape=box, style="filled,bold", fillcolor="#fecaca", color="#b91c1c"',
    "unreachable": 'shape=box, style="dashed", color="#6b7280"',
    "power": 'shape=plaintext, fontcolor="#374151"',
}


def render_dot(access: AccessMap) -> str:
    """Graphviz ``digraph``: ``dot -Tpng access.dot -o access.png``."""
    graph = _Graph(access)
    lines = [
        "digraph rafix_access {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node_id, (label, kind) in graph.nodes.items():
        lines.append(f"  {node_id} [label={_dot_text(label)}, {_DOT_STYLE[kind]}];")
    for (a, b), (label, any_cert) in graph.edges.items():
        attrs = []
        if label:
            attrs.append(f"label={_dot_text(label)}")
        if any_cert:
            attrs.append('color="#dc2626", penwidth=2.5, fontcolor="#dc2626"')
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {a} -> {b}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    """A Mermaid label in double quotes: quotes and markup characters as entity codes."""
    parts = []
    for line in text.split("\n"):
        line = safe(line)
        for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
            line = line.replace(char, code)
        parts.append(line)
    return '"' + "<br/>".join(parts) + '"'


_MERMAID_SHAPE = {
    "ca": ("[/", "/]"),
    "anchor": ("([", "])"),
    "profile": ("[[", "]]"),
    "role": ("[", "]"),
    "privileged": ("[", "]"),
    "unreachable": ("[", "]"),
    "power": ("{{", "}}"),
}


def render_mermaid(access: AccessMap) -> str:
    """A Mermaid ``flowchart`` (renders on GitHub inside a ```` ```mermaid ```` block)."""
    graph = _Graph(access)
    lines = ["flowchart LR"]
    for node_id, (label, kind) in graph.nodes.items():
        left, right = _MERMAID_SHAPE[kind]
        lines.append(f"  {node_id}{left}{_mermaid_text(label)}{right}")
    red: list[int] = []
    for index, ((a, b), (label, any_cert)) in enumerate(graph.edges.items()):
        arrow = "==>" if any_cert else "-->"
        text = f"|{_mermaid_text(label)}|" if label else ""
        lines.append(f"  {a} {arrow}{text} {b}")
        if any_cert:
            red.append(index)
    lines.append("  classDef privileged fill:#fecaca,stroke:#b91c1c,stroke-width:2px")
    lines.append("  classDef unreachable stroke-dasharray: 5 5,color:#6b7280")
    for kind in ("privileged", "unreachable"):
        ids = [n for n, (_, k) in graph.nodes.items() if k == kind]
        if ids:
            lines.append(f"  class {','.join(ids)} {kind}")
    if red:
        lines.append(f"  linkStyle {','.join(map(str, red))} stroke:#dc2626,stroke-width:3px")
    return "\n".join(lines) + "\n"
