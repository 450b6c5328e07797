"""RA-GOV-ADMIN-SURFACE's shortcuts (raw documents ruled out before compiling, each action's
covering statements picked out once, principals of one shape sharing their answers) report
exactly what the plain evaluation reports: every principal on its own, every question one
``evaluate_grant``. Generated accounts of users, groups and roles whose policies use Action and
NotAction, Resource and NotResource, Allow and Deny, conditions on iam:PassedToService and
on keys rafix cannot decide, and permissions boundaries."""

from __future__ import annotations

from typing import Any

from hypothesis import find, given, settings
from hypothesis import strategies as st

from remediations.checks import governance
from remediations.checks.context import ScanContext
from remediations.checks.governance import admin_surface_findings
from remediations.findings import Severity
from remediations.iam.grants import ActionGrants, evaluate_grant
from remediations.iam.permissions import pattern_may_cover_service
from remediations.iam.statements import compile_statements
from remediations.iam.wildcard import compile_wildcard
from remediations.model import IamGroup, IamUser, Inventory, ManagedPolicy, Role
from remediations.shortcuts import plain_paths
from tests.shared import ra_trust
from tests.strategies import identity_documents, identity_statements

ACCOUNT = "111122223333"
OTHER = "444455556666"
RA = "rolesanywhere.amazonaws.com"

_ACTIONS = [
    "rolesanywhere:CreateTrustAnchor",
    "rolesanywhere:CreateProfile",
    "rolesanywhere:*",
    "RolesAnywhere:Update*",
    "rolesanywhere:List*",
    "iam:PassRole",
    "iam:*",
    "IAM:Pass*",
    "i?m:PassRole",
    "*",
    "*Role",
    "*:Create*",
    "s3:GetObject",
    "roles*",
]
_RESOURCES = [
    "*",
    f"arn:aws:iam::{ACCOUNT}:role/*",
    f"arn:aws:iam::{ACCOUNT}:role/ra-*",
    f"arn:aws:iam::{ACCOUNT}:role/ra-open-1",
    f"arn:aws:iam::{ACCOUNT}:role/ra-open-?",
    f"arn:aws:iam::{ACCOUNT}:role/lambda-*",
    "arn:aws:rolesanywhere:*:*:*",
    f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/*",
    f"arn:aws:rolesanywhere:*:{ACCOUNT}:trust-anchor/*",
    "arn:aws:iam::*:role/*",
    "arn:*",
    "*ra-open-*",
    "?rn:aws:iam::*:role/ra-*",
]
_CONDITIONS: list[dict[str, Any] | None] = [
    None,
    {},
    {"StringEquals": {"iam:PassedToService": RA}},
    {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    {"StringLike": {"iam:PassedToService": "roles*"}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
]


def documents() -> st.SearchStrategy[dict[str, Any]]:
    return identity_documents(
        identity_statements(_ACTIONS, _RESOURCES, _CONDITIONS, allows=3, not_resource_one_in=5)
    )


def _role(name: str, account: str = ACCOUNT, **fields: Any) -> Role:
    return Role(arn=f"arn:aws:iam::{account}:role/{name}", name=name, **fields)


@st.composite
def accounts(draw: st.DrawFn) -> Inventory:
    """Exposed (open) and pinned Roles Anywhere roles, and principals of many shapes: users in
    groups, roles (some exposed themselves, one in another account), managed policies shared
    between principals, and boundaries (one that names no known policy)."""
    inv = Inventory(account_id=ACCOUNT, regions=["eu-west-1"])
    for i in range(draw(st.integers(1, 4))):
        role = _role(f"ra-open-{i}", trust_policy=ra_trust())
        inv.roles[role.arn] = role
    pinned = _role("ra-pinned", trust_policy=ra_trust("app.prod"))
    pinned.trust_policy["Statement"][0]["Condition"]["ArnEquals"] = {  # type: ignore[index]
        "aws:SourceArn": f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:trust-anchor/a"
    }
    inv.roles[pinned.arn] = pinned
    shared = [f"arn:aws:iam::{ACCOUNT}:policy/shared-{i}" for i in range(3)]
    for arn in shared:
        inv.policies[arn] = ManagedPolicy(
            arn=arn, name=arn.rsplit("/", 1)[1], document=draw(documents())
        )
    attachable = [*shared, "arn:aws:iam::aws:policy/AdministratorAccess", f"{shared[0]}-gone"]
    boundaries = st.sampled_from(
        [None, None, *shared, "arn:aws:iam::aws:policy/PowerUserAccess", "gone"]
    )

    def identity() -> dict[str, Any]:
        return {
            "inline_policies": [
                (f"p{i}", d) for i, d in enumerate(draw(st.lists(documents(), max_size=2)))
            ],
            "attached_policy_arns": draw(
                st.lists(st.sampled_from(attachable), max_size=2, unique=True)
            ),
            "permissions_boundary_arn": draw(boundaries),
        }

    groups = [f"g{i}" for i in range(draw(st.integers(0, 2)))]
    for name in groups:
        arn = f"arn:aws:iam::{ACCOUNT}:group/{name}"
        fields = identity()
        fields.pop("permissions_boundary_arn")
        inv.groups[arn] = IamGroup(arn=arn, name=name, **fields)
    for i in range(draw(st.integers(0, 3))):
        arn = f"arn:aws:iam::{ACCOUNT}:user/u{i}"
        member = draw(st.lists(st.sampled_from(groups), unique=True)) if groups else []
        inv.users[arn] = IamUser(arn=arn, name=f"u{i}", groups=member, **identity())
    for i in range(draw(st.integers(0, 3))):
        account = draw(st.sampled_from([ACCOUNT, ACCOUNT, OTHER]))
        principal = _role(f"ops-{i}", account, **identity())
        inv.roles[principal.arn] = principal
    for exposed in list(inv.roles.values())[:2]:  # exposed roles that are principals too
        if draw(st.booleans()):
            for key, value in identity().items():
                setattr(exposed, key, value)
    return inv


@settings(max_examples=400, deadline=None)
@given(inv=accounts())
def test_admin_surface_is_the_plain_evaluation(inv: Inventory) -> None:
    shared = list(admin_surface_findings(ScanContext(inv)))
    plain = list(admin_surface_findings(ScanContext(inv), plain=True))
    assert shared == plain


@settings(max_examples=300, deadline=None)
@given(
    docs=st.lists(documents(), min_size=1, max_size=3),
    boundary=st.one_of(st.none(), documents()),
    action=st.sampled_from(["iam:PassRole", "rolesanywhere:CreateProfile", "s3:GetObject"]),
    passed=st.sampled_from([{}, {"iam:passedtoservice": RA}]),
)
def test_action_grants_are_evaluate_grant(
    docs: list[dict[str, Any]],
    boundary: dict[str, Any] | None,
    action: str,
    passed: dict[str, str],
) -> None:
    compiled = [tuple(s for s in compile_statements(d)[1] if s.effect) for d in docs]
    bound = (
        None if boundary is None else tuple(s for s in compile_statements(boundary)[1] if s.effect)
    )
    question = ActionGrants.of(compiled, bound, action, passed)
    resources = [r.replace("*", "x").replace("?", "1") for r in _RESOURCES] + [
        f"arn:aws:iam::{ACCOUNT}:role/ra-open-1",
        f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:profile/rafix-probe",
        "",
    ]
    for resource in resources:
        expected = evaluate_grant(compiled, bound, action, resource, passed)
        assert question.grant(resource) is expected, resource
        if question.never or question.uniform:
            assert question.grant("anything") is expected
    ordered = sorted({*resources, *(f"{r}-x" for r in resources), "arn:aws:iam::"})
    mapping = question.over(ordered)
    for index, resource in enumerate(ordered):
        expected = evaluate_grant(compiled, bound, action, resource, passed)
        assert mapping.grant(index) is expected, resource


@given(
    pattern=st.sampled_from(_ACTIONS),
    name=st.sampled_from(["PassRole", "CreateProfile", "GetObject", "X"]),
    service=st.sampled_from(["iam", "rolesanywhere", "s3", "roles"]),
)
def test_pattern_may_cover_service_over_approximates(pattern: str, name: str, service: str) -> None:
    if compile_wildcard(pattern, True).matches(f"{service}:{name}"):
        assert pattern_may_cover_service(pattern, service)


def test_the_generated_accounts_reach_the_finding() -> None:
    """The comparison above is not only between empty lists: some accounts have findings, of
    both severities, and some have several."""
    for wanted in (None, Severity.LOW):
        found = find(
            accounts(),
            lambda inv, w=wanted: any(  # type: ignore[misc]
                w is None or f.severity is w for f in admin_surface_findings(ScanContext(inv))
            ),
            settings=settings(max_examples=2000, database=None),
        )
        assert list(admin_surface_findings(ScanContext(found), plain=True))


def test_plain_paths_switch_the_check_to_the_plain_evaluation(monkeypatch: Any) -> None:
    """``shortcuts.plain_paths()`` (every plain path at once) reaches this check too."""
    seen: list[bool] = []
    real = governance.admin_surface_findings

    def spy(ctx: ScanContext, *, plain: bool = False) -> Any:
        seen.append(plain)
        return real(ctx, plain=plain)

    monkeypatch.setattr(governance, "admin_surface_findings", spy)
    inv = Inventory(account_id=ACCOUNT)
    list(governance.admin_surface(ScanContext(inv)))
    with plain_paths():
        list(governance.admin_surface(ScanContext(inv)))
    assert seen == [False, True]
