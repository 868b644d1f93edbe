"""subscribers.csv read a part at a time (the send's reader) gives the rows of the whole read, wherever it is cut:
the same addresses, names, statuses, lines and problems, but for repeats, which the send judges itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from send_support import make_rendered
from test_subscribers_scan import ROWS

from newsletter.errors import SubscriberError
from newsletter.sending.ledger import LedgerState
from newsletter.sending.plan import SendOptions, plan_send
from newsletter.subscribers.addresses import normalize_email
from newsletter.subscribers.listfile import read_subscribers
from newsletter.subscribers.stream import stream_subscribers

RENDERED = make_rendered()
OVERFULL = "has more cells than the 3 columns the header names: quote a value that holds ','"


def whole(path: Path) -> list[tuple[str, str, str, int, str]]:
    return [(row.email, row.name, row.status, row.line, row.problem) for row in read_subscribers(path)]


def parts(path: Path, size: int) -> list[tuple[str, str, str, int, str]]:
    return [
        (row.email, row.name, row.status, row.line, row.problem) for row in stream_subscribers(path, part_bytes=size)
    ]


def expected_stream(path: Path) -> list[tuple[str, str, str, int, str]]:
    """The whole read's rows, a row it reports as a repeat read as the valid row it is otherwise: what the whole
    read shows of such a row is its cells as written; a valid row's address and status are normalised."""
    return [
        (normalize_email(email), name, status.strip().lower(), line, "")
        if problem.startswith("duplicate of line")
        else (email, name, status, line, problem)
        for email, name, status, line, problem in whole(path)
    ]


@pytest.mark.parametrize("size", [1, 7, 64, 300, 1 << 20])
def test_the_scan_example_read_in_parts(tmp_path: Path, size: int) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text(ROWS, encoding="utf-8")
    assert parts(path, size) == [
        ("a@example.org", "A", "active", 2, ""),
        ("not-an-address", "N", "active", 3, whole(path)[1][4]),
        ("Pelé@example.org", "Pelé", "active", 4, ""),
        ("b@example.org", "B", "subscribed", 5, whole(path)[3][4]),
        ("c@example.org", "C", "active", 6, ""),
        ("A@example.org", "Again", "active", 8, ""),  # a repeat: the send's Screen judges it
        ("w@example.org", "Smith", " John", 9, OVERFULL),
        ("q@example.org", "Line one line two", "active", 10, ""),
        ("d@example.org", "D", "unsubscribed", 12, ""),
        ("c@example.org", "C", "bounced", 13, ""),
        ("e@example.org", 'O"Brien', "active", 14, ""),
        ("pelé@example.org", "P", "active", 15, ""),
    ]


# Cells made of the pieces that change how a line is read: quotes (balanced, stray, opening a cell that spans
# lines), delimiters, line breaks of three kinds, invisible characters, non-ASCII text.
PIECES = st.sampled_from(
    ["a", "Asha", " ", ",", ";", '"', '""', "\n", "\r\n", "\r", "\u2028", "\x0b", "é", "தமிழ்", "%%name%%", "@", "\t"]
)
CELL = st.lists(PIECES, max_size=4).map("".join)
ADDRESS = st.sampled_from(
    ["a@x.org", "A@X.org", "b@x.org", "c@y.org", " d@x.org", "not-an-address", "", "e@x.org ", "Pelé@x.org"]
)
STATUS = st.sampled_from(["active", "pending", "unsubscribed", "bounced", "complained", " Active ", "gone", ""])


@st.composite
def csv_files(draw: st.DrawFn) -> str:
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [delimiter.join(["email", "name", "status"])]
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            lines.append(draw(CELL))  # anything at all
        elif kind == 1:
            lines.append(f'{draw(ADDRESS)}{delimiter}"{draw(CELL)}{delimiter}{draw(STATUS)}')  # an open quote
        elif kind == 3:  # a quoted cell over several lines, as a postal address is
            cell = newline.join(draw(st.lists(st.sampled_from(["12 Janpath", "New Delhi", "", "a@x.org"]), max_size=4)))
            lines.append(f'{draw(ADDRESS)}{delimiter}"{cell}"{delimiter}{draw(STATUS)}')
        else:
            name = draw(CELL) if kind == 2 else draw(st.sampled_from(["", "Asha", "Ravi Rao", '"Rao, Ravi"']))
            lines.append(delimiter.join([draw(ADDRESS), name, draw(STATUS)]))
    bom = "\ufeff" if draw(st.booleans()) else ""
    return bom + newline.join(lines) + (newline if draw(st.booleans()) else "")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=csv_files(), size=st.integers(1, 200))
def test_rows_read_in_parts_are_the_rows_read_whole(tmp_path: Path, text: str, size: int) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_bytes(text.encode("utf-8"))
    try:
        expected = expected_stream(path)
    except SubscriberError as error:
        with pytest.raises(SubscriberError) as raised:
            parts(path, size)
        assert str(raised.value) == str(error)
        return
    assert parts(path, size) == expected
    # And so the send plans the same, but for how it counts repeated rows (the whole read reports them as problems).
    planned = [
        plan_send(RENDERED, rows, LedgerState(path), "sendgrid", SendOptions())
        for rows in (read_subscribers(path), stream_subscribers(path, part_bytes=size))
    ]
    for plan in planned:
        plan.duplicates = 0
    assert planned[0] == planned[1]


def test_errors_name_the_file_and_line_as_the_whole_read_does(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    with pytest.raises(SubscriberError) as error:
        list(stream_subscribers(path))
    assert str(error.value) == f"{path} does not exist: add a first subscriber with `newsletter subscribers add EMAIL`."
    path.write_bytes(b"email,name,status\n" + b"a@x.org,A,active\n" * 50 + b"b@x.org,\xff,active\n")
    with pytest.raises(SubscriberError) as error:
        list(stream_subscribers(path, part_bytes=64))
    assert str(error.value) == (
        f"{path}:52: is not UTF-8 text: save it from your spreadsheet as 'CSV UTF-8 (comma delimited)'."
    )
    path.write_bytes(b"PK\x03\x04" + b"x" * 100)
    with pytest.raises(SubscriberError, match="it looks like an Excel or OpenDocument workbook"):
        list(stream_subscribers(path, part_bytes=8))
