"""The onboarding plan: a role and the team's profile, proved not to cause a finding."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

from remediations.findings import Finding
from remediations.model import GLOBAL_REGION, Inventory, Profile, Role
from remediations.onboarding.request import (
    Onboarding,
    OnboardingError,
    OnboardNames,
    OnboardRequest,
)
from remediations.onboarding.resources import (
    find_existing_role,
    profile_summary,
    role_state,
    role_summary,
    team_profile,
    team_profile_state,
)
from remediations.onboarding.validate import (
    anchor_arn_parts,
    check_request,
    choose_issuer_cn,
    find_anchor,
    managed_policies,
    with_managed_services,
)
from remediations.plan import build_plan
from remediations.proposals.results import ProposalSet, ProposedChange
from remediations.settings import Settings
from remediations.state import detailed_role_state, equivalent, pending_profile_arn, profile_state

# --- the plan ----------------------------------------------------------------------------------


def plan_onboarding(
    request: OnboardRequest, inventory: Inventory, settings: Settings | None = None
) -> Onboarding:
    """Check the request against the account and the naming convention, then plan it.

    Raises:
        OnboardingError: the request cannot be onboarded (one clear line; nothing planned).
        PolicyError: a rendered document would not be valid or would not fit.
    """
    settings = settings or Settings()
    checked = check_request(request, settings)
    role_name, profile_name = checked.role_name, checked.profile_name
    cn, ou, spiffe = checked.cn, checked.ou, checked.spiffe_uri
    anchor = find_anchor(request, inventory)
    partition, region, account = anchor_arn_parts(anchor.arn)
    if inventory.account_id and inventory.account_id != account:
        raise OnboardingError(
            f"trust anchor {anchor.arn} is in account {account}, not {inventory.account_id}"
        )
    issuer_cn = choose_issuer_cn(request, anchor)
    services, scoped = list(checked.services), checked.scoped
    managed = managed_policies(request, inventory)
    services = with_managed_services(services, managed, inventory)
    if not services:
        raise OnboardingError(
            "name at least one AWS service the workload needs (--service s3), a resource "
            "(--resource ARN) or a managed policy whose services rafix can read"
        )
    role_arn = f"arn:{partition}:iam::{account}:role/{role_name}"
    existing_role = find_existing_role(inventory, role_name, request)
    role_after = role_state(
        request, anchor.arn, cn, ou, issuer_cn, spiffe, services, scoped, managed
    )
    profile = team_profile(inventory, region, profile_name)
    profile_arn = (
        profile.arn if profile else pending_profile_arn(partition, region, account, profile_name)
    )
    names = OnboardNames(
        role_name=role_name,
        role_arn=existing_role.arn if existing_role else role_arn,
        profile_name=profile_name,
        profile_arn=profile_arn,
        profile_exists=profile is not None,
        cn=cn,
        ou=ou,
        issuer_cn=issuer_cn,
        spiffe_uri=spiffe,
        region=region,
        trust_anchor_arn=anchor.arn,
        services=tuple(services),
        managed_policy_arns=tuple(managed),
    )
    profile_before = profile_state(profile) if profile else None
    profile_after = team_profile_state(
        inventory, profile, names.role_arn, services, role_after, profile_before
    )
    who = f"{request.workload} ({request.env}, team {request.team})"
    changes = []
    role_before = detailed_role_state(existing_role) if existing_role else None
    if not equivalent("role", role_before, role_after):
        changes.append(
            ProposedChange(
                names.role_arn,
                "role",
                GLOBAL_REGION,
                [],
                role_summary(names, existing_role is not None),
                f"Onboarding of {who}: a dedicated role whose trust admits only the workload's "
                f"certificates from {anchor.name}.",
                role_before,
                role_after,
            )
        )
    if not equivalent("profile", profile_before, profile_after):
        changes.append(
            ProposedChange(
                profile_arn,
                "profile",
                region,
                [],
                profile_summary(names, profile_before, profile_after),
                f"Onboarding of {who}: team {request.team}'s profile for {request.env} lists "
                "the role, with the guardrail session policy and one-hour sessions.",
                profile_before,
                profile_after,
            )
        )
    plan = build_plan(inventory, ProposalSet(changes=changes))
    onboarding = Onboarding(request, names, plan)
    if changes:
        onboarding.existing_findings = _prove_no_new_findings(
            inventory, settings, names, role_after, profile_after
        )
    return onboarding


# --- the proof ---------------------------------------------------------------------------------


def simulate(
    inventory: Inventory, names: OnboardNames, role: dict[str, Any], profile: dict[str, Any]
) -> Inventory:
    """A copy of the inventory as the plan leaves it (for the scanner)."""
    after = copy.copy(inventory)
    after.roles = dict(inventory.roles)
    after.profiles = dict(inventory.profiles)
    spec = role["create"]
    after.roles[names.role_arn] = Role(
        arn=names.role_arn,
        name=names.role_name,
        path=spec["path"],
        trust_policy=role["trustPolicy"],
        max_session_duration=spec["maxSessionDuration"],
        inline_policies=list(spec["inlinePolicies"].items()),
        attached_policy_arns=list(spec["managedPolicyArns"]),
        permissions_boundary_arn=spec["permissionsBoundary"],
        tags=dict(spec["tags"]),
    )
    existing = inventory.profiles.get(names.profile_arn)
    base = existing or Profile(
        arn=names.profile_arn,
        profile_id=names.profile_arn.rsplit("/", 1)[-1],
        name=names.profile_name,
        region=names.region,
    )
    policy = profile["sessionPolicy"]
    after.profiles[names.profile_arn] = replace(
        base,
        enabled=profile["enabled"],
        role_arns=list(profile["roleArns"]),
        managed_policy_arns=list(profile["managedPolicyArns"]),
        session_policy=policy,
        session_policy_text=None if policy is None else json.dumps(policy),
        session_policy_error=None,
        duration_seconds=profile["durationSeconds"],
        accept_role_session_name=profile["acceptRoleSessionName"],
        attribute_mappings=copy.deepcopy(profile["attributeMappings"]),
    )
    return after


def _prove_no_new_findings(
    inventory: Inventory,
    settings: Settings,
    names: OnboardNames,
    role: dict[str, Any],
    profile: dict[str, Any],
) -> list[Finding]:
    """Refuse the plan if the scanner would report something new on the role or profile.

    Returns:
        The findings already reported on the team's existing profile (not caused here).
    """
    from remediations.checks.run import run_checks

    ours = {names.role_arn, names.profile_arn}
    before = [f for f in run_checks(inventory, settings) if f.resource_arn in ours]
    seen = {(f.id, f.resource_arn) for f in before}
    after = run_checks(simulate(inventory, names, role, profile), settings)
    new = [f for f in after if f.resource_arn in ours and (f.id, f.resource_arn) not in seen]
    if new:
        first = new[0]
        raise OnboardingError(
            f"refused: the plan would cause {first.id} on {first.resource_arn} "
            f"({first.detail}); nothing was planned"
        )
    return before
