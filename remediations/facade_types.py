"""The typed values :mod:`remediations.session` re-exports (its ``__all__``), imported on
first use: a scan then starts without the access map, the write path, plans and
organisations (``from remediations.session import AccessMap`` works as before)."""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "AccessMap": "remediations.access",
    "CertificateQuery": "remediations.access",
    "Answer": "remediations.answers",
    "Question": "remediations.answers",
    "ApplyEvent": "remediations.apply.results",
    "ApplyPreview": "remediations.apply.results",
    "ApplyReport": "remediations.apply.results",
    "AccountApply": "remediations.org_facade",
    "AccountPreview": "remediations.org_facade",
    "AccountSummary": "remediations.org_facade",
    "OrgApplyReport": "remediations.org_facade",
    "OrgInventory": "remediations.sources.organization",
}


def facade_attribute(name: str) -> Any:
    """The module ``__getattr__`` of the facade: one of its re-exported types by name."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'remediations.session' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
