"""What several test modules need: where the shared corpus is, and a Roles Anywhere trust."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: ``../shared/corpus`` beside the checkout (CI clones it there); tests skip when absent.
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

RA_ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]


def ra_trust(cn: str | None = None) -> dict[str, Any]:
    """A one-statement Roles Anywhere trust policy, pinned to ``cn`` when given."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "rolesanywhere.amazonaws.com"},
        "Action": list(RA_ACTIONS),
    }
    if cn is not None:
        statement["Condition"] = {"StringEquals": {"aws:PrincipalTag/x509Subject/CN": cn}}
    return {"Version": "2012-10-17", "Statement": [statement]}


#: What ``tui/`` may import from the core: the facade and the typed data it hands out (the same
#: rule as the import-linter contract in pyproject.toml, as an allow-list).
APP_MAY_IMPORT = frozenset(
    {
        "remediations",
        "remediations.access",
        "remediations.answers",
        "remediations.apply.results",
        "remediations.apply.snapshots",
        "remediations.catalog",
        "remediations.diff",
        "remediations.errors",
        "remediations.findings",
        "remediations.managed",
        "remediations.model",
        "remediations.onboarding",
        "remediations.plan",
        "remediations.progress",
        "remediations.render_access",
        "remediations.render_text",
        "remediations.report",
        "remediations.session",
        "remediations.settings",
        "remediations.source",
        # Typed data (ApiCall) and pure text helpers (a command line quoted to run as shown).
        "remediations.state",
        "remediations.textsafe",
    }
)
