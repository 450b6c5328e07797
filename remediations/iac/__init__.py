"""Fixes as code: a plan written as Terraform or CloudFormation instead of applied by API.

Teams whose Roles Anywhere roles and profiles live in Terraform or CloudFormation need the fix
in that code, or the next ``terraform apply`` / stack update puts the flaw back. The renderers
are pure functions from a :class:`~remediations.plan.Plan` to text:

- :func:`render_terraform` (``rafix plan --format terraform``): ``aws_iam_role`` with
  ``assume_role_policy = jsonencode(...)``, ``aws_rolesanywhere_profile``,
  ``aws_rolesanywhere_trust_anchor`` (``notification_settings`` blocks);
- :func:`render_cloudformation` (``--format cloudformation``): a YAML template with
  ``AWS::IAM::Role`` (``RoleName``, ``AssumeRolePolicyDocument``),
  ``AWS::RolesAnywhere::Profile``, ``TrustAnchor`` and ``CRL`` properties.

Every document and value comes from the plan's after-states, exactly: parsed back, the code
equals them (the tests prove it with an HCL parser and a YAML loader).
"""

from remediations.iac.cloudformation import render_cloudformation
from remediations.iac.terraform import render_terraform

__all__ = ["render_cloudformation", "render_terraform"]
