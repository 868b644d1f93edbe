"""What readers do on the web: sign up, confirm, unsubscribe. Every change is journaled, and on disk, before the
answer; GET never changes anything (mail scanners and security gateways open links to look at them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from newsletter.clean import NAME_LIMIT, clean_line
from newsletter.errors import TokenError
from newsletter.subscribers.addresses import InvalidAddress, normalize_email
from newsletter.subscribers.journal import Change
from newsletter.subscribers.table import format_time
from newsletter.tokens import read_token
from newsletter.web.background import JournalCommitter
from newsletter.web.guard import (
    check_form_token,
    client_address,
    field,
    make_form_token,
    read_form,
    same_origin,
)
from newsletter.web.limits import RateLimiter
from newsletter.web.pages import Pages

EMAIL_LIMIT = 320  # RFC 3696's longest address, with room; email-validator decides the rest
ONE_CLICK = ("List-Unsubscribe", "One-Click")  # RFC 8058: the only body that unsubscribes


@dataclass
class Readers:
    secret: bytes
    base_url: str
    trust_proxy: bool
    pages: Pages
    journal: JournalCommitter
    clock: Callable[[], datetime]
    ids: Callable[[], str]
    per_client: RateLimiter  # sign-ups from one client
    per_address: RateLimiter  # sign-ups for one address

    def _evidence(self, request: Request, how: str) -> dict[str, str]:
        evidence = {"at": format_time(self.clock()), "how": how}
        if self.trust_proxy:  # without a proxy that says who the client is, the address is the proxy's own
            evidence["ip"] = client_address(request, True)
        return evidence

    def _token(self, request: Request, purpose: str) -> str:
        try:
            return read_token(self.secret, request.query_params.get("token", ""), purpose)
        except TokenError:
            raise HTTPException(
                400, "This link is not valid. It may have been cut short: open it again from the email itself."
            ) from None

    def _change(
        self,
        email: str,
        status: str,
        evidence: dict[str, str],
        *,
        request: bool = False,
        name: str = "",
        reason: str = "",
    ) -> Change:
        return Change(self.ids(), self.clock(), email, status, request, name, reason, evidence)

    # --- sign-up ---------------------------------------------------------------------------------------------

    def _form(self, status: int = 200, *, email: str = "", name: str = "", error: str = "") -> Response:
        token = make_form_token(self.secret, self.clock())
        return self.pages.page("subscribe", status, form_token=token, email=email, name=name, error=error)

    async def subscribe_form(self, request: Request) -> Response:
        return self._form()

    async def subscribe(self, request: Request) -> Response:
        if not same_origin(request, self.base_url):
            raise HTTPException(403, "This form was sent from another website. Subscribe on this page instead.")
        # Counted before the body is even read: a flood from one client costs next to nothing.
        client = client_address(request, self.trust_proxy)
        if not self.per_client.allow(client):
            wait = self.per_client.retry_after(client)
            raise HTTPException(
                429,
                f"Too many sign-ups from your network. Please try again in {max(1, wait // 60)} minute(s).",
                headers={"Retry-After": str(wait)},
            )
        form = await read_form(request)
        typed = clean_line(field(form, "email"), EMAIL_LIMIT)
        name = clean_line(field(form, "name"), NAME_LIMIT)
        if not check_form_token(self.secret, field(form, "form_token"), self.clock()):
            error = "The form had expired or was not ours. Please send it again."
            return self._form(400, email=typed, name=name, error=error)
        if field(form, "website"):
            return self.pages.page("check-inbox", email=typed)  # a bot: the same answer, and nothing done
        try:
            email = normalize_email(typed)
        except InvalidAddress:
            error = "That does not look like an email address. Please check it."
            return self._form(400, email=typed, name=name, error=error)
        # Past the limit for one address the answer stays the same, so it tells nobody whether that address
        # was asked for before; nothing more is journaled or mailed.
        if self.per_address.allow(email.lower()):
            evidence = self._evidence(request, f"sign-up form at {self.base_url}/subscribe")
            await self.journal.append(self._change(email, "pending", evidence, name=name))
        return self.pages.page("check-inbox", email=email)

    # --- confirmation ----------------------------------------------------------------------------------------

    async def confirm_page(self, request: Request) -> Response:
        email = self._token(request, "confirm")
        return self.pages.page("confirm", email=email, token=request.query_params["token"])

    async def confirm(self, request: Request) -> Response:
        email = self._token(request, "confirm")
        form = await read_form(request)
        name = clean_line(field(form, "name"), NAME_LIMIT)
        evidence = self._evidence(request, "confirmation link")
        await self.journal.append(self._change(email, "active", evidence, request=True, name=name))
        return self.pages.page("confirmed", email=email)

    # --- unsubscribe -----------------------------------------------------------------------------------------

    async def unsubscribe_page(self, request: Request) -> Response:
        email = self._token(request, "unsubscribe")
        return self.pages.page("unsubscribe", email=email, token=request.query_params["token"])

    async def unsubscribe(self, request: Request) -> Response:
        """RFC 8058: the mailbox provider's POST (no cookie, no login: the token is the credential), or the
        button of the page above. 200 and no redirect; acting twice changes nothing more."""
        email = self._token(request, "unsubscribe")
        form = await read_form(request)
        if field(form, ONE_CLICK[0]) != ONE_CLICK[1]:
            raise HTTPException(400, "Nothing was changed: this request did not ask to unsubscribe.")
        evidence = self._evidence(request, "one-click unsubscribe")
        reason = "unsubscribed on the web (one-click)"
        await self.journal.append(self._change(email, "unsubscribed", evidence, reason=reason))
        return self.pages.page("unsubscribed", email=email)
