"""Onboarding: a new workload's role and profile, planned like any fix.

:func:`plan_onboarding` turns a typed :class:`OnboardRequest` (workload, environment, team,
trust anchor, services...) and the account's :class:`~remediations.model.Inventory` into an
ordinary :class:`~remediations.plan.Plan`: a role created with a hardened trust policy and a
permissions policy scoped to the workload's services, and the team's profile for that
environment created or extended (other roles kept) with the guardrail session policy. The plan
then takes the same preview, confirmation, snapshot, apply, verify and rollback path as a fix.

Everything is checked before anything is planned, with one clear line per problem
(:class:`OnboardingError`): names against the naming convention (``Settings``), the STS tag
charset and lengths, the trust anchor, the services, a name already taken. The plan is then
proved not to cause a finding: the scanner runs on the account as the plan leaves it, and any
finding on the role or profile that was not there before refuses the plan.

Pure: no I/O, no AWS calls (the CLI and the app read the certificate file and the account).

The package: ``request.py`` (the request, the names, the client configuration), ``validate.py``
(checks of the request), ``resources.py`` (the role and profile states), ``plan.py`` (the plan
and its proof), ``form.py`` (checks of one typed value, for the app's wizard). Its public names
are importable from ``remediations.onboarding``.
"""

from remediations.onboarding.form import (
    EXAMPLE_ANCHOR_ARN,
    FORM_FIELDS,
    field_problem,
    split_list,
    teams_of_profiles,
)
from remediations.onboarding.plan import plan_onboarding, simulate
from remediations.onboarding.request import (
    DURATION_SECONDS,
    MAX_MANAGED_POLICIES,
    ONBOARDING_TAG,
    PERMISSIONS_POLICY_NAME,
    REFUSED_SERVICES,
    TRUST_SID,
    ClientConfig,
    Onboarding,
    OnboardingError,
    OnboardNames,
    OnboardRequest,
    client_config,
)
from remediations.onboarding.validate import CheckedRequest, anchor_issuer_cns, check_request

__all__ = [
    "DURATION_SECONDS",
    "EXAMPLE_ANCHOR_ARN",
    "FORM_FIELDS",
    "MAX_MANAGED_POLICIES",
    "ONBOARDING_TAG",
    "PERMISSIONS_POLICY_NAME",
    "REFUSED_SERVICES",
    "TRUST_SID",
    "CheckedRequest",
    "ClientConfig",
    "OnboardNames",
    "OnboardRequest",
    "Onboarding",
    "OnboardingError",
    "anchor_issuer_cns",
    "check_request",
    "client_config",
    "field_problem",
    "plan_onboarding",
    "simulate",
    "split_list",
    "teams_of_profiles",
]
