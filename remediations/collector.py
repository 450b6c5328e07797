"""Pausing Python's cyclic garbage collector around one-shot work that allocates a lot.

A plan of a large account builds millions of small containers (analyses, patched documents,
diffs, the plan's JSON) that reference counting frees; each pass of the cyclic collector walks
the survivors to find almost nothing (on 10,000 roles the passes cost a fifth of ``rafix plan``).
The pause is process-wide: only for a one-shot process such as the CLI, never for a long-lived
app with threads of its own; and only for an account read from local files
(:func:`remediations.source.may_pause`): boto3 leaves cyclic garbage with its requests, which
only the collector frees.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (as it was, after).

    What the block built then leaves the youngest generation in one step (freeze, then
    unfreeze: two list splices): left there, it would all be walked by the first collection
    after the block, triggered by the next few allocations, to free almost nothing. It goes to
    the oldest generation, or with ``freeze`` out of the collector's reach for good: for what
    lives as long as the one job of the process (a scan's inventory, analyses and findings,
    which every later full collection would walk again). Reference counting still frees frozen
    objects; only cycles among them would outlive the job.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if not freeze:
            gc.unfreeze()
        if was_enabled:
            gc.enable()
