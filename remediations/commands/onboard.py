"""``rafix onboard``: not built yet (a later issue). Says so plainly instead of pretending."""

from __future__ import annotations

import argparse

from remediations.errors import InputError


def run(args: argparse.Namespace) -> int:
    raise InputError(
        "onboarding is not built yet; until it is, `rafix plan` on a role whose trust needs "
        "pinning proposes the hardened per-workload trust (see README, Fixing)"
    )
