"""SendGrid's Event Webhook over real HTTP, served by uvicorn as production runs it, signed with a test ECDSA P-256
key pair the way SendGrid signs (over the timestamp header's value followed by the raw body): a batch of mixed
events, the same batch twice, a forged signature, an altered body, a replayed old timestamp, malformed JSON, a 5 MB
batch and one over the limit."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conftest import ROOT, TEST_SECRET
from newsletter.config import load_config
from newsletter.errors import ConfigError
from newsletter.subscribers.journal import read_pending
from newsletter.subscribers.journal_apply import apply_journal
from newsletter.subscribers.listfile import read_subscribers
from newsletter.web.app import create_app
from web_support import Server, make_publication, running

READERS = [(f"reader{n}@example.org", "active") for n in range(20)] + [("gone@example.org", "unsubscribed")]
ISSUE = "2015-03-16"


def make_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_key_text(key: ec.EllipticCurvePrivateKey) -> str:
    """The public key as SendGrid shows it: base64 DER SubjectPublicKeyInfo, no PEM framing."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


KEY = make_key()
OTHER_KEY = make_key()


def signed(body: bytes, key: ec.EllipticCurvePrivateKey = KEY, at: int | None = None) -> dict[str, str]:
    timestamp = str(int(time.time()) if at is None else at)
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "Content-Type": "application/json",
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = make_publication(tmp_path_factory.mktemp("webhook"), READERS)
    with running(root, env={"SENDGRID_WEBHOOK_PUBLIC_KEY": public_key_text(KEY)}) as running_server:
        yield running_server


def url(server: Server) -> str:
    return f"{server.base}/webhooks/sendgrid"


def event(kind: str, email: str, event_id: str, issue: str = ISSUE, **fields: Any) -> dict[str, Any]:
    """An event as SendGrid posts it, with the custom_args our sends carry copied in as top-level fields."""
    return {
        "email": email,
        "timestamp": 1_426_500_000,
        "event": kind,
        "sg_event_id": event_id,
        "sg_message_id": f"msg-{event_id}.filter0001",
        "issue": issue,
        "recipient": email,
        **fields,
    }


def query(server: Server, sql: str, *parameters: str) -> list[tuple[Any, ...]]:
    path = server.root / "events" / "events.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as connection:
        return connection.execute(sql, parameters).fetchall()


def stored(server: Server, issue: str | None = None) -> list[tuple[Any, ...]]:
    """What the events file holds (of `issue`): (event, email, url, count, source, detail)."""
    columns = "event, email, url, count, source, detail"
    if issue is None:
        return query(server, f"SELECT issue, {columns} FROM events ORDER BY issue, event, email, url")
    return query(server, f"SELECT {columns} FROM events WHERE issue = ? ORDER BY event, email, url", issue)


def seen(server: Server) -> set[str]:
    return {row[0] for row in query(server, "SELECT id FROM seen")}


def journaled(server: Server) -> list[tuple[str, str, str, str]]:
    return [(c.id, c.email, c.status, c.reason) for c in read_pending(server.journal, {}).changes]


def statuses(server: Server) -> dict[str, str]:
    apply_journal(server.root / "subscribers.csv", server.journal)
    return {row.email: row.status for row in read_subscribers(server.root / "subscribers.csv")}


MIXED = [
    event("processed", "reader1@example.org", "p1"),
    event("delivered", "reader1@example.org", "d1", response="250 OK"),
    event("delivered", "reader2@example.org", "d2"),
    event("open", "reader1@example.org", "o1", sg_machine_open=True),
    event("open", "reader1@example.org", "o2", sg_machine_open=False),
    event("click", "reader2@example.org", "c1", url="https://www.indiawrites.org/diplomacy/putin"),
    event("bounce", "reader3@example.org", "b1", type="bounce", status="5.1.1",
          reason="550 5.1.1 The email account that you tried to reach does not exist", bounce_classification="Invalid"),
    event("bounce", "reader4@example.org", "b2", type="blocked", status="4.7.1", reason="421 try again later"),
    event("deferred", "reader5@example.org", "f1", response="450 mailbox busy", attempt="1"),
    event("dropped", "reader6@example.org", "x1", reason="Bounced Address", status="5.0.0"),
    event("dropped", "reader7@example.org", "x2", reason="Spam Content"),
    event("spamreport", "reader8@example.org", "s1"),
    event("unsubscribe", "reader9@example.org", "u1"),
    event("group_unsubscribe", "reader10@example.org", "g1", asm_group_id=42),
    event("bounce", "stranger@example.com", "b3", type="bounce", status="5.1.1", reason="no such user"),
    "not an event",
    {"event": "delivered", "sg_event_id": "n1"},  # no address
]  # fmt: skip


def test_a_mixed_batch_is_kept_journaled_and_applied_and_the_same_batch_again_changes_nothing(server: Server) -> None:
    body = json.dumps(MIXED).encode()
    ids = {f"sg:{item['sg_event_id']}" for item in MIXED if isinstance(item, dict) and "email" in item} - {"sg:p1"}
    readers = {item["email"] for item in MIXED if isinstance(item, dict) and "email" in item}
    answer = httpx.post(url(server), content=body, headers=signed(body))
    assert (answer.status_code, answer.text) == (
        200,
        "ok: 14 event(s) kept from this batch, 14 new, 0 received before, 3 not kept; 6 status change(s) journaled\n",
    )
    assert stored(server, ISSUE) == [
        ("blocked", "reader4@example.org", "", 1, "sendgrid",
         '{"reason": "421 try again later", "status": "4.7.1", "type": "blocked"}'),
        ("bounce", "reader3@example.org", "", 1, "sendgrid",
         '{"bounce_classification": "Invalid", "reason": "550 5.1.1 The email account that you tried to reach does '
         'not exist", "status": "5.1.1", "type": "bounce"}'),
        ("bounce", "stranger@example.com", "", 1, "sendgrid",
         '{"reason": "no such user", "status": "5.1.1", "type": "bounce"}'),
        ("click", "reader2@example.org", "https://www.indiawrites.org/diplomacy/putin", 1, "sendgrid", ""),
        ("deferred", "reader5@example.org", "", 1, "sendgrid", '{"attempt": "1", "response": "450 mailbox busy"}'),
        ("delivered", "reader1@example.org", "", 1, "sendgrid", ""),
        ("delivered", "reader2@example.org", "", 1, "sendgrid", ""),
        ("dropped", "reader6@example.org", "", 1, "sendgrid", '{"reason": "Bounced Address"}'),
        ("dropped", "reader7@example.org", "", 1, "sendgrid", '{"reason": "Spam Content"}'),
        ("group_unsubscribe", "reader10@example.org", "", 1, "sendgrid", '{"asm_group_id": "42"}'),
        ("machine_open", "reader1@example.org", "", 1, "sendgrid", ""),
        ("open", "reader1@example.org", "", 1, "sendgrid", ""),
        ("spamreport", "reader8@example.org", "", 1, "sendgrid", ""),
        ("unsubscribe", "reader9@example.org", "", 1, "sendgrid", ""),
    ]  # fmt: skip
    assert ids <= seen(server) and "sg:p1" not in seen(server)  # a processed event is not kept
    changes = [
        ("sg:b1", "reader3@example.org", "bounced", "SendGrid bounce on 2015-03-16: 5.1.1 550 5.1.1 The email "
         "account that you tried to reach does not exist [sg:b1]"),
        ("sg:x1", "reader6@example.org", "bounced", "SendGrid dropped on 2015-03-16: Bounced Address [sg:x1]"),
        ("sg:s1", "reader8@example.org", "complained", "SendGrid spam report on 2015-03-16 [sg:s1]"),
        ("sg:u1", "reader9@example.org", "unsubscribed", "SendGrid unsubscribe on 2015-03-16 [sg:u1]"),
        ("sg:g1", "reader10@example.org", "unsubscribed", "SendGrid group unsubscribe on 2015-03-16 [sg:g1]"),
        ("sg:b3", "stranger@example.com", "bounced", "SendGrid bounce on 2015-03-16: 5.1.1 no such user [sg:b3]"),
    ]  # fmt: skip
    assert sorted(c for c in journaled(server) if c[0] in ids) == sorted(changes)
    after = statuses(server)
    assert {email: after[email] for email in after if after[email] != "active" and email in readers} == {
        "reader3@example.org": "bounced",
        "reader6@example.org": "bounced",
        "reader8@example.org": "complained",
        "reader9@example.org": "unsubscribed",
        "reader10@example.org": "unsubscribed",
    }
    assert "stranger@example.com" not in after  # a bounce never adds anybody to the list
    rows = {row.email: row for row in read_subscribers(server.root / "subscribers.csv")}
    assert rows["reader3@example.org"].reason == changes[0][3]

    # SendGrid retries a batch it got no 2xx for: everything in it arrives again, re-signed.
    again = httpx.post(url(server), content=body, headers=signed(body))
    assert (again.status_code, again.text) == (
        200,
        "ok: 14 event(s) kept from this batch, 0 new, 14 received before, 3 not kept; 0 status change(s) journaled\n",
    )
    assert [row[3] for row in stored(server, ISSUE)] == [1] * 14  # nothing counted twice
    assert sorted(c for c in journaled(server) if c[0] in ids) == sorted(changes)
    assert statuses(server) == after


def test_a_batch_overlapping_an_earlier_one_adds_only_the_new_events(server: Server) -> None:
    issue = "2015-03-02"
    first = [
        event("delivered", "reader11@example.org", "ov1", issue),
        event("open", "reader11@example.org", "ov2", issue),
    ]
    body = json.dumps(first).encode()
    assert httpx.post(url(server), content=body, headers=signed(body)).status_code == 200
    # The same event twice in a batch counts once; another open of the same reader is counted.
    second = [
        *first,
        event("open", "reader11@example.org", "ov3", issue),
        event("open", "reader11@example.org", "ov3", issue),
    ]
    body = json.dumps(second).encode()
    answer = httpx.post(url(server), content=body, headers=signed(body))
    assert answer.text == (
        "ok: 3 event(s) kept from this batch, 1 new, 2 received before, 1 not kept; 0 status change(s) journaled\n"
    )
    assert stored(server, issue) == [
        ("delivered", "reader11@example.org", "", 1, "sendgrid", ""),
        ("open", "reader11@example.org", "", 2, "sendgrid", ""),
    ]


def _refused(server: Server, body: bytes, headers: dict[str, str], status: int, text: str) -> None:
    events_before, journal_before = stored(server), journaled(server)
    answer = httpx.post(url(server), content=body, headers=headers)
    assert (answer.status_code, answer.text) == (status, text + "\n")
    assert stored(server) == events_before and journaled(server) == journal_before


UNSUBSCRIBE = json.dumps([event("unsubscribe", "reader15@example.org", "forged-1")]).encode()


def test_a_forged_signature_is_refused_and_nothing_is_kept(server: Server) -> None:
    _refused(server, UNSUBSCRIBE, signed(UNSUBSCRIBE, OTHER_KEY), 403,
             "not verified: the signature does not match the body and timestamp")  # fmt: skip
    assert statuses(server)["reader15@example.org"] == "active"


def test_a_body_altered_after_signing_is_refused(server: Server) -> None:
    genuine = json.dumps([event("delivered", "reader15@example.org", "alt-1")]).encode()
    headers = signed(genuine)
    _refused(server, genuine.replace(b"delivered", b"spamreport"), headers, 403,
             "not verified: the signature does not match the body and timestamp")  # fmt: skip
    # The same bytes with a timestamp other than the one signed.
    headers["X-Twilio-Email-Event-Webhook-Timestamp"] = str(int(headers["X-Twilio-Email-Event-Webhook-Timestamp"]) + 1)
    _refused(server, genuine, headers, 403, "not verified: the signature does not match the body and timestamp")


@pytest.mark.parametrize(
    ("headers", "text"),
    [
        ({}, "the X-Twilio-Email-Event-Webhook-Signature and X-Twilio-Email-Event-Webhook-Timestamp headers are both "
             "required"),
        ({"X-Twilio-Email-Event-Webhook-Signature": "!!!not base64!!!"}, "the signature does not match the body and timestamp"),
        ({"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(b"junk").decode()},
         "the signature does not match the body and timestamp"),
        ({"X-Twilio-Email-Event-Webhook-Timestamp": "1e9"}, "the signature headers are malformed"),
        ({"X-Twilio-Email-Event-Webhook-Signature": "A" * 2000}, "the signature headers are malformed"),
    ],
)  # fmt: skip
def test_missing_or_malformed_signature_headers_are_refused(server: Server, headers: dict[str, str], text: str) -> None:
    sent = {**signed(UNSUBSCRIBE), **headers} if headers else {"Content-Type": "application/json"}
    _refused(server, UNSUBSCRIBE, sent, 403, f"not verified: {text}")


def test_a_replayed_old_timestamp_is_refused_even_with_a_valid_signature(server: Server) -> None:
    eleven_minutes_ago = int(time.time()) - 660
    _refused(server, UNSUBSCRIBE, signed(UNSUBSCRIBE, at=eleven_minutes_ago), 403,
             f"not verified: the timestamp {eleven_minutes_ago} is more than 10 minutes off this server's clock: "
             "refused as a replay")  # fmt: skip
    in_an_hour = int(time.time()) + 3600
    _refused(server, UNSUBSCRIBE, signed(UNSUBSCRIBE, at=in_an_hour), 403,
             f"not verified: the timestamp {in_an_hour} is more than 10 minutes off this server's clock: refused as "
             "a replay")  # fmt: skip
    # Within the window it is accepted: nine minutes is a slow retry queue, not a replay.
    late = json.dumps([event("unsubscribe", "reader17@example.org", "late-1", "2015-03-09")]).encode()
    answer = httpx.post(url(server), content=late, headers=signed(late, at=int(time.time()) - 540))
    assert answer.status_code == 200
    assert statuses(server)["reader17@example.org"] == "unsubscribed"


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b'[{"event": "delivered", "email": "reader16@example.org",', "not read: the body is not JSON"),
        (b"\xff\xfe[]", "not read: the body is not JSON"),
        (
            b'{"event": "delivered", "email": "reader16@example.org"}',
            "not read: the body is not a JSON array of events",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "not read: the body is not JSON"),
    ],
)
def test_malformed_json_with_a_valid_signature_is_a_400_and_keeps_nothing(
    server: Server, body: bytes, text: str
) -> None:
    status = 403 if body.startswith(b"\xff") else 400  # not UTF-8: SendGrid signs UTF-8 text, so it is not theirs
    expected = "not verified: the signature does not match the body and timestamp" if status == 403 else text
    _refused(server, body, signed(body), status, expected)


def test_a_5_mb_batch_is_taken_whole(server: Server) -> None:
    events = [
        event(
            "delivered", f"big{n:05d}@example.org", f"big-{n:06d}", "2015-03-23", response="250 2.0.0 OK " + "x" * 200
        )
        for n in range(12_000)
    ]
    body = json.dumps(events).encode()
    assert 5_000_000 < len(body) < 6_000_000
    answer = httpx.post(url(server), content=body, headers=signed(body), timeout=120)
    assert (answer.status_code, answer.text) == (
        200,
        "ok: 12000 event(s) kept from this batch, 12000 new, 0 received before, 0 not kept; "
        "0 status change(s) journaled\n",
    )
    assert len(stored(server, "2015-03-23")) == 12_000


def test_a_batch_over_10_mb_is_refused_before_it_is_read(server: Server) -> None:
    body = b"[" + b" " * (10 * 1024 * 1024) + b"]"
    answer = httpx.post(url(server), content=body, headers=signed(body), timeout=120)
    assert answer.status_code == 413
    # The readers' forms keep their own 64 KB limit.
    form = httpx.post(f"{server.base}/unsubscribe?token=x", content=b"x" * (65 * 1024),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert form.status_code == 413


def test_only_post_is_answered(server: Server) -> None:
    assert httpx.get(url(server)).status_code == 405


def test_without_the_public_key_every_post_is_refused(tmp_path: Path) -> None:
    root = make_publication(tmp_path, READERS)
    with running(root) as bare:
        answer = httpx.post(url(bare), content=UNSUBSCRIBE, headers=signed(UNSUBSCRIBE))
        assert (answer.status_code, answer.text) == (
            403,
            "not verified: SENDGRID_WEBHOOK_PUBLIC_KEY is not set on this server\n",
        )
        assert stored(bare) == [] and journaled(bare) == []


@pytest.mark.parametrize(
    "key",
    [
        "not a key",
        base64.b64encode(b"\x30\x03\x02\x01\x00").decode(),
        # An RSA key is a key, but not the kind SendGrid signs with.
        base64.b64encode(
            rsa.generate_private_key(public_exponent=65537, key_size=1024)
            .public_key()
            .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        ).decode(),
    ],
)
def test_a_wrong_public_key_stops_the_start_without_showing_it(key: str) -> None:
    base = load_config(ROOT / "newsletter.toml")
    config = replace(base, web=replace(base.web, base_url="https://www.indiawrites.org/newsletter"))
    with pytest.raises(ConfigError) as caught:
        create_app(config, TEST_SECRET, dev=True, webhook_key=key)
    assert str(caught.value) == (
        "SENDGRID_WEBHOOK_PUBLIC_KEY is not the verification key SendGrid shows (a base64 ECDSA public key): copy it "
        "again from Settings > Mail Settings > Event Webhook > Signature Verification."
    )


def test_an_events_file_that_cannot_be_written_is_a_503_so_sendgrid_sends_the_batch_again(tmp_path: Path) -> None:
    root = make_publication(tmp_path, READERS)
    (root / "events" / "events.sqlite3").mkdir(parents=True)  # not a file SQLite can open
    body = json.dumps([event("delivered", "reader1@example.org", "e503")]).encode()
    with running(root, env={"SENDGRID_WEBHOOK_PUBLIC_KEY": public_key_text(KEY)}) as broken:
        answer = httpx.post(url(broken), content=body, headers=signed(body))
        assert (answer.status_code, answer.headers["retry-after"], answer.text) == (
            503,
            "60",
            "not recorded: the events file cannot be written just now\n",
        )
