"""What an apply or a rollback did, in words a user reads: resources by name, and what was done.

The core reports change ids (``c1``) and ARNs; the preview the user confirmed holds every
change's resource, summary and API calls, so each line here says it plainly, e.g. "updated the
trust policy of role ra-ops-admin". Pure functions over the facade's typed data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from remediations.apply.results import ApplyPreview, ApplyReport, PreviewStep
from remediations.state import ApiCall, pending_profile_name, resource_id
from remediations.textsafe import command_line

#: How a resource type reads in a sentence.
_KINDS = {"role": "role", "profile": "profile", "trust-anchor": "trust anchor", "crl": "CRL"}

#: Operation -> what it did, with {what} the resource ("role ra-ops-admin") and {p} its
#: parameter of interest. Operations not listed read "called OPERATION on {what}".
_DONE = {
    "UpdateAssumeRolePolicy": "updated the trust policy of {what}",
    "CreateRole": "created {what}",
    "DeleteRole": "deleted {what}",
    "UpdateRole": "set the maximum session of {what} to {p} s",
    "PutRolePermissionsBoundary": "set the permissions boundary of {what} to {p}",
    "DeleteRolePermissionsBoundary": "removed the permissions boundary of {what}",
    "AttachRolePolicy": "attached policy {p} to {what}",
    "DetachRolePolicy": "detached policy {p} from {what}",
    "PutRolePolicy": "wrote inline policy {p} of {what}",
    "DeleteRolePolicy": "deleted inline policy {p} of {what}",
    "TagRole": "tagged {what} ({p})",
    "UntagRole": "removed the tags {p} of {what}",
    "CreateProfile": "created {what}",
    "DeleteProfile": "deleted {what}",
    "UpdateProfile": "updated the {p} of {what}",
    "PutAttributeMapping": "set the {p} attribute mapping of {what}",
    "DeleteAttributeMapping": "removed the {p} attribute mapping of {what}",
    "EnableProfile": "enabled {what}",
    "DisableProfile": "disabled {what}",
    "EnableTrustAnchor": "enabled {what}",
    "DisableTrustAnchor": "disabled {what}",
    "PutNotificationSettings": "updated the notification settings of {what}",
    "EnableCrl": "enabled {what}",
    "DisableCrl": "disabled {what}",
}

#: UpdateProfile parameters as a user names them.
_PROFILE_FIELDS = {
    "sessionPolicy": "session policy",
    "roleArns": "roles",
    "managedPolicyArns": "managed policies",
    "durationSeconds": "session duration",
    "acceptRoleSessionName": "role session name setting",
}


def _detail(call: ApiCall) -> str:
    params: Mapping[str, Any] = call.params
    op = call.operation
    if op == "UpdateRole":
        return str(params.get("MaxSessionDuration", "?"))
    if op in ("PutRolePermissionsBoundary",):
        return str(params.get("PermissionsBoundary", "")).rsplit("/", 1)[-1]
    if op in ("AttachRolePolicy", "DetachRolePolicy"):
        return str(params.get("PolicyArn", "")).rsplit("/", 1)[-1]
    if op in ("PutRolePolicy", "DeleteRolePolicy"):
        return str(params.get("PolicyName", ""))
    if op == "TagRole":
        return ", ".join(str(t.get("Key")) for t in params.get("Tags") or [])
    if op == "UntagRole":
        return ", ".join(str(k) for k in params.get("TagKeys") or [])
    if op == "UpdateProfile":
        fields = [_PROFILE_FIELDS.get(k, k) for k in params if k != "profileId"]
        return " and ".join(fields) if fields else "settings"
    if op in ("PutAttributeMapping", "DeleteAttributeMapping"):
        return str(params.get("certificateField", ""))
    return ""


def resource_words(step: PreviewStep, names: Mapping[str, str]) -> str:
    """ "role ra-ops-admin", "profile ops (3f1c…)": the kind and the name a user knows."""
    kind = _KINDS.get(step.resource_type, step.resource_type)
    arn = step.resource_arn
    name = names.get(arn) or pending_profile_name(arn) or resource_id(arn)
    return f"{kind} {name}"


def call_words(call: ApiCall, what: str) -> str:
    """One API call as what it did to ``what`` ("updated the trust policy of role x")."""
    template = _DONE.get(call.operation)
    if template is None:
        return f"called {call.service}:{call.operation} on {what}"
    return template.format(what=what, p=_detail(call))


def step_words(
    step: PreviewStep, names: Mapping[str, str], calls: Sequence[ApiCall] | None = None
) -> str:
    """What a change did (``calls``, by default those the preview showed), in one sentence."""
    what = resource_words(step, names)
    done: list[str] = []
    for call in step.calls if calls is None else calls:
        words = call_words(call, what)
        if words not in done:
            done.append(words)
    return "; ".join(done) if done else f"left {what} as it was"


def rollback_command(snapshot_id: str, account_args: Sequence[str]) -> str:
    """The command that restores ``snapshot_id`` from a shell (the options naming the account)."""
    return command_line("rafix", "rollback", snapshot_id, *account_args)


def change_words(
    report: ApplyReport,
    preview: ApplyPreview,
    names: Mapping[str, str],
    made: Mapping[str, Sequence[ApiCall]] | None = None,
) -> tuple[list[str], list[str], str | None]:
    """(what each applied change did, what each rolled-back change did, the resource whose
    change failed) in words.

    ``report.applied``, ``report.rolled_back`` and ``report.failed`` hold change ids of
    ``preview``. ``made``: the calls each change really made (from the apply's events); a
    change that needed none is said to have been as planned already.
    """
    by_id = {step.change_id: step for step in preview.steps}

    def words(change_id: str) -> str:
        step = by_id.get(change_id)
        if step is None:
            return f"change {change_id}"
        if made is not None and change_id not in made and step.calls:
            return f"{resource_words(step, names)} was already as planned (nothing written)"
        calls = made.get(change_id, step.calls) if made is not None else step.calls
        done = step_words(step, names, calls)
        return f"{done}: {step.summary}" if step.summary else done

    step = by_id.get(report.failed) if report.failed else None
    failed = resource_words(step, names) if step is not None else report.failed
    return [words(c) for c in report.applied], [words(c) for c in report.rolled_back], failed


def arn_words(arn: str, preview: ApplyPreview, names: Mapping[str, str]) -> str:
    """An ARN of the preview as its kind and name ("role ra-ops-admin")."""
    step = next((s for s in preview.steps if s.resource_arn == arn), None)
    return resource_words(step, names) if step is not None else names.get(arn, arn)


def arn_names(inventory: Any) -> dict[str, str]:
    """ARN -> name of the profiles, trust anchors and CRLs an inventory holds (their ARNs end
    in an id a user never sees)."""
    names: dict[str, str] = {}
    for table in ("profiles", "trust_anchors", "crls"):
        for arn, item in (getattr(inventory, table, None) or {}).items():
            name = getattr(item, "name", None)
            if name:
                names[arn] = str(name)
    return names
