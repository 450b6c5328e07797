"""RA-ROLE-*: the roles behind the profiles (FINDINGS B). Detected in
``remediations/checks/role.py``.

Each entry holds everything about one finding: severity, words, how rafix fixes it
(:class:`FixKind`, and why not automatically) and its false-positive pitfalls.
"""

from __future__ import annotations

from remediations.catalog.spec import CheckSpec, FixKind
from remediations.findings import Severity as S

SPECS = [
    CheckSpec(
        "RA-ROLE-PRIVILEGED",
        "F-ROLE-01",
        S.HIGH,
        "role",
        "Privileged role reachable through Roles Anywhere",
        "The role trusts Roles Anywhere and its permissions include *:*, iam:* or iam:PassRole "
        "on *. A leaked certificate is then an account takeover.",
        "Give the workload a dedicated least-privilege role and cap sessions with a profile "
        "session policy.",
        fix_kind=FixKind.MANUAL_TWO_PHASE,
        fix_reason=(
            "the workload needs a least-privilege role first, and splitting the role alone does "
            "not reduce privilege (a dedicated role would copy the same permissions)"
        ),
        pitfalls=(
            "The EKS intermediate-role pattern is intentional; the fix is a "
            "least-privilege role, which rafix cannot design for you."
        ),
    ),
    CheckSpec(
        "RA-ROLE-ORPHANED",
        "F-ROLE-01",
        S.LOW,
        "role",
        "Role trusts Roles Anywhere but no enabled profile uses it",
        "The role trusts Roles Anywhere but is listed in no enabled profile in any region read. "
        "It is unused attack surface: anyone who can create a profile and pass the role can "
        "wire it up.",
        "Remove the Roles Anywhere statement from the trust, or delete the role after checking "
        "RoleLastUsed.",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=(
            "removing a trust or deleting a role needs a person to check RoleLastUsed first"
        ),
        pitfalls=(
            "The profile that uses the role may be in a region that was not read: "
            "scan every region before removing a trust."
        ),
    ),
]
