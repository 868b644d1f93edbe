"""create_app: the readers' web app as an ASGI application, answering under the path of [web] base_url.

Routes, relative to that path: `/` the archive's index, `/<slug>.html` an issue, `/feed.xml`, `/subscribe`
(GET the form, POST the request), `/confirm?token=` (GET a page with a button, POST confirms), `/unsubscribe?token=`
(the List-Unsubscribe URL: GET a page with a button, POST `List-Unsubscribe=One-Click` unsubscribes, RFC 8058),
`/web.css`, `/healthz`, and `POST /webhooks/sendgrid` (SendGrid's signed Event Webhook, newsletter.web.webhooks).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from newsletter.clock import utc_now
from newsletter.config import Config
from newsletter.errors import ConfigError, JournalError, NewsletterError, TokenError
from newsletter.subscribers.journal import JournalWriter, new_change_id
from newsletter.tokens import DEV_SECRET, check_secret
from newsletter.web.archive_site import ArchiveSite
from newsletter.web.background import Applier, JournalCommitter, Mailer
from newsletter.web.guard import BodyTooLarge, Guard, security_headers
from newsletter.web.limits import RateLimiter
from newsletter.web.pages import Pages
from newsletter.web.readers import Readers
from newsletter.web.webhooks import SendGridWebhook

log = logging.getLogger("newsletter.web")

TITLES = {
    400: "This request could not be handled",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    413: "Too large",
    429: "Too many requests",
    503: "Please try again in a moment",
}


@dataclass(frozen=True)
class Limits:
    """Per worker process (see newsletter.web.limits): (events, seconds)."""

    signups_per_client: tuple[int, float] = (20, 600.0)
    signups_per_address: tuple[int, float] = (3, 3600.0)
    mails_per_address: tuple[int, float] = (3, 3600.0)


Endpoint = Callable[[Request], Awaitable[Response]]


def by_method(get: Endpoint, post: Endpoint) -> Endpoint:
    """One route for both methods, so that a 405 names them all in its Allow header."""

    async def endpoint(request: Request) -> Response:
        return await (post if request.method == "POST" else get)(request)

    return endpoint


def _check_start(config: Config, secret: bytes, dev: bool) -> str:
    check_secret(secret)
    if secret == DEV_SECRET and not dev:
        raise TokenError(
            "NEWSLETTER_SECRET is not set, so links would be signed with the development key: set it to a long "
            "random string before serving readers (or try the app on this machine with --dev)."
        )
    base_url = config.web_base_url
    if not base_url:
        raise ConfigError(
            f"{config.path}: [web] base_url is empty: set it to the public https address the app answers at "
            "(e.g. https://www.indiawrites.org/newsletter)."
        )
    return base_url


def dev_config(config: Config, host: str, port: int) -> Config:
    """For `newsletter serve --dev`: without a [web] base_url, the app answers at http://HOST:PORT."""
    if config.web_base_url:
        return config
    here = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    return replace(config, web=replace(config.web, base_url=here))


def create_app(
    config: Config,
    secret: bytes,
    *,
    dev: bool = False,
    clock: Callable[[], datetime] = utc_now,
    mailer: Mailer | None = None,
    ids: Callable[[], str] = new_change_id,
    apply_interval: float = 2.0,
    archive_dir: Path | None = None,
    limits: Limits = Limits(),  # frozen: one shared default is safe
    webhook_key: str = "",
) -> ASGIApp:
    """The app; refuses to start with the development key unless `dev`, or without a base URL.

    Transactional mail goes through `mailer` (a Provider; by default the outbox under outbox/_transactional).
    `webhook_key` is SENDGRID_WEBHOOK_PUBLIC_KEY: without it the SendGrid webhook refuses every POST; a value that
    is not a key stops the start (ConfigError).
    """
    from newsletter.feedback.webhook import MAX_BODY as WEBHOOK_MAX_BODY
    from newsletter.feedback.webhook import WebhookVerifier

    base_url = _check_start(config, secret, dev)
    verifier = WebhookVerifier(webhook_key) if webhook_key else None
    base_path = urlsplit(base_url).path.rstrip("/")
    pages = Pages(config, base_path)
    site = ArchiveSite(config, archive_dir or config.root / "build" / "archive", pages.render("signup-bar"))
    writer = JournalWriter(config.journal_dir)
    journal = JournalCommitter(writer)
    own_mailer = mailer is None
    if mailer is None:
        from newsletter.providers import TRANSACTIONAL_FOLDER
        from newsletter.providers.outbox import OutboxProvider

        mailer = OutboxProvider(config.outbox_dir / TRANSACTIONAL_FOLDER, config=config)
    seconds = lambda: clock().timestamp()  # noqa: E731
    readers = Readers(
        secret=secret,
        base_url=base_url,
        trust_proxy=config.web.trust_proxy,
        pages=pages,
        journal=journal,
        clock=clock,
        ids=ids,
        per_client=RateLimiter(*limits.signups_per_client, seconds),
        per_address=RateLimiter(*limits.signups_per_address, seconds),
    )
    webhook = SendGridWebhook(verifier, journal, config.events_path, config.sendgrid.asm_group_id, clock)
    applier = Applier(
        config=config,
        secret=secret,
        journal_dir=config.journal_dir,
        mailer=mailer,
        clock=clock,
        interval=apply_interval,
        mail_limit=RateLimiter(*limits.mails_per_address, seconds),
        slugs=site.slugs,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await asyncio.to_thread(site.build)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # a NewsletterError, or mjml's PanicException: sign-up and unsubscribe
            log.warning("the archive was not built: %s", error)  # still work, and the last archive is served
        stop = asyncio.Event()
        task = asyncio.create_task(applier.run(stop))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(task, return_exceptions=True)
            writer.close()  # finished: the apply below may delete the file once it is all in the list
            try:  # what this worker accepted last goes into the list (and its emails out) before it exits
                await asyncio.to_thread(applier.apply_once)
                await asyncio.to_thread(applier.notify_once)
            except NewsletterError as error:
                log.warning("applying the journal at shutdown: %s (the changes stay in the journal)", error)
            if own_mailer:
                getattr(mailer, "close", lambda: None)()

    def archive_page(name: str) -> Response:
        page = site.page(name)
        if page is None:
            raise HTTPException(404, "There is no such page here. The list of all issues is on the front page.")
        headers = {"Cache-Control": "public, max-age=300"}
        if page.csp:
            headers["Content-Security-Policy"] = page.csp
        return Response(page.body, media_type=page.media_type, headers=headers)

    async def front_page(request: Request) -> Response:
        return archive_page("index.html") if site.page("index.html") else pages.page("home")

    async def feed(request: Request) -> Response:
        return archive_page("feed.xml")

    async def issue_page(request: Request) -> Response:
        return archive_page(f"{request.path_params['slug']}.html")

    async def stylesheet(request: Request) -> Response:
        return Response(pages.stylesheet, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def to_front_page(request: Request) -> Response:
        return RedirectResponse(f"{base_url}/", status_code=308)  # from the settings, never from the request

    async def problem(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        title = TITLES.get(error.status_code, "Something went wrong")
        return pages.problem(error.status_code, title, error.detail, dict(error.headers or {}))

    async def journal_failed(request: Request, error: Exception) -> Response:
        log.error("%s", error)
        message = "Your request could not be recorded just now, so nothing was changed. Please try again shortly."
        return pages.problem(503, TITLES[503], message, {"Retry-After": "30"})

    async def crashed(request: Request, error: Exception) -> Response:
        return pages.problem(500, "Something went wrong", "Nothing was changed. Please try again later.")

    def at(path: str) -> str:
        return f"{base_path}{path}"

    routes: list[BaseRoute] = [
        Route(at("/"), front_page, methods=["GET"]),
        Route(at("/feed.xml"), feed, methods=["GET"]),
        Route(at("/web.css"), stylesheet, methods=["GET"]),
        Route(at("/healthz"), healthz, methods=["GET"]),
        Route(at("/subscribe"), by_method(readers.subscribe_form, readers.subscribe), methods=["GET", "POST"]),
        Route(at("/confirm"), by_method(readers.confirm_page, readers.confirm), methods=["GET", "POST"]),
        Route(at("/unsubscribe"), by_method(readers.unsubscribe_page, readers.unsubscribe), methods=["GET", "POST"]),
        Route(at("/webhooks/sendgrid"), webhook.receive, methods=["POST"]),
        Route(at("/{slug}.html"), issue_page, methods=["GET"]),
    ]
    if base_path:
        routes.append(Route(base_path, to_front_page, methods=["GET"]))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: problem, JournalError: journal_failed, Exception: crashed},
    )
    app.router.redirect_slashes = False  # Starlette would build the redirect from the request's Host header

    async def too_large(scope: Scope, receive: Receive, send: Send) -> None:
        error = BodyTooLarge()
        await pages.problem(413, TITLES[413], error.detail)(scope, receive, send)

    return Guard(app, too_large, security_headers(base_url), large_bodies={at("/webhooks/sendgrid"): WEBHOOK_MAX_BODY})
