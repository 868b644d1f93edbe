"""A local HTTP server that speaks SendGrid's v3 API, for tests and benchmarks.

    with FakeSendGrid() as server:                      # or the `sendgrid_server` pytest fixture
        client = SendGridAPIClient(API_KEY, host=server.url)
        client.client.mail.send.post(request_body=body)
        assert server.rejections == [] and Counter(server.delivered_addresses()) == Counter(expected)

Endpoints: POST /v3/mail/send, POST /v3/mail/batch, GET /v3/mail/batch/{id}, /v3/user/scheduled_sends (POST, GET;
GET, PATCH, DELETE /{batch_id}), GET /v3/suppression/{bounces,blocks,spam_reports,invalid_emails,unsubscribes}
(start_time, end_time, limit, offset, email, as the official spec says) and GET /v3/asm/groups/{id}/suppressions.
Behaviour and records: tests/sendgrid_fake_api.py; what a valid mail body is: tests/sendgrid_fake_rules.py (limits)
and tests/sendgrid_fake_schema.py (the official schema); faults: tests/sendgrid_fake_faults.py (`server.faults = [None, Fault.status(503), Fault.close_after()]`, or a callable).
`pause()` closes the listener, so clients get ECONNREFUSED, until `resume()`; the URL stays the same.
`drop_connections()` closes the open (kept-alive) connections and goes on listening; `connections` counts them.

In a process of its own (crash tests kill the client, never the server): `python tests/sendgrid_fake.py --port 0
--record requests.jsonl` prints its URL as the first line and appends a JSON line per request it answered (flushed at
once): accepted {"status": 202, "index", "message_id", "time", "batch_id", "send_at", "addresses"} (200 in sandbox
mode), rejected {"status": 4xx, "index", "time", "method", "path", "errors"}. It serves until SIGTERM or SIGINT.

For a benchmark: validate="sample" or "off" and keep_bodies=False (figures: benchmarks/bench_fake_server.py).
To kill a client mid-request, plan faults with a callable: it runs as request `index` arrives, so it can set an Event
the test waits on and return Fault.slow(60, accept=True) to hold the answer back."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlsplit

import pytest
from sendgrid_fake_api import ALL_SCOPES, API_KEY, Accepted, Rejection, SendGridApi, Validate
from sendgrid_fake_faults import Fault, FaultKind, Reply, Request
from sendgrid_fake_rules import MAX_BODY_BYTES

__all__ = [
    "ALL_SCOPES",
    "API_KEY",
    "Accepted",
    "Answer",
    "FakeSendGrid",
    "Fault",
    "FaultKind",
    "Rejection",
    "call",
    "mail_body",
    "sendgrid_server",
]

DRAIN_CHUNK = 1 << 20


class FakeSendGrid(SendGridApi):
    """SendGridApi behind a threaded HTTP/1.1 listener on 127.0.0.1 (an ephemeral port unless `port` is given)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        record_path: Path | None = None,
        api_key: str = API_KEY,
        validate: Validate = "full",
        sample_every: int = 10,
        clock: Callable[[], float] = time.time,
        keep_bodies: bool = True,
    ) -> None:
        super().__init__(
            api_key=api_key, validate=validate, sample_every=sample_every, clock=clock, keep_bodies=keep_bodies
        )
        self.host, self.port, self.record_path = host, port, record_path
        self.stopping = threading.Event()  # wakes "slow" answers at stop()
        self._listener: _Listener | None = None
        self._connections: set[socket.socket] = set()
        self.connections = 0  # connections accepted so far: a client that keeps them alive opens few
        self._record_file: IO[str] | None = None

    @property
    def url(self) -> str:
        """For SendGridAPIClient(key, host=server.url): no /v3, which the client adds."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeSendGrid:
        self.stopping.clear()
        if self.record_path is not None and self._record_file is None:
            self._record_file = self.record_to = self.record_path.open("a", encoding="utf-8")
        self.resume()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.pause()
        if self._record_file is not None:
            with self._lock:
                self._record_file.close()
                self._record_file = self.record_to = None

    def pause(self, resume_after: float | None = None) -> None:
        """Stop listening and drop open connections: a client now gets ECONNREFUSED (nothing sent, safe to retry).
        With `resume_after`, listen again on the same port after that many seconds."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.shutdown()
            listener.server_close()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):  # already gone
                connection.shutdown(socket.SHUT_RDWR)
        if resume_after is not None:
            timer = threading.Timer(resume_after, self.resume)
            timer.daemon = True
            timer.start()

    def drop_connections(self) -> None:
        """Close every open connection, as a server closes the keep-alive connections that sit idle; it goes on
        listening, so a client that notices opens a new one."""
        for connection in list(self._connections):
            with contextlib.suppress(OSError):  # already gone
                connection.shutdown(socket.SHUT_RDWR)
        waited = time.monotonic() + 5.0
        while self._connections and time.monotonic() < waited:  # each handler sees its connection end, and closes it
            time.sleep(0.001)

    def resume(self) -> None:
        if self._listener is not None or self.stopping.is_set():
            return
        self._listener = _Listener((self.host, self.port), self)
        self.port = self._listener.server_address[1]
        threading.Thread(target=self._listener.serve_forever, args=(0.05,), daemon=True).start()

    def __enter__(self) -> FakeSendGrid:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


class _Listener(ThreadingHTTPServer):
    daemon_threads = True  # a "slow" answer still waiting must not hold up the end of a test run
    allow_reuse_address = True  # resume() binds the same port again at once
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], fake: FakeSendGrid) -> None:
        self.fake = fake
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client that timed out or reset: expected here, not worth a traceback
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for clients that want it; urllib (the sendgrid client) closes anyway
    timeout = 60  # an idle keep-alive connection ends instead of holding its thread forever
    server: _Listener

    def setup(self) -> None:
        super().setup()
        # As a real API server does: the handler writes an answer's headers and body apart, and on a kept-alive
        # connection Nagle's algorithm would hold the body back for the client's delayed ACK (40 ms an answer).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.fake._lock:
            self.server.fake.connections += 1
        self.server.fake._connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would bury a test's own output

    def do_GET(self) -> None:
        request = self.read_request()
        if request is None:
            self.close_connection = True  # the client went away mid-body, or sent a length that is no number
            return
        self.answer(self.server.fake.dispatch(request))

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    def read_request(self) -> Request | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            try:
                body = self.read_chunked()
            except ValueError:
                return None  # a chunk size that is no hex number
        else:
            length = self.headers.get("Content-Length", "0")
            if not length.isdigit():
                return None
            body = self.read_exactly(int(length))
            if body == b"" and int(length) > 0:
                return None
        path, _, query = self.path.partition("?")
        headers = {name.lower(): value for name, value in self.headers.items()}
        return Request(self.command, path, query, headers, body)

    def read_exactly(self, length: int) -> bytes | None:
        """The body, or None when it is over MAX_BODY_BYTES. Such a body is still read to the end before the 413:
        closing on unread data resets the connection, and the client would see a network error, not the answer."""
        if length <= MAX_BODY_BYTES:
            body = self.rfile.read(length)
            return body if len(body) == length else b""
        while length > 0:
            chunk = self.rfile.read(min(length, DRAIN_CHUNK))
            if not chunk:
                return b""
            length -= len(chunk)
        return None

    def read_chunked(self) -> bytes | None:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts) if total <= MAX_BODY_BYTES else None
            chunk = self.rfile.read(size)
            total += len(chunk)
            if total <= MAX_BODY_BYTES:
                parts.append(chunk)
            self.rfile.readline(1024)

    def answer(self, reply: Reply) -> None:
        if reply.delay > 0:
            self.server.fake.stopping.wait(reply.delay)
        if reply.close:
            self.close_connection = True
            if reply.reset:
                # Linger 0: the close sends a RST, so the client sees "connection reset by peer", not a clean EOF.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            return
        try:
            if reply.trickle > 0:
                self.trickle(reply)
                return
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True  # the client gave up (a timeout during a slow answer)

    def trickle(self, reply: Reply) -> None:
        """The whole answer, status line first, one byte every `reply.trickle` seconds (until stop())."""
        phrase = self.responses.get(reply.status, ("",))[0]
        head = [f"HTTP/1.1 {reply.status} {phrase}", *(f"{n}: {v}" for n, v in reply.headers)]
        head.append(f"Content-Length: {len(reply.body)}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + reply.body
        self.close_connection = True
        for at in range(len(data)):
            if self.server.fake.stopping.wait(reply.trickle):
                return
            self.wfile.write(data[at : at + 1])
            self.wfile.flush()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    url: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    key: str | None = API_KEY,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    timeout: float = 10.0,
) -> Answer:
    """One HTTP request to the fake (or any) server, every status returned as is: for tests that check exact answers.
    `raw` sends those bytes instead of `body` as JSON; key=None sends no Authorization header."""
    host, _, port = urlsplit(url).netloc.partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    sent = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key is not None else {})}
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    try:
        connection.request(method, path, body=data, headers={**sent, **(headers or {})})
        response = connection.getresponse()
        return Answer(response.status, {name.lower(): value for name, value in response.getheaders()}, response.read())
    finally:
        connection.close()


def mail_body(addresses: Sequence[str], **fields: Any) -> dict[str, Any]:
    """A valid mail-send body with one personalization per address, shaped like the newsletter's: substitutions,
    custom_args and a List-Unsubscribe header per recipient. `fields` add or replace top-level keys."""
    personalizations = [
        {
            "to": [{"email": address, "name": f"Reader {number}"}],
            "substitutions": {"-name-": f"Reader {number}", "-unsubscribe-": f"https://example.org/u?t=token-{number}"},
            "custom_args": {"recipient": address},
            "headers": {
                "List-Unsubscribe": f"<mailto:editor@example.org?subject=unsubscribe-token-{number}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        }
        for number, address in enumerate(addresses)
    ]
    body: dict[str, Any] = {
        "personalizations": personalizations,
        "from": {"email": "editor@example.org", "name": "India and the World"},
        "subject": "India and the World",
        "content": [
            {"type": "text/plain", "value": "Dear -name-, ... Unsubscribe: -unsubscribe-"},
            {"type": "text/html", "value": "<p>Dear -name-,</p><p><a href='-unsubscribe-'>Unsubscribe</a></p>"},
        ],
        "custom_args": {"issue": "2015-03-16"},
        "categories": ["newsletter"],
    }
    return {**body, **fields}


@pytest.fixture
def sendgrid_server() -> Iterator[FakeSendGrid]:
    """A started fake SendGrid with the key API_KEY and full validation; stopped after the test."""
    with FakeSendGrid() as server:
        yield server


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a fake SendGrid v3 API on this machine.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (the URL printed says which)")
    parser.add_argument("--api-key", default=API_KEY)
    parser.add_argument("--validate", choices=("full", "sample", "off"), default="full")
    parser.add_argument("--sample-every", type=int, default=10)
    parser.add_argument("--record", type=Path, help="append a JSON line per accepted or rejected request here")
    parser.add_argument(
        "--faults", default="null", help='JSON list per mail-send request: [null, "503", "close_after"]'
    )
    args = parser.parse_args(argv)
    server = FakeSendGrid(
        host=args.host,
        port=args.port,
        record_path=args.record,
        api_key=args.api_key,
        validate=args.validate,
        sample_every=args.sample_every,
        keep_bodies=False,  # nobody can read them from another process: the record file has what matters
    )
    try:
        server.faults = [Fault.from_json(spec) for spec in json.loads(args.faults) or []] or None
    except (ValueError, TypeError, KeyError) as error:
        parser.error(f'--faults: {error!r}: give a JSON list such as [null, "503", {{"kind": "slow", "seconds": 5}}]')
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    try:
        server.start()
    except OSError as error:
        parser.error(f"cannot start: {error} (is --port free, and the --record folder there?)")
    with server:
        print(server.url, flush=True)
        while not done.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
