"""The one shape every provider has. Building what a provider sends is pure; only the methods here do I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

from newsletter.errors import ProviderError
from newsletter.message.content import Content, Recipient


@dataclass(frozen=True)
class Mailing:
    """What every batch of one send shares: the content, rendered once, and how SendGrid should treat it."""

    content: Content
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


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do besides delivering: the send asks this, never the provider's name."""

    schedule_hours: int = 0  # Mailing.send_at: deliver at a later time, at most this many hours ahead
    batch_ids: bool = False  # create_batch_id and cancel_scheduled: a scheduled send can be cancelled
    sandbox: bool = False  # Mailing.sandbox: validate the request, deliver nothing
    suppression_lists: bool = False  # fetch_suppressions: who the provider will no longer deliver to
    # The provider reports bounces and complaints itself (SendGrid: its Event Webhook); other providers' come back
    # to the editor's mailbox, where `newsletter inbox` reads them.
    bounce_reports: bool = False

    @property
    def scheduling(self) -> bool:
        return self.schedule_hours > 0


@dataclass(frozen=True)
class SuppressionList:
    """One of a provider's lists of addresses it no longer delivers to, and the subscriber status it stands for."""

    name: str  # as the editor reads it: "bounces"
    status: str  # what it makes a subscriber: bounced, complained or unsubscribed
    entries: Sequence[tuple[str, str]]  # (the address as listed, or "" for an entry without one; the reason or "")
    source: str = ""  # whose list it is, as the reason recorded in subscribers.csv names it: "SendGrid"


class Provider(Protocol):
    """A way to deliver mail. Each provider lives in its own module (outbox, smtp, sendgrid)."""

    name: str  # as --provider and [send] provider write it
    title: str  # as a sentence names it: "SendGrid"
    capabilities: Capabilities
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

    def create_batch_id(self) -> str:
        """A new id to schedule a send under, so that it can be cancelled (capabilities.batch_ids)."""
        ...

    def cancel_scheduled(self, batch_id: str) -> None:
        """Cancel every message scheduled under `batch_id` (capabilities.batch_ids)."""
        ...

    def fetch_suppressions(self) -> list[SuppressionList]:
        """Every list of addresses the provider no longer delivers to (capabilities.suppression_lists)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class DeliveryOnly:
    """For a provider that only delivers (outbox, smtp): it declares no capability, and asked for one it raises."""

    name: str
    capabilities = Capabilities()

    def create_batch_id(self) -> str:
        raise self._unsupported("schedule a send")

    def cancel_scheduled(self, batch_id: str) -> None:
        raise self._unsupported("cancel a scheduled send")

    def fetch_suppressions(self) -> list[SuppressionList]:
        raise self._unsupported("list suppressed addresses")

    def _unsupported(self, what: str) -> ProviderError:
        return ProviderError(f"the {self.name} provider cannot {what}: choose one that can with --provider.")


def check_headers(message: EmailMessage) -> None:
    """ProviderError unless every header of `message`, as the generator writes it, is one header: a line break in a
    value not followed by folding whitespace would start a header (or the body) of a stranger's choosing.
    send_message takes any EmailMessage, so every one passes here on its way out; the builder (message.mime) never
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
