"""Providers: one module each (outbox, smtp, sendgrid), chosen by name; what each can do, by its Capabilities."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.errors import ProviderError
from newsletter.files import shown_path

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.providers.base import Capabilities, Provider
    from newsletter.providers.retry import Retry

NAMES = ("outbox", "sendgrid", "smtp")
TRANSACTIONAL_FOLDER = "_transactional"  # under outbox/: the answers the outbox keeps, apart from the issues


def choose_provider(name: str, config: Config, *, sendgrid_key: str = "") -> str:
    """The --provider option, else [send] provider, else sendgrid when a key is set, else outbox."""
    chosen = name or config.send.provider or ("sendgrid" if sendgrid_key else "outbox")
    if chosen not in NAMES:
        raise ProviderError(f"unknown provider '{chosen}': use one of {', '.join(NAMES)}.")
    return chosen


def provider_class(name: str) -> type[Provider]:
    """The class of the provider `name` (imported only when asked for: sendgrid's pulls in an HTTP client)."""
    if name == "sendgrid":
        from newsletter.providers.sendgrid import SendGridProvider

        return SendGridProvider
    if name == "smtp":
        from newsletter.providers.smtp import SmtpProvider

        return SmtpProvider
    if name == "outbox":
        from newsletter.providers.outbox import OutboxProvider

        return OutboxProvider
    raise ProviderError(f"unknown provider '{name}': use one of {', '.join(NAMES)}.")


def capabilities_of(name: str) -> Capabilities:
    """What the provider `name` can do besides delivering, known before it is set up (a dry run sets up none)."""
    return provider_class(name).capabilities


def able_to(capability: str) -> list[str]:
    """The names of the providers that have `capability` (a field of Capabilities)."""
    return [name for name in NAMES if getattr(capabilities_of(name), capability)]


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


def choose_transactional(config: Config, *, sendgrid_key: str = "") -> str:
    """The provider of confirmations, welcomes and goodbyes: [send] transactional_provider, else the one an issue
    goes through (choose_provider without --provider)."""
    return choose_provider(config.send.transactional_provider, config, sendgrid_key=sendgrid_key)


def transactional_provider(config: Config, *, sendgrid_key: str = "", smtp_password: str = "") -> Provider:
    """The provider that delivers the answers of `newsletter inbox` and the web app's emails, chosen the same way
    for both (choose_transactional). The outbox keeps them apart from the issues, under outbox/_transactional."""
    chosen = choose_transactional(config, sendgrid_key=sendgrid_key)
    if chosen == "outbox":
        from newsletter.providers.outbox import OutboxProvider

        return OutboxProvider(config.outbox_dir / TRANSACTIONAL_FOLDER, config=config)
    return get_provider(chosen, config, sendgrid_key=sendgrid_key, smtp_password=smtp_password)


def delivered_phrase(provider: Provider | None) -> str:
    """How a line about an email begins: "sent", or, for the outbox, the folder it was written to (nothing was
    sent, and the editor should know where to look)."""
    directory = getattr(provider, "directory", None)
    if provider is None or provider.name != "outbox" or directory is None:
        return "sent"
    return f"written to {shown_path(Path(directory))}/:"
