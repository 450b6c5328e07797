"""``Session.access`` as the app asks it: again and again over one inventory (the analyses of
the first call are kept), and through one profile or trust anchor (``through=``)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings

from remediations.access import AccessMap, build_access_map
from remediations.model import Inventory
from remediations.session import Session
from remediations.source import FilesSource
from tests.account_strategies import generated_accounts

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _session() -> Session:
    return Session(FilesSource((Path("unused"),)), read_only=True)


def _paths(access: AccessMap) -> dict[str, list[tuple[str, str, bool, str]]]:
    return {
        r.role_arn: [
            (p.profile_arn, p.trust_anchor_arn, p.any_certificate, repr(p.constraints))
            for p in r.paths
        ]
        for r in access.roles
    }


@SETTINGS
@given(generated_accounts())
def test_asking_again_over_one_inventory_answers_as_a_fresh_map(
    account: tuple[Inventory, dict[str, str]],
) -> None:
    inventory, _ = account
    session = _session()
    fresh = build_access_map(inventory)
    for role in fresh.roles:  # one role at a time, as the detail pane asks
        again = session.access(roles=[role.role_arn], inventory=inventory)
        assert [r.to_json() for r in again.roles] == [role.to_json()]
    assert session.access(inventory=inventory).to_json() == fresh.to_json()


@SETTINGS
@given(generated_accounts())
def test_through_a_profile_or_an_anchor_keeps_exactly_the_paths_through_it(
    account: tuple[Inventory, dict[str, str]],
) -> None:
    inventory, _ = account
    session = _session()
    whole = _paths(build_access_map(inventory))
    for arn in [*inventory.profiles, *inventory.trust_anchors]:
        expected = {
            role: kept
            for role, paths in whole.items()
            if (kept := [p for p in paths if arn in (p[0], p[1])])
        }
        through = session.access(through=[arn], inventory=inventory)
        assert _paths(through) == expected
        assert all(
            r.any_certificate == any(p.any_certificate for p in r.paths) for r in through.roles
        )
