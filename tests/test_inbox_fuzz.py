"""Fuzzing the inbox classifier (issue 8): generated and mutated messages (malformed headers, odd and unknown
charsets, encoded words carrying control characters, huge headers, nested multiparts) never make `classify`
raise, and no control character, line break or bidi override reaches any field of its Decision."""

from __future__ import annotations

import base64
import json
import quopri
from dataclasses import astuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, ROOT, TEST_SECRET
from newsletter.clean import find_unsafe
from newsletter.config import load_config
from newsletter.inbox.rules import Decision, classify
from newsletter.inbox.run import rules_for
from newsletter.tokens import make_token

CORPUS = sorted((DATA / "inbox").glob("*.eml"))
RULES = rules_for(load_config(ROOT / "newsletter.toml"), TEST_SECRET)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters that must never come out: C0/C1 controls, DEL, line and paragraph separators, bidi controls, BOM.
HOSTILE = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\x9b\r\n\t\u2028\u2029\u202a\u202e\u2066\u2069\ufeff"
CHARSETS = ["utf-8", "iso-8859-1", "koi8-r", "shift_jis", "gb2312", "utf-16", "utf-7", "idna", "undefined",
            "x-unknown", "base64", "", "utf-8*en"]  # fmt: skip
HEADER_NAMES = ["From", "To", "Subject", "Message-ID", "Date", "Reply-To", "Authentication-Results",
                "Auto-Submitted", "Precedence", "X-Spam", "Return-Path", "List-Id", "Content-Type",
                "Content-Transfer-Encoding", "X-Auto-Response-Suppress", "MIME-Version", "In-Reply-To"]  # fmt: skip

hostile_text = st.text(alphabet=st.sampled_from(HOSTILE) | st.characters(codec="utf-8"), max_size=40)


@st.composite
def encoded_word(draw: st.DrawFn) -> str:
    text = draw(hostile_text)
    charset = draw(st.sampled_from(CHARSETS))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        return f"=?{charset}?b?{base64.b64encode(data).decode()}?="
    return f"=?{charset}?q?{quopri.encodestring(data, header=True).decode()}?="


@st.composite
def header_value(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(encoded_word() | hostile_text | st.sampled_from(["<a@b.org>", "eve@example.org", ","]),
                          max_size=4))  # fmt: skip
    value = " ".join(parts).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 20)) == 0:  # now and then a huge one
        value = value * draw(st.integers(1000, 5000)) + b"x" * 100_000
    if draw(st.booleans()):
        value += draw(st.binary(max_size=20))
    return value


@st.composite
def body(draw: st.DrawFn, depth: int = 0) -> bytes:
    kind = draw(st.sampled_from(["text/plain", "text/html", "multipart/mixed", "multipart/alternative",
                                 "message/rfc822", "application/octet-stream"]))  # fmt: skip
    charset = draw(st.sampled_from(CHARSETS))
    if kind.startswith("multipart/") and depth < 3:
        boundary = draw(st.sampled_from(["b1", "b2", "", "==x==", "b1\x00"]))
        parts = draw(st.lists(body(depth + 1), max_size=3))
        inner = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
        closing = b"--" + boundary.encode() + b"--\r\n" if draw(st.booleans()) else b""
        return f'Content-Type: {kind}; boundary="{boundary}"\r\n\r\n'.encode() + inner + closing
    encoding = draw(st.sampled_from(["7bit", "base64", "quoted-printable", "x-uuencode", "8bit"]))
    text = draw(hostile_text)
    if draw(st.booleans()):
        text += " subscribe " if draw(st.booleans()) else " unsubscribe "
    payload = text.encode("utf-8", "surrogatepass") + draw(st.binary(max_size=30))
    if encoding == "base64" and draw(st.booleans()):
        payload = base64.encodebytes(payload)
    head = f"Content-Type: {kind}; charset={charset}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n"
    return head.encode() + payload


@st.composite
def message(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.tuples(st.sampled_from(HEADER_NAMES), header_value()), max_size=8))
    if draw(st.booleans()):
        display = draw(encoded_word() | hostile_text).encode("utf-8", "surrogatepass")
        headers.append(("From", display + b" <eve@example.org>"))
    if draw(st.booleans()):
        purpose = draw(st.sampled_from(["confirm", "unsubscribe"]))
        token = make_token(TEST_SECRET, purpose, draw(st.sampled_from(["eve@example.org", "victim@example.net"])))
        headers.append(("Subject", f"{purpose} {token}".encode()))
    if draw(st.booleans()):
        headers.append(("Authentication-Results", b"mx.indiawrites.org; dkim=pass header.d=example.org"))
    head = b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers)
    return head + draw(body())


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(CORPUS)).read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(raw)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            raw[position:position] = draw(st.sampled_from(HOSTILE).map(lambda c: c.encode()) | st.binary(max_size=8))
        elif action == "delete":
            del raw[position : position + draw(st.integers(1, 40))]
        else:
            raw[position:position] = raw[max(0, position - 200) : position]
    return bytes(raw)


def assert_clean(decision: Decision) -> None:
    for value in astuple(decision):
        if isinstance(value, str):
            assert find_unsafe(value) == "", (value, decision)
    if decision.consent:
        for value in json.loads(decision.consent).values():
            assert find_unsafe(value) == "", (value, decision)
    assert len(decision.message_id) <= 250 and len(decision.name) <= 201


@FAST
@given(message())
def test_generated_messages_never_raise_nor_leak_control_characters(raw: bytes) -> None:
    assert_clean(classify(raw, RULES))


@FAST
@given(mutated())
def test_mutated_corpus_messages_never_raise_nor_leak_control_characters(raw: bytes) -> None:
    assert_clean(classify(raw, RULES))
