"""The executor: read-only enforcement (twice), error classification, state reads, polling."""

from __future__ import annotations

import json
from typing import Any

import pytest

from remediations.apply.executor import (
    CallFailed,
    Executor,
    ReadOnlyError,
    error_code,
    install_read_only_guard,
    is_mutating,
)
from remediations.errors import ApplyError
from remediations.state import ApiCall
from tests.builders import (
    ROLES,
    MotoAccount,
    pinned,
    role_arn,
    someone_else,
    trust_policy,
)

UPDATE = ApiCall(
    "iam",
    "UpdateAssumeRolePolicy",
    {"RoleName": ROLES[0], "PolicyDocument": json.dumps(pinned(ROLES[0]))},
)


class MutationTrap:
    """A botocore hook that records every mutating operation that reaches the wire."""

    def __init__(self) -> None:
        self.mutations: list[str] = []

    def __call__(self, request: Any = None, **kwargs: Any) -> None:
        event = str(kwargs.get("event_name", ""))
        operation = event.rsplit(".", 1)[-1]
        if is_mutating(operation):
            self.mutations.append(operation)


def trap(executor: Executor) -> MutationTrap:
    hook = MutationTrap()
    executor.client("iam").meta.events.register("before-send", hook)
    return hook


@pytest.mark.parametrize(
    ("operation", "mutating"),
    [
        ("GetRole", False),
        ("ListProfiles", False),
        ("DescribeRegions", False),
        ("UpdateAssumeRolePolicy", True),
        ("PutNotificationSettings", True),
        ("DeleteAttributeMapping", True),
        ("EnableCrl", True),
        ("ImportCrl", True),
    ],
)
def test_is_mutating(operation: str, mutating: bool) -> None:
    assert is_mutating(operation) is mutating


def test_read_only_is_the_default_and_refuses_before_botocore(account: MotoAccount) -> None:
    executor = Executor(account)
    hook = trap(executor)
    with pytest.raises(ReadOnlyError, match="read-only mode: refused iam:UpdateAssumeRolePolicy"):
        executor.run(UPDATE)
    assert hook.mutations == []
    assert executor.read_state("role", role_arn(ROLES[0])) == {"trustPolicy": trust_policy()}


def test_botocore_hook_refuses_a_mutation_that_bypasses_run(account: MotoAccount) -> None:
    """The second line of defence: a client the executor handed out refuses writes itself."""
    executor = Executor(account)
    hook = trap(executor)
    with pytest.raises(ReadOnlyError):
        executor.client("iam").update_assume_role_policy(**UPDATE.params)
    assert hook.mutations == []  # refused before the request was built and sent
    # Read calls still go through the same client.
    assert executor.client("iam").get_role(RoleName=ROLES[0])["Role"]["RoleName"] == ROLES[0]


def test_a_writer_on_a_shared_client_passes_a_read_only_guard(account: MotoAccount) -> None:
    reader = Executor(account)
    reader.client("iam")  # registers the read-only guard on the shared client
    writer = Executor(account, read_only=False)
    hook = trap(writer)
    writer.run(UPDATE)
    assert hook.mutations == ["UpdateAssumeRolePolicy"]
    assert reader.read_state("role", role_arn(ROLES[0])) == {"trustPolicy": pinned(ROLES[0])}
    with pytest.raises(ReadOnlyError):  # the guard still stands for calls outside the writer
        reader.client("iam").update_assume_role_policy(**UPDATE.params)


def test_api_errors_become_call_failed_with_their_code(account: MotoAccount) -> None:
    executor = Executor(account, read_only=False)
    missing = ApiCall("iam", "UpdateAssumeRolePolicy", {**UPDATE.params, "RoleName": "nope"})
    with pytest.raises(CallFailed) as caught:
        executor.run(missing)
    assert caught.value.code == "NoSuchEntity"
    assert isinstance(caught.value, ApplyError)
    assert "iam:UpdateAssumeRolePolicy nope failed: NoSuchEntity" in str(caught.value)


def test_unknown_operation_is_a_clear_error(account: MotoAccount) -> None:
    with pytest.raises(CallFailed, match="UnknownOperation"):
        Executor(account, read_only=False).run(ApiCall("iam", "FrobnicateRole", {}))


def test_read_state_of_a_missing_role_is_none(account: MotoAccount) -> None:
    assert Executor(account).read_state("role", role_arn("ghost")) is None


def test_a_detailed_read_returns_what_a_created_role_carries(account: MotoAccount) -> None:
    iam = someone_else(account)
    statement = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    policy: dict[str, Any] = {"Version": "2012-10-17", "Statement": [statement]}
    managed = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(policy))
    iam.create_role(
        RoleName="ra-new",
        Path="/ci/",
        AssumeRolePolicyDocument=json.dumps(trust_policy()),
        MaxSessionDuration=7200,
        Tags=[{"Key": "team", "Value": "platform"}],
    )
    iam.attach_role_policy(RoleName="ra-new", PolicyArn=managed["Policy"]["Arn"])
    for name in ("b", "a"):
        iam.put_role_policy(RoleName="ra-new", PolicyName=name, PolicyDocument=json.dumps(policy))
    reader = Executor(account)
    arn = "arn:aws:iam::123456789012:role/ci/ra-new"
    assert reader.read_state("role", arn) == {"trustPolicy": trust_policy()}
    assert reader.read_state("role", arn, detailed=True) == {
        "trustPolicy": trust_policy(),
        "create": {
            "path": "/ci/",
            "maxSessionDuration": 7200,
            "permissionsBoundary": None,
            "managedPolicyArns": [managed["Policy"]["Arn"]],
            "inlinePolicies": {"a": policy, "b": policy},
            "tags": {"team": "platform"},
        },
    }
    assert reader.read_state("role", role_arn("ghost"), detailed=True) is None


def test_read_state_rejects_unknown_types(account: MotoAccount) -> None:
    with pytest.raises(ValueError, match="unknown resource type"):
        Executor(account).read_state("bucket", "arn:aws:s3:::b")


def test_error_code_of_plain_exceptions() -> None:
    assert error_code(ConnectionResetError("peer")) == "ConnectionResetError"


def test_wait_for_polls_with_backoff_until_the_change_is_visible(account: MotoAccount) -> None:
    pauses: list[float] = []
    executor = Executor(account, poll_timeout=60.0, poll_interval=0.5, sleep=pauses.append)
    target = {"trustPolicy": pinned(ROLES[1])}
    arn = role_arn(ROLES[1])
    reads = 0
    real_read = executor.read_state

    def lagging_read(kind: str, arn: str, **options: Any) -> Any:
        nonlocal reads
        reads += 1
        if reads == 3:  # IAM shows the write on the third read
            someone_else(account).update_assume_role_policy(
                RoleName=ROLES[1], PolicyDocument=json.dumps(target["trustPolicy"])
            )
        return real_read(kind, arn, **options)

    executor.read_state = lagging_read  # type: ignore[method-assign,assignment]
    assert executor.wait_for("role", arn, target) == target
    assert pauses == [0.5, 1.0]


def test_wait_for_gives_up_at_its_bound(account: MotoAccount) -> None:
    executor = Executor(account, poll_timeout=0.0, sleep=lambda _s: None)
    never = {"trustPolicy": pinned("never")}
    assert executor.wait_for("role", role_arn(ROLES[0]), never) == {"trustPolicy": trust_policy()}


def test_install_read_only_guard_refuses_writes_from_any_caller(account: MotoAccount) -> None:
    client = someone_else(account)
    install_read_only_guard(client.meta.events)
    with pytest.raises(ReadOnlyError, match="refused UpdateAssumeRolePolicy"):
        client.update_assume_role_policy(**UPDATE.params)
    assert client.get_role(RoleName=ROLES[0])["Role"]["RoleName"] == ROLES[0]
    assert Executor(account).read_state("role", role_arn(ROLES[0])) == {
        "trustPolicy": trust_policy()
    }
