"""The SMTP provider against a real SMTP server (aiosmtpd): what each reader receives, and each outcome."""

from __future__ import annotations

import binascii
import datetime as dt
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from send_support import SECRET, FakeTime, fast_retry, mailing_of
from smtp_sink import Sink, free_port
from tls_support import write_certificate

from conftest import ROOT, SAMPLE_ISSUE
from newsletter.config import Config, load_config
from newsletter.errors import ProviderError
from newsletter.issue.load import load_issue
from newsletter.message.batch import MessageFactory, cut_template, encode_text
from newsletter.message.content import Recipient
from newsletter.message.mime import build_reader_message
from newsletter.message.personalize import list_unsubscribe_headers, personalize, recipient_values
from newsletter.providers.base import Mailing, RecipientResult
from newsletter.providers.smtp import SmtpProvider, dot_stuff
from newsletter.render.html import render_issue

BASE = load_config(ROOT / "newsletter.toml")
DATE = dt.datetime(2015, 3, 16, 9, 0, tzinfo=dt.UTC)


def smtp_config(port: int, **smtp: object) -> Config:
    settings: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "username": "",
        "timeout": 2.0,
    }
    settings.update(smtp)
    return replace(BASE, smtp=replace(BASE.smtp, **settings))  # type: ignore[arg-type]


def personalised(config: Config, email: str, name: str) -> Recipient:
    return Recipient(
        email, name, recipient_values(config, SECRET, email, name), list_unsubscribe_headers(config, SECRET, email)
    )


@pytest.fixture(scope="module")
def mailing() -> Mailing:
    return mailing_of(render_issue(load_issue(SAMPLE_ISSUE), BASE))


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_each_reader_gets_their_own_message(sink: tuple[Sink, int], mailing: Mailing) -> None:
    handler, port = sink
    config = smtp_config(port)
    provider = SmtpProvider(config, "", retry=fast_retry(), clock=lambda: DATE)
    readers = [personalised(config, "asha@example.org", "Asha & Ravi"), personalised(config, "x@example.org", "")]
    result = provider.send_batch(mailing, readers)
    provider.close()
    assert result.status == "sent" and result.fatal == ""
    assert {key: r.status for key, r in result.recipients.items()} == {
        "asha@example.org": "sent",
        "x@example.org": "sent",
    }
    assert [(m[0], m[1]) for m in handler.messages] == [
        ("editor@indiawrites.org", ["asha@example.org"]),
        ("editor@indiawrites.org", ["x@example.org"]),
    ]
    assert handler.messages[0][3] == handler.messages[1][3]  # one connection, reused
    first = parse(handler.messages[0][2])
    assert first["Subject"] == "Putin to meet top aide to Chinese president"
    assert first["From"] == "India and the World <editor@indiawrites.org>"
    assert first["To"] == "Asha & Ravi <asha@example.org>"
    assert first["Date"] == "Mon, 16 Mar 2015 09:00:00 +0000"
    assert first["Message-ID"] == result.recipients["asha@example.org"].message_id
    assert first["List-Unsubscribe"] == readers[0].headers["List-Unsubscribe"]
    assert first.get_content_type() == "multipart/alternative"
    text_part, html_part = (part.get_content() for part in first.iter_parts())
    unsubscribe = readers[0].values["%%unsubscribe_url%%"]
    assert "Asha & Ravi" in text_part and unsubscribe in text_part
    assert "Asha &amp; Ravi" in html_part and unsubscribe in html_part
    assert "%%" not in text_part and "%%" not in html_part
    second = parse(handler.messages[1][2])
    assert second["To"] == "x@example.org"
    assert readers[1].values["%%unsubscribe_url%%"] in second.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_refused_recipient_fails_alone(sink: tuple[Sink, int]) -> None:
    handler, port = sink
    handler.refuse["b@example.org"] = "550 5.1.1 no such user"
    config = smtp_config(port)
    provider = SmtpProvider(config, "", retry=fast_retry(), clock=lambda: DATE)
    mailing = mailing_of(render_for_unit())
    result = provider.send_batch(mailing, [personalised(config, a, "") for a in ("a@example.org", "b@example.org")])
    provider.close()
    assert result.recipients["a@example.org"].status == "sent"
    assert result.recipients["b@example.org"].status == "failed"
    assert result.recipients["b@example.org"].reason == (
        f"the SMTP server 127.0.0.1:{port} answered 550 5.1.1 no such user to RCPT TO:<b@example.org>"
    )
    assert [m[1] for m in handler.messages] == [["a@example.org"]]


def test_refusal_after_the_data_is_failed(sink: tuple[Sink, int]) -> None:
    handler, port = sink
    handler.data_reply = "554 5.7.1 message refused"
    provider = SmtpProvider(smtp_config(port), "", retry=fast_retry(), clock=lambda: DATE)
    result = provider.send_batch(mailing_of(render_for_unit()), [personalised(BASE, "a@example.org", "")])
    provider.close()
    assert result.recipients["a@example.org"].status == "failed"
    assert result.recipients["a@example.org"].reason == (
        f"the SMTP server 127.0.0.1:{port} refused the message: 554 5.7.1 message refused"
    )


def test_drop_after_the_data_is_in_doubt(sink: tuple[Sink, int]) -> None:
    handler, port = sink
    handler.data_delay = 2.0
    time = FakeTime()
    provider = SmtpProvider(smtp_config(port, timeout=0.3), "", retry=fast_retry(time), clock=lambda: DATE)
    result = provider.send_batch(mailing_of(render_for_unit()), [personalised(BASE, "a@example.org", "")])
    provider.close()
    outcome = result.recipients["a@example.org"]
    assert outcome.status == "in_doubt" and outcome.message_id.startswith("<2015-03-16.")
    assert outcome.reason == (
        f"the connection to 127.0.0.1:{port} dropped after the message was sent (Connection unexpectedly closed: "
        "timed out): it may have been queued"
    )
    assert len(handler.messages) == 1 and time.sleeps == []  # never retried


def test_unreachable_server_stops_the_send() -> None:
    port = free_port()
    time = FakeTime()
    provider = SmtpProvider(smtp_config(port), "", retry=fast_retry(time, attempts=2), clock=lambda: DATE)
    result = provider.send_batch(
        mailing_of(render_for_unit()), [personalised(BASE, a, "") for a in ("a@example.org", "b@example.org")]
    )
    assert result.fatal == (
        f"cannot connect to the SMTP server 127.0.0.1:{port} ([Errno 111] Connection refused) "
        "(gave up after 3 attempts)"
    )
    assert {r.status for r in result.recipients.values()} == {"failed"} and time.sleeps == [0.75, 1.5]


@pytest.fixture
def tls_sink(tmp_path: Path) -> Iterator[tuple[Sink, int, ssl.SSLContext]]:
    cert, key = write_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"apikey", b"right-password")
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself

    handler = Sink()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    yield handler, port, client_context
    controller.stop()


def test_starttls_and_login(tls_sink: tuple[Sink, int, ssl.SSLContext]) -> None:
    handler, port, context = tls_sink
    config = smtp_config(port, security="starttls", username="apikey")
    provider = SmtpProvider(config, "right-password", retry=fast_retry(), clock=lambda: DATE, tls_context=context)
    result = provider.send_batch(mailing_of(render_for_unit()), [personalised(config, "a@example.org", "Asha")])
    provider.close()
    assert result.recipients["a@example.org"].status == "sent"
    assert [m[1] for m in handler.messages] == [["a@example.org"]]


def test_wrong_password_stops_the_send(tls_sink: tuple[Sink, int, ssl.SSLContext]) -> None:
    handler, port, context = tls_sink
    config = smtp_config(port, security="starttls", username="apikey")
    provider = SmtpProvider(config, "wrong", retry=fast_retry(), clock=lambda: DATE, tls_context=context)
    result = provider.send_batch(mailing_of(render_for_unit()), [personalised(config, "a@example.org", "Asha")])
    assert result.fatal == (
        f"the SMTP server 127.0.0.1:{port} refused the login for 'apikey' (535 5.7.8 Authentication credentials "
        "invalid): check NEWSLETTER_SMTP_PASSWORD and [smtp] username."
    )
    assert handler.messages == []


def test_missing_password() -> None:
    with pytest.raises(ProviderError) as error:
        SmtpProvider(smtp_config(25, username="apikey"), "")
    assert str(error.value) == (
        f"NEWSLETTER_SMTP_PASSWORD is not set: set it in the environment to the password of [smtp] username "
        f"'apikey' in {BASE.path}."
    )


def test_send_message_for_test_copies(sink: tuple[Sink, int]) -> None:
    handler, port = sink
    message = EmailMessage()
    message["Subject"] = "[TEST] subject"
    message["From"] = "editor@indiawrites.org"
    message["To"] = "editor@indiawrites.org"
    message["Message-ID"] = "<test.1@indiawrites.org>"
    message.set_content(".leading dot survives\n")
    provider = SmtpProvider(smtp_config(port), "", retry=fast_retry())
    assert provider.send_message(message) == "<test.1@indiawrites.org>"
    provider.close()
    assert parse(handler.messages[0][2]).get_content() == ".leading dot survives\r\n"  # CRLF on the wire


ONE_CLICK = replace(BASE, unsubscribe=replace(BASE.unsubscribe, url="https://www.indiawrites.org/unsubscribe"))


@pytest.mark.parametrize("config", [BASE, ONE_CLICK], ids=["mailto", "one-click"])
def test_fast_messages_equal_build_message(config: Config, mailing: Mailing) -> None:
    mailing = mailing_of(render_issue(load_issue(SAMPLE_ISSUE), config), config)
    factory = MessageFactory(config, mailing.content, DATE)
    for email, name in [
        ("asha@example.org", "Asha Rao"),
        ("selvi@example.org", "தமிழ் செல்வி"),
        ("x@example.org", ""),
        ("a.b+tag@example.org", "Reader 12"),
        ("q.o@example.org", "A. O'Brien"),
        ("space@example.org", " Two  spaces "),
        ("q@example.org", 'Rao, "Asha" & <Ravi>'),
        ("long.address.for.a.reader@example.org", "A " * 60),
    ]:
        reader = personalised(config, email, name)
        message_id, raw = factory.message_bytes(reader)
        fast = parse(raw)
        slow = parse(build_reader_message(config, mailing.content, reader, DATE).as_bytes())
        assert fast.defects == [] and all(part.defects == [] for part in fast.walk())
        # One boundary serves the whole batch (any "=_" boundary is safe around quoted-printable parts).
        unify = {fast.get_boundary(): "B", slow.get_boundary(): "B"}
        assert [(k, str(v).replace(b := fast.get_boundary() or "", unify[b])) for k, v in fast.items()] == [
            (k, str(v).replace(b := slow.get_boundary() or "", unify[b])) for k, v in slow.items()
        ]
        assert message_id == slow["Message-ID"]
        fast_parts = [(p.get_content_type(), p.get_content()) for p in fast.iter_parts()]
        slow_parts = [(p.get_content_type(), p.get_content()) for p in slow.iter_parts()]
        assert fast_parts == slow_parts
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998
        assert b"\n" not in raw.replace(b"\r\n", b"")


def test_dot_stuffing() -> None:
    assert dot_stuff(b"a\r\n.b\r\n..c") == b"a\r\n..b\r\n...c\r\n.\r\n"
    assert dot_stuff(b".x\r\n.\r\n") == b"..x\r\n..\r\n.\r\n"


@pytest.mark.parametrize(
    "template",
    [
        "Dear %%name_text%%,\n\n.dot line\n" + "x" * 100 + " %%name_text%%\nend %%unsubscribe_url%%",
        "%%name_text%%\r\ntrailing space \nplain\tline\t\n\n.\n%%name_text%% \n",
        "no placeholder at all \n",
        "",
    ],
)
@pytest.mark.parametrize("name", ["Asha", "two\nlines", "ends with a break\n", "cr\r", " spaced ", ".", "é" * 80])
def test_parts_encoded_in_pieces_equal_the_whole_text_encoded(template: str, name: str) -> None:
    values = {"%%name_text%%": name, "%%unsubscribe_url%%": "mailto:e@x.org?subject=unsubscribe%20t.k"}
    whole = "\n".join(personalize(template, values).splitlines()) + "\n"
    expected = binascii.b2a_qp(whole.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
    pieces = cut_template(template)
    encoded = b"".join(p if isinstance(p, bytes) else encode_text(personalize(p, values)) for p in pieces)
    assert encoded == expected


def render_for_unit() -> Any:
    from send_support import make_rendered

    return make_rendered()


def test_a_non_ascii_address_fails_alone(sink: tuple[Sink, int]) -> None:
    handler, port = sink
    provider = SmtpProvider(smtp_config(port), "", retry=fast_retry(), clock=lambda: DATE)
    readers = [personalised(BASE, a, "") for a in ("செல்வி@example.org", "b@example.org")]
    result = provider.send_batch(mailing_of(render_for_unit()), readers)
    provider.close()
    assert result.recipients["செல்வி@example.org"] == RecipientResult(
        "failed", reason="செல்வி@example.org is not an ASCII address: the smtp provider cannot send to it"
    )
    assert result.recipients["b@example.org"].status == "sent" and len(handler.messages) == 1


def test_importing_the_providers_loads_no_rendering() -> None:
    # Providers take plain content (message.content): sending mail must not load the rendering pipeline.
    probe = (
        "import sys, newsletter.providers.smtp, newsletter.providers.outbox, newsletter.providers.sendgrid\n"
        "heavy = ('jinja2', 'yaml', 'markdown_it', 'mjml', 'premailer', 'newsletter.issue', 'newsletter.render')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout == "[]\n"
