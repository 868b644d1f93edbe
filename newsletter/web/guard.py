"""What every request passes through: the body limit, the security headers, form parsing, the client's address,
the sign-up form's anti-forgery token and the same-origin check."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsletter.errors import TokenError
from newsletter.tokens import make_token, read_token

MAX_BODY = 64 * 1024
FORM_TOKEN_SECONDS = 2 * 3600  # long enough to read the page and type an address; short enough to go stale
CLOCK_SKEW = 60  # seconds a token may seem to come from the future (two workers' clocks)

# The app's own pages: no script at all, styles only from the stylesheet it serves, forms only to itself.
STRICT_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, "The request is too large.")


class Guard:
    """Outermost ASGI middleware: refuses a declared body over the limit at once, counts the bytes of one sent
    without Content-Length (chunked) as the app reads them, and adds the security headers to every answer."""

    def __init__(
        self,
        app: ASGIApp,
        refuse: ASGIApp,
        headers: Mapping[str, str],
        max_body: int = MAX_BODY,
        large_bodies: Mapping[str, int] | None = None,
    ) -> None:
        self.app, self.refuse = app, refuse
        self.max_body = max_body
        # Paths whose requests are not readers' forms, with their own limit (SendGrid's batched webhook POSTs).
        self.large_bodies = dict(large_bodies or {})
        self.headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        received = 0
        limit = self.large_bodies.get(scope.get("path", ""), self.max_body)

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self.refuse(scope, receive, send_with_headers)  # the 413 page, without reading the body
            return
        await self.app(scope, limited_receive, send_with_headers)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_form(request: Request) -> FormData:
    """The body as a form (application/x-www-form-urlencoded or multipart/form-data, no files); 413 past the
    limit, 400 when it is not a form. Other content types read as an empty form."""
    await request.body()  # read whole under the limit first, so a parser never sees a part of a huge body
    try:
        return await request.form(max_files=0, max_fields=20, max_part_size=MAX_BODY)
    except HTTPException:
        raise HTTPException(400, "The form could not be read.") from None
    except (ValueError, UnicodeDecodeError):  # python-multipart on a broken boundary or encoding
        raise HTTPException(400, "The form could not be read.") from None


def field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def client_address(request: Request, trust_proxy: bool) -> str:
    """The client as the proxy reports it (the last X-Forwarded-For entry, the one our proxy added) when
    `trust_proxy`, else the connection's peer. Anything that is not an IP address counts as the peer."""
    peer = request.client.host if request.client else "unknown"
    if not trust_proxy:
        return peer
    forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
    candidate = forwarded.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


def origin_of(url: str) -> str:
    split = urlsplit(url)
    return f"{split.scheme}://{split.netloc}".lower()


def same_origin(request: Request, base_url: str) -> bool:
    """False when the browser says the form was posted from another site (a forged cross-site request). Clients
    that send no Origin (old browsers, scripts) pass: the form token still has to be valid."""
    origin = request.headers.get("origin")
    return origin is None or origin.lower() == origin_of(base_url)


def make_form_token(secret: bytes, now: datetime) -> str:
    """The sign-up form's token: the time it was issued, signed. No cookie or session is needed to check it."""
    return make_token(secret, "form", str(int(now.timestamp())))


def check_form_token(secret: bytes, token: str, now: datetime) -> bool:
    try:
        issued = int(read_token(secret, token, "form"))
    except (TokenError, ValueError):
        return False
    age = now.timestamp() - issued
    return -CLOCK_SKEW <= age <= FORM_TOKEN_SECONDS


def security_headers(base_url: str) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": STRICT_CSP,
        "X-Content-Type-Options": "nosniff",
        # The unsubscribe and confirmation pages carry a reader's token in their address: never send it to another
        # site. (Not no-referrer: under it browsers post forms with "Origin: null", which same_origin refuses.)
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    if base_url.startswith("https://"):
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers
