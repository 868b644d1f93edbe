"""Reading what a person wrote in an email: decoded headers, the body as text, and only the new text above any
quote or forward marker (a request is never read from quoted or forwarded text)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.errors import CharsetError, HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from html.parser import HTMLParser

from newsletter.clean import LINE_LIMIT, NAME_LIMIT, clean_line

# Raw header text read at most: longer values are cut before decoding (a 10 MB Subject costs nothing to refuse).
RAW_HEADER_LIMIT = 16_384
# What a request or token is looked for in: the new text's first lines. A body is cut to this many characters
# before it is split into lines, and an HTML part to BODY_LIMIT * 4 before it is parsed.
BODY_LIMIT = 100_000

# Lines that start quoted or forwarded text in the clients readers use: Gmail, Outlook (desktop and web), Apple
# Mail, Thunderbird, and their French, German, Spanish, Russian, Chinese and Hindi versions.
_MARKERS = re.compile(
    r"""^(?:
        >                                                     # quoted line
      | -{2,}\s*(?:original\s+message|forwarded\s+message|weitergeleitete\s+nachricht|message\s+d'origine)
      | begin\s+forwarded\s+message
      | _{10,}\s*$                                            # Outlook's rule above the quoted header block
      | (?:from|de|von|от|发件人|प्रेषक)\s*[:：].*$            # Outlook: 'From: ...' then Sent/Date/To lines
      | -- ?$                                                 # signature separator
      | on\b.{0,200}\bwrote:?\s*$                             # Gmail, Apple Mail: 'On <date>, <name> wrote:'
      | le\b.{0,200}a\s+écrit\s*:?\s*$
      | am\b.{0,200}schrieb.{0,100}:?\s*$
      | el\b.{0,200}escribió\s*:?\s*$
      | .{0,200}пишет:?\s*$
      | 在.{0,200}写道[:：]?\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Gmail wraps a long 'On ... wrote:' over two lines; the first of them then ends without 'wrote:'.
_WROTE_START = re.compile(r"^on\s.{10,}$", re.IGNORECASE)
_WROTE_END = re.compile(r"wrote:\s*$", re.IGNORECASE)


def decode_words(raw: str, limit: int = LINE_LIMIT) -> str:
    """An RFC 2047 header value decoded right (the space between adjacent encoded words is dropped, as the RFC
    says and email.policy.default does not; bytes the charset cannot decode become U+FFFD), then made one clean
    line of at most `limit` characters: an encoded word can carry NUL, ESC, CR/LF or bidi overrides."""
    raw = from_surrogates(raw[:RAW_HEADER_LIMIT])
    try:
        text = str(make_header(decode_header(raw)))
    # A bad charset (a non-ASCII charset name raises CharsetError), or a B word whose base64 is cut short
    # (HeaderParseError): the raw text, cleaned, is kept.
    except (LookupError, ValueError, AssertionError, HeaderParseError, CharsetError):
        text = raw
    return clean_line(text, limit)


def from_surrogates(text: str) -> str:
    # The parser keeps raw 8-bit header bytes as surrogate escapes; most such mail is UTF-8 (RFC 6532).
    if any("\udc80" <= char <= "\udcff" for char in text):
        data = text.encode("utf-8", "surrogateescape")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    return text


def raw_header(message: Message, name: str) -> list[str]:
    """Every value of header `name` as it is in the message, top first (unparsed by the policy). Raw text from a
    stranger: read it through `header_text` or `decode_words` before it becomes data."""
    wanted = name.lower()
    return [str(value) for key, value in message.raw_items() if key.lower() == wanted]


def header_text(message: Message, name: str, limit: int = LINE_LIMIT) -> str:
    """The first value of header `name` as one clean line of at most `limit` characters, not decoded (for
    Message-ID, Date, Authentication-Results: fields RFC 2047 does not apply to); '' when there is none."""
    values = raw_header(message, name)
    return clean_line(from_surrogates(values[0][:RAW_HEADER_LIMIT]), limit) if values else ""


def sender(message: Message) -> tuple[str, str] | None:
    """(display name, address) of the only address in the From header, or None when there is not exactly one."""
    values = raw_header(message, "From")
    if len(values) != 1:
        return None
    # Unfold and find the address on the raw text, where encoded words are still atoms, then decode the name.
    pairs = [
        pair for pair in getaddresses([" ".join(from_surrogates(values[0][:RAW_HEADER_LIMIT]).split())]) if pair[1]
    ]
    if len(pairs) != 1:
        return None
    name, address = pairs[0]
    return decode_words(name, NAME_LIMIT), address.strip()


class _HtmlText(HTMLParser):
    """The visible text of an HTML body, without quoted parts (blockquote, Gmail's and Outlook's quote blocks)."""

    _BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "table", "hr"})
    _HIDDEN = frozenset({"script", "style", "head", "title", "blockquote"})
    _QUOTE_CLASSES = ("gmail_quote", "gmail_attr", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote")
    _QUOTE_IDS = ("divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: list[str] = []
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        values = {key: (value or "").lower() for key, value in attrs}
        if any(name in values.get("class", "") for name in self._QUOTE_CLASSES) or values.get("id", "") in (
            self._QUOTE_IDS
        ):
            self.stopped = True  # everything after the reply's quote block is quoted text
            return
        if tag in self._HIDDEN:
            self.hidden.append(tag)
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS and not self.stopped:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.hidden and self.hidden[-1] == tag:
            self.hidden.pop()
        elif tag in self._BREAKS and not self.stopped:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.stopped and not self.hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _HtmlText()
    parser.feed(markup[: BODY_LIMIT * 4])
    parser.close()
    lines = (" ".join(line.replace("\xa0", " ").split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(lines)


def _text_parts(part: Message) -> Iterator[Message]:
    """Leaf parts in order, not descending into attached messages (a forwarded .eml is not the sender's text)."""
    if part.is_multipart():
        for sub in part.get_payload():
            assert isinstance(sub, Message)
            if not sub.get_content_type().startswith("message/"):
                yield from _text_parts(sub)
    elif part.get_content_disposition() != "attachment":
        yield part


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    # A charset Python does not know or cannot look up (a NUL in its name), or one of its codecs that refuses
    # "replace" (charset=idna, undefined): most such mail is UTF-8 or close to it.
    except (LookupError, ValueError):
        return payload.decode("utf-8", "replace")


def body_text(message: Message) -> str:
    """The message's text: its first text/plain part, else its first HTML part as text; '' when it has neither.

    Read with the fast compat32 parser: policy.default's header objects cost milliseconds a message."""
    html: Message | None = None
    for part in _text_parts(message):
        kind = part.get_content_type()
        if kind == "text/plain":
            return _decoded(part)[:BODY_LIMIT]
        if kind == "text/html" and html is None:
            html = part
    return html_to_text(_decoded(html))[:BODY_LIMIT] if html is not None else ""


# A postscript below the signature is still the sender's own text: "P.S.", "PS:", "P.P.S.".
_SIGNATURE = re.compile(r"^-- ?$")
_POSTSCRIPT = re.compile(r"^p\.?\s?(?:p\.?\s?)?s\b\.?", re.IGNORECASE)
SIGNATURE_LINES = 20  # how far below a signature separator a postscript is looked for


def _is_marker(lines: list[str], index: int) -> bool:
    stripped = lines[index].strip()
    if _MARKERS.match(stripped):
        return True
    following = lines[index + 1].strip() if index + 1 < len(lines) else ""
    return bool(_WROTE_START.match(stripped) and _WROTE_END.search(following))


def _postscript(lines: list[str], start: int) -> tuple[list[str], int]:
    """A postscript among the lines below a signature separator, and where what follows it starts."""
    for index in range(start, min(len(lines), start + SIGNATURE_LINES)):
        if _is_marker(lines, index):
            return [], index
        if _POSTSCRIPT.match(lines[index].strip()):
            end = next((i for i in range(index, len(lines)) if _is_marker(lines, i)), len(lines))
            return ["", *lines[index:end]], end
    return [], start


def split_reply(text: str) -> tuple[str, str]:
    """(new text, quoted text): what the sender wrote above the first quote or forward marker (and a postscript
    below their signature), and what they quoted or forwarded, from its marker on ('' when there is none)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = next((i for i in range(len(lines)) if _is_marker(lines, i)), len(lines))
    kept = lines[:index]
    if index < len(lines) and _SIGNATURE.match(lines[index].strip()):
        postscript, index = _postscript(lines, index + 1)
        while postscript and kept and not kept[-1].strip():
            kept.pop()
        kept += postscript
        # what follows a signature is the signature, up to the next quote or forward marker
        index = next(
            (i for i in range(index, len(lines)) if _is_marker(lines, i) and not _SIGNATURE.match(lines[i].strip())),
            len(lines),
        )
    return "\n".join(kept).strip(), "\n".join(lines[index:]).strip()


def new_text(text: str) -> str:
    """The text above the first quote or forward marker (and a postscript below the signature): what the sender
    wrote in this message."""
    return split_reply(text)[0]


def first_lines(text: str, count: int = 5, limit: int = 400) -> str:
    """The first `count` non-empty lines, joined by spaces: where a request is looked for in the body."""
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return " ".join(lines[:count])[:limit]
