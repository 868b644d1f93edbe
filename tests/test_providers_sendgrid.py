"""The SendGrid provider against a local server that speaks SendGrid's v3 API: payloads, outcomes, exact messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from http import HTTPStatus

import pytest
from send_support import SECRET, FakeTime, fast_retry, mailing_of, make_rendered, recipient
from sendgrid_fake import ALL_SCOPES, API_KEY, FakeSendGrid, Fault
from sendgrid_fake_rules import check_rules, mail_send_validator, schema_errors

from conftest import ROOT, SAMPLE_ISSUE
from golden_files import assert_golden
from newsletter.config import Config, load_config
from newsletter.errors import ProviderError
from newsletter.issue.load import load_issue
from newsletter.message.content import Recipient
from newsletter.message.personalize import list_unsubscribe_headers, recipient_values
from newsletter.providers.sendgrid import SendGridProvider
from newsletter.providers.sendgrid_payload import (
    build_payload,
    encode_payload,
    encode_shell,
    payload_from_message,
    payload_shell,
)
from newsletter.providers.sendgrid_suppressions import get_pages
from newsletter.render.html import render_issue

BASE = load_config(ROOT / "newsletter.toml")
MAILING = mailing_of(make_rendered())
THREE = [recipient("a@example.org", "Asha"), recipient("b@example.org"), recipient("c@example.org", "Ravi")]


def config_for(server: FakeSendGrid, **sendgrid: object) -> Config:
    settings = {"host": server.url, "timeout": 2.0, **sendgrid}
    return replace(BASE, sendgrid=replace(BASE.sendgrid, **settings))  # type: ignore[arg-type]


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def provider(sendgrid_server: FakeSendGrid, time: FakeTime) -> Iterator[SendGridProvider]:
    sender = SendGridProvider(config_for(sendgrid_server), API_KEY, retry=fast_retry(time))
    yield sender
    sender.close()


def assert_valid_for_sendgrid(body: dict[str, object]) -> None:
    errors, _ = check_rules(body, 1_426_464_000.0, lambda batch: True)
    assert errors == [] and schema_errors(mail_send_validator(), body) == []


# --- payloads (pure) ----------------------------------------------------------------------------------------------


def sample_recipients(config: Config) -> list[Recipient]:
    readers = [("asha.rao@example.org", "Asha Rao"), ("selvi@example.org", "தமிழ் செல்வி"), ("x@example.org", "")]
    return [
        Recipient(
            email,
            name,
            recipient_values(config, SECRET, email, name),
            list_unsubscribe_headers(config, SECRET, email),
        )
        for email, name in readers
    ]


def test_golden_request_for_the_sample_issue() -> None:
    rendered = render_issue(load_issue(SAMPLE_ISSUE), BASE)
    payload = build_payload(BASE, mailing_of(rendered), sample_recipients(BASE))
    assert_valid_for_sendgrid(payload)
    assert_golden("sendgrid_request.json", (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode())


def test_payload_with_every_option() -> None:
    config = replace(
        BASE,
        sendgrid=replace(BASE.sendgrid, asm_group_id=42, track_opens=True, track_clicks=True),
        unsubscribe=replace(BASE.unsubscribe, url="https://www.indiawrites.org/unsubscribe"),
    )
    recipients = sample_recipients(config)[:1]
    mailing = mailing_of(make_rendered(), sandbox=True, send_at=1_426_496_400, batch_id="batch-1")
    payload = build_payload(config, mailing, recipients, subject_prefix="[TEST] ")
    assert_valid_for_sendgrid(payload)
    token = recipients[0].values["%%unsubscribe_url%%"].rpartition("=")[2]
    assert payload["personalizations"] == [
        {
            "to": [{"email": "asha.rao@example.org", "name": "Asha Rao"}],
            "substitutions": {
                "%%name%%": "Asha Rao",
                "%%name_text%%": "Asha Rao",
                "%%unsubscribe_url%%": f"https://www.indiawrites.org/unsubscribe?token={token}",
            },
            "custom_args": {"recipient": "asha.rao@example.org"},
            "headers": {
                "List-Unsubscribe": f"<mailto:editor@indiawrites.org?subject=unsubscribe%20{token}>, "
                f"<https://www.indiawrites.org/unsubscribe?token={token}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        }
    ]
    assert {key: payload[key] for key in payload if key not in ("personalizations", "content")} == {
        "from": {"email": "editor@indiawrites.org", "name": "India and the World"},
        "reply_to": {"email": "editor@indiawrites.org"},
        "subject": "[TEST] Putin to meet top aide to Chinese president",
        "categories": ["newsletter", "2015-03-16"],
        "custom_args": {"issue": "2015-03-16"},
        "headers": {"List-Id": '"India and the World" <india-and-the-world.indiawrites.org>'},
        "asm": {"group_id": 42},
        "mail_settings": {"sandbox_mode": {"enable": True}},
        "tracking_settings": {
            "click_tracking": {"enable": True, "enable_text": False},
            "open_tracking": {"enable": True},
        },
        "send_at": 1_426_496_400,
        "batch_id": "batch-1",
    }
    assert [part["type"] for part in payload["content"]] == ["text/plain", "text/html"]


def test_fast_encoding_is_byte_for_byte_json_dumps() -> None:
    rendered = make_rendered(subject='Quote " backslash \\ tab \t', html="<p>\u00e9 \u2028 </script> \x00</p>")
    mailing = mailing_of(rendered, sandbox=True, send_at=1_426_496_400, batch_id="b-1")
    tricky = [
        Recipient("a@example.org", 'Asha "A" \\ Rao', {"%%name%%": "Asha &quot;A&quot;", "k\n": "v\u0001"}, {}),
        Recipient("b@example.org", "", {}, {"List-Unsubscribe": "<mailto:x@y.org>"}),
        Recipient("செல்வி@example.org", "தமிழ் செல்வி", {"%%name%%": "தமிழ்"}, {"X": "\ud83d\ude00"}),
    ]
    expected = json.dumps(build_payload(BASE, mailing, tricky), ensure_ascii=False, separators=(",", ":"))
    assert encode_payload(encode_shell(payload_shell(BASE, mailing)), tricky) == expected
    with pytest.raises(ValueError, match=r"A@example\.org appears twice in one request"):
        encode_payload("{}", [recipient("a@example.org"), recipient("A@example.org")])


def test_payload_refuses_an_address_twice() -> None:
    with pytest.raises(ValueError, match=r"A@example\.org appears twice in one request"):
        build_payload(BASE, MAILING, [recipient("a@example.org"), recipient("A@example.org")])


def test_payload_from_a_complete_message() -> None:
    message = EmailMessage()
    message["Subject"] = "Welcome to India and the World"
    message["From"] = "India and the World <editor@indiawrites.org>"
    message["To"] = "Asha Rao <asha@example.org>"
    message["Message-ID"] = "<welcome.1@indiawrites.org>"
    message["List-Unsubscribe"] = "<mailto:editor@indiawrites.org?subject=unsubscribe%20T>"
    message.set_content("Welcome, Asha.\n")
    message.add_alternative("<p>Welcome, Asha.</p>", subtype="html")
    payload = payload_from_message(BASE, message)
    assert_valid_for_sendgrid(payload)
    assert payload == {
        "personalizations": [
            {
                "to": [{"email": "asha@example.org", "name": "Asha Rao"}],
                "headers": {"List-Unsubscribe": "<mailto:editor@indiawrites.org?subject=unsubscribe%20T>"},
            }
        ],
        "from": {"email": "editor@indiawrites.org", "name": "India and the World"},
        "subject": "Welcome to India and the World",
        "content": [
            {"type": "text/plain", "value": "Welcome, Asha.\n"},
            {"type": "text/html", "value": "<p>Welcome, Asha.</p>\n"},
        ],
        "categories": ["newsletter"],
        "tracking_settings": {
            "click_tracking": {"enable": False, "enable_text": False},
            "open_tracking": {"enable": False},
        },
        "reply_to": {"email": "editor@indiawrites.org"},
    }


def test_tracking_is_off_unless_switched_on_and_never_for_a_single_message() -> None:
    """Off is stated in every request: SendGrid would otherwise apply the account's own tracking settings."""
    off = build_payload(BASE, MAILING, THREE)
    assert off["tracking_settings"] == {
        "click_tracking": {"enable": False, "enable_text": False},
        "open_tracking": {"enable": False},
    }
    opens_only = replace(BASE, sendgrid=replace(BASE.sendgrid, track_opens=True))
    assert build_payload(opens_only, MAILING, THREE)["tracking_settings"] == {
        "click_tracking": {"enable": False, "enable_text": False},
        "open_tracking": {"enable": True},
    }
    both = replace(BASE, sendgrid=replace(BASE.sendgrid, track_opens=True, track_clicks=True))
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "editor@indiawrites.org", "asha@example.org", "Confirm"
    message.set_content("Confirm: https://www.indiawrites.org/newsletter/confirm?token=T\n")
    assert payload_from_message(both, message)["tracking_settings"] == off["tracking_settings"]


def test_tracking_settings_reach_sendgrid_and_pass_its_schema(sendgrid_server: FakeSendGrid, time: FakeTime) -> None:
    config = replace(config_for(sendgrid_server), sendgrid=replace(config_for(sendgrid_server).sendgrid, track_opens=True,
                                                                    track_clicks=True))  # fmt: skip
    sender = SendGridProvider(config, API_KEY, retry=fast_retry(time))
    try:
        assert sender.send_batch(MAILING, THREE).status == "sent"
    finally:
        sender.close()
    assert sendgrid_server.rejections == []
    body = sendgrid_server.accepted[0].body
    assert body is not None and body["tracking_settings"] == {
        "click_tracking": {"enable": True, "enable_text": False},
        "open_tracking": {"enable": True},
    }


# --- outcomes over HTTP ---------------------------------------------------------------------------------------------


def test_accepted_batch_is_sent_with_the_message_id(provider: SendGridProvider, sendgrid_server: FakeSendGrid) -> None:
    result = provider.send_batch(MAILING, THREE)
    assert (result.status, result.message_id, result.fatal) == ("sent", "msg-1", "")
    assert sendgrid_server.delivered_addresses() == ["a@example.org", "b@example.org", "c@example.org"]
    assert sendgrid_server.rejections == []
    body = sendgrid_server.accepted[0].body
    assert body is not None and body["personalizations"][0]["substitutions"] == {"%%name%%": "Asha"}


def test_rate_limit_waits_until_the_reset(
    provider: SendGridProvider, sendgrid_server: FakeSendGrid, time: FakeTime
) -> None:
    sendgrid_server.faults = [Fault.rate_limit(reset_at=int(time.now) + 7), Fault.rate_limit(reset_at=int(time.now))]
    result = provider.send_batch(MAILING, THREE)
    assert result.status == "sent" and result.message_id == "msg-1"
    # 7 s to the reset plus 0.5 s of jitter; then a reset already past: only the jitter.
    assert time.sleeps == [7.5, 0.5]
    assert sendgrid_server.requests == 3 and len(sendgrid_server.delivered_addresses()) == 3


def test_server_errors_back_off_exponentially(
    provider: SendGridProvider, sendgrid_server: FakeSendGrid, time: FakeTime
) -> None:
    sendgrid_server.faults = [Fault.status(500), Fault.status(502), Fault.status(503)]
    result = provider.send_batch(MAILING, THREE)
    assert result.status == "sent" and result.message_id == "msg-1"
    assert time.sleeps == [0.75, 1.5, 3.0]
    assert sendgrid_server.delivered_addresses() == ["a@example.org", "b@example.org", "c@example.org"]


def test_an_outage_gives_up_and_stops_the_send(sendgrid_server: FakeSendGrid, time: FakeTime) -> None:
    sender = SendGridProvider(config_for(sendgrid_server), API_KEY, retry=fast_retry(time, attempts=2))
    sendgrid_server.faults = lambda index, body: Fault.status(503)
    result = sender.send_batch(MAILING, THREE)
    assert result.status == "failed"
    assert result.reason == "SendGrid answered 503 Service Unavailable 3 times"
    assert result.fatal == (
        "SendGrid answered 503 Service Unavailable to POST /v3/mail/send: service unavailable. "
        "Gave up after 3 attempts; nothing more was sent."
    )
    assert time.sleeps == [0.75, 1.5] and sendgrid_server.delivered_addresses() == []


def test_refused_connection_is_retried(sendgrid_server: FakeSendGrid, time: FakeTime) -> None:
    retry = fast_retry(time)

    def sleep(seconds: float) -> None:
        time.sleep(seconds)
        if len(time.sleeps) == 2:
            sendgrid_server.resume()

    retry.sleep = sleep
    sender = SendGridProvider(config_for(sendgrid_server), API_KEY, retry=retry)
    sendgrid_server.pause()
    result = sender.send_batch(MAILING, THREE)
    assert result.status == "sent" and time.sleeps == [0.75, 1.5]
    assert len(sendgrid_server.delivered_addresses()) == 3


def test_unreachable_host_stops_the_send(time: FakeTime) -> None:
    with FakeSendGrid() as server:
        config = config_for(server)
    sender = SendGridProvider(config, API_KEY, retry=fast_retry(time, attempts=1))
    result = sender.send_batch(MAILING, THREE)
    assert result.status == "failed"
    assert result.fatal == (
        f"could not reach SendGrid at {config.sendgrid.host} ([Errno 111] Connection refused) after 2 attempts: "
        "nothing was sent. Try again later."
    )


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault.close_after(), "Remote end closed connection without response"),
        (Fault.close_after(reset=True), "[Errno 104] Connection reset by peer"),
        # The client cannot tell a close before recording from one after: both are in doubt.
        (Fault.close_before(), "Remote end closed connection without response"),
        (Fault.slow(5.0, accept=True), "timed out"),
    ],
)
def test_no_answer_is_in_doubt_and_never_retried(
    sendgrid_server: FakeSendGrid, time: FakeTime, fault: Fault, reason: str
) -> None:
    sender = SendGridProvider(config_for(sendgrid_server, timeout=0.5), API_KEY, retry=fast_retry(time))
    sendgrid_server.faults = [fault]
    result = sender.send_batch(MAILING, THREE)
    assert (result.status, result.fatal) == ("in_doubt", "")
    assert result.reason == f"no answer from SendGrid ({reason}): it may have sent it"
    assert sendgrid_server.requests == 1 and time.sleeps == []


def test_wrong_key(sendgrid_server: FakeSendGrid, time: FakeTime) -> None:
    sender = SendGridProvider(config_for(sendgrid_server), "SG.wrong", retry=fast_retry(time))
    result = sender.send_batch(MAILING, THREE)
    assert result.status == "failed"
    assert (
        result.fatal
        == result.reason
        == (
            "SendGrid answered 401 Unauthorized to POST /v3/mail/send: The provided authorization grant is invalid, "
            "expired, or revoked. Set SENDGRID_API_KEY to a valid SendGrid API key."
        )
    )
    assert sendgrid_server.delivered_addresses() == []


def test_key_without_permission(sendgrid_server: FakeSendGrid, time: FakeTime) -> None:
    sendgrid_server.add_key("SG.read-only", ALL_SCOPES - {"mail.send"})
    sender = SendGridProvider(config_for(sendgrid_server), "SG.read-only", retry=fast_retry(time))
    assert sender.send_batch(MAILING, THREE).fatal == (
        "SendGrid answered 403 Forbidden to POST /v3/mail/send: access forbidden. Give the API key the permission "
        "this needs (Mail Send; Suppressions read for the sync)."
    )


def test_bad_request_stops_with_sendgrids_message(provider: SendGridProvider, sendgrid_server: FakeSendGrid) -> None:
    bad = Recipient("a@example.org", "", {}, {"Reply-To": "someone@example.org"})
    result = provider.send_batch(MAILING, [bad])
    error = sendgrid_server.rejections[0].errors[0]
    assert result.status == "failed"
    assert result.fatal == (
        f"SendGrid answered 400 Bad Request to POST /v3/mail/send: {error['message'].rstrip('.')} "
        f"(field {error['field']})."
    )
    assert error["field"] == "personalizations.0.headers"


def test_too_large(provider: SendGridProvider, sendgrid_server: FakeSendGrid) -> None:
    # The content, not a reader: a reader's substitutions over SendGrid's limit fail that reader alone.
    huge = mailing_of(make_rendered(html="<p>%%name%%</p>" + "x" * 30_000_001 + "%%unsubscribe_url%%"))
    # The reason phrase is Python's: "Request Entity Too Large" up to 3.12, RFC 9110's "Content Too Large" from 3.13.
    phrase = HTTPStatus.REQUEST_ENTITY_TOO_LARGE.phrase
    assert phrase in ("Request Entity Too Large", "Content Too Large")
    assert provider.send_batch(huge, THREE).fatal == (
        f"SendGrid answered 413 {phrase} to POST /v3/mail/send: content too large. "
        "Lower [send] batch_size in newsletter.toml."
    )


def test_missing_key_is_refused_before_any_request() -> None:
    with pytest.raises(ProviderError) as error:
        SendGridProvider(BASE, "")
    assert str(error.value) == "SENDGRID_API_KEY is not set: set it in the environment, or send with --provider outbox."


def test_send_message(provider: SendGridProvider, sendgrid_server: FakeSendGrid) -> None:
    message = EmailMessage()
    message["Subject"] = "[TEST] Putin to meet top aide to Chinese president"
    message["From"] = "India and the World <editor@indiawrites.org>"
    message["To"] = "editor@indiawrites.org"
    message.set_content("text")
    message.add_alternative("<p>html</p>", subtype="html")
    assert provider.send_message(message) == "msg-1"
    assert sendgrid_server.delivered_addresses() == ["editor@indiawrites.org"]


def test_batch_ids_and_cancel(provider: SendGridProvider, sendgrid_server: FakeSendGrid) -> None:
    batch_id = provider.create_batch_id()
    assert batch_id in sendgrid_server.batches
    provider.cancel_scheduled(batch_id)
    assert sendgrid_server.cancelled_batches() == {batch_id}
    with pytest.raises(ProviderError) as error:
        provider.cancel_scheduled(batch_id)
    assert str(error.value) == (
        "SendGrid answered 400 Bad Request to POST /v3/user/scheduled_sends: this batch already has a status: "
        "change it with PATCH, remove it with DELETE (field batch_id)."
    )


def test_paged_lists(provider: SendGridProvider, sendgrid_server: FakeSendGrid) -> None:
    sendgrid_server.load_suppressions("bounces", [f"b{n}@example.org" for n in range(1001)])
    items = get_pages(provider, "/v3/suppression/bounces")
    assert [item["email"] for item in items] == [f"b{n}@example.org" for n in range(1001)]
    assert [call[1] for call in sendgrid_server.calls] == [
        "/v3/suppression/bounces?limit=500&offset=0",
        "/v3/suppression/bounces?limit=500&offset=500",
        "/v3/suppression/bounces?limit=500&offset=1000",
    ]
