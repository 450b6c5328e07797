"""The one registry of findings: stable ID, default severity, title, explanation, fix text and
how rafix fixes it (:class:`FixKind`, with the reason when it does not fix it automatically).

Every output (table, JSON, SARIF, TUI, plans) reads its words from here, so they all say the
same thing. IDs are stable (``../shared/FINDINGS.md``): never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from remediations.findings import RESOURCE_TYPES, Finding, Severity


class FixKind(StrEnum):
    """How rafix answers a finding (beside its words, so one entry says it all)."""

    #: A phase-1 change in ``rafix plan`` (values only the user knows are asked for).
    AUTOMATIC = "automatic"
    #: An opt-in two-phase role split: phase 2 creates dedicated roles, phase 3 narrows.
    SPLIT = "two-phase split"
    #: A two-phase change a person makes (the clients must switch first); ``fix_reason`` why.
    MANUAL_TWO_PHASE = "two-phase, by hand"
    #: Reported only; ``fix_reason`` says why rafix does not fix it.
    REPORT_ONLY = "report only"


@dataclass(frozen=True, slots=True)
class CheckSpec:
    id: str
    #: The FINDINGS.md entry (e.g. "F-TRUST-01"); "rafix" for entries rafix added.
    catalog_ref: str
    severity: Severity
    #: role | profile | trust-anchor | crl
    resource: str
    title: str
    explanation: str
    fix: str
    #: A one-line note on when the severity changes (shown in docs and SARIF help).
    severity_note: str = ""
    #: How rafix answers it, and (when not automatically) why not.
    fix_kind: FixKind = FixKind.AUTOMATIC
    fix_reason: str = ""
    #: When the finding may not mean what it seems, and what rafix already accounts for
    #: (docs/findings.md). Filled from ``_PITFALLS`` below.
    pitfalls: str = ""

    @property
    def resource_type(self) -> str:
        return RESOURCE_TYPES[self.resource]

    def finding(
        self,
        resource_arn: str,
        detail: str,
        *,
        region: str,
        severity: Severity | None = None,
        evidence: dict[str, Any] | None = None,
        resource: str | None = None,
    ) -> Finding:
        """Make a finding of this kind with the registry's words.

        ``resource`` overrides the entry's resource kind for IDs that can concern several
        (e.g. a malformed policy of a role or of a profile).
        """
        return Finding(
            id=self.id,
            severity=self.severity if severity is None else severity,
            resource_arn=resource_arn,
            resource_type=RESOURCE_TYPES[resource or self.resource],
            region=region,
            title=self.title,
            detail=detail,
            fix=self.fix,
            evidence=evidence or {},
        )


S = Severity
_SPECS = [
    # --- A. Role trust policies -------------------------------------------------------------
    CheckSpec(
        "RA-TRUST-NO-SUBJECT-CONDITION",
        "F-TRUST-01",
        S.HIGH,
        "role",
        "Any certificate from the trust anchor can assume this role",
        "The role trusts rolesanywhere.amazonaws.com, and at least one path through its trust "
        "policy admits a certificate without pinning its subject (CN, OU, SAN or source "
        "identity). Any certificate the CA ever issued, for any workload, gets this role.",
        "Pin the workload's certificate subject: add StringEquals on "
        "aws:PrincipalTag/x509Subject/CN (and OU) to every Roles Anywhere statement, or use "
        "the hardened per-workload template.",
        "critical when the role is privileged",
    ),
    CheckSpec(
        "RA-TRUST-NO-SOURCEARN",
        "F-TRUST-02",
        S.HIGH,
        "role",
        "Trust anchor not pinned (no aws:SourceArn)",
        "A path through the trust policy admits Roles Anywhere without an aws:SourceArn "
        "condition naming concrete trust anchors. Any trust anchor in the account can reach "
        "the role, including one an attacker creates later; aws:SourceAccount does not help "
        "because every usable trust anchor is in your account.",
        'Add "ArnEquals": {"aws:SourceArn": ["<trust anchor ARN>"]} to every Roles Anywhere '
        "statement, with the anchors of the profiles that list the role.",
    ),
    CheckSpec(
        "RA-TRUST-SOURCEARN-WILDCARD",
        "F-TRUST-03",
        S.HIGH,
        "role",
        "aws:SourceArn pin is a wildcard",
        "The aws:SourceArn condition uses a pattern (such as trust-anchor/*) that admits every "
        "trust anchor in the account, including one created later.",
        "Replace the pattern with the explicit list of trust-anchor ARNs the workload uses.",
    ),
    CheckSpec(
        "RA-TRUST-SOURCEARN-STALE",
        "F-TRUST-03",
        S.LOW,
        "role",
        "aws:SourceArn names a trust anchor that does not exist",
        "The trust policy pins a trust-anchor ARN that matches no trust anchor in the account. "
        "Trust-anchor IDs are never reused, so the pin is dead rather than dangerous; if it is "
        "the only one, the role cannot be used through Roles Anywhere.",
        "Remove the stale ARN (check RoleLastUsed before changing a role that seems unused).",
    ),
    CheckSpec(
        "RA-TRUST-SUBJECT-WILDCARD",
        "F-TRUST-04",
        S.HIGH,
        "role",
        "Subject condition is a wildcard",
        'A subject condition matches everything or nearly everything (StringLike "*", a '
        "prefix pattern), so it does not identify one workload.",
        "Use StringEquals on the exact CN or URI; if several workloads share the role, split it.",
        "medium for a SPIFFE namespace pattern",
    ),
    CheckSpec(
        "RA-TRUST-MULTIPLE-SUBJECTS",
        "F-TRUST-05",
        S.MEDIUM,
        "role",
        "One role serves several certificate subjects",
        "The trust policy admits several distinct subjects (a list of CNs, or one statement per "
        "CN). One role then serves many workloads, which breaks one-role-per-workload.",
        "Give each workload a dedicated role with the hardened trust, move clients over, then "
        "drop the extra subjects from this role (a two-phase change).",
        fix_kind=FixKind.SPLIT,
    ),
    CheckSpec(
        "RA-TRUST-ISSUER-NOT-PINNED",
        "F-TRUST-06",
        S.MEDIUM,
        "role",
        "Issuing CA not pinned",
        "No path pins the certificate issuer (aws:PrincipalTag/x509Issuer/*). Certificates of "
        "any CA subordinate to the trust anchor are accepted.",
        'Add "StringEquals": {"aws:PrincipalTag/x509Issuer/CN": "<issuing CA CN>"}.',
        "low when the only trust anchor is a dedicated issuing CA",
    ),
    CheckSpec(
        "RA-TRUST-FAIL-OPEN-OPERATOR",
        "F-TRUST-07",
        S.HIGH,
        "role",
        "Condition passes when the certificate attribute is absent",
        "An Allow statement uses a negated, ...IfExists or ForAllValues: operator on a "
        "certificate, source-identity or source-ARN key. Those pass when the key is absent, "
        "and a profile's attribute mapping can make it absent.",
        "Rewrite as positive StringEquals/ArnEquals; move a block list into a Deny statement, "
        "where an absent key fails closed.",
        "low for ForAnyValue: (wrong, but fails closed)",
    ),
    CheckSpec(
        "RA-TRUST-MIXED-PRINCIPALS",
        "F-TRUST-08",
        S.HIGH,
        "role",
        "Role trusted by Roles Anywhere and by other principals",
        "The role can be assumed through Roles Anywhere and also by other principals (an AWS "
        "account or role, a federated provider, another service). Two identity paths share one "
        "role and its permissions.",
        "Create a dedicated Roles Anywhere role with the same permissions, point the profiles "
        "at it, then remove the Roles Anywhere statement from this role (a two-phase change).",
        "medium when the other principal is a single named role",
        fix_kind=FixKind.SPLIT,
    ),
    CheckSpec(
        "RA-TRUST-WILDCARD-PRINCIPAL",
        "F-TRUST-09",
        S.CRITICAL,
        "role",
        "Trust policy allows any principal",
        'An Allow statement has "Principal": "*" (or {"AWS": "*"}), which covers Roles Anywhere '
        "and every other principal.",
        "Replace the wildcard with explicit principals plus the hardened Roles Anywhere statement.",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=(
            'the explicit principals that should replace "*" are not in the account\'s data'
        ),
    ),
    CheckSpec(
        "RA-TRUST-MISSING-REQUIRED-ACTION",
        "F-TRUST-10",
        S.LOW,
        "role",
        "Roles Anywhere cannot use this role (missing action)",
        "Roles Anywhere needs sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity. Some of "
        "them are allowed on no path, so CreateSession fails for this role.",
        "Allow the missing actions under the same conditions as the sts:AssumeRole path.",
    ),
    CheckSpec(
        "RA-TRUST-SOURCEIP-CONDITION",
        "F-TRUST-11",
        S.MEDIUM,
        "role",
        "IP condition in a Roles Anywhere trust (never the workload's IP)",
        "The caller of AssumeRole is the Roles Anywhere service, so aws:SourceIp, "
        "aws:VpcSourceIp, aws:SourceVpc and aws:SourceVpce never describe the workload: a "
        "positive IP condition breaks the role, a negated or IfExists one is meaningless.",
        "Remove the IP condition from the trust; put a Deny with NotIpAddress in the profile's "
        "session policy instead, where aws:SourceIp is the workload's egress address.",
    ),
    CheckSpec(
        "RA-TRUST-LEGACY-VERSION-WITH-VARIABLES",
        "F-TRUST-12",
        S.MEDIUM,
        "role",
        "Policy variables in a policy without Version 2012-10-17",
        "The trust policy has no Version or Version 2008-10-17, so ${...} is compared as a "
        "literal string: a binding such as sts:RoleSessionName = ${aws:PrincipalTag/...} never "
        "matches, or always matches under a negated operator.",
        'Set "Version": "2012-10-17".',
    ),
    CheckSpec(
        "RA-TRUST-SUBJECT-NAMING",
        "section 6",
        S.LOW,
        "role",
        "Pinned subject breaks the naming rules",
        "A pinned CN or OU uses characters outside the STS tag charset [A-Za-z0-9 _.:/=+-@] (the "
        "session fails to map it), is longer than 61 characters (the source identity is then "
        "no longer CN=...), or does not follow the configured naming convention.",
        "Issue the workload a certificate whose CN follows <app>.<component>.<env> in the STS "
        "tag charset, at most 61 characters, and pin that.",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=("the fix is a new certificate for the workload, issued outside AWS"),
    ),
    # --- B. Profiles, mappings, roles ------------------------------------------------------
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
    ),
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
    ),
    # --- C. Trust anchors, CRLs, PKI -------------------------------------------------------
    CheckSpec(
        "RA-TA-NO-REVOCATION",
        "F-TA-01",
        S.MEDIUM,
        "trust-anchor",
        "Trust anchor has no enabled CRL",
        "Roles Anywhere checks revocation only against imported CRLs (no CDP, no OCSP). "
        "Without one, a stolen certificate stays valid until it expires.",
        "Import the CA's CRL in PEM (ImportCrl, enabled) and refresh it on a schedule.",
        "high for a certificate bundle in use by an enabled profile",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=("importing a CRL needs the CA's CRL data, which rafix does not have"),
    ),
    CheckSpec(
        "RA-CRL-DISABLED",
        "F-TA-02",
        S.MEDIUM,
        "crl",
        "CRL is disabled",
        "The imported CRL is disabled, so revoked certificates are accepted.",
        "Enable the CRL (EnableCrl) after refreshing its data.",
    ),
    CheckSpec(
        "RA-CRL-STALE",
        "F-TA-02",
        S.MEDIUM,
        "crl",
        "CRL is past its nextUpdate",
        "The CRL's nextUpdate has passed: certificates revoked since are not in it. How Roles "
        "Anywhere treats a stale CRL is undocumented; treat this as a hygiene and risk signal.",
        "Import fresh CRL data (UpdateCrl) and schedule the refresh.",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=("refreshing a CRL needs fresh data from the CA"),
    ),
    CheckSpec(
        "RA-CRL-ORPHANED",
        "F-TA-02",
        S.LOW,
        "crl",
        "CRL belongs to a trust anchor that no longer exists",
        "The CRL's trust anchor is gone; the CRL protects nothing and uses one of the two CRL "
        "slots.",
        "Delete the CRL (DeleteCrl).",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=("deleting a CRL is not reversible; delete it by hand (DeleteCrl)"),
    ),
    CheckSpec(
        "RA-TA-CA-EXPIRING",
        "F-TA-03",
        S.MEDIUM,
        "trust-anchor",
        "Trust anchor CA certificate expires soon",
        "A CA certificate of the trust anchor expires within 45 days (or has expired); every "
        "workload certificate under it stops working then.",
        "Renew the CA, update the trust anchor's bundle (or UpdateTrustAnchor for a Private CA), "
        "then roll the workload certificates.",
        "high when expired or within 14 days",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=("renewing a CA happens in your PKI"),
    ),
    CheckSpec(
        "RA-TA-NOTIFICATIONS-DISABLED",
        "F-TA-04",
        S.LOW,
        "trust-anchor",
        "Expiry notifications disabled or too late",
        "A certificate-expiry notification of the trust anchor is disabled or its threshold is "
        "below 30 days, so expiry arrives unannounced.",
        "PutNotificationSettings: enable CA_CERTIFICATE_EXPIRY (45 days) and "
        "END_ENTITY_CERTIFICATE_EXPIRY (30 days).",
    ),
    CheckSpec(
        "RA-TA-EXTERNAL-CA",
        "F-TA-05",
        S.MEDIUM,
        "trust-anchor",
        "Trust anchor uses a CA outside the approved list",
        "The trust anchor is a certificate bundle or self-signed repository whose CA is not on "
        "the approved-CA list. A rogue trust anchor is a known persistence technique; an "
        "external enterprise PKI is also legitimate, hence the allowlist.",
        "Add the CA's SHA-256 fingerprint to approved_ca_fingerprints if it is yours; if not, "
        "DisableTrustAnchor and investigate CreateTrustAnchor in CloudTrail.",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=("whether a CA is yours is a decision for a person"),
    ),
    CheckSpec(
        "RA-TA-BLAST-RADIUS",
        "F-TA-06",
        S.MEDIUM,
        "trust-anchor",
        "One trust anchor serves many workloads",
        "Roles of many workloads or environments accept this trust anchor (by pin or because "
        "they pin none), or the CA is broad or weak. A compromised CA is then a compromised "
        "account.",
        "Use a dedicated issuing CA per environment for Roles Anywhere, pin the issuer in every "
        "trust and keep end-entity certificates short-lived.",
        "info when one workload is served",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=("the fix is a PKI design change (a dedicated issuing CA)"),
    ),
    # --- governance (FINDINGS F-GOV-01) ----------------------------------------------------
    CheckSpec(
        "RA-GOV-ADMIN-SURFACE",
        "F-GOV-01",
        S.MEDIUM,
        "role",
        "Principal can wire a certificate authority to Roles Anywhere roles",
        "This IAM principal may create or change trust anchors, profiles or attribute mappings "
        "and pass Roles Anywhere roles to the service (iam:PassRole). It can therefore add its "
        "own CA as a trust anchor and get credentials for every role that pins no trust anchor "
        "or no subject: it is in effect an administrator of those roles.",
        "Keep Roles Anywhere write access and iam:PassRole on its roles to a small admin role "
        "(deny them to everyone else, e.g. with an SCP or a permissions boundary), pin "
        "aws:SourceArn and the subject in every trust, and alert on CreateTrustAnchor with a "
        "sourceType other than AWS_ACM_PCA.",
        "low when the grant depends on conditions rafix cannot decide (MFA, tags, IP)",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason="who administers the account is an organisational decision",
    ),
    CheckSpec(
        "RA-GOV-SUBJECT-HYGIENE",
        "F-GOV-01",
        S.LOW,
        "subject",
        "Subject or leftover resource needs a look",
        "A Roles Anywhere subject (a certificate that has authenticated) breaks the naming "
        "convention, was issued by a CA that is not one of the account's trust anchors, failed "
        "to authenticate many times, or has not been seen for a long time while roles still "
        "pin it; or a disabled trust anchor or profile is left behind.",
        "Re-issue certificates that break the convention, investigate failed and unexpected "
        "issuers, remove pins to subjects that are gone, and delete disabled trust anchors and "
        "profiles nobody needs.",
        "info for disabled trust anchors and profiles left behind",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason="each case needs a person to decide (re-issue, investigate or delete)",
    ),
    # --- rafix additions -------------------------------------------------------------------
    CheckSpec(
        "RA-INPUT-MALFORMED-POLICY",
        "rafix",
        S.INFO,
        "role",
        "Policy document could not be read",
        "A policy document in the account is not valid JSON or not valid IAM policy grammar, "
        "so rafix could not evaluate it. The rest of the account was scanned.",
        "Inspect the document; IAM normally refuses malformed policies, so the export may be "
        "damaged.",
        fix_kind=FixKind.REPORT_ONLY,
        fix_reason=("the document could not be read"),
    ),
]
del S

#: False-positive pitfalls per ID (FINDINGS.md), in words for the person reading a finding.
_PITFALLS = {
    "RA-TRUST-NO-SUBJECT-CONDITION": "A pin on sts:TagSession or sts:SetSourceIdentity alone "
    "still restricts the role, a Deny with StringNotEquals on the CN is a valid pin, and "
    "sts:SourceIdentity or a SPIFFE URI SAN count as subject pins: rafix evaluates per action "
    "and counts them. An issuer-only pin is not a subject pin (medium).",
    "RA-TRUST-NO-SOURCEARN": "aws:SourceAccount alone does not pin a trust anchor (every usable "
    "anchor is in your account), although some other scanners accept it. A subject and issuer "
    "pin lower the impact, but a rogue CA can mint any names.",
    "RA-TRUST-SOURCEARN-WILDCARD": "A pattern that names one concrete anchor ID is not a "
    "wildcard; trust-anchor/* is.",
    "RA-TRUST-SOURCEARN-STALE": "Trust-anchor IDs are never reused, so a stale pin cannot be "
    "hijacked. If it is the only pin, the role is unusable through Roles Anywhere: check "
    "RoleLastUsed before changing it.",
    "RA-TRUST-SUBJECT-WILDCARD": "A SPIFFE namespace pattern (spiffe://td/ns/payments/sa/*) can "
    "be intended: rafix rates it medium and counts the subjects it matches.",
    "RA-TRUST-MULTIPLE-SUBJECTS": "Several CNs can be one workload during certificate rotation "
    "(app-a, app-a-v2); rafix points such aliases out.",
    "RA-TRUST-ISSUER-NOT-PINNED": "With a single trust anchor whose CA issues only for this "
    "purpose, the risk is low (rafix rates it low).",
    "RA-TRUST-FAIL-OPEN-OPERATOR": "A negated or IfExists operator on a tag the certificate "
    "always carries is safe only while every profile maps that tag; rafix checks the profiles' "
    "attribute mappings.",
    "RA-TRUST-MIXED-PRINCIPALS": "A break-glass admin principal beside Roles Anywhere is still "
    "reported (a dedicated role is the practice), at medium for a single named role.",
    "RA-TRUST-WILDCARD-PRINCIPAL": "aws:PrincipalOrgID and similar conditions restrict AWS "
    "principals, not the Roles Anywhere path; rafix evaluates that path on its own.",
    "RA-TRUST-MISSING-REQUIRED-ACTION": "The missing action may be allowed by another "
    "statement; rafix reports it only when no statement allows it.",
    "RA-TRUST-SOURCEIP-CONDITION": "Roles Anywhere calls STS itself, so aws:SourceIp sees the "
    "service, not the workload: the condition either blocks the role or protects nothing.",
    "RA-TRUST-LEGACY-VERSION-WITH-VARIABLES": "Without Version 2012-10-17, ${...} is a literal "
    "string: the condition compares against the text, never the certificate's value.",
    "RA-TRUST-SUBJECT-NAMING": "Only reported for a configured naming convention (cn_pattern, "
    "ou_pattern) or a value STS cannot carry as a session tag.",
    "RA-PROFILE-UNSCOPED-SESSION": "A disabled profile, or roles that are already least "
    "privilege, lower the risk but do not remove it.",
    "RA-PROFILE-PERMISSIVE-SESSION-POLICY": "The session is limited by the union of the inline "
    "and managed session policies; a broad one is harmless only if every listed role is "
    "least privilege.",
    "RA-PROFILE-NO-GUARDRAIL-DENIES": "Guardrails may come from a service control policy rafix "
    "cannot see from inside the account.",
    "RA-PROFILE-LONG-DURATION": "The threshold is a setting (max_session_duration).",
    "RA-PROFILE-DURATION-EXCEEDS-ROLE-MAX": "Needs each role's MaxSessionDuration: a live scan, "
    "or the aws iam list-roles output beside the export.",
    "RA-PROFILE-ACCEPT-ROLE-SESSION-NAME-UNBOUND": "EKS Hybrid Nodes set acceptRoleSessionName "
    "together with sts:RoleSessionName bound to the certificate CN; rafix treats that as "
    "compliant.",
    "RA-PROFILE-ROLE-NOT-RA-TRUSTED": "A role in another account cannot be evaluated from this "
    "one.",
    "RA-PROFILE-ROLE-MISSING": "A role in another account cannot be evaluated from this one.",
    "RA-PROFILE-ROLE-FANOUT-WITHOUT-BINDING": "Grouping similar workloads in one profile is good "
    "practice; the finding is about listed roles without per-workload pins, not their count.",
    "RA-PROFILE-MAPPING-DROPS-CONDITIONED-ATTRIBUTE": "A profile without attributeMappings uses "
    "the default mapping; Name/, Name and Name/* are the same field.",
    "RA-ROLE-PRIVILEGED": "The EKS intermediate-role pattern is intentional; the fix is a "
    "least-privilege role, which rafix cannot design for you.",
    "RA-ROLE-ORPHANED": "The profile that uses the role may be in a region that was not read: "
    "scan every region before removing a trust.",
    "RA-TA-NO-REVOCATION": "An AWS Private CA anchor can rely on the CA's own revocation; a "
    "certificate bundle in use cannot.",
    "RA-CRL-DISABLED": "A CRL may be disabled on purpose while a new one is imported.",
    "RA-CRL-STALE": "How Roles Anywhere treats a CRL past its nextUpdate is not documented; "
    "read it as a hygiene and risk signal, not as revocation being off.",
    "RA-CRL-ORPHANED": "Deleting a CRL cannot be undone; rafix leaves it to you.",
    "RA-TA-CA-EXPIRING": "An AWS Private CA anchor renews with the CA; a bundle must be "
    "replaced by hand before the date.",
    "RA-TA-NOTIFICATIONS-DISABLED": "Notifications may reach you by another path (EventBridge "
    "rules); the threshold is min_notification_threshold_days.",
    "RA-TA-EXTERNAL-CA": "An enterprise PKI outside AWS is legitimate and common: add its "
    "fingerprint to approved_ca_fingerprints.",
    "RA-TA-BLAST-RADIUS": "One workload behind the anchor is reported at info only.",
    "RA-GOV-ADMIN-SURFACE": "Administrators are expected here: the finding lists who can "
    "wire a CA so you can check it is only them. rafix reads identity policies (users with "
    "their groups' policies, and roles; not service-linked roles) with the evaluator: "
    "NotAction, explicit Denies and permissions boundaries count, iam:PassRole conditioned on "
    "iam:PassedToService other than Roles Anywhere does not, and other conditions make it low. "
    "Service control policies and resource policies are not visible from inside the account.",
    "RA-GOV-SUBJECT-HYGIENE": "ListSubjects returns summaries: issuers and failures need the "
    "subject details (aws rolesanywhere get-subject) in the export. An issuer is questioned "
    "only when every enabled trust anchor's CA is known (an AWS Private CA's name is not). "
    "Thresholds are settings (subject_stale_days, subject_failed_threshold, cn_pattern, "
    "ou_pattern).",
    "RA-INPUT-MALFORMED-POLICY": "Usually a damaged or hand-edited export rather than the "
    "account itself.",
}

CATALOG: dict[str, CheckSpec] = {
    spec.id: replace(spec, pitfalls=spec.pitfalls or _PITFALLS.get(spec.id, "")) for spec in _SPECS
}

#: IDs listed in FINDINGS.md that rafix does not implement yet.
DEFERRED_IDS: tuple[str, ...] = ()


def spec(check_id: str) -> CheckSpec:
    return CATALOG[check_id]
