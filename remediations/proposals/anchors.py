"""Trust-anchor and CRL fixes: expiry notifications on, a CRL with current data enabled."""

from __future__ import annotations

from remediations.iam.x509 import parse_crl
from remediations.proposals.job import _Job
from remediations.proposals.render import render
from remediations.state import state_from_inventory

_DEFAULT_THRESHOLDS = {"CA_CERTIFICATE_EXPIRY": 45, "END_ENTITY_CERTIFICATE_EXPIRY": 30}


def _propose_anchor(job: _Job) -> None:
    before = state_from_inventory(job.inventory, "trust-anchor", job.arn)
    if before is None:
        job.refuse("The trust anchor is not in the account data.")
        return
    minimum = job.settings.min_notification_threshold_days
    thresholds: dict[str, int] = {}
    for event, default in _DEFAULT_THRESHOLDS.items():
        current = next(
            (
                s
                for s in before["notificationSettings"]
                if s.get("event") == event and s.get("enabled")
            ),
            None,
        )
        threshold = current.get("threshold") if current else None
        keep = isinstance(threshold, int) and threshold >= minimum
        thresholds[event] = (
            threshold if keep and isinstance(threshold, int) else max(default, minimum)
        )
    settings = render(
        "notification_settings.json.j2",
        ca_threshold=thresholds["CA_CERTIFICATE_EXPIRY"],
        end_entity_threshold=thresholds["END_ENTITY_CERTIFICATE_EXPIRY"],
    )
    after = dict(
        before, notificationSettings=sorted(settings, key=lambda s: (s["event"], s["channel"]))
    )
    shown = ", ".join(f"{e} at {d} days" for e, d in thresholds.items())
    job.emit([f"enables expiry notifications: {shown}"], after, job.ids)


def _propose_crl(job: _Job) -> None:
    before = state_from_inventory(job.inventory, "crl", job.arn)
    if before is None:
        job.refuse("The CRL is not in the account data.")
        return
    crl = job.inventory.crls.get(job.arn)
    parsed = parse_crl(crl.crl_data) if crl is not None and crl.crl_data else None
    next_update = parsed.crl.next_update if parsed is not None and parsed.crl else None
    if next_update is not None and next_update < job.settings.now:
        # FINDINGS F-TA-02: enable after refreshing; enabling stale data only swaps findings.
        job.refuse(
            f"Not enabled automatically: the CRL's data is past its nextUpdate "
            f"({next_update:%Y-%m-%d}); import fresh data (UpdateCrl), then enable it."
        )
        return
    after = dict(before, **render("crl_state.json.j2", enabled=True))
    job.emit(["enables the CRL (EnableCrl)"], after, job.ids)
