"""Fuzzing subscribers.csv (issue 8): whatever text strangers and editors put in, no exception escapes, no control
character reaches the file, no row is lost or merged, and rows nobody changed keep their bytes."""

from __future__ import annotations

import contextlib
import csv
import io
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.clean import NAME_LIMIT, find_unsafe
from newsletter.errors import SubscriberError
from newsletter.subscribers.csvfile import FORMULA_STARTS, cell_text, parse_csv
from newsletter.subscribers.imports import export_csv, import_subscribers, read_import, subscriber_stats
from newsletter.subscribers.listfile import read_subscribers
from newsletter.subscribers.store import add_subscriber, editing, remove_subscriber

NOW = datetime(2015, 3, 20, 9, 30, tzinfo=UTC)
# An editor's file as spreadsheets write it: a BOM, CRLF, quoted cells (one of two lines), an extra column.
BASE = (
    "\ufeffemail,name,status,joined_at,source,consent,updated_at,reason,City\r\n"
    'a@example.org,"Verma, Rahul",active,2015-01-01T00:00:00Z,cli,,2015-01-01T00:00:00Z,,"New\r\nDelhi"\r\n'
    'b@example.org,"O""Brien",unsubscribed,2015-01-02T00:00:00Z,cli,,2015-02-01T00:00:00Z,asked,Pune\r\n'
    "c@example.org,अनन्या,pending,2015-01-03T00:00:00Z,inbox,,2015-01-03T00:00:00Z,,\r\n"
)
BASE_RECORDS = parse_csv(Path("base"), BASE).records

# The pieces hostile text is made of: controls, quotes, delimiters, line breaks, BOMs, formula starts, bidi.
HOSTILE = st.sampled_from(
    [
        "\x00", "\x07", "\x1b[2J", "\x7f", "\x85", "\x9b", "\t", "\r", "\n", "\r\n", "\u2028", "\u2029",
        "\u202e", "\u2066", "\ufeff", "\ufffe", '"', '""', "'", ",", ";", "=", "+", "-", "@", "\uff1d", "\uff20",
        "=HYPERLINK(\"http://x\")", "%%name%%", " ", "\u00a0", "Asha", "अनन्या", "\u200d", "x@example.org",
    ]
)  # fmt: skip
CELLS = st.one_of(
    st.lists(HOSTILE, max_size=8).map("".join),
    st.text(max_size=30),
    st.builds(lambda piece, count: piece * count, HOSTILE, st.integers(1_000, 40_000)),  # a huge cell
)
OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["add", "inbox", "update", "remove", "import"]), CELLS, CELLS), min_size=1, max_size=5
)


@settings(max_examples=40, deadline=None)
@given(OPERATIONS)
def test_whatever_the_tool_writes_reads_back_as_written(operations: list[tuple[str, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "subscribers.csv"
        path.write_bytes(BASE.encode())
        added: list[tuple[str, str]] = []  # (address, name as given)
        changed: set[int] = set()
        for number, (action, first, second) in enumerate(operations):
            email = f"r{number}@example.org"
            if action == "add":
                add_subscriber(path, email, first, now=lambda: NOW)
                added.append((email, first))
            elif action == "inbox":
                with editing(path) as subscribers:
                    subscribers.add(email, "pending", NOW, name=first, source="inbox", consent=second, reason=second)
                added.append((email, first))
            elif action == "update":
                with editing(path) as subscribers:
                    subscribers.update(number % 3, {"reason": first, "consent": second}, NOW)
                changed.add(number % 3)
            elif action == "remove":
                remove_subscriber(path, "c@example.org", first, now=lambda: NOW)
                changed.add(2)
            else:
                # A quoted cell one of whose lines is an address alone reads as a row of its own (csvrecords: a
                # spreadsheet trims a row's empty cells); the property is about cells that name no other reader.
                first, second = first.replace("@", "(at)"), second.replace("@", "(at)")
                source = Path(folder) / "import.csv"
                buffer = io.StringIO()
                csv.writer(buffer).writerows([["email", "name", "reason"], [email, first, second]])
                source.write_text(buffer.getvalue())
                import_subscribers(path, source, now=lambda: NOW)
                # The import file is outside text: its name is what the reader makes of it (a cell of more than
                # MAX_RECORD_LINES lines reads as a stray quote), and the property is about what the tool writes.
                row = read_import(source)[1][0]
                assert row.email == email
                added.append((email, row.name))
        text = path.read_bytes().decode("utf-8")
        assert not find_unsafe(text[1:], multiline=True)  # past the BOM the tool wrote no invisible character
        table = parse_csv(path, text)
        # Rows nobody changed keep their bytes (the last one gains a line end when rows follow); none is lost.
        for index, raw in enumerate(BASE_RECORDS):
            if index not in changed:
                assert table.records[index] == raw
        subscribers = read_subscribers(path)
        assert subscribers.problems == []
        rows = list(subscribers)
        assert [row.email for row in rows] == ["a@example.org", "b@example.org", "c@example.org"] + [
            email for email, _ in added
        ]
        for row, (_, name) in zip(rows[3:], added, strict=True):
            assert row.name == cell_text(name, NAME_LIMIT)
            # Every cell the tool wrote is one line and never a formula.
            for cell in list(row.cells.values())[1:]:
                assert "\n" not in cell and "\r" not in cell
                assert not cell.startswith(FORMULA_STARTS)
        subscriber_stats(subscribers)
        export_csv(subscribers)


# Bytes as files arrive: mostly CSV-shaped text with hostile pieces, sometimes anything at all.
FILE_PIECES = st.sampled_from(
    ["email,name,status\n", "a@example.org", "b@example.org,B,active\n", ",", ";", "\t", '"', "\n", "\r", "\r\n",
     "\x00", "\x1b", "\u2028", "\x85", "\ufeff", "=1+1", "active", "é", "\xff", "PK\x03\x04", "%PDF"]
)  # fmt: skip
FILES = st.one_of(
    st.binary(max_size=300),
    st.lists(FILE_PIECES, max_size=40).map(lambda pieces: "".join(pieces).encode("utf-8", "surrogateescape")),
)


@settings(max_examples=300, deadline=None)
@given(FILES)
def test_any_bytes_give_a_list_or_one_clear_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "subscribers.csv"
        path.write_bytes(data)
        try:
            subscribers = read_subscribers(path)
        except SubscriberError:
            pass
        else:
            for row in subscribers:
                assert "\n" not in row.name and not find_unsafe(row.name)
                row.cells  # noqa: B018  (every row's cells can be read)
            subscribers.active()
            export_csv(subscribers)
        with contextlib.suppress(SubscriberError):
            read_import(path)


JUNK = st.lists(st.sampled_from(['"', '""', ",", "x", "\x00", "\u2028", "\x85", "=", ";", " "]), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(JUNK.map("".join), min_size=1, max_size=12))
def test_no_row_is_lost_or_merged_whatever_its_quotes(junk: list[str]) -> None:
    # One reader a line, each line with some junk after its address: every reader stays a row of their own.
    lines = [f"r{number}@example.org,{cell},active\n" for number, cell in enumerate(junk)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "subscribers.csv"
        path.write_text("email,name,status\n" + "".join(lines), encoding="utf-8")
        subscribers = read_subscribers(path)
        assert [(row.email, row.line) for row in subscribers] == [
            (f"r{number}@example.org", number + 2) for number in range(len(junk))
        ]
