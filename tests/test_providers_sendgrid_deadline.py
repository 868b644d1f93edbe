"""Every SendGrid call ends within [sendgrid] timeout, answer included, and the suppression sync within a bound.

The fake SendGrid trickles an answer a byte at a time (each byte well within a socket timeout, the whole answer far
later), or answers every call late; the deadlines here are fractions of a second, so nothing waits long."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from send_support import FakeTime, Sub, fast_retry, mailing_of, make_publication, make_rendered, recipient, run, send
from sendgrid_fake import API_KEY, FakeSendGrid, Fault

from conftest import ROOT
from newsletter.config import Config, load_config
from newsletter.errors import ProviderError
from newsletter.providers.sendgrid import SendGridProvider
from newsletter.providers.sendgrid_suppressions import get_pages
from newsletter.sending.suppressions import sync_suppressions

BASE = load_config(ROOT / "newsletter.toml")
THREE = [recipient("a@example.org", "Asha"), recipient("b@example.org"), recipient("c@example.org", "Ravi")]


def config_for(server: FakeSendGrid, timeout: float) -> Config:
    return replace(BASE, sendgrid=replace(BASE.sendgrid, host=server.url, timeout=timeout))


def every_call(fault: Fault) -> Any:
    return lambda index, body: fault


def test_a_trickled_answer_to_a_mail_send_is_in_doubt_at_the_deadline(sendgrid_server: FakeSendGrid) -> None:
    time = FakeTime()
    sender = SendGridProvider(config_for(sendgrid_server, 0.3), API_KEY, retry=fast_retry(time))
    sendgrid_server.faults = [Fault.trickle(0.05)]  # some 70 bytes: 3.5 s in all, never 0.3 s without a byte
    result = sender.send_batch(mailing_of(make_rendered()), THREE)
    assert (result.status, result.fatal) == ("in_doubt", "")
    assert result.reason == "no answer from SendGrid (timed out): it may have sent it"
    assert sendgrid_server.delivered_addresses() == ["a@example.org", "b@example.org", "c@example.org"]
    assert sendgrid_server.requests == 1 and time.sleeps == []  # in doubt: never retried


def test_a_trickled_answer_to_another_call_is_one_clear_error(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.load_suppressions("bounces", [f"b{n}@example.org" for n in range(3)])
    sendgrid_server.call_faults = [Fault.trickle(0.05)]
    config = config_for(sendgrid_server, 0.3)
    sender = SendGridProvider(config, API_KEY, retry=fast_retry())
    with pytest.raises(ProviderError) as error:
        get_pages(sender, "/v3/suppression/bounces")
    assert str(error.value) == (
        f"SendGrid did not answer GET /v3/suppression/bounces within 0.3 s: try again later, or raise [sendgrid] "
        f"timeout in {config.path} if it is always this slow."
    )
    assert sendgrid_server.other_calls == 1  # a slow answer is not asked for again


def test_a_slow_answer_before_the_headers_is_the_same_error(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.call_faults = [Fault.slow(5.0)]  # the fixture's stop() ends the wait
    config = config_for(sendgrid_server, 0.3)
    sender = SendGridProvider(config, API_KEY, retry=fast_retry())
    with pytest.raises(ProviderError) as error:
        sender.create_batch_id()
    assert str(error.value) == (
        f"SendGrid did not answer POST /v3/mail/batch within 0.3 s: try again later, or raise [sendgrid] timeout "
        f"in {config.path} if it is always this slow."
    )
    assert sendgrid_server.other_calls == 1  # SendGrid made the batch id; the answer came too late to use it


def test_answers_in_time_still_arrive(sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.load_suppressions("bounces", ["b@example.org"])
    sendgrid_server.call_faults = every_call(Fault.trickle(0.001))
    sender = SendGridProvider(config_for(sendgrid_server, 5.0), API_KEY, retry=fast_retry())
    assert [item["email"] for item in get_pages(sender, "/v3/suppression/bounces")] == ["b@example.org"]


def test_the_sync_as_a_whole_is_bounded(sendgrid_server: FakeSendGrid, tmp_path: Path) -> None:
    # Each list answers within the 0.5 s timeout, but the sync may take two timeouts in all: the third list is cut.
    config = make_publication(tmp_path, [Sub("a@example.org")], sendgrid={"host": sendgrid_server.url, "timeout": 0.5})
    sendgrid_server.call_faults = every_call(Fault.slow(0.4))
    sender = SendGridProvider(config, API_KEY, retry=fast_retry())
    before = (tmp_path / "subscribers.csv").read_bytes()
    with pytest.raises(ProviderError) as error:
        sync_suppressions(sender, config.subscribers_path)
    assert str(error.value) == (
        "reading SendGrid's suppression lists took longer than 1 s (the last call was GET "
        f"/v3/suppression/invalid_emails): SendGrid is slow; try again later, or raise [sendgrid] timeout in "
        f"{config.path}."
    )
    assert [call[1].partition("?")[0] for call in sendgrid_server.calls] == [
        "/v3/suppression/bounces",
        "/v3/suppression/blocks",
        "/v3/suppression/invalid_emails",
    ]  # the third was cut off, and nothing was asked after it
    assert (tmp_path / "subscribers.csv").read_bytes() == before


def test_cli_sync_against_a_trickling_sendgrid(
    sendgrid_server: FakeSendGrid, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_publication(tmp_path, [Sub("a@example.org")], sendgrid={"host": sendgrid_server.url, "timeout": 0.3})
    sendgrid_server.call_faults = [None, Fault.trickle(0.05)]
    monkeypatch.setenv("SENDGRID_API_KEY", API_KEY)
    result = run(tmp_path, "suppressions", "sync")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: SendGrid did not answer GET /v3/suppression/blocks within 0.3 s: try again later, or raise "
        "[sendgrid] timeout in newsletter.toml if it is always this slow.\n"
    )


def test_a_send_stops_before_sending_when_the_sync_is_slow(sendgrid_server: FakeSendGrid, tmp_path: Path) -> None:
    make_publication(tmp_path, [Sub("a@example.org")], sendgrid={"host": sendgrid_server.url, "timeout": 0.3})
    sendgrid_server.call_faults = [Fault.trickle(0.05)]
    with pytest.raises(ProviderError) as error:
        send(tmp_path, "sendgrid", sendgrid_key=API_KEY, retry=fast_retry())
    assert str(error.value) == (
        "SendGrid did not answer GET /v3/suppression/bounces within 0.3 s: try again later, or raise "
        "[sendgrid] timeout in newsletter.toml if it is always this slow."
    )
    assert sendgrid_server.requests == 0 and not (tmp_path / "sends" / "2015-03-16.jsonl").exists()
