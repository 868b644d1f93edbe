"""subscribers.csv: reading what editors write in spreadsheets, reporting bad rows without losing them, and
changing rows under the sticky rules so that rows nobody changed keep every byte."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import ROOT
from newsletter.errors import SubscriberError
from newsletter.subscribers.listfile import active_subscribers, read_subscribers
from newsletter.subscribers.status import next_status
from newsletter.subscribers.store import add_subscriber, editing, remove_subscriber, update_statuses

HEADER = "email,name,status,joined_at,source,consent,updated_at,reason\n"
NOW = datetime(2015, 3, 20, 9, 30, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def write(path: Path, text: str, *, newline: str = "\n", bom: bool = False) -> Path:
    data = text.replace("\n", newline).encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    return write(
        tmp_path / "subscribers.csv",
        HEADER
        + "a@example.org,Asha,active,2015-01-01T00:00:00Z,cli,,2015-01-01T00:00:00Z,\n"
        + 'b@example.com,"Verma, Rahul",active,2015-01-02T00:00:00Z,cli,,2015-01-02T00:00:00Z,\n'
        + "c@example.net,Chen,unsubscribed,2015-01-03T00:00:00Z,cli,,2015-02-01T00:00:00Z,asked\n"
        + "d@example.org,Dev,pending,2015-01-04T00:00:00Z,inbox,,2015-01-04T00:00:00Z,\n",
    )


def test_sample_file_at_the_repository_root_is_valid() -> None:
    subscribers = read_subscribers(ROOT / "subscribers.csv")
    assert subscribers.problems == []
    assert [(s.email, s.name, s.status) for s in subscribers] == [
        ("priya.sharma@example.org", "Priya Sharma", "active"),
        ("rahul.verma@example.com", "Rahul Verma", "active"),
        ("ananya.mishra@example.net", "अनन्या मिश्रा", "active"),
        ("meera.iyer@example.org", "Meera Iyer", "pending"),
        ("john.doe@example.com", "John Doe", "unsubscribed"),
    ]


def test_rows_have_every_cell_and_standard_fields(csv_path: Path) -> None:
    rows = list(read_subscribers(csv_path))
    assert rows[1].name == "Verma, Rahul"
    assert rows[1].cells == {
        "email": "b@example.com",
        "name": "Verma, Rahul",
        "status": "active",
        "joined_at": "2015-01-02T00:00:00Z",
        "source": "cli",
        "consent": "",
        "updated_at": "2015-01-02T00:00:00Z",
        "reason": "",
    }
    assert (rows[2].reason, rows[2].updated_at, rows[2].line) == ("asked", "2015-02-01T00:00:00Z", 4)


def test_active_subscribers_in_file_order(csv_path: Path) -> None:
    assert [s.email for s in active_subscribers(csv_path)] == ["a@example.org", "b@example.com"]


def test_spreadsheet_export_with_bom_crlf_unknown_columns_and_quoted_newline(tmp_path: Path) -> None:
    text = (
        "Email,Name,Status,City\n"
        'R.Verma@Example.COM,"Verma, Rahul",Active,"New\nDelhi"\n'
        "x@example.org,X,active\n"  # a spreadsheet trims trailing empty cells
    )
    path = write(tmp_path / "subscribers.csv", text, newline="\r\n", bom=True)
    subscribers = read_subscribers(path)
    assert subscribers.problems == []
    first, second = list(subscribers)
    assert (first.email, first.name, first.status, first.cells["City"]) == (
        "R.Verma@example.com",
        "Verma, Rahul",
        "active",
        "New\r\nDelhi",
    )
    assert (second.email, second.line) == ("x@example.org", 4)


def test_invalid_rows_are_reported_with_line_and_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path / "subscribers.csv",
        HEADER
        + "good@example.org,G,active\n"
        + "not-an-address,N,active\n"
        + "s@example.org,S,subscribed\n"
        + "\n"
        + "GOOD@example.org,Twice,unsubscribed\n"
        + "w@example.org,Smith, John,active\n"
        + "v@example.org,V,active\n",
    )
    original = path.read_text()
    subscribers = read_subscribers(path)
    assert subscribers.problems == [
        f"{path}:3: 'not-an-address' is not a valid email address (An email address must have an @-sign.): "
        "correct it or delete the row.",
        f"{path}:4: status 'subscribed' is not one of active, pending, unsubscribed, bounced, complained: correct it.",
        f"{path}:6: duplicate of line 2 (good@example.org): delete one of the two.",
        f"{path}:7: status ' John' is not one of active, pending, unsubscribed, bounced, complained: correct it.",
    ]
    assert subscribers.counts() == {
        "active": 2,
        "pending": 0,
        "unsubscribed": 0,
        "bounced": 0,
        "complained": 0,
        "invalid": 4,
    }
    # A duplicate row saying the reader left keeps them from being mailed, whichever row is right.
    assert [s.email for s in subscribers.active()] == ["v@example.org"]
    with editing(path) as editable:
        editable.add("new@example.org", "active", NOW)
    assert path.read_text().startswith(original)
    assert [s.email for s in read_subscribers(path)] == [
        "good@example.org", "not-an-address", "s@example.org", "GOOD@example.org", "w@example.org", "v@example.org",
        "new@example.org",
    ]  # fmt: skip


def test_row_with_more_cells_than_the_header_is_invalid(tmp_path: Path) -> None:
    path = write(tmp_path / "subscribers.csv", "email,name,status\nw@example.org,Smith, John,active\n")
    assert read_subscribers(path).problems == [
        f"{path}:2: has more cells than the 3 columns the header names: quote a value that holds ','."
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"PK\x03\x04rest",
            "is not a CSV file (it looks like an Excel or OpenDocument workbook): save it from your "
            "spreadsheet as 'CSV UTF-8 (comma delimited)'.",
        ),
        (
            b"\xff\xfee\x00m\x00",
            "is not a CSV file (it looks like UTF-16 text): save it from your spreadsheet as "
            "'CSV UTF-8 (comma delimited)'.",
        ),
        (
            b"email\nx@example.org\n\xe9t\xe9\n",
            ":3: is not UTF-8 text: save it from your spreadsheet as 'CSV UTF-8 (comma delimited)'.",
        ),
        (
            b"\x00" * 4096,
            ":1: is not a CSV file (it holds binary data): save it from your spreadsheet as "
            "'CSV UTF-8 (comma delimited)'.",
        ),
        (
            "email,name\na@example.org,A\n".encode("utf-16-le"),  # UTF-16 without its BOM
            ":1: is not a CSV file (it holds binary data): save it from your spreadsheet as "
            "'CSV UTF-8 (comma delimited)'.",
        ),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
            "is not a CSV file (it looks like a PDF document): save it from your spreadsheet as "
            "'CSV UTF-8 (comma delimited)'.",
        ),
        (
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03email\n",  # gzip
            ":1: is not a CSV file (it holds binary data): save it from your spreadsheet as "
            "'CSV UTF-8 (comma delimited)'.",
        ),
        (
            b"<html><body>list</body></html>\n",
            ":1: has no 'email' column: the first row must name the columns "
            "(email,name,status,joined_at,source,consent,updated_at,reason).",
        ),
    ],
)
def test_a_file_that_is_not_csv_is_a_clear_error(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_bytes(data)
    with pytest.raises(SubscriberError) as caught:
        read_subscribers(path)
    assert str(caught.value) == f"{path}{'' if message.startswith(':') else ' '}{message}"


def test_missing_file_says_how_to_start(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    with pytest.raises(SubscriberError, match="does not exist: add a first subscriber with"):
        read_subscribers(path)
    assert add_subscriber(path, "First@Example.ORG", "First", now=clock) == "added First@example.org (active)"
    assert (
        path.read_text() == HEADER + "First@example.org,First,active,2015-03-20T09:30:00Z,cli,,2015-03-20T09:30:00Z,\n"
    )


def test_rows_nobody_changed_keep_every_byte(tmp_path: Path) -> None:
    original = (
        "\ufeffEmail,Name,Status,Notes\r\n"
        '"a@example.org","Asha","active","quoted ""everything"""\r\n'
        "b@example.com,  Rahul  ,active,kept, as is\r\n"
        "c@example.net,Chen,active\r\n"
        "d@example.org,Dev,active,last line without newline"
    )
    path = tmp_path / "subscribers.csv"
    path.write_bytes(original.encode())
    assert update_statuses(path, {"c@example.net": ("bounced", "SendGrid bounce: 550")}, now=clock) == 1
    assert path.read_bytes().decode() == (
        "\ufeffEmail,Name,Status,Notes,updated_at,reason\r\n"
        '"a@example.org","Asha","active","quoted ""everything"""\r\n'
        "b@example.com,  Rahul  ,active,kept, as is\r\n"
        "c@example.net,Chen,bounced,,2015-03-20T09:30:00Z,SendGrid bounce: 550\r\n"
        "d@example.org,Dev,active,last line without newline"
    )


def test_update_statuses_applies_sticky_rules_and_ignores_strangers(csv_path: Path) -> None:
    before = csv_path.read_bytes()
    changes = {
        "A@EXAMPLE.ORG": ("complained", "SendGrid spam report"),
        "c@example.net": ("unsubscribed", "SendGrid unsubscribe"),  # already unsubscribed: unchanged
        "stranger@example.org": ("bounced", "SendGrid bounce"),
    }
    assert update_statuses(csv_path, changes, now=clock) == 1
    lines = csv_path.read_text().splitlines()
    assert (
        lines[1] == "a@example.org,Asha,complained,2015-01-01T00:00:00Z,cli,,2015-03-20T09:30:00Z,SendGrid spam report"
    )
    assert lines[2:] == before.decode().splitlines()[2:]
    with pytest.raises(SubscriberError, match=r"^cannot set a@example\.org to 'active' by a status update"):
        update_statuses(csv_path, {"a@example.org": ("active", "oops")})


@pytest.mark.parametrize(
    ("current", "wanted", "reader", "after"),
    [
        (None, "active", False, "active"),
        ("pending", "active", False, "active"),
        ("active", "active", False, None),
        ("unsubscribed", "active", False, None),
        ("unsubscribed", "active", True, "active"),
        ("bounced", "active", True, None),
        ("complained", "active", True, None),
        ("unsubscribed", "pending", True, None),
        ("active", "unsubscribed", False, "unsubscribed"),
        ("unsubscribed", "bounced", False, "bounced"),
        ("bounced", "unsubscribed", False, None),
        ("complained", "bounced", False, None),
        ("pending", "complained", False, "complained"),
    ],
)
def test_sticky_statuses(current: str | None, wanted: str, reader: bool, after: str | None) -> None:
    assert next_status(current, wanted, reader_request=reader) == after


def test_add_and_remove_from_the_command_functions(csv_path: Path) -> None:
    assert add_subscriber(csv_path, "new@example.org", " New Reader ", now=clock) == "added new@example.org (active)"
    assert add_subscriber(csv_path, "A@example.org", now=clock) == "a@example.org is already active (line 2)"
    assert add_subscriber(csv_path, "d@example.org", now=clock) == "d@example.org was pending and is now active"
    with pytest.raises(SubscriberError) as caught:
        add_subscriber(csv_path, "c@example.net", now=clock)
    assert str(caught.value) == (
        "c@example.net is unsubscribed (line 4): only the reader's own request can subscribe it again."
    )
    with pytest.raises(SubscriberError) as caught:
        add_subscriber(csv_path, "no at sign", now=clock)
    assert (
        str(caught.value)
        == "'no at sign' is not a valid email address (An email address must have an @-sign.): check it."
    )
    assert remove_subscriber(csv_path, "B@Example.com", now=clock) == "b@example.com is now unsubscribed (was active)"
    assert remove_subscriber(csv_path, "b@example.com", now=clock) == "b@example.com is already unsubscribed (line 3)"
    with pytest.raises(SubscriberError, match=r"^x@example.org is not in .*: check the spelling with"):
        remove_subscriber(csv_path, "x@example.org", now=clock)
    assert csv_path.read_text().splitlines()[2:] == [
        'b@example.com,"Verma, Rahul",unsubscribed,2015-01-02T00:00:00Z,cli,,2015-03-20T09:30:00Z,removed by the editor',
        "c@example.net,Chen,unsubscribed,2015-01-03T00:00:00Z,cli,,2015-02-01T00:00:00Z,asked",
        "d@example.org,Dev,active,2015-01-04T00:00:00Z,inbox,,2015-03-20T09:30:00Z,added by the editor",
        "new@example.org,New Reader,active,2015-03-20T09:30:00Z,cli,,2015-03-20T09:30:00Z,",
    ]


def test_nothing_is_written_when_the_block_fails(csv_path: Path) -> None:
    before = csv_path.read_bytes()
    with pytest.raises(RuntimeError), editing(csv_path) as subscribers:
        subscribers.add("z@example.org", "active", NOW)
        raise RuntimeError("stop")
    assert csv_path.read_bytes() == before


def test_semicolon_separated_file_stays_semicolon_separated(tmp_path: Path) -> None:
    path = write(tmp_path / "subscribers.csv", "email;name;status\na@example.org;A;active\n")
    add_subscriber(path, "b@example.org", "B; the second", now=clock)
    assert path.read_text() == (
        "email;name;status;joined_at;source;consent;updated_at;reason\n"
        "a@example.org;A;active\n"
        'b@example.org;"B; the second";active;2015-03-20T09:30:00Z;cli;;2015-03-20T09:30:00Z;\n'
    )


def test_stray_quote_inside_a_cell_is_read_like_csv_does(tmp_path: Path) -> None:
    path = write(
        tmp_path / "subscribers.csv", 'email,name,status\na@example.org,O"Brien,active\nb@example.org,B,active\n'
    )
    subscribers = read_subscribers(path)
    assert subscribers.problems == []
    assert [(s.email, s.name, s.line) for s in subscribers] == [
        ("a@example.org", 'O"Brien', 2),
        ("b@example.org", "B", 3),
    ]


def test_stale_temporary_file_of_a_killed_writer_is_removed(csv_path: Path) -> None:
    stale = csv_path.parent / ".subscribers.csv.abc123.tmp"
    stale.write_text("half a file")
    add_subscriber(csv_path, "e@example.org", now=clock)
    assert not stale.exists()


def test_adding_to_a_big_list_still_finds_an_address_written_differently(tmp_path: Path) -> None:
    # The quick append path must not miss an address that only normalises to the same one (fullwidth 'ｅ').
    path = write(
        tmp_path / "subscribers.csv", HEADER + "reader@ｅxample.org,R,active,,,,,\nx@example.org,X,active,,,,,\n"
    )
    assert add_subscriber(path, "Reader@Example.org", now=clock) == "reader@example.org is already active (line 2)"
    assert add_subscriber(path, "X@EXAMPLE.ORG", now=clock) == "x@example.org is already active (line 3)"
    assert add_subscriber(path, "y@example.org", now=clock) == "added y@example.org (active)"
    assert path.read_text().endswith("\ny@example.org,,active,2015-03-20T09:30:00Z,cli,,2015-03-20T09:30:00Z,\n")
