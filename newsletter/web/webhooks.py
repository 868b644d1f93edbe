"""`POST /webhooks/sendgrid`: SendGrid's Event Webhook (newsletter.feedback.webhook says what each event does).

The order of the work is what makes a retry harmless. The signature is checked on the raw body first (403 and
nothing kept otherwise); events already in the events file are dropped (SendGrid retries a batch it got no 2xx for,
for up to 24 hours); the status changes of the new ones are journaled and on disk, as readers' own unsubscribes
are, and only then are the events recorded and the 200 sent. A crash between the two leaves events a retry brings
again: their changes are journaled a second time under the same ids, which the journal counts once, and a status
asked for twice changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from newsletter.feedback.events import EventStoreError, known_ids, record_events
from newsletter.feedback.webhook import (
    KEY_VARIABLE,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Batch,
    StatusChange,
    WebhookRefused,
    WebhookVerifier,
    check_headers,
    read_batch,
)
from newsletter.subscribers.addresses import InvalidAddress, normalize_email
from newsletter.subscribers.journal import Change
from newsletter.web.background import JournalCommitter

log = logging.getLogger("newsletter.web")


@dataclass
class SendGridWebhook:
    verifier: WebhookVerifier | None  # None: SENDGRID_WEBHOOK_PUBLIC_KEY is not set, and every POST is refused
    journal: JournalCommitter
    events_path: Path
    asm_group_id: int
    clock: Callable[[], datetime]

    async def receive(self, request: Request) -> Response:
        if self.verifier is None:
            log.warning("refused a SendGrid webhook POST: %s is not set, so no event can be verified", KEY_VARIABLE)
            return _answer(403, f"not verified: {KEY_VARIABLE} is not set on this server")
        now = self.clock().timestamp()
        signature, timestamp = request.headers.get(SIGNATURE_HEADER, ""), request.headers.get(TIMESTAMP_HEADER, "")
        try:
            check_headers(signature, timestamp, now)  # before megabytes of body are read for nothing
            body = await request.body()  # up to the webhook's own limit (newsletter.web.guard)
            await asyncio.to_thread(self.verifier.verify, body, signature, timestamp, now)
            batch = await asyncio.to_thread(read_batch, body, asm_group_id=self.asm_group_id, now=int(now))
        except WebhookRefused as error:
            log.warning("refused a SendGrid webhook POST: %s", error)
            return _answer(error.status, f"{'not verified' if error.status == 403 else 'not read'}: {error}")
        del body
        try:
            known = await asyncio.to_thread(known_ids, self.events_path, [event.id for event in batch.events])
            new = batch.only({event.id for event in batch.events} - known)
            changes = await asyncio.to_thread(self._changes, new.changes)
            # JournalError propagates: the app answers 503 and SendGrid sends the batch again.
            await asyncio.gather(*(self.journal.append(change) for change in changes))
            added = await asyncio.to_thread(record_events, self.events_path, new.events, received=int(now))
        except EventStoreError as error:
            log.error("%s", error)
            return _answer(503, "not recorded: the events file cannot be written just now", {"Retry-After": "60"})
        return _answer(200, _summary(batch, len(known), added, len(changes)))

    def _changes(self, items: list[StatusChange]) -> list[Change]:
        """The journal's changes for the new events' statuses. Each takes its event's id: journaled twice (after a
        crash), the journal counts it once, and a status asked for again changes nothing."""
        moment = self.clock()
        changes = []
        for item in items:
            try:
                email = normalize_email(item.email)
            except InvalidAddress:  # SendGrid mailed it, so it is an address; but the list only holds valid ones
                continue
            changes.append(
                Change(item.event_id, moment, email, item.status, reason=item.reason, evidence=item.evidence)
            )
        return changes


def _summary(batch: Batch, duplicates: int, added: int, changes: int) -> str:
    return (
        f"ok: {len(batch.events)} event(s) kept from this batch, {added} new, {duplicates} received before, "
        f"{batch.ignored} not kept; {changes} status change(s) journaled"
    )


def _answer(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(text + "\n", status_code=status, headers=headers)
