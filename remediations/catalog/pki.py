"""RA-TA-* and RA-CRL-*: trust anchors, CRLs and the CA (FINDINGS C). Detected in
``remediations/checks/pki.py``.

Each entry holds everything about one finding: severity, words, how rafix fixes it
(:class:`FixKind`, and why not automatically) and its false-positive pitfalls.
"""

from __future__ import annotations

from remediations.catalog.spec import CheckSpec, FixKind
from remediations.findings import Severity as S

SPECS = [
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
        pitfalls=(
            "An AWS Private CA anchor can rely on the CA's own revocation; a "
            "certificate bundle in use cannot."
        ),
    ),
    CheckSpec(
        "RA-CRL-DISABLED",
        "F-TA-02",
        S.MEDIUM,
        "crl",
        "CRL is disabled",
        "The imported CRL is disabled, so revoked certificates are accepted.",
        "Enable the CRL (EnableCrl) after refreshing its data.",
        pitfalls="A CRL may be disabled on purpose while a new one is imported.",
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
        pitfalls=(
            "How Roles Anywhere treats a CRL past its nextUpdate is not documented; "
            "read it as a hygiene and risk signal, not as revocation being off."
        ),
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
        pitfalls="Deleting a CRL cannot be undone; rafix leaves it to you.",
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
        pitfalls=(
            "An AWS Private CA anchor renews with the CA; a bundle must be "
            "replaced by hand before the date."
        ),
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
        pitfalls=(
            "Notifications may reach you by another path (EventBridge "
            "rules); the threshold is min_notification_threshold_days."
        ),
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
        pitfalls=(
            "An enterprise PKI outside AWS is legitimate and common: add its "
            "fingerprint to approved_ca_fingerprints."
        ),
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
        pitfalls=(
            "One workload behind the anchor is reported at info only. The evidence lists the "
            "first 100 accepting roles by ARN (role_arns, unpinned_role_arns for those that "
            "pin no trust anchor); role_count and unpinned_count have them all, and "
            "roles_truncated says when the lists are cut."
        ),
    ),
]
