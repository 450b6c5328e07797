"""Trust-anchor and CRL checks (remediations.checks.pki), on certificates made in the test."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from remediations.catalog import CATALOG
from remediations.checks import REGISTRY
from remediations.checks import pki as checks
from remediations.checks import profile as profile_checks
from remediations.checks import role as role_checks
from remediations.findings import Severity
from remediations.model import Crl
from remediations.settings import Settings
from tests.builders import (
    ACCOUNT,
    REGION,
    TA,
    TA2,
    CheckFn,
    anchor,
    inventory,
    profile,
    role,
    run,
    trust,
)
from tests.pki import NOW, Ca, make_ca, make_crl, sha1_signed_pem, weak_rsa_ca

SETTINGS = Settings(now=NOW)


@pytest.fixture(scope="module")
def ca() -> Ca:
    return make_ca("Example Issuing CA")


def crl(name: str, anchor_arn: str = TA, *, enabled: bool = True, data: bytes | None = None) -> Crl:
    return Crl(
        arn=f"arn:aws:rolesanywhere:{REGION}:{ACCOUNT}:crl/{name}",
        crl_id=name,
        name=name,
        region=REGION,
        enabled=enabled,
        trust_anchor_arn=anchor_arn,
        crl_data=data,
    )


# --- revocation ---------------------------------------------------------------------------------

NO_REVOCATION = "RA-TA-NO-REVOCATION"


def test_bundle_in_use_without_crl_is_high(ca: Ca) -> None:
    r = role("app")
    inv = inventory([r], [profile("p", [r])], [anchor(pem=ca.pem)])
    (finding,) = run(checks.no_revocation, inv)
    assert (finding.id, finding.severity) == (NO_REVOCATION, Severity.HIGH)
    assert finding.evidence["in_use"] is True


def test_unused_bundle_or_pca_without_crl_is_medium(ca: Ca) -> None:
    (unused,) = run(checks.no_revocation, inventory(anchors=[anchor(pem=ca.pem)]))
    assert unused.severity is Severity.MEDIUM
    r = role("app")
    pca = anchor(source_type="AWS_ACM_PCA")
    (finding,) = run(checks.no_revocation, inventory([r], [profile("p", [r])], [pca]))
    assert finding.severity is Severity.MEDIUM


def test_anchor_used_only_through_another_region_or_disabled_profile_is_not_in_use(ca: Ca) -> None:
    r = role("app")
    profiles = [profile("p1", [r], region="us-east-1"), profile("p2", [r], enabled=False)]
    (finding,) = run(checks.no_revocation, inventory([r], profiles, [anchor(pem=ca.pem)]))
    assert finding.evidence["in_use"] is False


def test_role_pinned_to_another_anchor_does_not_make_it_in_use(ca: Ca) -> None:
    r = role("app", trust(cn="app", anchors=[TA2]))
    (finding,) = run(
        checks.no_revocation, inventory([r], [profile("p", [r])], [anchor(pem=ca.pem)])
    )
    assert finding.evidence["in_use"] is False


def test_unpinned_role_uses_every_anchor(ca: Ca) -> None:
    r = role("app", trust(cn="app", anchors=None))
    (finding,) = run(
        checks.no_revocation, inventory([r], [profile("p", [r])], [anchor(pem=ca.pem)])
    )
    assert finding.evidence["in_use"] is True


def test_enabled_crl_or_unread_crls_or_disabled_anchor_give_nothing(ca: Ca) -> None:
    assert run(checks.no_revocation, inventory(anchors=[anchor()], crls=[crl("c")])) == []
    assert (
        run(
            checks.no_revocation,
            inventory(anchors=[anchor()], coverage=("iam", "trust_anchors", "profiles")),
        )
        == []
    )
    assert run(checks.no_revocation, inventory(anchors=[anchor(enabled=False)])) == []


def test_only_disabled_crls_still_means_no_revocation() -> None:
    disabled = crl("c", enabled=False)
    (finding,) = run(checks.no_revocation, inventory(anchors=[anchor()], crls=[disabled]))
    assert finding.evidence["disabled_crl_arns"] == [disabled.arn]


# --- CRLs ---------------------------------------------------------------------------------------


def test_disabled_crl(ca: Ca) -> None:
    c = crl("c", enabled=False, data=make_crl(ca, NOW - timedelta(days=1)))
    (finding,) = run(checks.crl_state, inventory(anchors=[anchor()], crls=[c]), SETTINGS)
    assert (finding.id, finding.severity) == ("RA-CRL-DISABLED", Severity.MEDIUM)
    assert finding.evidence["stale"] is True


def test_stale_crl(ca: Ca) -> None:
    c = crl("c", data=make_crl(ca, NOW - timedelta(days=10)))
    (finding,) = run(checks.crl_state, inventory(anchors=[anchor()], crls=[c]), SETTINGS)
    assert finding.id == "RA-CRL-STALE"
    assert finding.evidence["days_past"] == 10


@pytest.mark.parametrize("data", [None, b"not a crl"])
def test_fresh_or_unreadable_crl_is_not_stale(ca: Ca, data: bytes | None) -> None:
    for c in (crl("fresh", data=make_crl(ca, NOW + timedelta(days=1))), crl("odd", data=data)):
        assert run(checks.crl_state, inventory(anchors=[anchor()], crls=[c]), SETTINGS) == []


def test_orphaned_crl_only_when_its_region_was_read() -> None:
    c = crl("c", anchor_arn=TA2)
    (finding,) = run(checks.crl_state, inventory(anchors=[anchor()], crls=[c]))
    assert (finding.id, finding.severity) == ("RA-CRL-ORPHANED", Severity.LOW)
    assert finding.evidence["trust_anchor_arn"] == TA2
    assert run(checks.crl_state, inventory(crls=[c], regions=["us-east-1"])) == []
    assert run(checks.crl_state, inventory(crls=[c], coverage=("rolesanywhere", "crls"))) == []
    assert (
        run(checks.crl_state, inventory(anchors=[anchor()], crls=[crl("c", anchor_arn="")])) == []
    )
    coarse = inventory(anchors=[anchor()], crls=[c], coverage=("rolesanywhere",))
    assert [f.id for f in run(checks.crl_state, coarse)] == ["RA-CRL-ORPHANED"]


# --- CA expiry ----------------------------------------------------------------------------------

EXPIRING = "RA-TA-CA-EXPIRING"


@pytest.mark.parametrize(
    ("days", "severity"),
    [(-3, Severity.HIGH), (10, Severity.HIGH), (30, Severity.MEDIUM), (90, None)],
)
def test_ca_expiry_windows(days: int, severity: Severity | None) -> None:
    expiring = make_ca("Soon", not_after=NOW + timedelta(days=days))
    findings = run(checks.ca_expiring, inventory(anchors=[anchor(pem=expiring.pem)]), SETTINGS)
    assert [f.severity for f in findings] == ([severity] if severity else [])
    if findings:
        assert findings[0].evidence["expired"] is (days < 0)


def test_the_earliest_certificate_of_a_bundle_counts(ca: Ca) -> None:
    soon = make_ca("Intermediate", issuer=ca, not_after=NOW + timedelta(days=20))
    (finding,) = run(
        checks.ca_expiring, inventory(anchors=[anchor(pem=ca.pem + soon.pem)]), SETTINGS
    )
    assert "Intermediate" in finding.evidence["subject"]


def test_pca_and_bad_pem_anchors_give_no_expiry() -> None:
    anchors = [
        anchor(source_type="AWS_ACM_PCA"),
        anchor(TA2, pem="-----BEGIN CERTIFICATE-----\nxx\n"),
    ]
    assert run(checks.ca_expiring, inventory(anchors=anchors), SETTINGS) == []


# --- notifications ------------------------------------------------------------------------------

NOTIFICATIONS = "RA-TA-NOTIFICATIONS-DISABLED"


def notification(event: str, enabled: bool = True, threshold: int = 45) -> dict[str, object]:
    return {"event": event, "enabled": enabled, "threshold": threshold, "channel": "ALL"}


def test_default_notifications_are_fine() -> None:
    defaults = [
        notification("CA_CERTIFICATE_EXPIRY"),
        notification("END_ENTITY_CERTIFICATE_EXPIRY"),
    ]
    assert run(checks.notifications, inventory(anchors=[anchor(notifications=defaults)])) == []


def test_disabled_or_late_notifications() -> None:
    settings = [
        notification("CA_CERTIFICATE_EXPIRY", enabled=False),
        notification("END_ENTITY_CERTIFICATE_EXPIRY", threshold=7),
    ]
    (finding,) = run(checks.notifications, inventory(anchors=[anchor(notifications=settings)]))
    assert (finding.id, finding.severity) == (NOTIFICATIONS, Severity.LOW)
    assert [s["event"] for s in finding.evidence["settings"]] == [
        "CA_CERTIFICATE_EXPIRY",
        "END_ENTITY_CERTIFICATE_EXPIRY",
    ]


def test_threshold_of_exactly_the_minimum_is_fine() -> None:
    at_minimum = [notification("CA_CERTIFICATE_EXPIRY", threshold=30)]
    assert run(checks.notifications, inventory(anchors=[anchor(notifications=at_minimum)])) == []


# --- external CA --------------------------------------------------------------------------------

EXTERNAL = "RA-TA-EXTERNAL-CA"


def test_unapproved_bundle(ca: Ca) -> None:
    (finding,) = run(checks.external_ca, inventory(anchors=[anchor(pem=ca.pem)]))
    assert (finding.id, finding.severity) == (EXTERNAL, Severity.MEDIUM)
    assert finding.evidence["unapproved_fingerprints"] == [ca.fingerprint]
    assert finding.evidence["allowlist_configured"] is False


def test_approved_fingerprint_in_any_format(ca: Ca) -> None:
    colons = ":".join(ca.fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
    settings = Settings(approved_ca_fingerprints=frozenset({colons}))
    assert run(checks.external_ca, inventory(anchors=[anchor(pem=ca.pem)]), settings) == []


def test_intermediate_issued_by_an_approved_root_is_approved(ca: Ca) -> None:
    issuing = make_ca("Issuing", issuer=ca)
    rogue = make_ca("Rogue")
    settings = Settings(approved_ca_fingerprints=frozenset({ca.fingerprint}))
    assert (
        run(checks.external_ca, inventory(anchors=[anchor(pem=ca.pem + issuing.pem)]), settings)
        == []
    )
    (finding,) = run(
        checks.external_ca, inventory(anchors=[anchor(pem=ca.pem + rogue.pem)]), settings
    )
    assert finding.evidence["unapproved_fingerprints"] == [rogue.fingerprint]


def test_pca_is_not_external_and_self_signed_repository_is() -> None:
    assert run(checks.external_ca, inventory(anchors=[anchor(source_type="AWS_ACM_PCA")])) == []
    (finding,) = run(
        checks.external_ca, inventory(anchors=[anchor(source_type="SELF_SIGNED_REPOSITORY")])
    )
    assert finding.evidence["source_type"] == "SELF_SIGNED_REPOSITORY"


# --- blast radius -------------------------------------------------------------------------------

BLAST = "RA-TA-BLAST-RADIUS"


def test_one_workload_is_info(ca: Ca) -> None:
    r = role("app", trust(cn="app"))
    (finding,) = run(checks.blast_radius, inventory([r], anchors=[anchor(pem=ca.pem)]))
    assert (finding.id, finding.severity) == (BLAST, Severity.INFO)
    assert finding.evidence["role_arns"] == [r.arn]
    assert finding.evidence["workload_count"] == 1


def test_many_roles_by_pin_or_by_pinning_none_is_medium(ca: Ca) -> None:
    pinned, unpinned = role("a", trust(cn="a")), role("b", trust(cn="b", anchors=None))
    other = role("c", trust(cn="c", anchors=[TA2]))
    (finding,) = run(
        checks.blast_radius, inventory([pinned, unpinned, other], anchors=[anchor(pem=ca.pem)])
    )
    assert finding.severity is Severity.MEDIUM
    assert finding.evidence["role_arns"] == sorted([pinned.arn, unpinned.arn])
    assert finding.evidence["unpinned_role_arns"] == [unpinned.arn]


def test_one_role_serving_several_subjects_is_medium(ca: Ca) -> None:
    r = role("shared", trust(cn=["a", "b", "c"]))
    (finding,) = run(checks.blast_radius, inventory([r], anchors=[anchor(pem=ca.pem)]))
    assert finding.severity is Severity.MEDIUM


def test_weak_or_two_certificate_ca_is_medium_even_unused(ca: Ca) -> None:
    weak = sha1_signed_pem(weak_rsa_ca())
    (finding,) = run(checks.blast_radius, inventory(anchors=[anchor(pem=weak)]))
    assert finding.severity is Severity.MEDIUM
    assert any("RSA 1024" in w for w in finding.evidence["ca_weaknesses"])
    assert any("SHA1" in w for w in finding.evidence["ca_weaknesses"])
    bundle = ca.pem + make_ca("Issuing", issuer=ca).pem
    (two,) = run(checks.blast_radius, inventory(anchors=[anchor(pem=bundle)]))
    assert two.evidence["ca_weaknesses"] == ["bundle of 2 CA certificates"]


def test_unused_strong_anchor_has_no_blast_radius(ca: Ca) -> None:
    assert run(checks.blast_radius, inventory(anchors=[anchor(pem=ca.pem)])) == []


def my_checks() -> list[CheckFn]:
    """The registered checks of the profile, role and PKI modules."""
    modules = {checks.__name__, profile_checks.__name__, role_checks.__name__}
    return [fn for _ids, fn in REGISTRY if fn.__module__ in modules]


def test_every_profile_role_and_pki_id_has_a_check() -> None:
    modules = {checks.__name__, profile_checks.__name__, role_checks.__name__}
    emitted = {i for ids, fn in REGISTRY if fn.__module__ in modules for i in ids}
    prefixes = ("RA-PROFILE-", "RA-ROLE-", "RA-TA-", "RA-CRL-")
    assert emitted == {i for i in CATALOG if i.startswith(prefixes)}


def test_odd_shapes_do_not_crash_any_check() -> None:
    """Hand-edited exports with wrong types where dicts and lists belong: no check crashes."""
    odd_notifications: list[Any] = ["bad", {"event": "CA_CERTIFICATE_EXPIRY", "threshold": True}]
    odd_mappings: list[Any] = ["x", {"certificateField": 5, "mappingRules": "no"}]
    odd_anchor = anchor(pem="é" * 40, notifications=odd_notifications)
    odd_role = role("odd", {"Statement": "text", "Version": 5})
    odd_profile = profile(
        "odd",
        [odd_role, "not-an-arn", ""],
        session_policy={"Statement": [{"Effect": ["Allow"], "Action": {"x": 1}}, 7]},
        mappings=odd_mappings,
        duration=43200,
    )
    odd_crl = crl("odd", data=b"\x00\xff" * 10)
    inv = inventory([odd_role], [odd_profile], [odd_anchor], [odd_crl])
    for fn in my_checks():
        for finding in run(fn, inv, SETTINGS):
            assert finding.detail
