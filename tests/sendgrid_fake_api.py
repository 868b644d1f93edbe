"""The fake SendGrid's behaviour without sockets: `SendGridApi.dispatch(Request) -> Reply`, and what it recorded.

tests/sendgrid_fake.py puts it behind a real HTTP listener; the rules of a valid mail body are in
tests/sendgrid_fake_rules.py. Everything a test may look at or change is a plain attribute (keys, faults, clock,
validate mode) or a small method (delivered_addresses, cancelled_batches, load_suppressions)."""

from __future__ import annotations

import json
import math
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any, Literal
from urllib.parse import parse_qs

from sendgrid_fake_faults import (
    Fault,
    FaultKind,
    FaultPlan,
    Reply,
    Request,
    fault_reply,
    faulted_reply,
    json_reply,
    plain_error,
)
from sendgrid_fake_rules import BAD_REQUEST, MAX_BODY_BYTES, validate_mail
from sendgrid_fake_schema import Error, load_validator, make_error, schema_errors

API_KEY = "SG.fake-key-for-tests"
SUPPRESSION_KINDS = ("bounces", "blocks", "spam_reports", "invalid_emails", "unsubscribes")
ALL_SCOPES = frozenset(
    {"mail.send", "mail.batch.create", "mail.batch.read", "asm.groups.suppressions.read"}
    | {f"user.scheduled_sends.{verb}" for verb in ("create", "read", "update", "delete")}
    | {f"suppression.{kind}.read" for kind in SUPPRESSION_KINDS}
)
MAX_PAGE_SIZE = 500  # the spec's maximum; it leaves the default unsaid, so an omitted limit gets the maximum too
BATCH_LIFETIME = 10 * 24 * 3600
CANCEL_NOTICE = 600  # a pause or cancel holds only messages whose send_at is at least 10 minutes later
MAX_HELD_BATCHES = 10
SUPPRESSION_DEFAULTS: dict[str, dict[str, str]] = {
    "bounces": {"reason": "550 5.1.1 The email account that you tried to reach does not exist.", "status": "5.1.1"},
    "blocks": {"reason": "unable to resolve MX record for the domain", "status": "4.0.0"},
    "spam_reports": {"ip": "10.63.202.100"},
    "invalid_emails": {"reason": "Mail domain mentioned in email address is unknown"},
    "unsubscribes": {},
}
Validate = Literal["full", "sample", "off"]


@dataclass(frozen=True)
class Accepted:
    index: int  # which mail-send request (0-based, counting every one received)
    message_id: str | None  # the X-Message-Id answered; None in sandbox mode
    time: float
    addresses: tuple[str, ...]  # to, cc and bcc, lowercased, in request order
    batch_id: str | None
    send_at: int | None
    body: dict[str, Any] | None  # None when the server was made with keep_bodies=False


@dataclass(frozen=True)
class Rejection:
    method: str
    path: str
    status: int
    errors: list[Error]
    index: int | None  # the mail-send request index, None for other endpoints


@dataclass
class ScheduledSend:
    status: str  # "pause" or "cancel"
    since: float


# Faults that let another endpoint answer, late or not at all: the request did reach it.
LATE = frozenset({FaultKind.SLOW, FaultKind.TRICKLE, FaultKind.CLOSE_AFTER})


class SendGridApi:
    """SendGrid's v3 API, as far as the newsletter uses it, with records a test can assert on."""

    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        validate: Validate = "full",
        sample_every: int = 10,
        clock: Callable[[], float] = time.time,
        keep_bodies: bool = True,
    ) -> None:
        self.keys: dict[str, frozenset[str]] = {api_key: ALL_SCOPES}
        self.validate: Validate = validate  # "sample": the schema on every sample_every-th request; rules always
        self.sample_every = sample_every
        self.clock = clock
        self.keep_bodies = keep_bodies
        self.faults: FaultPlan = None
        # Faults for every other request (suppression lists, batch ids...), by their order among those requests;
        # SLOW and TRICKLE deliver the real answer late, the others answer as they do for a mail send.
        self.call_faults: FaultPlan = None
        self.other_calls = 0
        self.record_to: IO[str] | None = None  # a JSON line per accepted or rejected request, flushed at once
        self.requests = 0  # mail-send requests received, whatever became of them
        self.accepted: list[Accepted] = []
        self.sandboxed: list[Accepted] = []  # valid, answered 200, never delivered
        self.rejections: list[Rejection] = []
        self.injected: list[tuple[int, Fault]] = []
        self.calls: list[tuple[str, str, int]] = []  # every request: method, path?query, status (0: closed)
        self.batches: dict[str, float] = {}  # batch id -> when it was created
        self.scheduled_sends: dict[str, ScheduledSend] = {}
        self.suppressions: dict[str, list[dict[str, Any]]] = {kind: [] for kind in SUPPRESSION_KINDS}
        self.group_suppressions: dict[int, list[str]] = {}
        self._lock = threading.RLock()
        self._messages = 0
        held = r"/v3/user/scheduled_sends/(?P<id>[^/]+)"
        routes: list[tuple[str, str, str | None, Callable[[Request, re.Match[str]], Reply]]] = [
            ("POST", r"/v3/mail/send", None, self._send_mail),  # authorized inside, once the request is counted
            ("POST", r"/v3/mail/batch", "mail.batch.create", self._create_batch),
            ("GET", r"/v3/mail/batch/(?P<id>[^/]+)", "mail.batch.read", self._read_batch),
            ("POST", r"/v3/user/scheduled_sends", "user.scheduled_sends.create", self._hold_batch),
            ("GET", r"/v3/user/scheduled_sends", "user.scheduled_sends.read", self._list_held),
            ("GET", held, "user.scheduled_sends.read", self._read_held),
            ("PATCH", held, "user.scheduled_sends.update", self._change_held),
            ("DELETE", held, "user.scheduled_sends.delete", self._release),
            ("GET", r"/v3/asm/groups/(?P<id>\d+)/suppressions", "asm.groups.suppressions.read", self._group),
        ]
        for kind in SUPPRESSION_KINDS:
            routes.append(("GET", f"/v3/suppression/(?P<kind>{kind})", f"suppression.{kind}.read", self._suppressions))
        self._routes = [(method, re.compile(path), scope, handler) for method, path, scope, handler in routes]

    # --- what tests set up and read -------------------------------------------------------------------------------

    def add_key(self, key: str, scopes: Iterable[str] = ALL_SCOPES) -> None:
        """Another valid key; with fewer scopes, the endpoints it lacks answer 403."""
        self.keys[key] = frozenset(scopes)

    def load_suppressions(self, kind: str, records: Iterable[str | Mapping[str, Any]]) -> None:
        """Serve these from GET /v3/suppression/<kind>: addresses, or dicts shaped like SendGrid's records (missing
        fields get defaults; `created` defaults to the clock)."""
        if kind not in SUPPRESSION_KINDS:
            raise ValueError(f"unknown suppression list {kind!r}: use one of {', '.join(SUPPRESSION_KINDS)}")
        defaults = SUPPRESSION_DEFAULTS[kind]
        with self._lock:
            for record in records:
                given = {"email": record} if isinstance(record, str) else dict(record)
                self.suppressions[kind].append({"created": int(self.clock()), **defaults, **given})

    def load_group_suppressions(self, group_id: int, emails: Iterable[str]) -> None:
        with self._lock:
            self.group_suppressions.setdefault(group_id, []).extend(emails)

    def delivered_addresses(self) -> list[str]:
        """Every address SendGrid has delivered or will deliver, lowercased, duplicates kept: compare a Counter of it
        with the recipients to prove exactly-once. Sandbox sends and held (cancelled or paused) batches are left out."""
        with self._lock:
            records = list(self.accepted)
        return [address for record in records if not self._held(record) for address in record.addresses]

    def cancelled_batches(self) -> set[str]:
        return {batch for batch, held in self.scheduled_sends.items() if held.status == "cancel"}

    def _held(self, record: Accepted) -> bool:
        """Whether a pause or cancel of its batch came in time for the request's send_at (the top-level one)."""
        held = self.scheduled_sends.get(record.batch_id or "")
        return held is not None and record.send_at is not None and record.send_at >= held.since + CANCEL_NOTICE

    # --- dispatch --------------------------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Reply:
        path = request.path.rstrip("/")
        reply = None
        allowed = False
        for method, pattern, scope, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            allowed = True
            if method == request.method:
                fault = self._call_fault() if handler != self._send_mail else None  # mail send: its own plan
                if fault is not None and fault.kind not in LATE:
                    reply = fault_reply(fault, self.clock())  # 429, 5xx, closed before answering
                    break
                try:
                    reply = (scope and self._authorize(request, scope)) or handler(request, match)
                except Exception as error:  # a bug in this fake: loud in `rejections`, never a silent hang-up
                    reply = self._reject(request, 500, [plain_error(f"the fake SendGrid failed: {error!r}")])
                if fault is not None:
                    reply = faulted_reply(fault, reply)
                break
        if reply is None:
            status, message = (405, "method not allowed") if allowed else (404, "not found")
            reply = self._reject(request, status, [plain_error(message)])
        with self._lock:
            self.calls.append((request.method, f"{request.path}?{request.query}".rstrip("?"), reply.status))
        return reply

    def _authorize(self, request: Request, scope: str, index: int | None = None) -> Reply | None:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        scopes = self.keys.get(key.strip()) if scheme.lower() == "bearer" else None
        if not header:
            return self._reject(request, 401, [plain_error("authorization required")], index)
        if scopes is None:
            message = "The provided authorization grant is invalid, expired, or revoked"
            return self._reject(request, 401, [plain_error(message)], index)
        if scope not in scopes:
            return self._reject(request, 403, [plain_error("access forbidden")], index)
        return None

    def _reject(self, request: Request, status: int, errors: list[Error], index: int | None = None) -> Reply:
        with self._lock:
            self.rejections.append(Rejection(request.method, request.path, status, errors, index))
            line = {"status": status, "index": index, "time": self.clock(), "method": request.method}
            self._write_line({**line, "path": request.path, "errors": errors})
        return json_reply(status, {"errors": errors})

    def _read_json(self, request: Request) -> tuple[Any, Reply | None]:
        body, problem = parse_body(request)
        return body, (self._reject(request, *problem) if problem else None)

    # --- mail send -------------------------------------------------------------------------------------------------

    def _send_mail(self, request: Request, match: re.Match[str]) -> Reply:
        with self._lock:
            index = self.requests
            self.requests += 1
        denied = self._authorize(request, "mail.send", index)
        if denied is not None:
            return denied
        body, problem = parse_body(request)
        fault = self._fault_for(index, body)
        if fault is not None and fault.kind is not FaultKind.CLOSE_AFTER and not fault.accept:
            return fault_reply(fault, self.clock())  # before validation: a fault records nothing
        if problem is not None:
            reply = self._reject(request, *problem, index)
        else:
            errors, addresses = self._check_mail(body, index)
            reply = self._reject(request, 400, errors, index) if errors else self._accept(body, addresses, index)
        return faulted_reply(fault, reply) if fault is not None else reply

    def _call_fault(self) -> Fault | None:
        with self._lock:
            index = self.other_calls
            self.other_calls += 1
        plan = self.call_faults
        if plan is None:
            return None
        return plan(index, None) if callable(plan) else (plan[index] if index < len(plan) else None)

    def _fault_for(self, index: int, body: Any) -> Fault | None:
        plan = self.faults
        if plan is None:
            return None
        fault = plan(index, body) if callable(plan) else (plan[index] if index < len(plan) else None)
        if fault is not None:
            with self._lock:
                self.injected.append((index, fault))
        return fault

    def _check_mail(self, body: Any, index: int) -> tuple[list[Error], list[str]]:
        schema = self.validate == "full" or (self.validate == "sample" and index % self.sample_every == 0)
        return validate_mail(body, self.clock(), self._batch_is_valid, schema=schema)

    def _accept(self, body: dict[str, Any], addresses: list[str], index: int) -> Reply:
        settings = body.get("mail_settings")
        sandbox_mode = settings.get("sandbox_mode") if isinstance(settings, dict) else None
        sandbox = isinstance(sandbox_mode, dict) and sandbox_mode.get("enable") is True
        batch_id = body["batch_id"] if isinstance(body.get("batch_id"), str) else None
        send_at = body["send_at"] if isinstance(body.get("send_at"), int) else None
        with self._lock:
            message_id = None if sandbox else f"msg-{self._messages + 1}"
            kept = body if self.keep_bodies else None
            record = Accepted(index, message_id, self.clock(), tuple(addresses), batch_id, send_at, kept)
            line = {"status": 200 if sandbox else 202, "index": index, "message_id": message_id, "time": record.time}
            self._write_line({**line, "batch_id": batch_id, "send_at": send_at, "addresses": addresses})
            if sandbox:
                self.sandboxed.append(record)
                return Reply(200)  # SendGrid: "valid, but not queued to be delivered", without X-Message-Id
            self._messages += 1
            self.accepted.append(record)
        return Reply(202, headers=(("X-Message-Id", message_id or ""),))

    def _write_line(self, line: dict[str, Any]) -> None:
        """One line of the record file (tests/sendgrid_fake.py --record): what a test in another process reads."""
        with self._lock:
            if self.record_to is not None:
                self.record_to.write(json.dumps(line) + "\n")
                self.record_to.flush()

    # --- batches and scheduled sends -------------------------------------------------------------------------------

    def _batch_is_valid(self, batch_id: str) -> bool:
        created = self.batches.get(batch_id)
        return created is not None and self.clock() - created < BATCH_LIFETIME

    def _create_batch(self, request: Request, match: re.Match[str]) -> Reply:
        with self._lock:
            batch_id = f"batch-{len(self.batches) + 1}"
            self.batches[batch_id] = self.clock()
        return json_reply(201, {"batch_id": batch_id})

    def _read_batch(self, request: Request, match: re.Match[str]) -> Reply:
        if not self._batch_is_valid(match["id"]):
            return self._reject(request, 400, [plain_error("invalid batch id")])
        return json_reply(200, {"batch_id": match["id"]})

    def _read_status_body(self, request: Request, method: str, path: str) -> tuple[Any, Reply | None]:
        body, unreadable = self._read_json(request)
        if unreadable is not None:
            return None, unreadable
        errors = schema_errors(load_validator("tsg_scheduled_sends_v3.json", path, method), body)
        return body, (self._reject(request, 400, errors) if errors else None)

    def _hold_batch(self, request: Request, match: re.Match[str]) -> Reply:
        body, invalid = self._read_status_body(request, "post", "/v3/user/scheduled_sends")
        if invalid is not None:
            return invalid
        batch_id, status = body["batch_id"], body["status"]
        if not self._batch_is_valid(batch_id):
            return self._reject(request, 400, [{**plain_error("invalid batch id"), "field": "batch_id"}])
        if batch_id in self.scheduled_sends:
            message = "this batch already has a status: change it with PATCH, remove it with DELETE"
            return self._reject(request, 400, [{**plain_error(message), "field": "batch_id"}])
        if len(self.scheduled_sends) >= MAX_HELD_BATCHES:
            message = "You can't pause or cancel more than 10 different batches at one time."
            return self._reject(request, 400, [plain_error(message)])
        with self._lock:
            self.scheduled_sends[batch_id] = ScheduledSend(status, self.clock())
        return json_reply(201, {"batch_id": batch_id, "status": status})

    def _list_held(self, request: Request, match: re.Match[str]) -> Reply:
        held = [{"batch_id": batch, "status": s.status} for batch, s in self.scheduled_sends.items()]
        return json_reply(200, held)

    def _read_held(self, request: Request, match: re.Match[str]) -> Reply:
        batch_id = match["id"]
        if batch_id not in self.batches:
            return self._reject(request, 404, [plain_error("batch id not found")])
        held = self.scheduled_sends.get(batch_id)
        return json_reply(200, [{"batch_id": batch_id, "status": held.status}] if held else [])

    def _change_held(self, request: Request, match: re.Match[str]) -> Reply:
        body, invalid = self._read_status_body(request, "patch", "/v3/user/scheduled_sends/{batch_id}")
        if invalid is not None:
            return invalid
        held = self.scheduled_sends.get(match["id"])
        if held is None:
            return self._reject(request, 404, [plain_error("batch id not found")])
        with self._lock:
            held.status, held.since = body["status"], self.clock()
        return Reply(204)

    def _release(self, request: Request, match: re.Match[str]) -> Reply:
        with self._lock:
            held = self.scheduled_sends.pop(match["id"], None)
        return Reply(204) if held else self._reject(request, 404, [plain_error("batch id not found")])

    # --- suppressions ----------------------------------------------------------------------------------------------

    def _suppressions(self, request: Request, match: re.Match[str]) -> Reply:
        params = {name: values[-1] for name, values in parse_qs(request.query, keep_blank_values=True).items()}
        numbers, problem = read_paging(params)
        if problem is not None:
            return self._reject(request, 400, [problem])
        pattern = email_pattern(params.get("email", ""))
        start, end = numbers.get("start_time", 0), numbers.get("end_time", math.inf)
        with self._lock:
            found = [
                r
                for r in self.suppressions[match["kind"]]
                if start <= r["created"] <= end and pattern.match(r["email"])
            ]
        offset = numbers.get("offset", 0)
        return json_reply(200, found[offset : offset + numbers.get("limit", MAX_PAGE_SIZE)])

    def _group(self, request: Request, match: re.Match[str]) -> Reply:
        emails = self.group_suppressions.get(int(match["id"]))
        if emails is None:
            return self._reject(request, 404, [plain_error("unsubscribe group not found")])
        return json_reply(200, list(emails))


def parse_body(request: Request) -> tuple[Any, tuple[int, list[Error]] | None]:
    """The parsed JSON body, or the status and errors SendGrid answers a body it cannot read. Gzip is allowed, as at
    SendGrid, and the size limit applies to the decompressed body too."""
    raw = request.body
    too_large = (413, [plain_error("content too large")])
    if raw is None:
        return None, too_large
    try:
        if request.headers.get("content-encoding", "").lower() == "gzip":
            raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, MAX_BODY_BYTES + 1)
            if len(raw) > MAX_BODY_BYTES:
                return None, too_large
        return json.loads(raw), None
    except (ValueError, zlib.error):
        return None, (400, [make_error(BAD_REQUEST)])


def read_paging(params: Mapping[str, str]) -> tuple[dict[str, int], Error | None]:
    """start_time, end_time, limit (1 to 500) and offset, as the suppression endpoints' spec defines them."""
    numbers: dict[str, int] = {}
    for name, low, high in (
        ("start_time", 0, None),
        ("end_time", 0, None),
        ("limit", 1, MAX_PAGE_SIZE),
        ("offset", 0, None),
    ):
        if name not in params:
            continue
        value = params[name]
        if not re.fullmatch(r"\d+", value) or int(value) < low or (high is not None and int(value) > high):
            bounds = f"between {low} and {high}" if high else f"of at least {low}"
            return numbers, {**plain_error(f"{name} must be an integer {bounds}"), "field": name}
        numbers[name] = int(value)
    return numbers, None


def email_pattern(prefix: str) -> re.Pattern[str]:
    """SendGrid's `email` filter: addresses starting with it, "%" matching any run of characters."""
    return re.compile(".*".join(re.escape(part) for part in prefix.split("%")), re.IGNORECASE)
