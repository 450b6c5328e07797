"""``--from-file``: an inventory from the AWS CLI's own JSON outputs (no boto3 on this path).

Each file is recognised by its top-level keys (INTERFACE.md):

- ``aws iam get-account-authorization-details``: ``RoleDetailList``, ``Policies``, ...
- ``aws iam list-roles``: ``Roles``; ``aws iam get-role``: ``Role``
- ``aws rolesanywhere list-trust-anchors`` / ``list-profiles`` / ``list-crls`` /
  ``list-subjects``: ``trustAnchors`` / ``profiles`` / ``crls`` / ``subjects``, and the single
  objects ``get-*`` prints (``trustAnchor``, ``profile``, ``crl``, ``subject``), or a bare
  ``*Detail`` object.

A file that cannot be used at all is an :class:`InputError` naming the file and what is wrong
with it. Problems inside a usable file (a malformed policy, an entry without an ARN, a partial
export) become :class:`SourceWarning` s and the rest of the file is scanned.

Reading the files themselves (folders, decoding, parsing, odd text) is in ``json_files.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from remediations.collector import collector_paused
from remediations.errors import InputError
from remediations.iam.policy import MAX_DOCUMENT_CHARS, minified_length, minified_longer_than
from remediations.inputs import InputLimits
from remediations.model import JSON, Inventory, Role, SourceWarning
from remediations.sources.convert import (
    ShapeError,
    account_from_arn,
    anchor_from_api,
    crl_from_api,
    group_from_api,
    policy_from_api,
    profile_from_api,
    role_from_api,
    subject_from_api,
    user_from_api,
)
from remediations.sources.json_files import SURROGATE, expand, is_folder, read_json

GAAD_KEYS = ("RoleDetailList", "Policies", "UserDetailList", "GroupDetailList")
#: Roles Anywhere list keys -> (inventory attribute, converter, coverage key).
RA_LISTS: dict[str, tuple[str, Callable[..., Any], str]] = {
    "trustAnchors": ("trust_anchors", anchor_from_api, "trust_anchors"),
    "profiles": ("profiles", profile_from_api, "profiles"),
    "crls": ("crls", crl_from_api, "crls"),
    "subjects": ("subjects", subject_from_api, "subjects"),
}
#: What ``get-*`` prints: one object under a singular key.
RA_SINGLE = {
    "trustAnchor": "trustAnchors",
    "profile": "profiles",
    "crl": "crls",
    "subject": "subjects",
}
#: A bare ``*Detail`` object (as saved from an SDK or a console) is recognised by its ARN key.
RA_BARE = {
    "trustAnchorArn": "trustAnchors",
    "profileArn": "profiles",
    "crlArn": "crls",
    "subjectArn": "subjects",
}
EXPECTED = (
    "expected RoleDetailList/Policies (aws iam get-account-authorization-details), "
    "Roles (list-roles), Role (get-role), trustAnchors, profiles, crls or subjects "
    "(aws rolesanywhere list-*)"
)


class UnknownShape(InputError):
    """A JSON file that is not AWS CLI output rafix reads (a report, a template, ...)."""


def load_files(paths: Sequence[str | Path], *, limits: InputLimits | None = None) -> Inventory:
    """Read and merge AWS CLI JSON outputs; a directory stands for every ``*.json`` in it.

    In a directory, a JSON file of another kind (rafix's own report, a plan, a template) is
    skipped, and one warning per directory names what was skipped; a file named explicitly
    must be AWS CLI output. A file of a directory that cannot be read (unreadable, not JSON,
    over the size limit) is skipped with a warning that marks the scan partial; a file named
    explicitly that cannot be read is an :class:`InputError`.

    Args:
        limits: the largest file and the longest wait for a pipe (default: the defaults).
    """
    reader = _Reader(limits or InputLimits())
    # Parsing and converting create hundreds of thousands of containers that each collection
    # would walk to free nothing (JSON has no cycles); the inventory then lives as long as the
    # scan, so it is frozen out of the collector's reach.
    with collector_paused(freeze=True):
        for item in paths:
            in_folder = is_folder(Path(item))
            skipped: list[Path] = []
            for path in expand([item]):
                try:
                    reader.read(path)
                except UnknownShape:
                    if not in_folder:
                        raise
                    skipped.append(path)
                except InputError as exc:
                    if not in_folder:
                        raise
                    reader.inventory.warnings.append(
                        SourceWarning(f"{exc}; skipped", incomplete=True)
                    )
            if skipped:
                names = ", ".join(p.name for p in skipped[:5])
                more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
                reader.warn(
                    Path(item),
                    f"skipped {len(skipped)} JSON file(s) that are not AWS CLI output: "
                    f"{names}{more}",
                )
        if not reader.hits and not reader.seen_known:
            raise InputError(
                f"{', '.join(str(p) for p in paths)}: no AWS CLI output among the files; {EXPECTED}"
            )
        return reader.finish()


def _wrong_kind(top: JSON) -> str | None:
    """What a file that is not AWS CLI output looks like, when it is recognisable."""
    if "AWSTemplateFormatVersion" in top or (
        "Resources" in top and isinstance(top["Resources"], dict)
    ):
        return "looks like a CloudFormation template, not AWS CLI output"
    if "Statement" in top:
        return (
            "looks like a lone policy document; rafix needs the account's outputs "
            "(e.g. aws iam get-account-authorization-details)"
        )
    if "terraform_version" in top or "resource" in top:
        return "looks like Terraform, not AWS CLI output"
    if "Records" in top:
        return "looks like CloudTrail events, not AWS CLI output"
    if "PolicyVersion" in top or "Policy" in top:
        return "holds a single managed policy; use get-account-authorization-details instead"
    return None


class _Reader:
    """Accumulates files into one inventory, merging roles seen in several files."""

    def __init__(self, limits: InputLimits) -> None:
        self.limits = limits
        self.inventory = Inventory(origin="files")
        #: ARN -> merged raw role dict, in first-seen order.
        self.role_raws: dict[str, JSON] = {}
        self.role_files: dict[str, Path] = {}
        self.seen: set[str] = set()
        #: Recognised sections so far: a file that adds none is of an unknown shape.
        self.hits = 0
        #: Files large enough to hold a document over IAM's limit (only those are measured).
        self.big_files: set[Path] = set()
        #: Some file was AWS CLI output (perhaps with empty lists).
        self.seen_known = False

    def warn(self, path: Path, message: str, arn: str | None = None) -> None:
        self.inventory.warnings.append(SourceWarning(message, where=str(path), resource_arn=arn))

    def read(self, path: Path) -> None:
        repaired: list[tuple[str, str | None]] = []
        top = read_json(path, self.limits, repaired)
        for where, arn in repaired:
            self.warn(
                path,
                f"{where.lstrip('.')}: text that is not valid Unicode (a lone surrogate) "
                "was replaced with U+FFFD",
                arn and SURROGATE.sub("\ufffd", arn),
            )
        if not isinstance(top, dict):
            raise UnknownShape(
                f"{path}: the top level is a JSON {_json_type(top)}, not an object; {EXPECTED}"
            )
        if path.stat().st_size > MAX_DOCUMENT_CHARS:
            self.big_files.add(path)
        before = self.hits
        if any(k in top for k in GAAD_KEYS):
            self._read_gaad(path, top)
        if "Roles" in top:
            self._read_roles(path, self._list(path, top, "Roles"))
            self._check_truncated(path, top)
        for key in ("Role", "role"):
            if isinstance(top.get(key), dict):
                self._read_roles(path, [top[key]])
        for key in RA_LISTS:
            if key in top:
                self._read_ra(path, key, self._list(path, top, key))
                self._check_truncated(path, top)
        for key, list_key in RA_SINGLE.items():
            if isinstance(top.get(key), dict):
                self._read_ra(path, list_key, [top[key]])
        for key, list_key in RA_BARE.items():
            if isinstance(top.get(key), str):
                self._read_ra(path, list_key, [top])
        if "Arn" in top and "RoleName" in top:
            self._read_roles(path, [top])
        if self.hits == before and not self._known(top):
            hint = _wrong_kind(top)
            keys = ", ".join(sorted(top)[:8]) or "none"
            raise UnknownShape(
                f"{path}: {hint}"
                if hint
                else f"{path}: unknown shape (top-level keys: {keys}); {EXPECTED}"
            )
        self.seen_known = True

    @staticmethod
    def _known(top: JSON) -> bool:
        keys = set(GAAD_KEYS) | {"Roles", "Role", "role"} | set(RA_LISTS) | set(RA_SINGLE)
        return any(k in top for k in keys)

    @staticmethod
    def _list(path: Path, top: JSON, key: str) -> list[Any]:
        value = top[key]
        if not isinstance(value, list):
            raise InputError(f"{path}: {key} is a JSON {_json_type(value)}, expected a list")
        return value

    def _check_truncated(self, path: Path, top: JSON) -> None:
        if top.get("IsTruncated") is True or top.get("NextToken") or top.get("nextToken"):
            self.inventory.warnings.append(
                SourceWarning(
                    "the export is partial (the output was truncated: IsTruncated/NextToken); "
                    "resources beyond it are not scanned. Re-run the command without --max-items",
                    where=str(path),
                    incomplete=True,
                )
            )

    def _read_gaad(self, path: Path, top: JSON) -> None:
        self.seen.add("gaad")
        self.hits += 1
        self._check_truncated(path, top)
        if "RoleDetailList" in top:
            self._read_roles(path, self._list(path, top, "RoleDetailList"))
        for key, convert_principal, store_name in (
            ("UserDetailList", user_from_api, "users"),
            ("GroupDetailList", group_from_api, "groups"),
        ):
            if key not in top:
                continue
            self.inventory.coverage.add("principals")
            store: dict[str, Any] = getattr(self.inventory, store_name)
            for index, item in enumerate(self._list(path, top, key)):
                found: list[SourceWarning] = []
                try:
                    principal = convert_principal(item, found)
                except ShapeError as exc:
                    self.warn(path, f"{key}[{index}]: {exc}; skipped")
                    continue
                self._adopt(path, found)
                store[principal.arn] = principal
        if "Policies" in top:
            for index, item in enumerate(self._list(path, top, "Policies")):
                warnings: list[SourceWarning] = []
                try:
                    policy = policy_from_api(item, warnings)
                except ShapeError as exc:
                    self.warn(path, f"Policies[{index}]: {exc}; skipped")
                    continue
                self._adopt(path, warnings)
                self.inventory.policies[policy.arn] = policy

    def _read_roles(self, path: Path, items: list[Any]) -> None:
        self.seen.add("iam")
        self.hits += 1
        for index, item in enumerate(items):
            arn = item.get("Arn") if isinstance(item, dict) else None
            if not isinstance(arn, str) or not arn:
                self.warn(path, f"role entry {index}: it has no Arn; skipped")
                continue
            merged = self.role_raws.get(arn)
            # GAAD carries the policies, list-roles MaxSessionDuration: keep what each adds.
            self.role_raws[arn] = (
                item if merged is None else {**item, **merged, **_extra(item, merged)}
            )
            self.role_files.setdefault(arn, path)

    def _read_ra(self, path: Path, list_key: str, items: list[Any]) -> None:
        attr, convert, coverage = RA_LISTS[list_key]
        self.seen.add(coverage)
        self.hits += 1
        store: dict[str, Any] = getattr(self.inventory, attr)
        for index, item in enumerate(items):
            warnings: list[SourceWarning] = []
            try:
                obj = convert(item, warnings)
            except ShapeError as exc:
                self.warn(path, f"{list_key}[{index}]: {exc}; skipped")
                continue
            self._adopt(path, warnings)
            store[obj.arn] = obj
            error = getattr(obj, "session_policy_error", None)
            if error:
                self.warn(
                    path, f"profile {obj.name!r}: session policy is malformed: {error}", obj.arn
                )

    def _adopt(self, path: Path, warnings: list[SourceWarning]) -> None:
        for warning in warnings:
            warning.where = str(path)
            self.inventory.warnings.append(warning)

    def finish(self) -> Inventory:
        inv = self.inventory
        for arn, raw in self.role_raws.items():
            warnings: list[SourceWarning] = []
            try:
                role = role_from_api(raw, warnings)
            except ShapeError as exc:
                self.warn(self.role_files[arn], f"{exc}; skipped")
                continue
            self._adopt(self.role_files[arn], warnings)
            self._check_role(self.role_files[arn], role)
            inv.roles[arn] = role
        if any(r.max_session_duration is not None for r in inv.roles.values()):
            self.seen.add("max_session_duration")
        inv.coverage = self.seen - {"gaad"}
        # "rolesanywhere" claims the whole picture (as the live reader does): checks that
        # reason about absence, such as a SourceArn naming no existing anchor, rely on it.
        if {"trust_anchors", "profiles"} <= inv.coverage:
            inv.coverage.add("rolesanywhere")
        inv.regions = sorted({o.region for o in _ra_objects(inv)})
        inv.account_id = self._account(inv)
        return inv

    def _check_role(self, path: Path, role: Role) -> None:
        if role.trust_policy_error:
            self.warn(
                path,
                f"role {role.name!r}: trust policy is malformed: {role.trust_policy_error}",
                role.arn,
            )
        elif (
            path in self.big_files
            and role.trust_policy is not None
            and minified_longer_than(role.trust_policy, MAX_DOCUMENT_CHARS)
        ):
            size = minified_length(role.trust_policy)
            role.trust_policy_error = (
                f"document is {size:,} characters; IAM allows at most {MAX_DOCUMENT_CHARS:,}"
            )
            role.trust_policy = None
            self.warn(
                path,
                f"role {role.name!r}: trust policy is malformed: {role.trust_policy_error}",
                role.arn,
            )

    def _account(self, inv: Inventory) -> str | None:
        arns = [*inv.roles, *(o.arn for o in _ra_objects(inv))]
        counts = Counter(a for a in map(account_from_arn, arns) if a)
        if not counts:
            return None
        if len(counts) > 1:
            accounts = ", ".join(sorted(counts))
            self.inventory.warnings.append(
                SourceWarning(f"the files describe several accounts ({accounts}); scanned together")
            )
        return counts.most_common(1)[0][0]


def _extra(item: JSON, merged: JSON) -> JSON:
    """Fields ``item`` has that ``merged`` lacks or has empty (e.g. MaxSessionDuration)."""
    return {k: v for k, v in item.items() if merged.get(k) in (None, [], {})}


def _ra_objects(inv: Inventory) -> list[Any]:
    return [
        *inv.trust_anchors.values(),
        *inv.profiles.values(),
        *inv.crls.values(),
        *inv.subjects.values(),
    ]


def _json_type(value: Any) -> str:
    names = {list: "array", dict: "object", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def keep_regions(inventory: Inventory, regions: Sequence[str]) -> None:
    """Files with regions: keep only the Roles Anywhere resources of those regions."""
    wanted = set(regions)
    for store in (inventory.trust_anchors, inventory.profiles, inventory.crls, inventory.subjects):
        for arn in [arn for arn, obj in store.items() if obj.region not in wanted]:
            del store[arn]
    inventory.regions = [r for r in inventory.regions if r in wanted]
