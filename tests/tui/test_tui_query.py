"""The ``/`` filter grammar of the app (a pure function over findings)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from remediations.findings import Finding, Severity
from tui.query import IncrementalFilter, Row, filter_rows, make_row, narrows, parse_query
from tui.view import GroupHeader, arrange, severity_counts, sort_order

IDS = ("RA-TRUST-NO-SOURCEARN", "RA-TRUST-NO-SUBJECT-CONDITION", "RA-PROFILE-LONG-DURATION")
REGIONS = ("global", "eu-west-1", "us-east-1")
ACCOUNTS = ("111122223333", "444455556666")


def _finding(check_id: str, severity: Severity, region: str, account: str, name: str) -> Finding:
    kind = "role" if check_id.startswith("RA-TRUST") else "profile"
    service = "iam" if kind == "role" else "rolesanywhere"
    arn = f"arn:aws:{service}:{'' if kind == 'role' else region}:{account}:{kind}/{name}"
    return Finding(
        id=check_id,
        severity=severity,
        resource_arn=arn,
        resource_type="AWS::IAM::Role" if kind == "role" else "AWS::RolesAnywhere::Profile",
        region=region,
        title=f"title of {check_id.lower()}",
        detail="seen on " + name,
        fix="fix it",
    )


rows_strategy = st.lists(
    st.builds(
        lambda *a: make_row(_finding(*a), a[-1]),
        st.sampled_from(IDS),
        st.sampled_from(list(Severity)),
        st.sampled_from(REGIONS),
        st.sampled_from(ACCOUNTS),
        st.sampled_from(("ra-ops", "ci-shared", "backup", "Metrics[1]")),
    ),
    max_size=30,
)
word = st.sampled_from(
    [
        "ops",
        "sev:high",
        "sev:medium+",
        "id:RA-TRUST-*",
        "region:eu-west-1",
        "account:4444*",
        "type:role",
        "arn:aws",
        "title",
        "zzz",
        "sev:",
        "SEV:Crit",
        "ID:ra-profile-*",
    ]
)


def _ids(rows: list[Row], query: str) -> set[int]:
    return set(filter_rows(rows, query))


@given(rows_strategy)
def test_empty_query_keeps_everything(rows: list[Row]) -> None:
    assert filter_rows(rows, "") == list(range(len(rows)))
    assert filter_rows(rows, "   ") == list(range(len(rows)))


@given(rows_strategy, word)
def test_negation_is_the_complement(rows: list[Row], term: str) -> None:
    everything = set(range(len(rows)))
    assert _ids(rows, "!" + term) == everything - _ids(rows, term)


@given(rows_strategy, word, word)
def test_words_are_anded(rows: list[Row], a: str, b: str) -> None:
    assert _ids(rows, f"{a} {b}") == _ids(rows, a) & _ids(rows, b)


@given(rows_strategy, word)
def test_results_keep_order_and_are_a_subset(rows: list[Row], term: str) -> None:
    result = filter_rows(rows, term)
    assert result == sorted(result)
    assert set(result) <= set(range(len(rows)))


@given(st.text(max_size=40))
def test_parsing_never_fails(text: str) -> None:
    parse_query(text)


def test_fields_match_what_they_name() -> None:
    rows = [
        make_row(_finding(IDS[0], Severity.HIGH, "global", ACCOUNTS[0], "ra-ops"), "ra-ops"),
        make_row(_finding(IDS[2], Severity.MEDIUM, "eu-west-1", ACCOUNTS[1], "ci"), "ci"),
        make_row(_finding(IDS[1], Severity.CRITICAL, "global", ACCOUNTS[0], "x"), "x"),
    ]
    assert filter_rows(rows, "sev:high") == [0]
    assert filter_rows(rows, "sev:high+") == [0, 2]
    assert filter_rows(rows, "sev:medium,critical") == [1, 2]
    assert filter_rows(rows, "id:RA-TRUST-*") == [0, 2]
    assert filter_rows(rows, "region:eu-west-1") == [1]
    assert filter_rows(rows, f"account:{ACCOUNTS[1]}") == [1]
    assert filter_rows(rows, "type:profile") == [1]
    assert filter_rows(rows, "!ops") == [1, 2]
    assert filter_rows(rows, "RA-OPS") == [0]  # any case, and the resource name counts
    # an unknown key is a plain word: ARNs contain colons
    assert filter_rows(rows, "iam::111122223333") == [0, 2]


def test_group_by_resource_puts_a_header_before_each_resource() -> None:
    rows = [
        make_row(_finding(IDS[0], Severity.HIGH, "global", ACCOUNTS[0], "a"), "a"),
        make_row(_finding(IDS[2], Severity.MEDIUM, "eu-west-1", ACCOUNTS[0], "b"), "b"),
        make_row(_finding(IDS[1], Severity.CRITICAL, "global", ACCOUNTS[0], "a"), "a"),
    ]
    order = sort_order(rows, "severity")
    assert order == [2, 0, 1]
    entries = arrange(rows, order, group=True)
    assert [e.name if isinstance(e, GroupHeader) else e for e in entries] == ["a", 2, 0, "b", 1]
    counts = severity_counts(rows, entries)
    assert counts[Severity.CRITICAL] == 1 and counts[Severity.MEDIUM] == 1
    # by resource, then most severe first within one resource
    assert arrange(rows, sort_order(rows, "resource"), "sev:high+") == [2, 0]


#: Queries as a user types them: words, fields and negations, cut at any character.
typed_query = st.lists(
    st.sampled_from(
        [
            *("ops", "ra-", "sev:high", "sev:high+", "sev:", "id:RA-TRUST-*", "!backup"),
            *("region:eu-*", "global", "!sev:low", "metrics[1]", "ci"),
        ]
    ),
    max_size=4,
).map(" ".join)


@given(rows_strategy, typed_query)
def test_typing_a_query_key_by_key_filters_as_the_whole_query_does(
    rows: list[Row], text: str
) -> None:
    incremental = IncrementalFilter(rows)
    for end in range(len(text) + 1):  # every prefix, in order, as keystrokes arrive
        assert incremental(text[:end]) == filter_rows(rows, text[:end])
    for end in range(len(text), -1, -1):  # and backspace all the way
        assert incremental(text[:end]) == filter_rows(rows, text[:end])


@given(rows_strategy, typed_query, typed_query)
def test_a_query_that_narrows_another_never_matches_more(
    rows: list[Row], first: str, second: str
) -> None:
    old, new = parse_query(first), parse_query(second)
    if narrows(old, new):
        assert set(filter_rows(rows, second)) <= set(filter_rows(rows, first))


negatable_word = st.tuples(st.booleans(), word).map(lambda t: ("!" if t[0] else "") + t[1])


@given(rows_strategy, st.lists(st.lists(negatable_word, max_size=4).map(" ".join), max_size=6))
def test_the_indexed_filter_gives_what_the_plain_filter_gives(
    rows: list[Row], queries: list[str]
) -> None:
    """The app's filter answers field terms from an index of the rows and words from the rows
    the last query kept; any sequence of queries gives what filtering every row would."""
    indexed = IncrementalFilter(rows)
    for query in queries:
        assert indexed(query) == filter_rows(rows, query)
