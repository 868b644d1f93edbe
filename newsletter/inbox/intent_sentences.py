"""A reader's message cut into sentences, each kept as the exact span of text the reader wrote, so that the
sentence that decided a message can be shown as written.

Mail is not prose: a greeting, a request and a signature are often one line each without a full stop, plain
text is hard-wrapped at 72 to 78 characters, and Hindi, Bengali and Urdu end sentences with । and ۔. A line
break ends a sentence unless the line is long and ends without punctuation (a wrapped line); a blank line
always does. Quoted or forwarded text that the inbox's own cut missed is cut here too, at the first quote marker.
"""

from __future__ import annotations

import re
from typing import NamedTuple

TEXT_LIMIT = 10_000  # characters of a message read: a request is never below a long press release
WRAPPED = 45  # a line at least this long that ends without punctuation continues on the next line

_STOP = re.compile(r"[.!?]+(?=[\s\"')\]]|$)|[।॥۔؟。！？]+")
_ABBREVIATION = re.compile(
    r"(?:^|[\s(])(?:mr|mrs|ms|dr|prof|st|no|vs|etc|e\.g|i\.e|sr|jr|smt|shri|sri|viz|approx|dept|govt|pvt|ltd|inc"
    r"|hon|ph\.d|[a-z])$",
    re.IGNORECASE,
)
_ENDS_SENTENCE = re.compile(r"[.!?:;,।॥۔؟。！？…]\W*$")
_QUOTE_MARKER = re.compile(
    r"""^[ \t]*(?:
        >
      | -{2,}[ \t]*(?:original\s+message|forwarded\s+message)
      | begin\s+forwarded\s+message
      | _{10,}[ \t]*$
      | on\b[^\n]{0,200}\bwrote:?[ \t]*$
      | sent\s+from\s+my\b
      | get\s+outlook\s+for\b
      | --[ ]?$
      | \*?from[ \t]*:\*?[^\n]*\n(?:[^\n]*\n){0,2}?[ \t]*\*?(?:sent|date|to|subject|cc)[ \t]*:
    )""",
    re.IGNORECASE | re.VERBOSE | re.MULTILINE,
)


class Span(NamedTuple):
    """A sentence: text[start:end] of the message's new text."""

    start: int
    end: int


def readable_part(text: str) -> str:
    """The text above any quote or forward marker the inbox's cut missed (Outlook's 'From:' line counts when a
    'Sent:', 'Date:', 'To:', 'Subject:' or 'Cc:' line follows within three lines), at most TEXT_LIMIT characters."""
    text = text[:TEXT_LIMIT]
    marker = _QUOTE_MARKER.search(text)
    return text[: marker.start()].rstrip(" \t") if marker else text


def _units(text: str) -> list[tuple[int, int]]:
    """Stretches of text that may hold several sentences but never part of two paragraphs or two short lines."""
    units: list[tuple[int, int]] = []
    start = -1
    previous = ""
    position = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            if start >= 0:
                units.append((start, position))
            start = -1
        elif start < 0:
            start = position
        elif _ENDS_SENTENCE.search(previous) or (len(previous) < WRAPPED and not stripped[0].islower()):
            units.append((start, position))
            start = position
        # else: a wrapped line, or one broken by hand before a lower-case word: the sentence goes on
        previous = stripped
        position += len(line) + 1
    if start >= 0:
        units.append((start, len(text)))
    return units


def split_sentences(text: str) -> list[Span]:
    """The sentences of `text`, in order, each stripped of surrounding whitespace, none empty."""
    spans: list[Span] = []
    for unit_start, unit_end in _units(text):
        start = unit_start
        for match in _STOP.finditer(text, unit_start, unit_end):
            if match.group()[0] == "." and _ABBREVIATION.search(
                text[max(unit_start, match.start() - 8) : match.start()]
            ):
                continue
            spans.append(Span(start, match.end()))
            start = match.end()
        spans.append(Span(start, unit_end))
    stripped: list[Span] = []
    for span in spans:
        piece = text[span.start : span.end]
        if piece.strip():
            left = len(piece) - len(piece.lstrip())
            right = len(piece.rstrip())
            stripped.append(Span(span.start + left, span.start + right))
    return stripped
