"""The one registry of findings: stable ID, default severity, title, explanation, fix text and
how rafix fixes it (:class:`FixKind`, with the reason when it does not fix it automatically).

Every output (table, JSON, SARIF, TUI, plans) reads its words from here, so they all say the
same thing. IDs are stable (``../shared/FINDINGS.md``): never rename one.

One module per family of findings (``trust.py``, ``profile.py``, ``role.py``, ``pki.py``,
``governance.py``, ``inputs.py``), named after the check module that detects them; each entry (``spec.py``'s
:class:`CheckSpec`) holds the finding's words, its fix kind and its pitfalls together.
"""

from remediations.catalog import governance, inputs, pki, profile, role, trust
from remediations.catalog.spec import CheckSpec, FixKind

#: Every entry, in the order of FINDINGS.md (trust, profiles and roles, PKI, governance, rafix
#: additions).
CATALOG: dict[str, CheckSpec] = {
    entry.id: entry
    for family in (trust, profile, role, pki, governance, inputs)
    for entry in family.SPECS
}

#: IDs listed in FINDINGS.md that rafix does not implement yet.
DEFERRED_IDS: tuple[str, ...] = ()


def spec(check_id: str) -> CheckSpec:
    return CATALOG[check_id]


__all__ = ["CATALOG", "DEFERRED_IDS", "CheckSpec", "FixKind", "spec"]
