"""Providers: one module each (outbox, smtp, sendgrid), chosen by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsletter.errors import ProviderError

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.providers.base import Provider, Retry

NAMES = ("outbox", "sendgrid", "smtp")


def choose_provider(name: str, config: Config, *, sendgrid_key: str = "") -> str:
    """The --provider option, else [send] provider, else sendgrid when a key is set, else outbox."""
    chosen = name or config.send.provider or ("sendgrid" if sendgrid_key else "outbox")
    if chosen not in NAMES:
        raise ProviderError(f"unknown provider '{chosen}': use one of {', '.join(NAMES)}.")
    return chosen


def get_provider(
    name: str,
    config: Config,
    *,
    sendgrid_key: str = "",
    smtp_password: str = "",
    retry: Retry | None = None,
) -> Provider:
    """The provider `name` (see choose_provider), set up with the secrets cli.py read from the environment."""
    chosen = choose_provider(name, config, sendgrid_key=sendgrid_key)
    if chosen == "sendgrid":
        from newsletter.providers.sendgrid import SendGridProvider

        return SendGridProvider(config, sendgrid_key, retry=retry)
    if chosen == "smtp":
        from newsletter.providers.smtp import SmtpProvider

        return SmtpProvider(config, smtp_password, retry=retry)
    from newsletter.providers.outbox import OutboxProvider

    return OutboxProvider(config.outbox_dir, config=config)
