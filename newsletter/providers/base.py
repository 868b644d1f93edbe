"""The one shape every provider has. Building what a provider sends is pure; only the methods here do I/O."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

from newsletter.errors import ProviderError

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.render.html import RenderedIssue


@dataclass(frozen=True)
class Recipient:
    """One reader of one batch, already personalised: placeholder values and their List-Unsubscribe headers."""

    email: str
    name: str
    values: Mapping[str, str]
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Mailing:
    """What every batch of one send shares: the issue rendered once, and how SendGrid should treat it."""

    rendered: RenderedIssue
    sandbox: bool = False
    send_at: int | None = None  # epoch seconds (SendGrid scheduling); None sends now
    batch_id: str = ""  # SendGrid's batch id for a scheduled send, so it can be cancelled


@dataclass(frozen=True)
class RecipientResult:
    status: str  # sent, failed or in_doubt
    message_id: str = ""
    reason: str = ""


@dataclass(frozen=True)
class BatchResult:
    """A batch's outcome. `status` holds for every recipient not listed in `recipients` (keys: lowercased address).

    `fatal` is set when the provider refused in a way retrying cannot fix (a wrong key, a rejected request): the send
    loop records this outcome, starts no further batch, and stops with that message.
    """

    status: str
    message_id: str = ""
    reason: str = ""
    recipients: Mapping[str, RecipientResult] = field(default_factory=dict)
    fatal: str = ""


@dataclass
class Retry:
    """How a provider waits before retrying a request nothing came of (5xx, refused connection).

    Injected so tests run without sleeping and with reproducible jitter.
    """

    attempts: int = 5  # retries after the first try
    base: float = 1.0  # seconds before the first retry
    cap: float = 30.0  # no single wait longer than this
    rate_limit_waits: int = 20  # 429 answers tolerated per request before the batch counts as failed
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    jitter: Callable[[], float] = random.random  # uniform in [0, 1)

    def backoff(self, attempt: int) -> float:
        """Exponential, capped, with "equal jitter": half fixed, half random, so parallel senders spread out."""
        delay = min(self.cap, self.base * 2.0**attempt)
        return delay / 2 + self.jitter() * delay / 2


class Provider(Protocol):
    """A way to deliver mail. Each provider lives in its own module (outbox, smtp, sendgrid)."""

    name: str
    max_batch: int  # recipients per send_batch call

    def send_message(self, message: EmailMessage) -> str:
        """Deliver one complete message (a test copy, a welcome or confirmation email).

        Returns the provider's message id; raises ProviderError when the provider refuses it.
        """
        ...

    def send_batch(self, mailing: Mailing, recipients: Sequence[Recipient]) -> BatchResult:
        """Deliver the issue to up to `max_batch` recipients (distinct addresses). Never raises for a refused or
        failed delivery: the outcome, including "in doubt", is in the result, so the ledger can record it."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def check_headers(message: EmailMessage) -> None:
    """ProviderError unless every header of `message`, as the generator writes it, is one header: a line break in a
    value not followed by folding whitespace would start a header (or the body) of a stranger's choosing. Messages
    built elsewhere (welcome and goodbye mail, test copies) pass here on their way out; mime.build_message never
    makes such a header."""
    policy = message.policy
    for name, value in message.raw_items():
        # The value as well as its folded form: from Python 3.13 on the generator writes a line break it decoded as
        # an encoded word, which is one header, but the message would differ from one Python to the next.
        if _starts_a_line(policy.fold(name, value)) or _starts_a_line(str(value)):
            raise ProviderError(
                f"the message's {name} header holds a line break that would start another header: "
                "nothing was sent; build it from one clean line (clean.clean_line)."
            )


def _starts_a_line(text: str) -> bool:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    return any(not line[:1].isspace() for line in lines[1:])


def describe_error(error: BaseException) -> str:
    """An exception as the reason a reader failed: its message on one line, or its type when it has none."""
    from newsletter.clean import clean_line, show

    return clean_line(show(str(error))) or type(error).__name__


def build_recipient_message(
    config: Config, mailing: Mailing, recipient: Recipient, date: datetime, subject_prefix: str = ""
) -> EmailMessage:
    """The complete message one reader receives (outbox, smtp): the issue with their values and headers."""
    from newsletter.message.mime import build_message, make_message_id, sender_domain

    return build_message(
        mailing.rendered,
        config,
        to_email=recipient.email,
        to_name=recipient.name,
        values=dict(recipient.values),
        headers=dict(recipient.headers),
        date=date,
        message_id=make_message_id(mailing.rendered.issue.slug, recipient.email, sender_domain(config)),
        subject_prefix=subject_prefix,
    )
