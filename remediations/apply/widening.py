"""Whether restoring a state would widen access, said plainly before a rollback is confirmed.

A rollback puts back what a snapshot holds. That is usually the point (undo a fix that broke a
workload), but it can also reopen what the fix closed, and a snapshot is a file: if it was
edited (and its keyed checksum defeated), the restore is where the damage would happen. So
each restoring step says, in words, what it opens: principals a trust policy admits that the
current one does not, certificates Roles Anywhere would accept that it refuses now (the same
witness certificates the fixes' safety proof uses), a session policy removed, a longer session,
a trust anchor or profile enabled, a CRL disabled.
"""

from __future__ import annotations

from typing import Any

from remediations.iam.policy import as_list

WIDENS = "WIDENS ACCESS:"


def widening(resource_type: str, current: Any, target: Any) -> list[str]:
    """Lines (``WIDENS ACCESS: ...``) for what putting ``target`` in place of ``current``
    opens; empty when it opens nothing rafix can see."""
    if not isinstance(target, dict):
        return []  # deleting a resource opens nothing
    now = current if isinstance(current, dict) else {}
    lines: list[str]
    if resource_type == "role":
        lines = _role(now.get("trustPolicy"), target.get("trustPolicy"))
    elif resource_type == "profile":
        lines = _profile(now, target)
    elif resource_type == "trust-anchor":
        lines = _enabled(now, target, "the trust anchor is enabled again")
    elif resource_type == "crl":
        lines = (
            ["the CRL is disabled: certificates it revokes are accepted again"]
            if now.get("enabled") is not False and target.get("enabled") is False
            else []
        )
    else:
        lines = []
    return [f"{WIDENS} {line}" for line in lines]


def _enabled(now: dict[str, Any], target: dict[str, Any], what: str) -> list[str]:
    return [what] if now.get("enabled") is False and target.get("enabled") is not False else []


def _profile(now: dict[str, Any], target: dict[str, Any]) -> list[str]:
    lines = _enabled(now, target, "the profile is enabled again")
    if now.get("sessionPolicy") and not target.get("sessionPolicy"):
        lines.append("the session policy is removed: sessions get the roles' whole power")
    elif now.get("sessionPolicy") != target.get("sessionPolicy") and target.get("sessionPolicy"):
        lines.append("the session policy is replaced by the snapshot's (check what it allows)")
    before, after = now.get("durationSeconds"), target.get("durationSeconds")
    if isinstance(before, int) and isinstance(after, int) and after > before:
        lines.append(f"sessions last longer: {before:,} s -> {after:,} s")
    added = sorted(set(as_list(target.get("roleArns"))) - set(as_list(now.get("roleArns"))))
    if added:
        lines.append(f"the profile serves more roles: {', '.join(map(str, added))}")
    dropped = sorted(
        set(as_list(now.get("managedPolicyArns"))) - set(as_list(target.get("managedPolicyArns")))
    )
    if dropped:
        lines.append(f"session managed policies are removed: {', '.join(map(str, dropped))}")
    return lines


def _role(current: Any, target: Any) -> list[str]:
    if not isinstance(target, dict):
        return []
    if not isinstance(current, dict):
        return ["the current trust policy cannot be read; the restored one may admit more"]
    lines = []
    opened = sorted(_principals(target) - _principals(current))
    if opened:
        lines.append(f"the trust policy admits {', '.join(opened)}, which it does not now")
    certificate = _certificate_opened(current, target)
    if certificate:
        lines.append("Roles Anywhere would accept a certificate it refuses now: " + certificate)
    return lines


def _principals(document: dict[str, Any]) -> set[str]:
    """``KIND:value`` for each principal an Allow statement names (``*`` for any)."""
    found: set[str] = set()
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            found.add("*")
        elif isinstance(principal, dict):
            for kind, values in principal.items():
                found.update(f"{kind}:{value}" for value in as_list(values))
        if "NotPrincipal" in statement:
            found.add("NotPrincipal (everyone else)")
    return found


def _certificate_opened(current: dict[str, Any], target: dict[str, Any]) -> str | None:
    from remediations.trust import analyze_trust
    from remediations.trust.witness import describe_certificate, witnesses

    try:
        now, then = analyze_trust(current), analyze_trust(target)
        for cert in witnesses(now, then, {}, evaluated=(current, target)):
            if then.admits(cert) and not now.admits(cert):
                return describe_certificate(cert)
    except Exception:  # a policy the analysis cannot read: say so rather than stay silent
        return "(the policies could not be compared; read the restored policy)"
    return None


__all__ = ["WIDENS", "widening"]
