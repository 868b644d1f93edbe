"""Each reader's message of a batch as bytes, filled in from one message the builder made for the batch.

The email package takes some 3 ms to build and serialise a message, too slow for hundreds a second (the SMTP
provider sends every reader a complete message). So mime.build_reader_message builds one message per batch, for a
probe reader with the placeholders left in, and it is cut into its header lines and parts; each reader then gets
their own To, Message-ID and List-Unsubscribe lines and their own personalised text and HTML, quoted-printable
encoded by binascii. The boundary stays: it starts with "=_", which quoted-printable text can never contain.
tests/test_providers_smtp.py holds the result equal, parsed, to build_reader_message's own.
"""

from __future__ import annotations

import re
from datetime import datetime

from newsletter.clean import NAME_LIMIT
from newsletter.config import Config
from newsletter.message.content import Content, Recipient
from newsletter.message.mime import (
    address_header,
    build_reader_message,
    fold_header,
    make_message_id,
    quoted_printable,
    sender_domain,
    text_header,
)
from newsletter.message.personalize import personalize

PROBE = "probe@newsletter.invalid"
PROBE_HEADER = "X-Newsletter-Probe"


class MessageFactory:
    """Each reader's message, as mime.build_reader_message makes it, from one message built per batch."""

    def __init__(self, config: Config, content: Content, date: datetime) -> None:
        probe = build_reader_message(config, content, Recipient(PROBE, "", {}, {PROBE_HEADER: "1"}), date)
        self.content = content
        self.domain = sender_domain(config)
        # raw_items(), as the generator writes them: items() would parse (and decode) what mime stored as it is.
        self.header_lines = [(name.lower(), fold_header(name, value).encode()) for name, value in probe.raw_items()]
        self.boundary = str(probe.get_boundary()).encode("ascii")
        self.part_headers = [
            b"".join(fold_header(name, value).encode() for name, value in part.raw_items())
            for part in probe.iter_parts()
        ]
        self.parts = (cut_template(content.text), cut_template(content.html))

    def message_bytes(self, recipient: Recipient) -> tuple[str, bytes]:
        """(Message-ID, the complete message with CRLF line ends)."""
        message_id = make_message_id(self.content.key, recipient.email, self.domain)
        lines: list[bytes] = []
        for name, line in self.header_lines:
            if name == "to":
                lines.append(_to_line(recipient.email, recipient.name))
            elif name == "message-id":
                lines.append(f"Message-ID: {message_id}\r\n".encode())
            elif name == PROBE_HEADER.lower():
                lines.extend(_header_line(key, value) for key, value in recipient.headers.items())
            else:
                lines.append(line)
        body: list[bytes] = []
        values = dict(recipient.values)
        for headers, segments in zip(self.part_headers, self.parts, strict=True):
            encoded = b"".join(
                segment if isinstance(segment, bytes) else encode_text(personalize(segment, values))
                for segment in segments
            )
            # The CRLF before a boundary belongs to the boundary (RFC 2046): the part's own last line end stays.
            body.append(b"--" + self.boundary + b"\r\n" + headers + b"\r\n" + encoded + b"\r\n")
        return message_id, b"".join(lines) + b"\r\n" + b"".join(body) + b"--" + self.boundary + b"--\r\n"


def encode_text(text: str) -> bytes:
    """Text as the builder's parts carry it (mime.quoted_printable), with CRLF line ends."""
    return quoted_printable(text).replace(b"\n", b"\r\n")


def cut_template(template: str) -> list[bytes | str]:
    """A part's template cut at line ends into runs without placeholders, encoded once here (bytes), and the lines
    holding one (str), personalised and encoded per reader.

    Quoted-printable works line by line and every piece ends with its line break, so the pieces encoded apart join
    into exactly what encoding the whole personalised text gives; only a few lines name the reader, and encoding
    the rest once per batch halves the sender's work per message."""
    segments: list[bytes | str] = []
    plain: list[str] = []
    for line in template.splitlines(keepends=True):
        if "%%" not in line:
            plain.append(line)
            continue
        if plain:
            segments.append(encode_text("".join(plain)))
            plain = []
        segments.append(line)
    if plain or not segments:
        segments.append(encode_text("".join(plain)))
    return segments


# The email package's header folding costs ~0.2 ms a line; these shapes come out of it unchanged (and clean_line
# leaves them as they are), so they skip it. Everything else is built as the builder builds it.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")
_PLAIN_VALUE = re.compile(r"[!-~]+(?: [!-~]+)*")


def _to_line(email: str, name: str) -> bytes:
    if (
        _PLAIN_ADDRESS.fullmatch(email)
        and "=?" not in email
        and (not name or (len(name) <= NAME_LIMIT and _PLAIN_NAME.fullmatch(name)))
    ):
        return f"To: {name} <{email}>\r\n".encode() if name else f"To: {email}\r\n".encode()
    return fold_header("To", address_header("To", name, email)).encode()


def _header_line(name: str, value: str) -> bytes:
    if len(name) + len(value) + 2 <= 998 and "=?" not in value and _PLAIN_VALUE.fullmatch(value):
        return f"{name}: {value}\r\n".encode()
    return fold_header(name, text_header(name, value)).encode()
