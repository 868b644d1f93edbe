"""The SendGrid provider: /v3/mail/send with the official client's headers over a kept-alive connection per
thread (sendgrid_http.py), every outcome classified.

What an answer means for the readers of a batch (DESIGN.md, "Sending, exactly once"):
  202 (200 in sandbox mode)            sent; the X-Message-Id header identifies the request
  429                                  nothing sent: wait until X-RateLimit-Reset, then retry
  500, 502, 503, refused connection    nothing sent: retry with capped exponential backoff and jitter
  504, reset or timeout once the request was out
                                       in doubt: SendGrid may have accepted it, and it has no idempotency key,
                                       so a retry could deliver twice: never retried here
  400, 401, 403, 413 (any other 4xx)   refused: stop the whole send with SendGrid's own message

A kept connection the server dropped while it was idle is found before the request goes out, or fails while the
request is written, and the request goes out on a new connection: nothing had been sent. Every exchange ends
within [sendgrid] timeout, connection and answer included (sendgrid_http.py); a call other
than mail/send that gets no answer in that time is not tried again (a slow SendGrid stays slow), and a run of
calls under bounded() (the suppression sync) ends within BOUND_TIMEOUTS of those timeouts, waits included.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from email.message import EmailMessage, Message
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from newsletter.config import Config
from newsletter.errors import ProviderError
from newsletter.message.content import Recipient
from newsletter.providers.base import BatchResult, Capabilities, Mailing, RecipientResult, SuppressionList
from newsletter.providers.retry import Retry, Tries
from newsletter.providers.sendgrid_http import Answer, Connections, Deadline, NoAnswer, NotSent
from newsletter.providers.sendgrid_payload import encode_batch, encode_shell, payload_from_message, payload_shell
from newsletter.providers.sendgrid_suppressions import fetch_suppressions

MAIL_SEND = "/v3/mail/send"
# A charset makes the client send our pre-encoded body as is (it json.dumps only for plain "application/json"),
# so the body is encoded once, compactly, and its cost is measured apart from the HTTP exchange.
JSON_UTF8 = "application/json; charset=utf-8"
RETRY_STATUSES = frozenset({500, 502, 503})
IN_DOUBT_STATUSES = frozenset({504})
HINTS = {
    401: "Set SENDGRID_API_KEY to a valid SendGrid API key.",
    403: "Give the API key the permission this needs (Mail Send; Suppressions read for the sync).",
    413: "Lower [send] batch_size in newsletter.toml.",
}
BOUND_TIMEOUTS = 2  # a bounded() run of calls may take this many [sendgrid] timeouts in all
RATE_LIMIT_RESET = "X-RateLimit-Reset"  # epoch seconds at which a 429's limit lifts


class _NotSent(Exception):
    """Nothing reached SendGrid whole (refused, or failed while connecting or writing the request): safe to retry."""


class _NoAnswer(Exception):
    """The request went out but no answer came (timeout, reset): SendGrid may have accepted it."""

    def __init__(self, message: str, *, slow: bool = False) -> None:
        super().__init__(message)
        self.slow = slow  # no (whole) answer within the timeout, rather than a dropped connection


class _OutOfTime(Exception):
    """The bounded() run of calls has no time left for this call or wait."""


class _Answer(Exception):
    """SendGrid answered with an error status."""

    def __init__(self, status: int, headers: Message, body: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.headers = headers
        self.body = body


def describe_error(status: int, body: bytes) -> str:
    """SendGrid's own words from {"errors": [{"message", "field", "help"}]}, or the start of the body."""
    try:
        errors = json.loads(body)["errors"]
        parts = [
            str(error["message"]).rstrip(".") + (f" (field {error['field']})" if error.get("field") else "")
            for error in errors
        ]
        text = "; ".join(parts)
    except (ValueError, KeyError, TypeError):
        text = body.decode("utf-8", "replace").strip()[:300]
    return text or "no message"


def status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def refusal_message(method: str, path: str, status: int, body: bytes) -> str:
    hint = HINTS.get(status, "")
    return f"SendGrid answered {status_text(status)} to {method} {path}: {describe_error(status, body)}." + (
        f" {hint}" if hint else ""
    )


class SendGridProvider:
    name = "sendgrid"
    title = "SendGrid"
    # SendGrid refuses a send_at more than 72 hours ahead.
    capabilities = Capabilities(
        schedule_hours=72, batch_ids=True, sandbox=True, suppression_lists=True, bounce_reports=True
    )

    def __init__(self, config: Config, api_key: str, *, retry: Retry | None = None) -> None:
        if not api_key:
            # The client would otherwise send "Authorization: Bearer None" and learn it from a 401.
            raise ProviderError(
                "SENDGRID_API_KEY is not set: set it in the environment, or send with --provider outbox."
            )
        self.config = config
        self.api_key = api_key
        self.host = config.sendgrid.host.rstrip("/")
        self.timeout = config.sendgrid.timeout
        self.max_batch = config.send.batch_size
        self.retry = retry or Retry()
        self._connections = Connections(self.host)
        self._base_headers: dict[str, str] | None = None
        self.timings: dict[str, float] = {}  # seconds per stage, summed over threads (the benchmark prints them)
        self._timings_lock = threading.Lock()
        self._shell: tuple[Mailing, str] | None = None
        self._bound: tuple[float, str] | None = None  # (monotonic deadline, what the bounded run of calls does)

    # --- the provider shape ---------------------------------------------------------------------------------

    def send_batch(self, mailing: Mailing, recipients: Sequence[Recipient]) -> BatchResult:
        """The batch in one request; a reader SendGrid would refuse the whole request for is left out of it and
        failed alone, with the reason (sendgrid_payload.recipient_problem)."""
        began = time.perf_counter()
        body, problems = encode_batch(self._encoded_shell(mailing), recipients)
        refused = {key: RecipientResult("failed", reason=problem) for key, problem in problems.items()}
        if not body:
            return BatchResult("failed", reason="no reader of the batch could be sent to", recipients=refused)
        built = time.perf_counter()
        result = self.post_mail(body)
        self._time("payload", built - began)
        self._time("http", time.perf_counter() - built)
        return replace(result, recipients={**result.recipients, **refused}) if refused else result

    def _encoded_shell(self, mailing: Mailing) -> str:
        """The request minus its personalizations, encoded once per mailing (the HTML is most of it)."""
        with self._timings_lock:
            cached = self._shell
            if cached is None or cached[0] is not mailing:
                cached = self._shell = (mailing, encode_shell(payload_shell(self.config, mailing)))
            return cached[1]

    def _time(self, stage: str, seconds: float) -> None:
        with self._timings_lock:
            self.timings[stage] = self.timings.get(stage, 0.0) + seconds

    def send_message(self, message: EmailMessage) -> str:
        payload = payload_from_message(self.config, message)
        result = self.post_mail(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
        if result.status != "sent":
            raise ProviderError(result.fatal or result.reason)
        return result.message_id

    def close(self) -> None:
        self._connections.close()

    @contextmanager
    def bounded(self, work: str) -> Iterator[None]:
        """Every call made inside, retries and waits included, ends within BOUND_TIMEOUTS [sendgrid] timeouts in
        all; past that, a call raises ProviderError naming `work` ("reading SendGrid's suppression lists")."""
        self._bound = (time.monotonic() + BOUND_TIMEOUTS * self.timeout, work)
        try:
            yield
        finally:
            self._bound = None

    # --- mail send ----------------------------------------------------------------------------------------------

    def post_mail(self, body: str) -> BatchResult:
        """POST one mail/send body; the result says sent, failed (nothing sent) or in doubt, never raises."""
        tries = self.retry.start()
        while True:
            try:
                response = self._attempt("POST", MAIL_SEND, body=body)
            except _NoAnswer as error:
                return BatchResult("in_doubt", reason=f"no answer from SendGrid ({error}): it may have sent it")
            except _NotSent as error:
                if tries.again_after_failure():
                    continue
                reason = f"could not reach SendGrid at {self.host} ({error}) after {tries.failures + 1} attempts"
                return BatchResult("failed", reason=reason, fatal=f"{reason}: nothing was sent. Try again later.")
            except _Answer as answer:
                status = answer.status
                if status == 429 and tries.again_after_rate_limit(answer.headers.get(RATE_LIMIT_RESET)):
                    continue
                if status in IN_DOUBT_STATUSES:
                    return BatchResult(
                        "in_doubt", reason=f"SendGrid answered {status_text(status)}: it may have sent it"
                    )
                if status in RETRY_STATUSES and tries.again_after_failure():
                    continue
                message = refusal_message("POST", MAIL_SEND, status, answer.body)
                if status in RETRY_STATUSES or status == 429:
                    # Still nothing sent, but an outage: stop rather than hammer SendGrid batch after batch.
                    count = tries.waits + 1 if status == 429 else tries.failures + 1
                    return BatchResult(
                        "failed",
                        reason=f"SendGrid answered {status_text(status)} {count} times",
                        fatal=f"{message} Gave up after {count} attempts; nothing more was sent.",
                    )
                return BatchResult("failed", reason=message, fatal=message)
            return BatchResult("sent", message_id=str(response.headers.get("X-Message-Id") or ""))

    # --- other endpoints ----------------------------------------------------------------------------------------

    def request_json(self, method: str, path: str, *, body: Any = None, query: Mapping[str, Any] | None = None) -> Any:
        """A call other than mail/send (batch ids, scheduled sends, suppressions): safe to retry on no answer,
        except a slow one (no answer within the timeout), which a retry would only make slower."""
        encoded = None if body is None else json.dumps(body)
        tries = self.retry.start(self._sleep)
        try:
            while True:
                try:
                    response = self._attempt(method, path, body=encoded, query=query)
                except _NoAnswer as error:
                    if error.slow:
                        raise ProviderError(
                            f"SendGrid did not answer {method} {path} within {self.timeout:g} s: try again later, "
                            f"or raise [sendgrid] timeout in {self.config.path} if it is always this slow."
                        ) from None
                    self._again_or_raise(tries, method, path, error)
                    continue
                except _NotSent as error:
                    self._again_or_raise(tries, method, path, error)
                    continue
                except _Answer as answer:
                    if answer.status == 429 and tries.again_after_rate_limit(answer.headers.get(RATE_LIMIT_RESET)):
                        continue
                    if answer.status in RETRY_STATUSES and tries.again_after_failure():
                        continue
                    raise ProviderError(refusal_message(method, path, answer.status, answer.body)) from None
                raw = response.body
                return json.loads(raw) if raw else None
        except _OutOfTime:
            work = self._bound[1] if self._bound else "the calls"
            raise ProviderError(
                f"{work} took longer than {BOUND_TIMEOUTS * self.timeout:g} s (the last call was {method} {path}): "
                f"SendGrid is slow; try again later, or raise [sendgrid] timeout in {self.config.path}."
            ) from None

    def _again_or_raise(self, tries: Tries, method: str, path: str, error: Exception) -> None:
        if not tries.again_after_failure():
            raise ProviderError(
                f"could not reach SendGrid at {self.host} for {method} {path} ({error}): "
                "check [sendgrid] host in newsletter.toml and the network."
            ) from None

    def _sleep(self, seconds: float) -> None:
        """retry.sleep, unless the bounded() run of calls would end before the wait does."""
        if self._bound is not None and time.monotonic() + seconds >= self._bound[0]:
            raise _OutOfTime
        self.retry.sleep(seconds)

    def _call_seconds(self) -> float:
        """How long the next exchange may take: the timeout, or what the bounded() run has left."""
        if self._bound is None:
            return self.timeout
        left = self._bound[0] - time.monotonic()
        if left <= 0:
            raise _OutOfTime
        return min(self.timeout, left)

    def create_batch_id(self) -> str:
        """A new batch id (POST /v3/mail/batch): it groups a scheduled send so it can be cancelled."""
        data = self.request_json("POST", "/v3/mail/batch")
        return str(data["batch_id"])

    def cancel_scheduled(self, batch_id: str) -> None:
        """Cancel every message scheduled under `batch_id` (SendGrid needs this 10 minutes before send_at)."""
        self.request_json("POST", "/v3/user/scheduled_sends", body={"batch_id": batch_id, "status": "cancel"})

    def fetch_suppressions(self) -> list[SuppressionList]:
        """SendGrid's suppression lists (sendgrid_suppressions.py), the unsubscribe group's included."""
        return fetch_suppressions(self, self.config.sendgrid.asm_group_id)

    # --- one HTTP exchange ---------------------------------------------------------------------------------------

    def _headers(self) -> Mapping[str, str]:
        """The sendgrid client's own request headers (the key, its User-Agent), made once."""
        headers = self._base_headers
        if headers is None:
            from sendgrid import SendGridAPIClient  # heavy: imported when a call needs it

            client = SendGridAPIClient(self.api_key, host=self.host)
            client.reset_request_headers()
            headers = self._base_headers = dict(client.client.request_headers)
        return headers

    def _attempt(
        self, method: str, path: str, *, body: str | None = None, query: Mapping[str, Any] | None = None
    ) -> Answer:
        seconds = self._call_seconds()
        headers = self._headers()
        data = None
        if body is not None:
            headers = {**headers, "Content-Type": JSON_UTF8}
            data = body.encode("utf-8")
        # As the sendgrid client writes a query: sorted, a list as repeated keys.
        target = f"{path}?{urlencode(sorted(query.items()), True)}" if query else path
        with Deadline(seconds) as deadline:
            try:
                answer = self._connections.exchange(method, target, headers, data, deadline)
            except NotSent as error:
                raise _NotSent(str(error)) from None
            except NoAnswer as error:
                if error.slow and seconds < self.timeout:
                    raise _OutOfTime from None  # cut short by the bounded() run, not by its own timeout
                raise _NoAnswer(str(error), slow=error.slow) from None
        if not 200 <= answer.status < 300:
            raise _Answer(answer.status, answer.headers, answer.body)
        return answer
