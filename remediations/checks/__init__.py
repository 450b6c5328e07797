"""Checks: pure functions from a :class:`ScanContext` to findings.

Each check module registers its functions with :func:`check`, naming the catalog IDs it may
emit. ``run_checks`` runs them all; no check talks to AWS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from remediations.catalog import CATALOG
from remediations.findings import Finding

if TYPE_CHECKING:
    from remediations.checks.context import ScanContext

CheckFn = Callable[["ScanContext"], Iterable[Finding]]

#: (catalog IDs it emits, function), in registration order.
REGISTRY: list[tuple[tuple[str, ...], CheckFn]] = []


def check(*ids: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check function that emits findings with these catalog IDs."""
    for check_id in ids:
        if check_id not in CATALOG:
            raise KeyError(f"{check_id} is not in the catalog")

    def register(fn: CheckFn) -> CheckFn:
        REGISTRY.append((ids, fn))
        return fn

    return register


def load_all() -> list[tuple[tuple[str, ...], CheckFn]]:
    """Import every check module (registering them) and return the registry."""
    # Plain imports: mypy cannot see submodules imported by name from their own package.
    import remediations.checks.governance
    import remediations.checks.pki
    import remediations.checks.profile
    import remediations.checks.role
    import remediations.checks.trust  # noqa: F401

    return REGISTRY


def checks_in(*modules: str) -> list[CheckFn]:
    """The registered check functions of the given check modules (e.g. "trust"), in
    registration order: tests run "every check of a module" without keeping a list by hand."""
    load_all()
    wanted = tuple(f"remediations.checks.{name}" for name in modules)
    return [
        fn
        for _ids, fn in REGISTRY
        if fn.__module__ in wanted or fn.__module__.startswith(tuple(w + "." for w in wanted))
    ]
