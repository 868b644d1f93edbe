"""The secrets a command works with, in one value: cli.py and web/asgi.py read them from the environment (no other
module does), and everything below gets them from here. No field shows in a repr, so a Credentials in a
traceback or a log line names none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from newsletter.tokens import check_secret, choose_secret

if TYPE_CHECKING:
    from newsletter.config import Config
    from newsletter.providers.base import Provider

# Field -> the environment variable it comes from (README "Secrets").
VARIABLES = {
    "newsletter_secret": "NEWSLETTER_SECRET",
    "sendgrid_key": "SENDGRID_API_KEY",
    "smtp_password": "NEWSLETTER_SMTP_PASSWORD",
    "imap_password": "NEWSLETTER_IMAP_PASSWORD",
    "webhook_key": "SENDGRID_WEBHOOK_PUBLIC_KEY",
}


@dataclass(frozen=True)
class Credentials:
    newsletter_secret: str = field(default="", repr=False)
    sendgrid_key: str = field(default="", repr=False)
    smtp_password: str = field(default="", repr=False)
    imap_password: str = field(default="", repr=False)
    webhook_key: str = field(default="", repr=False)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> Credentials:
        return cls(**{name: environ.get(variable, "") for name, variable in VARIABLES.items()})

    def secret(self, *, required: bool = False) -> tuple[bytes, str]:
        """The signing secret and a warning for the editor or "" (tokens.choose_secret's rules)."""
        return choose_secret(self.newsletter_secret, required=required)

    def secret_if_set(self) -> bytes | None:
        """The signing secret when it is set (checked), else None: for commands that only need it to recognise
        forgotten readers, so the development key's warning would be noise."""
        return check_secret(self.newsletter_secret.encode("utf-8")) if self.newsletter_secret else None

    def choose_provider(self, name: str, config: Config) -> str:
        """--provider's `name`, else [send] provider, else sendgrid when its key is set (providers.choose_provider)."""
        from newsletter.providers import choose_provider

        return choose_provider(name, config, sendgrid_key=self.sendgrid_key)

    def provider(self, name: str, config: Config) -> Provider:
        from newsletter.providers import get_provider

        return get_provider(name, config, sendgrid_key=self.sendgrid_key, smtp_password=self.smtp_password)

    def transactional_provider(self, config: Config) -> Provider:
        """The provider of confirmations, welcomes and goodbyes (providers.transactional_provider)."""
        from newsletter.providers import transactional_provider

        return transactional_provider(config, sendgrid_key=self.sendgrid_key, smtp_password=self.smtp_password)
