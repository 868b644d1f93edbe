"""One HTTP exchange with SendGrid, held to a deadline as a whole.

The sendgrid client (python_http_client over urllib) hands its timeout to the socket, where it bounds each read and
each write on its own: a server that sends a byte of its answer every few seconds keeps a call open for as long as
it likes (`suppressions sync` took 152 s against a slow SendGrid). Here the whole exchange (connection, TLS
handshake, request, the answer's headers and body) has one deadline: the connection and the handshake get the time
left as their timeout, and once the connection is up a timer shuts its socket down when the deadline passes, which
ends whatever read or write is waiting. The caller learns it from `Deadline.expired`.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Mapping, Sequence
from functools import lru_cache
from types import TracebackType
from typing import Any


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


class _Bounded(http.client.HTTPConnection):
    deadline: Deadline | None = None

    def connect(self) -> None:
        if self.deadline is None:
            raise TypeError("a bounded connection needs deadline=")
        left = self.deadline.remaining()
        if left <= 0:
            raise TimeoutError("timed out")
        if not isinstance(self.timeout, int | float) or self.timeout > left:
            self.timeout = left
        super().connect()
        self.deadline.watch(self.sock)


class _HTTPConnection(_Bounded):
    def __init__(self, host: str, *, deadline: Deadline | None = None, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self.deadline = deadline


class _HTTPSConnection(_Bounded, http.client.HTTPSConnection):
    def __init__(self, host: str, *, deadline: Deadline | None = None, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self.deadline = deadline


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req, deadline=self.deadline)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: Deadline) -> None:
        # Not HTTPSHandler.__init__: from Python 3.13 on it makes a default TLS context, loading the system's
        # certificates (some 25 ms), for every opener; https_open passes the one made once, and only for https.
        urllib.request.AbstractHTTPHandler.__init__(self)
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPSConnection, req, context=_tls_context(), deadline=self.deadline)


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # What urllib uses by default, made once (it loads the system's certificates), and only for an https host.
    return ssl.create_default_context()


@lru_cache(maxsize=1)
def _client_class() -> type[Any]:
    from python_http_client import Client  # imported when a call needs it, as the sendgrid client is

    class BoundedClient(Client):  # type: ignore[misc]  # the library is untyped
        """python_http_client's Client, opening through handlers that hold the exchange to its deadline.

        _make_request is the library's documented seam ("separated into its own function, so we can mock it");
        the opener it is given is urllib's default, which knows no deadline."""

        opener: Any = None

        def _make_request(self, opener: Any, request: Any, timeout: float | None = None) -> Any:
            return super()._make_request(self.opener, request, timeout=timeout)

    return BoundedClient


def bounded_endpoint(host: str, headers: Mapping[str, str], segments: Sequence[str], deadline: Deadline) -> Any:
    """The client for /v3/<segments>, with a copy of `headers` (the client adds to them per call, so a fresh copy
    keeps one call's headers out of the next), opening its one connection under `deadline`."""
    client = _client_class()(host=host, request_headers=dict(headers), version=3, url_path=list(segments))
    client.opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline))
    return client
