"""The app for production: `uvicorn --factory newsletter.web.asgi:app_from_environment`, behind the TLS proxy.

    NEWSLETTER_CONFIG=/srv/newsletter/newsletter.toml NEWSLETTER_SECRET=... \\
    uvicorn --factory newsletter.web.asgi:app_from_environment --host 127.0.0.1 --port 8080 --workers 4 \\
        --no-access-log --no-proxy-headers

--no-access-log because request lines carry readers' tokens; --no-proxy-headers because [web] trust_proxy alone
decides whether X-Forwarded-For is believed. Each worker keeps its own journal file and rate limits. (Listen with
--host/--port or --uds; uvicorn takes an inherited --fd for a Unix socket, which leaves Nagle's algorithm on a TCP
one and delays every answer by some 40 ms.)

This module and cli.py are the only ones that read the environment: NEWSLETTER_CONFIG (the publication's
newsletter.toml; default: the one in the current folder or above), NEWSLETTER_SECRET (required: it signs the
links; the development key is never used here), SENDGRID_WEBHOOK_PUBLIC_KEY (verifies SendGrid's Event Webhook;
without it the webhook refuses every POST), and the SENDGRID_API_KEY or NEWSLETTER_SMTP_PASSWORD of the provider
that sends the confirmations and welcomes ([send] transactional_provider, as for `newsletter inbox`).
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.types import ASGIApp

from newsletter.config import Config, find_config, load_config
from newsletter.credentials import Credentials
from newsletter.errors import TokenError
from newsletter.providers.base import Provider
from newsletter.web.app import create_app


def app_from_environment() -> ASGIApp:
    env = os.environ
    configured = env.get("NEWSLETTER_CONFIG", "")
    config = load_config(Path(configured) if configured else find_config(Path.cwd()))
    credentials = Credentials.from_environment(env)
    if not credentials.newsletter_secret:
        raise TokenError(
            "NEWSLETTER_SECRET is not set: set it to the secret the emails' links were signed with before serving."
        )
    return build_app(config, credentials, credentials.newsletter_secret.encode("utf-8"))[0]


def build_app(
    config: Config, credentials: Credentials, secret: bytes, *, dev: bool = False
) -> tuple[ASGIApp, Provider]:
    """The readers' app with its mailer (the transactional provider) and the webhook's key: what production's
    factory above and `newsletter serve` both run."""
    mailer = credentials.transactional_provider(config)
    return create_app(config, secret, dev=dev, mailer=mailer, webhook_key=credentials.webhook_key), mailer
