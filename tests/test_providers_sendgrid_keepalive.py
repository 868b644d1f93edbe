"""The SendGrid provider keeps its connection alive between requests, and a kept connection never turns a
request that went nowhere into one "in doubt", nor one that went out into one sent twice (DESIGN.md, "Sending,
exactly once"): dropped before the request goes out, it is sent on a new connection; dropped after, it is in doubt."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace

import pytest
from send_support import FakeTime, fast_retry, mailing_of, make_rendered, recipient
from sendgrid_fake import API_KEY, FakeSendGrid, Fault

from conftest import ROOT
from newsletter.config import load_config
from newsletter.providers import sendgrid_http
from newsletter.providers.sendgrid import SendGridProvider

BASE = load_config(ROOT / "newsletter.toml")
MAILING = mailing_of(make_rendered())


def batch(number: int) -> list:  # type: ignore[type-arg]
    return [recipient(f"a{number}@example.org"), recipient(f"b{number}@example.org")]


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def provider(sendgrid_server: FakeSendGrid, time: FakeTime) -> Iterator[SendGridProvider]:
    config = replace(BASE, sendgrid=replace(BASE.sendgrid, host=sendgrid_server.url, timeout=2.0))
    sender = SendGridProvider(config, API_KEY, retry=fast_retry(time))
    yield sender
    sender.close()


def delivered_once(server: FakeSendGrid, batches: int) -> bool:
    expected = sorted(
        email for number in range(batches) for email in (f"a{number}@example.org", f"b{number}@example.org")
    )
    return sorted(server.delivered_addresses()) == expected


def test_one_connection_carries_every_request(provider: SendGridProvider, sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.load_suppressions("bounces", ["x@example.org"])
    results = [provider.send_batch(MAILING, batch(number)) for number in range(3)]
    provider.request_json("GET", "/v3/suppression/bounces")
    assert [(r.status, r.message_id) for r in results] == [("sent", "msg-1"), ("sent", "msg-2"), ("sent", "msg-3")]
    assert sendgrid_server.connections == 1 and delivered_once(sendgrid_server, 3)


def test_close_ends_the_connection(provider: SendGridProvider, sendgrid_server: FakeSendGrid) -> None:
    provider.send_batch(MAILING, batch(0))
    provider.close()
    provider.send_batch(MAILING, batch(1))
    assert sendgrid_server.connections == 2 and delivered_once(sendgrid_server, 2)


def test_a_connection_the_server_dropped_while_idle_is_replaced_before_the_request(
    provider: SendGridProvider, sendgrid_server: FakeSendGrid, time: FakeTime
) -> None:
    assert provider.send_batch(MAILING, batch(0)).status == "sent"
    sendgrid_server.drop_connections()
    result = provider.send_batch(MAILING, batch(1))
    assert (result.status, result.reason) == ("sent", "")
    assert sendgrid_server.connections == 2 and sendgrid_server.requests == 2 and time.sleeps == []
    assert delivered_once(sendgrid_server, 2)


def test_a_dropped_connection_is_seen_before_a_request_without_a_body(
    provider: SendGridProvider, sendgrid_server: FakeSendGrid, time: FakeTime
) -> None:
    """A GET is one write, which a connection the server closed still takes: only looking first tells."""
    provider.send_batch(MAILING, batch(0))
    sendgrid_server.drop_connections()
    assert provider.request_json("GET", "/v3/suppression/bounces") == []
    assert sendgrid_server.other_calls == 1 and time.sleeps == [] and sendgrid_server.connections == 2


def test_a_connection_idle_too_long_is_not_used(provider: SendGridProvider, sendgrid_server: FakeSendGrid) -> None:
    clock = [100.0]
    provider._connections.clock = lambda: clock[0]
    provider.send_batch(MAILING, batch(0))
    clock[0] += sendgrid_http.MAX_IDLE + 0.1
    provider.send_batch(MAILING, batch(1))
    clock[0] += sendgrid_http.MAX_IDLE - 0.1
    provider.send_batch(MAILING, batch(2))
    assert sendgrid_server.connections == 2 and delivered_once(sendgrid_server, 3)


def test_a_kept_connection_that_fails_while_the_request_is_written_sends_it_on_a_new_one(
    provider: SendGridProvider, sendgrid_server: FakeSendGrid, time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drop was not seen before the request (it came as the request was written): the write fails, so the
    server has no whole request, and the request goes out again at once on a new connection."""
    provider.send_batch(MAILING, batch(0))
    monkeypatch.setattr(sendgrid_http, "_readable", lambda sock: False)
    held = provider._connections._local.held.connection
    held.sock.shutdown(socket.SHUT_WR)  # the next write on it fails: EPIPE
    result = provider.send_batch(MAILING, batch(1))
    assert result.status == "sent" and time.sleeps == []
    assert sendgrid_server.connections == 2 and sendgrid_server.requests == 2 and delivered_once(sendgrid_server, 2)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault.close_after(), "Remote end closed connection without response"),
        (Fault.close_after(reset=True), "[Errno 104] Connection reset by peer"),
        (Fault.close_before(), "Remote end closed connection without response"),
    ],
)
def test_a_kept_connection_dropped_once_the_request_went_out_is_in_doubt(
    provider: SendGridProvider, sendgrid_server: FakeSendGrid, time: FakeTime, fault: Fault, reason: str
) -> None:
    sendgrid_server.faults = [None, fault]
    assert provider.send_batch(MAILING, batch(0)).status == "sent"
    result = provider.send_batch(MAILING, batch(1))
    assert (result.status, result.fatal) == ("in_doubt", "")
    assert result.reason == f"no answer from SendGrid ({reason}): it may have sent it"
    assert sendgrid_server.connections == 1 and sendgrid_server.requests == 2 and time.sleeps == []
    # The next batch goes out on a new connection.
    assert provider.send_batch(MAILING, batch(2)).status == "sent" and sendgrid_server.connections == 2


def test_a_kept_connection_is_held_to_the_deadline(sendgrid_server: FakeSendGrid, time: FakeTime) -> None:
    config = replace(BASE, sendgrid=replace(BASE.sendgrid, host=sendgrid_server.url, timeout=0.3))
    sender = SendGridProvider(config, API_KEY, retry=fast_retry(time))
    sendgrid_server.faults = [None, Fault.trickle(0.05)]  # the second answer: a byte every 50 ms, some 3.5 s
    try:
        assert sender.send_batch(MAILING, batch(0)).status == "sent"
        result = sender.send_batch(MAILING, batch(1))
        assert (result.status, result.reason) == (
            "in_doubt",
            "no answer from SendGrid (timed out): it may have sent it",
        )
        assert sender.send_batch(MAILING, batch(2)).status == "sent"
    finally:
        sender.close()
    assert sendgrid_server.connections == 2 and delivered_once(sendgrid_server, 3)
