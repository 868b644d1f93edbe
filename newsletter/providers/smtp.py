"""The SMTP provider: any relay (SendGrid's included), STARTTLS, TLS or plain, one reused connection per worker.

Each reader gets a complete personalised message. What happened to it is read from where the exchange stopped:
  refused at MAIL, RCPT or DATA (a reply code)     not sent: failed (5xx) or retried (4xx, up to the limit)
  connection lost before the message was out       not sent: reconnect and retry
  a reply code after the message's final dot       the server's verdict: 2xx sent, 4xx/5xx failed
  connection lost waiting for that reply           in doubt: the server may have queued it
"""

from __future__ import annotations

import binascii
import re
import smtplib
import ssl
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import getaddresses

from newsletter.clean import NAME_LIMIT, show
from newsletter.clock import utc_now
from newsletter.config import Config
from newsletter.errors import ProviderError
from newsletter.message.mime import address_header, fold_header, make_message_id, sender_domain, text_header
from newsletter.message.personalize import personalize
from newsletter.providers.base import (
    BatchResult,
    Mailing,
    Recipient,
    RecipientResult,
    Retry,
    build_recipient_message,
    check_headers,
    describe_error,
)

# A kill mid-batch leaves the whole batch in doubt, so SMTP batches stay small; fsyncs are cheap.
SMTP_BATCH = 50
PROBE = "probe@newsletter.invalid"
PROBE_HEADER = "X-Newsletter-Probe"


class _Retryable(Exception):
    """Nothing was delivered and trying again may work (a lost connection, a 4xx answer)."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable  # the server itself is out of reach: no later message would do better


class _Refused(Exception):
    """The server refused this message for good (5xx before or after the data)."""


class _Fatal(Exception):
    """Retrying cannot help any message (login refused, TLS unavailable)."""


class _InDoubt(Exception):
    """The message was out and the connection dropped before the server's verdict."""


class MessageFactory:
    """Each reader's message, as mime.build_message makes it, filled in from one message built per batch.

    The email package takes some 3 ms to build and serialise a message, too slow for hundreds a second. So the
    message is built once by mime.build_message, for a probe reader with the placeholders left in, and cut into its
    header lines and parts; each reader then gets their own To, Message-ID and List-Unsubscribe lines and their
    own personalised text and HTML, quoted-printable encoded by binascii. The boundary stays: it starts with "=_",
    which quoted-printable text can never contain. tests/test_providers_smtp.py holds the result equal, parsed, to
    build_message's own."""

    def __init__(self, config: Config, mailing: Mailing, date: datetime) -> None:
        probe = build_recipient_message(config, mailing, Recipient(PROBE, "", {}, {PROBE_HEADER: "1"}), date)
        self.config = config
        self.mailing = mailing
        self.domain = sender_domain(config)
        # raw_items(), as the generator writes them: items() would parse (and decode) what mime stored as it is.
        self.header_lines = [(name.lower(), fold_header(name, value).encode()) for name, value in probe.raw_items()]
        self.boundary = str(probe.get_boundary()).encode("ascii")
        self.part_headers = [
            b"".join(fold_header(name, value).encode() for name, value in part.raw_items())
            for part in probe.iter_parts()
        ]
        self.parts = (cut_template(mailing.rendered.text), cut_template(mailing.rendered.html))

    def message_bytes(self, recipient: Recipient) -> tuple[str, bytes]:
        """(Message-ID, the complete message with CRLF line ends)."""
        message_id = make_message_id(self.mailing.rendered.issue.slug, recipient.email, self.domain)
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
    """Text as the message carries it: every line break one LF (as str.splitlines sees them), a final one added,
    quoted-printable, CRLF line ends."""
    text = "\n".join(text.splitlines()) + "\n"
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


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
# leaves them as they are), so they skip it. Everything else is built as mime.build_message builds it.
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


def dot_stuff(data: bytes) -> bytes:
    """RFC 5321 4.5.2: double a leading dot on every line, end with CRLF . CRLF."""
    if b"\n." in data:  # CSS in the HTML part puts a dot at the start of many lines
        data = data.replace(b"\n.", b"\n..")
    if data.startswith(b"."):
        data = b"." + data
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class SmtpProvider:
    name = "smtp"

    def __init__(
        self,
        config: Config,
        password: str,
        *,
        retry: Retry | None = None,
        clock: Callable[[], datetime] = utc_now,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if config.smtp.username and not password:
            raise ProviderError(
                f"NEWSLETTER_SMTP_PASSWORD is not set: set it in the environment to the password of "
                f"[smtp] username '{config.smtp.username}' in {config.path}."
            )
        self.config = config
        self.password = password
        self.retry = retry or Retry()
        self.clock = clock
        self.tls_context = tls_context or ssl.create_default_context()
        self.max_batch = min(config.send.batch_size, SMTP_BATCH)
        self.where = f"{config.smtp.host}:{config.smtp.port}"
        self._local = threading.local()
        self._open: list[smtplib.SMTP] = []
        self._lock = threading.Lock()

    # --- the provider shape ---------------------------------------------------------------------------------

    def send_batch(self, mailing: Mailing, recipients: Sequence[Recipient]) -> BatchResult:
        """Each reader on their own: whatever goes wrong building or sending one reader's message fails that reader
        alone, with the reason; only what no message can get past (login, TLS, an unreachable server, the issue's
        own headers) stops the send."""
        results: dict[str, RecipientResult] = {}
        try:
            factory = MessageFactory(self.config, mailing, self.clock())
        except (ValueError, MessageError) as error:
            reason = f"cannot build the issue's message ({describe_error(error)})"
            fatal = f"{reason}: check [newsletter] from_email, from_name and reply_to in {self.config.path}."
            for recipient in recipients:
                results[recipient.email.lower()] = RecipientResult("failed", reason=reason)
            return BatchResult("failed", reason=reason, recipients=results, fatal=fatal)
        for index, recipient in enumerate(recipients):
            key = recipient.email.lower()
            if not recipient.email.isascii():
                # An internationalised address needs SMTPUTF8 end to end, which this provider does not speak.
                reason = f"{show(recipient.email)} is not an ASCII address: the smtp provider cannot send to it"
                results[key] = RecipientResult("failed", reason=reason)
                continue
            try:
                message_id, data = factory.message_bytes(recipient)
            except Exception as error:  # this reader's address or values: nobody else's message depends on them
                reason = f"cannot build the message to {show(recipient.email)} ({describe_error(error)})"
                results[key] = RecipientResult("failed", reason=reason)
                continue
            try:
                self._deliver(recipient.email, data)
            except _Fatal as error:
                for rest in recipients[index:]:
                    results[rest.email.lower()] = RecipientResult("failed", reason=str(error))
                return BatchResult("failed", reason=str(error), recipients=results, fatal=str(error))
            except _Refused as error:
                results[key] = RecipientResult("failed", reason=str(error))
            except _InDoubt as error:
                results[key] = RecipientResult("in_doubt", message_id, str(error))
            except Exception as error:
                # Raised before the message's final dot went out (smtplib refusing an argument, say): the server
                # has not accepted it, and the connection is in an unknown state, so it is dropped.
                self._drop_connection()
                reason = f"cannot send the message to {show(recipient.email)} ({describe_error(error)})"
                results[key] = RecipientResult("failed", reason=reason)
            else:
                results[key] = RecipientResult("sent", message_id)
        return BatchResult("sent", recipients=results)

    def send_message(self, message: EmailMessage) -> str:
        check_headers(message)
        addresses = [email for _, email in getaddresses([str(v) for v in message.get_all("To", [])]) if email]
        if len(addresses) != 1:
            raise ProviderError("the message must have exactly one To address for the SMTP provider.")
        try:
            self._deliver(addresses[0], message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        except (_Fatal, _Refused, _InDoubt) as error:
            raise ProviderError(str(error)) from None
        return str(message["Message-ID"] or "")

    def close(self) -> None:
        with self._lock:
            connections, self._open = self._open, []
        for connection in connections:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()

    # --- one message ---------------------------------------------------------------------------------------------

    def _deliver(self, to_email: str, data: bytes) -> None:
        failures = 0
        while True:
            try:
                self._transaction(self._connection(), to_email, data)
                return
            except _Retryable as error:
                self._drop_connection()
                if failures >= self.retry.attempts:
                    given_up = f"{error} (gave up after {failures + 1} attempts)"
                    raise (_Fatal(given_up) if error.unreachable else _Refused(given_up)) from None
                self.retry.sleep(self.retry.backoff(failures))
                failures += 1
            except _InDoubt:
                self._drop_connection()
                raise

    def _transaction(self, connection: smtplib.SMTP, to_email: str, data: bytes) -> None:
        sender = self.config.newsletter.from_email
        try:
            code, reply = connection.mail(sender)
            self._check(code, reply, f"MAIL FROM:<{sender}>", fatal_5xx=True)
            code, reply = connection.rcpt(to_email)
            self._check(code, reply, f"RCPT TO:<{to_email}>")
            connection.putcmd("data")
            code, reply = connection.getreply()
            self._check(code, reply, "DATA", expect=354)
            connection.send(dot_stuff(data))
        except smtplib.SMTPServerDisconnected as error:
            raise _Retryable(f"the SMTP server {self.where} closed the connection ({error})") from None
        except OSError as error:
            raise _Retryable(f"the SMTP connection to {self.where} failed ({error})") from None
        try:
            code, reply = connection.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise _InDoubt(
                f"the connection to {self.where} dropped after the message was sent ({error}): it may have been queued"
            ) from None
        if not 200 <= code < 300:
            try:
                connection.rset()
            except (smtplib.SMTPException, OSError):
                self._drop_connection()
            raise _Refused(f"the SMTP server {self.where} refused the message: {code} {_text(reply)}")

    def _check(self, code: int, reply: bytes, command: str, *, expect: int = 0, fatal_5xx: bool = False) -> None:
        if (expect and code == expect) or (not expect and 200 <= code < 300):
            return
        text = f"the SMTP server {self.where} answered {code} {_text(reply)} to {command}"
        if code == -1 or 400 <= code < 500:
            raise _Retryable(text)
        try:
            self._local.connection.rset()
        except (smtplib.SMTPException, OSError, AttributeError):
            self._drop_connection()
        if fatal_5xx:
            raise _Fatal(f"{text}: check [newsletter] from_email and the relay's sender settings.")
        raise _Refused(text)

    # --- connections -----------------------------------------------------------------------------------------

    def _connection(self) -> smtplib.SMTP:
        connection: smtplib.SMTP | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        connection = self._open_connection()
        self._local.connection = connection
        with self._lock:
            self._open.append(connection)
        return connection

    def _open_connection(self) -> smtplib.SMTP:
        smtp = self.config.smtp
        connection: smtplib.SMTP
        try:
            if smtp.security == "tls":
                connection = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=self.tls_context)
            else:
                connection = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
            connection.ehlo()
            if smtp.security == "starttls":
                if not connection.has_extn("starttls"):
                    connection.close()
                    raise _Fatal(
                        f'the SMTP server {self.where} does not offer STARTTLS: set [smtp] security to "tls" '
                        "(port 465) if it speaks TLS from the start."
                    )
                connection.starttls(context=self.tls_context)
                connection.ehlo()
            if smtp.username:
                try:
                    connection.login(smtp.username, self.password)
                except (smtplib.SMTPException, OSError):
                    connection.close()  # refused: the socket goes back now, not whenever the collector finds it
                    raise
        except smtplib.SMTPAuthenticationError as error:
            raise _Fatal(
                f"the SMTP server {self.where} refused the login for '{smtp.username}' "
                f"({error.smtp_code} {_text(error.smtp_error)}): check NEWSLETTER_SMTP_PASSWORD and [smtp] username."
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            raise _Fatal(f"the SMTP server {self.where} cannot log in here ({error}): check [smtp] security.") from None
        except ssl.SSLError as error:
            raise _Fatal(
                f"TLS with the SMTP server {self.where} failed ({error}): check [smtp] security and port."
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            reason = str(error) or type(error).__name__
            raise _Retryable(f"cannot connect to the SMTP server {self.where} ({reason})", unreachable=True) from None
        return connection

    def _drop_connection(self) -> None:
        connection: smtplib.SMTP | None = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is None:
            return
        with self._lock:
            if connection in self._open:
                self._open.remove(connection)
        connection.close()


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())
