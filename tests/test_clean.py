"""The boundary for text from outside: what comes out is one safe line (or safe lines), whatever goes in."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.clean import clean_line, clean_text, describe_char, find_unsafe, show

UNSAFE = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A)] + [
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u202e",
    "\u2066",
    "\ufeff",
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Support\r\nContent-Type: text/html\r\n\r\n<h1>x", "Support Content-Type: text/html <h1>x"),
        ("Eve\x00", "Eve"),
        ("  Asha \t Rao  ", "Asha Rao"),
        ("\u202eexe.txt", "exe.txt"),
        ("Line\u2028Break", "Line Break"),
        ("e\u0301", "\u00e9"),  # NFC
        ("क्\u200dष", "क्\u200dष"),  # the joiner Indic scripts need stays
    ],
)
def test_clean_line_exact(raw: str, expected: str) -> None:
    assert clean_line(raw) == expected


def test_clean_line_caps_length() -> None:
    assert clean_line("x" * 500, limit=200) == "x" * 200
    assert clean_line("a " * 150, limit=5) == "a a a"


def test_clean_text_keeps_lines_and_tabs() -> None:
    assert clean_text("a\r\nb\x00c\td\re", 100) == "a\nbc\td\ne"


def test_find_unsafe_and_describe() -> None:
    assert find_unsafe("subject\nline") == "\n"
    assert find_unsafe("ok\u2028") == "\u2028"
    assert find_unsafe("fine") == ""
    assert find_unsafe("two\nlines", multiline=True) == ""
    assert describe_char("\u2028") == "U+2028 LINE SEPARATOR"
    assert describe_char("\n") == "U+000A LINE FEED"
    assert describe_char("\x00") == "U+0000 NULL"
    assert describe_char("\x1b") == "U+001B ESCAPE"
    assert describe_char("\x01") == "U+0001"


def test_show_escapes_terminal_sequences() -> None:
    assert show("\x1b[31mred\x1b[0m\r\nnext") == "\\x1b[31mred\\x1b[0m\\r\\nnext"
    assert show("Asha Rao") == "Asha Rao"


@given(st.text(), st.integers(min_value=1, max_value=300))
def test_clean_line_is_one_safe_line(raw: str, limit: int) -> None:
    line = clean_line(raw, limit)
    assert len(line) <= limit
    assert not any(char in line for char in UNSAFE)
    assert "\n" not in line and "\r" not in line
    assert line == line.strip()
    assert clean_line(line, limit) == line  # idempotent: cleaning twice changes nothing
    assert unicodedata.is_normalized("NFC", line)


@given(st.text())
def test_clean_text_has_no_unsafe_character(raw: str) -> None:
    text = clean_text(raw, 10_000)
    assert find_unsafe(text, multiline=True) == ""
    assert "\r" not in text


@given(st.text())
def test_show_has_no_control_character(raw: str) -> None:
    shown = show(raw)
    assert not any(char in shown for char in UNSAFE)
    assert "\n" not in shown
