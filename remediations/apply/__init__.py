"""The write path. Apply a plan in two steps, verify it, roll it back on failure; restore a snapshot.

An apply is a :func:`preview_apply` (no writes) and then an :func:`execute`; a front end asks for
confirmation in between, never halfway through. The order, and why:

1. Preview: refuse a plan made from offline files, or for another account or sandbox, or whose
   earlier phase is not in the account yet (these raise :class:`ApplyError`). Re-read every
   resource; the preview lists every change, its diff and its exact calls, and says whether the
   plan is stale (a resource changed since the plan was made: applying would overwrite someone
   else's change) or already applied. Nothing is written.
2. The front end shows the preview and asks.
3. Execute: read every resource again (time passed while the user read); refuse a stale plan.
   Write the snapshot (every resource's current state) before the first write.
4. Apply change by change. Each call is journalled (started, done) before and after it is made.
   After each change, read the resource back until the change is visible (IAM is eventually
   consistent) and verify it is equivalent to the plan.
5. On any failure (or when ``should_stop`` says so), restore every resource already touched, in
   reverse order, verify the restore, and report where the account ended: as before, or which
   resources differ.

A rollback is a plan built from a snapshot (:func:`preview_rollback`: before = what the account
shows now, after = what the snapshot holds) and goes through the same :func:`execute`, so it is
shown, confirmed, snapshotted and verified like any apply, and can itself be rolled back.

Progress is reported as typed events (:data:`ApplyEvent`); ``remediations.render_text`` turns
them into the CLI's lines.
"""
