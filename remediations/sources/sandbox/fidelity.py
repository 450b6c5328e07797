"""Where moto's IAM is stricter than AWS, a sandbox follows AWS.

moto checks each Action of a trust policy against a list of named STS actions, so it refuses
``"Action": "sts:*"`` (or ``"*"``, ``"sts:Assume*"``) in CreateRole and UpdateAssumeRolePolicy.
IAM accepts an action wildcard in a trust policy, and real accounts (and the sandbox's own
seed, which builds moto's objects directly) hold such roles. Without this, a rollback could
not write back a trust policy the sandbox had held a moment before, and the account after a
"rolled back" apply would differ from the account before it.

The relaxation holds only while a sandbox's dispatcher serves a request (:func:`serving`):
other users of moto in the same process keep moto's own check. A wildcard is accepted when it
matches at least one action moto accepts; anything else (``s3:GetObject``, ``iam:*``) is still
refused with moto's message.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from remediations.iam.wildcard import has_wildcard, wildcard_match

#: The STS actions moto accepts in a trust policy (moto's own list, read when installed).
_TRUST_ACTIONS: tuple[str, ...] = (
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:SetSourceIdentity",
    "sts:TagSession",
)

_SERVING: ContextVar[bool] = ContextVar("rafix_sandbox_serving", default=False)
_install_lock = threading.Lock()
_installed = False


def accepted_wildcard(action: Any) -> bool:
    """Whether ``action`` is a wildcard that IAM takes in a trust policy: it matches one of
    the STS actions a trust policy may name (case-insensitively, as IAM compares actions)."""
    return (
        isinstance(action, str)
        and has_wildcard(action)
        and any(wildcard_match(action, a, ignore_case=True) for a in _TRUST_ACTIONS)
    )


def install() -> None:
    """Wrap moto's trust-policy action check once per process (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto.iam.policy_validation import IAMTrustPolicyDocumentValidator as validator

        strict = validator._validate_trust_policy_action

        def check(action: str) -> None:
            if _SERVING.get() and accepted_wildcard(action):
                return
            strict(action)

        validator._validate_trust_policy_action = staticmethod(check)  # type: ignore[method-assign]
        _installed = True


@contextmanager
def serving() -> Iterator[None]:
    """Within this block, moto judges trust policies as IAM does (see the module docstring)."""
    token = _SERVING.set(True)
    try:
        yield
    finally:
        _SERVING.reset(token)
