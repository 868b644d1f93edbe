"""The one shape every provider has. Building what a provider sends is pure; only the methods here do I/O."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol


class Provider(Protocol):
    """A way to deliver mail. Each provider lives in its own module (outbox, smtp, sendgrid)."""

    name: str

    def send_message(self, message: EmailMessage) -> str:
        """Deliver one complete message (a test copy, a welcome or confirmation email).

        Returns the provider's message id; raises ProviderError when the provider refuses it.
        """
        ...
