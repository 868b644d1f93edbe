"""One HTTP exchange with SendGrid over a kept-alive connection, held to a deadline as a whole.

The sendgrid package's client (python_http_client over urllib) opens a new connection for every call, TLS
handshake included, sends "Connection: close", and formats the whole request body for a debug log line it then
discards: at a million readers that was a fifth of the sender's CPU. Here each thread keeps one HTTP/1.1
connection (http.client) open between calls; the package still supplies the headers (the key, its User-Agent).

Whether a request went out decides whether it may be sent again (DESIGN.md, "Sending, exactly once"), and a kept
connection adds a case: the server may have closed it while it sat idle. So:
  - a connection idle longer than MAX_IDLE, or one the server has closed or written to unasked (readable before
    the request), is closed and a new one opened: nothing was sent on it;
  - a failure while connecting or writing the request is NotSent: the server has no whole request, so it cannot
    have acted on it. On a kept connection that the server dropped while idle the write fails the same way, and
    the request is written once more on a new connection at once (no backoff: nothing is wrong with SendGrid);
  - a failure once the request is written (no answer, a reset, a closed connection, the deadline) is NoAnswer:
    the server may have acted on it, and only the caller knows whether that makes it "in doubt".

The deadline: the sendgrid client hands its timeout to the socket, where it bounds each read and each write on
its own: a server that sends a byte of its answer every few seconds keeps a call open for as long as it likes
(`suppressions sync` took 152 s against a slow SendGrid). Here the whole exchange (connection, TLS handshake,
request, the answer's headers and body) has one deadline: the connection gets the time left as its timeout, and a
timer shuts the socket down when the deadline passes, which ends whatever read or write is waiting. The caller
learns it from `Deadline.expired`; a connection whose deadline passed is never used again.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from functools import lru_cache
from types import TracebackType
from urllib.parse import urlsplit

# Seconds a connection may sit idle and still be used: under the shortest idle timeout common in front of HTTP
# APIs (5 s, Node's default), so that a server closing an idle connection rarely races the next request.
MAX_IDLE = 4.0


class NotSent(Exception):
    """Nothing reached the server whole (refused, or failed while connecting or writing the request)."""


class NoAnswer(Exception):
    """The request was written but no whole answer came (a timeout, a reset, a closed connection)."""

    def __init__(self, message: str, *, slow: bool = False) -> None:
        super().__init__(message)
        self.slow = slow  # no (whole) answer within the deadline, rather than a dropped connection


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message  # http.client's: names compared case-insensitively
    body: bytes


class Deadline:
    """`seconds` from now; a socket handed to watch() is shut down when they are up (by the one watchdog thread)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds
        self.expired = False
        self.done = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Deadline:
        _WATCHDOG.add(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        with self._lock:
            self.done = True
            self._sockets = []

    def remaining(self) -> float:
        return max(0.0, self.until - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if not self.expired:
                self._sockets.append(sock)
                return
        _shut(sock)

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)


class _Watchdog:
    """One daemon thread for every deadline of the process: a timer thread per call would be started, and would
    wait for the GIL, hundreds of times in a million-reader send."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._count = 0
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, deadline: Deadline) -> None:
        with self._wake:
            self._count += 1
            heapq.heappush(self._heap, (deadline.until, self._count, deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sendgrid-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._wake.notify()  # earlier than what the thread waits for (rare: deadlines come in order)

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and (self._heap[0][2].done or self._heap[0][0] <= time.monotonic()):
                    _, _, deadline = heapq.heappop(self._heap)
                    if not deadline.done:
                        deadline.expire()
                self._wake.wait(self._heap[0][0] - time.monotonic() if self._heap else None)


_WATCHDOG = _Watchdog()


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, for a TLS socket too: it wakes the read another thread is blocked in, without
    # touching the TLS state that thread is using. OSError: it is closed already.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # What urllib uses by default, made once (it loads the system's certificates), and only for an https host.
    return ssl.create_default_context()


def _readable(sock: socket.socket) -> bool:
    """True when the server has closed the connection or sent something unasked: either way it is done with."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    return str(error) or type(error).__name__


@dataclass
class _Held:
    connection: http.client.HTTPConnection
    idle_since: float


class Connections:
    """Kept-alive connections to one HTTP(S) host: one per thread, so that the send's workers never share one."""

    def __init__(self, url: str, *, max_idle: float = MAX_IDLE, clock: Callable[[], float] = time.monotonic) -> None:
        parts = urlsplit(url)
        self.secure = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port
        self.base = parts.path.rstrip("/")  # a host given with a path prefix keeps it
        self.max_idle = max_idle
        self.clock = clock
        self.opened = 0  # connections made so far (a test counts reuse by it)
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def exchange(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None, deadline: Deadline
    ) -> Answer:
        """Send one request and read its whole answer, within `deadline`; NotSent or NoAnswer when it fails."""
        connection = self._kept()
        if connection is not None:
            try:
                self._write(connection, method, target, headers, body, deadline)
            except NotSent:
                if deadline.expired:
                    raise
                connection = None  # dropped while idle: nothing went out, so write it on a new connection
        if connection is None:
            connection = self._open(deadline)
            self._write(connection, method, target, headers, body, deadline)
        return self._read(connection, deadline)

    def close(self) -> None:
        """Close every thread's connection (the provider's close())."""
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            connection.close()
        self._local = threading.local()

    def _kept(self) -> http.client.HTTPConnection | None:
        held: _Held | None = getattr(self._local, "held", None)
        if held is None:
            return None
        self._local.held = None
        sock = held.connection.sock
        if sock is None or self.clock() - held.idle_since > self.max_idle or _readable(sock):
            self._discard(held.connection)
            return None
        return held.connection

    def _open(self, deadline: Deadline) -> http.client.HTTPConnection:
        left = deadline.remaining()
        if left <= 0:
            raise NotSent("timed out")
        connection: http.client.HTTPConnection
        if self.secure:
            connection = http.client.HTTPSConnection(self.host, self.port, timeout=left, context=_tls_context())
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=left)
        with self._lock:
            self._all.append(connection)
            self.opened += 1
        try:
            connection.connect()
            # http.client writes the headers and the body apart: without this the body's last segment could wait
            # for the acknowledgement of the headers (Nagle's algorithm and delayed ACKs), some 40 ms a request.
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as error:
            self._discard(connection)
            raise NotSent("timed out" if deadline.expired else _reason(error)) from None
        return connection

    def _write(
        self,
        connection: http.client.HTTPConnection,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes | None,
        deadline: Deadline,
    ) -> None:
        sock = connection.sock
        if sock is None:
            raise NotSent("the connection is closed")
        deadline.watch(sock)
        try:
            sock.settimeout(max(deadline.remaining(), 0.001))
            connection.request(method, self.base + target, body=body, headers=dict(headers))
        except (OSError, http.client.HTTPException) as error:
            self._discard(connection)
            raise NotSent("timed out" if deadline.expired else _reason(error)) from None

    def _read(self, connection: http.client.HTTPConnection, deadline: Deadline) -> Answer:
        try:
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            self._discard(connection)
            slow = deadline.expired or isinstance(error, TimeoutError)
            raise NoAnswer("timed out" if slow else _reason(error), slow=slow) from None
        if connection.sock is None or deadline.expired:
            self._discard(connection)  # the server said close, or the watchdog shut the socket as it finished
        else:
            self._local.held = _Held(connection, self.clock())
        return Answer(response.status, response.headers, body)

    def _discard(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        with self._lock, contextlib.suppress(ValueError):
            self._all.remove(connection)
