"""What goes over the wire between a client and the fake SendGrid (Request, Reply), and how it can go wrong on
purpose (Fault): the failures a sender must survive, answered the way SendGrid, or the network in front of it, would."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal

from sendgrid_fake_schema import Error


class FaultKind(StrEnum):
    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    BAD_GATEWAY = "502"
    UNAVAILABLE = "503"
    SLOW = "slow"
    TRICKLE = "trickle"
    CLOSE_BEFORE = "close_before"
    CLOSE_AFTER = "close_after"


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or besides) answering one mail-send request. No fault is a rejection."""

    kind: FaultKind
    seconds: float = 0.0  # SLOW: wait this long before answering; TRICKLE: wait this long before each byte
    accept: bool = False  # SLOW: validate and record the request before waiting (delivered, yet the client times out)
    reset_at: int | None = None  # RATE_LIMIT: X-RateLimit-Reset in epoch seconds; default the clock + 1 s
    reset: bool = False  # SLOW without accept, CLOSE_*: end the connection with a TCP RST instead of a FIN

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FaultKind(self.kind))

    @classmethod
    def rate_limit(cls, reset_at: int | None = None) -> Fault:
        return cls(FaultKind.RATE_LIMIT, reset_at=reset_at)

    @classmethod
    def status(cls, code: Literal[429, 500, 502, 503]) -> Fault:
        return cls(FaultKind(str(code)))

    @classmethod
    def slow(cls, seconds: float, *, accept: bool = False) -> Fault:
        return cls(FaultKind.SLOW, seconds=seconds, accept=accept)

    @classmethod
    def trickle(cls, seconds: float) -> Fault:
        """Validate and record the request, then send the answer a byte at a time, `seconds` apart: each byte comes
        well within a client's per-read timeout, the whole answer much later (a slow or congested SendGrid)."""
        return cls(FaultKind.TRICKLE, seconds=seconds, accept=True)

    @classmethod
    def close_before(cls, *, reset: bool = False) -> Fault:
        """Read the request, record nothing, close without an answer: nothing was delivered."""
        return cls(FaultKind.CLOSE_BEFORE, reset=reset)

    @classmethod
    def close_after(cls, *, reset: bool = False) -> Fault:
        """Validate and record the request, then close without an answer: delivered, and the client cannot know."""
        return cls(FaultKind.CLOSE_AFTER, reset=reset)

    @classmethod
    def from_json(cls, spec: Any) -> Fault | None:
        """null, a kind ("503", "close_after") or {"kind": "slow", "seconds": 5, "accept": true}: for --faults."""
        if spec is None:
            return None
        if isinstance(spec, str | int):
            return cls(FaultKind(str(spec)))
        return cls(**{**spec, "kind": FaultKind(str(spec["kind"]))})


FaultPlan = Sequence[Fault | None] | Callable[[int, Any], Fault | None] | None


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # names lowercased
    body: bytes | None  # None: longer than MAX_BODY_BYTES, read and discarded


@dataclass(frozen=True)
class Reply:
    status: int  # 0 when the connection is closed without an answer
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds to wait before answering (or closing)
    trickle: float = 0.0  # seconds to wait before each byte of the answer
    close: bool = False  # close the connection without an answer
    reset: bool = False  # ... with a TCP RST


def json_reply(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, json.dumps(payload).encode(), (("Content-Type", "application/json"), *headers))


def plain_error(message: str) -> Error:
    return {"message": message, "field": None, "help": None}


def fault_reply(fault: Fault, now: float) -> Reply:
    """The answer to a request that a fault stops before it is recorded (not CLOSE_AFTER, not SLOW with accept)."""
    if fault.kind is FaultKind.RATE_LIMIT:
        reset_at = fault.reset_at if fault.reset_at is not None else math.ceil(now) + 1
        limits = (
            ("X-RateLimit-Limit", "600"),
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", str(reset_at)),
        )
        return json_reply(429, {"errors": [plain_error("too many requests")]}, limits)
    if fault.kind is FaultKind.SERVER_ERROR:
        return json_reply(500, {"errors": [plain_error("internal server error")]})
    if fault.kind is FaultKind.UNAVAILABLE:
        return json_reply(503, {"errors": [plain_error("service unavailable")]})
    if fault.kind is FaultKind.BAD_GATEWAY:
        # What a load balancer in front of the API answers: not SendGrid's JSON shape.
        page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
        return Reply(502, page, (("Content-Type", "text/html"),))
    return Reply(0, delay=fault.seconds, close=True, reset=fault.reset)  # CLOSE_BEFORE, or SLOW without accept


def faulted_reply(fault: Fault, reply: Reply) -> Reply:
    """`reply`, to a request recorded already, as `fault` delivers it (SLOW with accept, TRICKLE, CLOSE_AFTER)."""
    if fault.kind is FaultKind.CLOSE_AFTER:
        return Reply(0, close=True, reset=fault.reset)
    if fault.kind is FaultKind.TRICKLE:
        return replace(reply, trickle=fault.seconds)
    return replace(reply, delay=fault.seconds)
