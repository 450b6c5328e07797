"""Where the inventory comes from: AWS CLI files, a sandbox account, or the live account.

Only the chosen branch is imported, so ``--from-file`` never loads boto3.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from remediations.errors import InputError
from remediations.model import Inventory


def load_inventory(args: argparse.Namespace) -> Inventory:
    """The inventory named by the source options of ``args`` (see ``cli.add_source_options``)."""
    from_files = getattr(args, "from_files", None)
    sandbox = getattr(args, "sandbox", None)
    regions = list(getattr(args, "regions", None) or [])
    if from_files and sandbox:
        raise InputError("--from-file and --sandbox are two different sources; give one of them")
    if from_files:
        from remediations.sources.offline import load_files

        inventory = load_files(from_files)
        if regions:
            _keep_regions(inventory, regions)
        return inventory
    if sandbox:
        read_sandbox = _reader("remediations.sandbox", "read_inventory")
        return read_sandbox(sandbox, regions or None)
    read_live = _reader("remediations.aws", "read_live_inventory")
    return read_live(
        profile=getattr(args, "profile", None),
        regions=regions or None,
        endpoint_url=getattr(args, "endpoint_url", None),
        connect_timeout=getattr(args, "connect_timeout", None),
        read_timeout=getattr(args, "read_timeout", None),
    )


def _reader(module: str, name: str) -> Callable[..., Inventory]:
    """A reader imported only when chosen: boto3 stays out of the offline path."""
    reader: Callable[..., Inventory] = getattr(importlib.import_module(module), name)
    return reader


def _keep_regions(inventory: Inventory, regions: list[str]) -> None:
    """``--region`` with files: scan only the Roles Anywhere resources of those regions."""
    wanted = set(regions)
    for store in (inventory.trust_anchors, inventory.profiles, inventory.crls, inventory.subjects):
        for arn in [arn for arn, obj in store.items() if obj.region not in wanted]:
            del store[arn]
    inventory.regions = [r for r in inventory.regions if r in wanted]
