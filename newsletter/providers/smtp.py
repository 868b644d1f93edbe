"""The SMTP provider: any relay (SendGrid's included), STARTTLS, TLS or plain, one reused connection per worker.

Each reader gets a complete personalised message. What happened to it is read from where the exchange stopped:
  refused at MAIL, RCPT or DATA (a reply code)     not sent: failed (5xx) or retried (4xx, up to the limit)
  connection lost before the message was out       not sent: reconnect and retry
  a reply code after the message's final dot       the server's verdict: 2xx sent, 4xx/5xx failed
  connection lost waiting for that reply           in doubt: the server may have queued it
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import getaddresses

from newsletter.clean import show
from newsletter.clock import utc_now
from newsletter.config import Config
from newsletter.errors import ProviderError
from newsletter.message.batch import MessageFactory
from newsletter.message.content import Recipient
from newsletter.providers.base import BatchResult, DeliveryOnly, Mailing, RecipientResult, check_headers, describe_error
from newsletter.providers.retry import Retry

# A kill mid-batch leaves the whole batch in doubt, so SMTP batches stay small; fsyncs are cheap.
SMTP_BATCH = 50


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


def dot_stuff(data: bytes) -> bytes:
    """RFC 5321 4.5.2: double a leading dot on every line, end with CRLF . CRLF."""
    if b"\n." in data:  # CSS in the HTML part puts a dot at the start of many lines
        data = data.replace(b"\n.", b"\n..")
    if data.startswith(b"."):
        data = b"." + data
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


class SmtpProvider(DeliveryOnly):
    name = "smtp"
    title = "SMTP"

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
            factory = MessageFactory(self.config, mailing.content, self.clock())
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
        tries = self.retry.start()
        while True:
            try:
                self._transaction(self._connection(), to_email, data)
                return
            except _Retryable as error:
                self._drop_connection()
                if not tries.again_after_failure():
                    given_up = f"{error} (gave up after {tries.failures + 1} attempts)"
                    raise (_Fatal(given_up) if error.unreachable else _Refused(given_up)) from None
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
