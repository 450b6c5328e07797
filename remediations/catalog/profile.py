"""RA-PROFILE-*: profiles, their session policies, durations, role lists and mappings
(FINDINGS B). Detected in ``remediations/checks/profile.py``.

Each entry holds everything about one finding: severity, words, how rafix fixes it
(:class:`FixKind`, and why not automatically) and its false-positive pitfalls.
"""

from __future__ import annotations

from remediations.catalog.spec import CheckSpec, FixKind
from remediations.findings import Severity as S

SPECS = [
    CheckSpec(
        "RA-PROFILE-UNSCOPED-SESSION",
        "F-PROF-01",
        S.MEDIUM,
        "profile",
        "Profile has no session policy",
        "The enabled profile has neither an inline session policy nor managed policy ARNs, so "
        "a session gets every permission of the role: a leaked certificate gets the role's "
        "whole power.",
        "Add a session policy that limits the workload's services and denies iam:*, "
        "control-plane and destructive actions (UpdateProfile sessionPolicy).",
        "high when a listed role is privileged",
        pitfalls=(
            "A disabled profile, or roles that are already least "
            "privilege, lower the risk but do not remove it."
        ),
    ),
    CheckSpec(
        "RA-PROFILE-PERMISSIVE-SESSION-POLICY",
        "F-PROF-02",
        S.HIGH,
        "profile",
        "Session policy allows everything or identity administration",
        "The profile's session policies (inline and managed) allow *:*, iam:*, "
        "sts:AssumeRole on *, rolesanywhere:* or organizations:*, so they limit nothing that "
        "matters.",
        "Replace them with a scoped session policy; drop AdministratorAccess from "
        "managedPolicyArns.",
        "low when every listed role is least-privilege",
        pitfalls=(
            "The session is limited by the union of the inline "
            "and managed session policies; a broad one is harmless only if every listed role is "
            "least privilege."
        ),
    ),
    CheckSpec(
        "RA-PROFILE-NO-GUARDRAIL-DENIES",
        "F-PROF-03",
        S.MEDIUM,
        "profile",
        "Session policy lacks the guardrail denies",
        "The profile's session policies do not deny iam:* and the destructive actions "
        "(deleting buckets, databases, keys).",
        "Add the guardrail Deny statements (identity and control plane, destructive data) to "
        "the session policy, keeping an Allow for the workload's services.",
        pitfalls=(
            "Guardrails may come from a service control policy rafix "
            "cannot see from inside the account."
        ),
    ),
    CheckSpec(
        "RA-PROFILE-LONG-DURATION",
        "F-PROF-04",
        S.LOW,
        "profile",
        "Long session duration",
        "The profile's durationSeconds is above the threshold (3600 s by default), so a stolen "
        "session lasts longer; the credential helper refreshes sessions on its own.",
        "Set durationSeconds to 3600 (UpdateProfile).",
        "medium above 14400 s",
        pitfalls="The threshold is a setting (max_session_duration).",
    ),
    CheckSpec(
        "RA-PROFILE-DURATION-EXCEEDS-ROLE-MAX",
        "F-PROF-05",
        S.LOW,
        "profile",
        "Profile duration exceeds a role's maximum session duration",
        "durationSeconds is above a listed role's MaxSessionDuration, so CreateSession fails "
        "unless the client asks for a shorter session.",
        "Lower the profile's durationSeconds to at most the role's MaxSessionDuration.",
        pitfalls=(
            "Needs each role's MaxSessionDuration: a live scan, "
            "or the aws iam list-roles output beside the export."
        ),
    ),
    CheckSpec(
        "RA-PROFILE-ACCEPT-ROLE-SESSION-NAME-UNBOUND",
        "F-PROF-06",
        S.MEDIUM,
        "profile",
        "Callers choose their own role session name",
        "acceptRoleSessionName is true and a listed role's trust does not bind "
        "sts:RoleSessionName to the certificate, so callers pick any session name: CloudTrail "
        "attribution by certificate serial is lost and session-name-based policies can be "
        "spoofed.",
        "Set acceptRoleSessionName to false, or bind sts:RoleSessionName to "
        "${aws:PrincipalTag/x509Subject/CN} in the role's trust (Version 2012-10-17).",
        pitfalls=(
            "EKS Hybrid Nodes set acceptRoleSessionName "
            "together with sts:RoleSessionName bound to the certificate CN; rafix treats that as "
            "compliant."
        ),
    ),
    CheckSpec(
        "RA-PROFILE-ROLE-NOT-RA-TRUSTED",
        "F-PROF-07",
        S.LOW,
        "profile",
        "Profile lists a role that Roles Anywhere cannot assume",
        "A listed role exists but its trust does not allow rolesanywhere.amazonaws.com all "
        "three required actions, so CreateSession with it fails.",
        "Remove the role from the profile's roleArns, or fix the role's trust.",
        pitfalls=("A role in another account cannot be evaluated from this one."),
    ),
    CheckSpec(
        "RA-PROFILE-ROLE-MISSING",
        "F-PROF-07",
        S.MEDIUM,
        "profile",
        "Profile lists a role that does not exist",
        "A listed role ARN matches no role. Anyone who can later create a role of that name "
        "with a Roles Anywhere trust gets it wired into this profile.",
        "Remove the dangling ARN from the profile's roleArns (UpdateProfile).",
        pitfalls="A role in another account cannot be evaluated from this one.",
    ),
    CheckSpec(
        "RA-PROFILE-ROLE-FANOUT-WITHOUT-BINDING",
        "F-PROF-08",
        S.MEDIUM,
        "profile",
        "Roles of one profile are not told apart by certificate",
        "The profile lists several roles whose trusts are not distinguished by subject "
        "conditions, so any certificate accepted for one of them can pick another with "
        "--role-arn.",
        "Pin each role's trust to its own workload's subject, or split the profile.",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=(
            "it is fixed by pinning each listed role's trust (RA-TRUST-NO-SUBJECT-CONDITION) or by"
            " splitting the profile"
        ),
        pitfalls=(
            "Grouping similar workloads in one profile is good "
            "practice; the finding is about listed roles without per-workload pins, not their count."
        ),
    ),
    CheckSpec(
        "RA-PROFILE-MAPPING-DROPS-CONDITIONED-ATTRIBUTE",
        "F-MAP-01",
        S.HIGH,
        "profile",
        "Attribute mapping drops a certificate field a trust condition uses",
        "The profile's attribute mapping does not map a certificate attribute that a listed "
        "role's trust conditions on. Positive conditions on it then always fail (the role is "
        "broken); negated, IfExists and ForAllValues conditions always pass (a bypass).",
        "Map the attribute again (PutAttributeMapping), e.g. x509Subject with CN and OU.",
        "low when it only breaks a path",
        pitfalls=(
            "A profile without attributeMappings uses "
            "the default mapping; Name/, Name and Name/* are the same field."
        ),
    ),
]
