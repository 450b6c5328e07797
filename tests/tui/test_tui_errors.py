"""The panel shown when an account cannot be read: each AWS failure, raised by botocore and
turned into one line by the core's own guard, gets the right title and what to do."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)

from remediations.errors import RafixError
from remediations.sources.aws_errors import guard_call
from tui.errors import advise


def client_error(code: str) -> Callable[[], None]:
    def fail() -> None:
        raise ClientError({"Error": {"Code": code, "Message": f"{code} from AWS"}}, "ListRoles")

    return fail


def raising(exc: Exception) -> Callable[[], None]:
    def fail() -> None:
        raise exc

    return fail


@pytest.mark.parametrize(
    ("fail", "title", "todo"),
    [
        (raising(NoCredentialsError()), "No AWS credentials", "aws sso login"),
        (
            raising(UnauthorizedSSOTokenError()),
            "The AWS session has expired",
            "aws sso login",
        ),
        (
            raising(TokenRetrievalError(provider="sso", error_msg="Token has expired")),
            "The AWS session has expired",
            "aws sso login",
        ),
        (client_error("ExpiredToken"), "The AWS session has expired", "renew"),
        (client_error("ThrottlingException"), "AWS is throttling the requests", "--region"),
        (
            raising(EndpointConnectionError(endpoint_url="https://iam.amazonaws.com/")),
            "The AWS endpoint cannot be reached",
            "--endpoint-url",
        ),
        (client_error("InvalidClientTokenId"), "The AWS credentials were rejected", "--profile"),
    ],
)
def test_each_aws_failure_gets_its_panel(fail: Callable[[], None], title: str, todo: str) -> None:
    with pytest.raises(RafixError) as caught:
        guard_call(fail, "iam:ListRoles")
    advice = advise(caught.value)
    assert advice.title == title
    assert todo in advice.todo
    assert "\n" not in advice.message and "Traceback" not in advice.message


def test_an_unexpected_error_is_one_line_with_a_way_on() -> None:
    advice = advise(KeyError("Statement"))
    assert advice.title == "Something went wrong"
    assert advice.message == "KeyError: 'Statement'"
    assert "retry" in advice.todo
