"""The one boundary where text from outside becomes data.

Mail headers and bodies, CSV cells, scraped pages and YAML are hostile until they pass through here: decoded by
the caller, then normalised to NFC, stripped of the characters that change what a file, a header or a terminal
means (control characters, line and paragraph separators, bidirectional overrides), and capped in length. What
comes out is plain text: it is escaped once where it goes (HTML, CSV, a header built by the email package) and is
never decoded or scanned for placeholders again.

Zero-width joiner and non-joiner (U+200C, U+200D) stay: Hindi, Tamil, Bengali and Urdu names need them.
"""

from __future__ import annotations

import re
import unicodedata

from newsletter.errors import UsageError

# C0 and C1 controls and DEL; tab and newline are handled by the callers' whitespace rules.
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Line and paragraph separators (str.splitlines breaks at them; some mail clients do too), bidirectional
# embeddings, overrides and isolates (they reorder what a reader or a terminal shows: "Trojan Source"), the
# byte-order mark, and the noncharacters U+FFFE/U+FFFF.
_INVISIBLE = "\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff"
_UNSAFE = re.compile(f"[{_CONTROL}{_INVISIBLE}\ud800-\udfff]")
_UNSAFE_MULTILINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_INVISIBLE}\ud800-\udfff]")
_SPACES = re.compile(r"\s+")

NAME_LIMIT = 200  # characters in a reader's name: more is not a name
LINE_LIMIT = 998  # RFC 5322's line limit: no header value from outside needs more


def clean_line(value: str, limit: int = LINE_LIMIT) -> str:
    """One line of plain text: NFC, no unsafe character, whitespace runs (CR and LF included) as one space,
    trimmed, at most `limit` characters."""
    text = _SPACES.sub(" ", _UNSAFE.sub(" ", value)).strip()
    return unicodedata.normalize("NFC", text)[:limit].rstrip()


def clean_text(value: str, limit: int) -> str:
    """Several lines of plain text: NFC, line ends as '\\n', tabs kept, no other unsafe character, at most
    `limit` characters."""
    text = _UNSAFE_MULTILINE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFC", text)[:limit]


def find_unsafe(value: str, *, multiline: bool = False) -> str:
    """The first character `clean_line` (or `clean_text` when `multiline`) would remove, or ''."""
    match = (_UNSAFE_MULTILINE if multiline else _UNSAFE).search(value)
    if match:
        return match.group()
    if not multiline and ("\n" in value or "\r" in value):
        return "\n" if "\n" in value else "\r"
    return ""


# unicodedata has no names for the C0 and C1 controls; these are their Unicode aliases, for the ones seen in
# hostile input.
_CONTROL_NAMES = {
    "\x00": "NULL",
    "\x07": "BELL",
    "\x08": "BACKSPACE",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
}


def describe_char(char: str) -> str:
    """U+000A LINE FEED, for messages that name a character an editor cannot see."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def show(value: str) -> str:
    """Text for a terminal: every unsafe character (an escape sequence's ESC, say) written as \\xNN or \\uNNNN, so
    a name or Message-ID from a stranger cannot move the cursor, recolour or rewrite what the editor sees."""
    return _UNSAFE.sub(_escape, value.replace("\n", "\\n").replace("\r", "\\r")) if _needs_showing(value) else value


def show_lines(text: str) -> str:
    """show() line by line: a message's own line breaks stay, anything else unsafe is escaped."""
    return "\n".join(show(line) for line in text.split("\n"))


def _needs_showing(value: str) -> bool:
    return bool(_UNSAFE.search(value)) or "\n" in value or "\r" in value


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def check_option_line(value: str | None, option: str, what: str) -> None:
    """A UsageError unless an option's `value` is one line of plain text (the rule applied to text from outside):
    a --title or --section with a line break would reach a subject or a heading."""
    bad = find_unsafe(value or "")
    if bad:
        raise UsageError(f"Invalid value for {option}: it contains {describe_char(bad)}: write {what} on one line.")
