"""Serving pages, the one way the tool does it: an ASGI app (Starlette) under uvicorn, on a socket bound here.

`newsletter serve` runs the readers' web app in the foreground (serve_forever: uvicorn's own handling of SIGINT and
SIGTERM, a graceful shutdown, the app's lifespan); `newsletter preview` runs the editor's preview in a thread of its
own (BackgroundServer) beside the thread that watches the files. The socket is bound before uvicorn starts, so a
port that is taken is one clear error from the command (listen) instead of a log line from inside the server, and
port 0 gives a free port whose number is known before the first request.

Request lines are not logged: the web app's carry readers' tokens. Proxy headers are left to the app, which trusts
X-Forwarded-For only when [web] trust_proxy says so.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from newsletter.errors import NewsletterError

START_TIMEOUT = 30.0  # seconds for uvicorn to start answering in its thread


def listen(host: str, port: int, *, fix: str) -> socket.socket:
    """A TCP socket bound to host:port and listening (port 0: any free one); NewsletterError naming the address,
    the system's reason and `fix` when that is impossible."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # A server stopped a moment ago leaves connections in TIME_WAIT: they must not keep the port from a new one.
        # (A port another server is listening on is still refused.)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        raise NewsletterError(f"cannot listen on {shown}:{port} ({error.strerror or error}): {fix}.") from None
    sock.set_inheritable(True)
    return sock


def _server(app: Any, **settings: Any) -> Any:
    import uvicorn

    config = uvicorn.Config(app, access_log=False, proxy_headers=False, log_level="warning", **settings)
    return uvicorn.Server(config)


def serve_forever(app: Any, sock: socket.socket) -> None:
    """Serve `app` on `sock` in this (the main) thread until SIGINT or SIGTERM, which uvicorn turns into a graceful
    shutdown (the app's lifespan ends) and then raises again, so the process ends as the signal asked."""
    server = _server(app)
    server.run(sockets=[sock])
    if not server.started:
        raise NewsletterError("the web app did not start (its reason is in the lines above): fix it and start again.")


def wait_until_interrupted() -> None:
    """Block this thread until Ctrl+C: how the preview, whose server runs in threads of its own, ends."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return


class BackgroundServer:
    """`app` under uvicorn on `sock`, in a daemon thread: start() returns once it answers, stop() ends it."""

    def __init__(self, app: Any, sock: socket.socket, *, graceful_seconds: float = 5.0) -> None:
        self.sock = sock
        self.server = _server(app, timeout_graceful_shutdown=graceful_seconds)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.server.started:
            self.stop()
            raise NewsletterError("the server did not start (its reason is in the lines above): try again.")

    def stop(self) -> None:
        """Stop accepting, let open requests end (at most graceful_seconds), and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=START_TIMEOUT)
        self.sock.close()
