"""Tags of Roles Anywhere resources, read only where they matter.

The Roles Anywhere list APIs return no tags and the service allows about one request per second
per region, so a scan does not read them (it stays at the pagination floor). A plan reads them
for the few Roles Anywhere resources it changes, to tell which are managed by CloudFormation or
Terraform (:mod:`remediations.managed`). Role tags need no extra call: the IAM sweep has them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from remediations.model import Inventory


def read_resource_tags(
    inventory: Inventory,
    arns: Iterable[str],
    *,
    sandbox: str | Path | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> None:
    """Fill in the tags of these Roles Anywhere resources, from the sandbox in ``sandbox`` or
    the live account (``profile``, ``endpoint_url``). Offline files have none: nothing is read.
    A failed read is a warning on ``inventory``, never an error."""
    wanted = [
        arn
        for arn in arns
        if any(
            arn in store and store[arn].tags is None
            for store in (inventory.profiles, inventory.trust_anchors, inventory.crls)
        )
    ]
    if not wanted or inventory.origin in ("", "files"):
        return
    from remediations.sources.aws import read_tags

    if sandbox is not None:
        from remediations.sources.sandbox import open_sandbox

        with open_sandbox(sandbox) as session:
            read_tags(session, inventory, wanted)
        return
    from remediations.sources.aws_session import AccountSession

    with AccountSession(profile=profile, endpoint_url=endpoint_url) as live:
        read_tags(live, inventory, wanted)
