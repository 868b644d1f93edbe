"""The readers' web app as the tests run it: uvicorn in a subprocess (the production factory) on a free port,
stopped by its PID (its whole process group, workers included) even when a test fails.

(Not `uvicorn --fd` on a socket bound here: uvicorn takes such a socket for a Unix one, so asyncio leaves Nagle's
algorithm on, and every answer waits some 40 ms for a delayed ACK.)"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from conftest import ROOT, TEST_SECRET
from newsletter.sending.ledger import LedgerWriter, ledger_path

WAIT = 60.0
BASE_PATH = "/newsletter"


def wait_until(condition: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def record_send(root: Path, slug: str = "2015-03-16") -> None:
    """A sent issue in the send ledger's own format, so that the archive has a page."""
    with LedgerWriter(ledger_path(root / "sends", slug)) as ledger:
        ledger.append({"type": "start", "run": 1, "at": "2015-03-16T09:00:00+00:00", "issue": slug, "provider": "outbox",
                       "send_at": None, "batch_id": ""})  # fmt: skip
        ledger.append({"type": "recipients", "run": 1, "emails": ["asha@example.org"]})
        ledger.append({"type": "intent", "run": 1, "batch": 1, "emails": ["asha@example.org"]})
        ledger.append({"type": "outcome", "run": 1, "batch": 1, "status": "sent", "message_id": "<m@x>"})


def make_publication(root: Path, rows: list[tuple[str, str]] | None = None) -> Path:
    """The sample publication in `root`, with a sent issue and the given (email, status) rows."""
    for name in ("newsletter.toml",):
        shutil.copy(ROOT / name, root / name)
    for folder in ("issues", "templates"):
        shutil.copytree(ROOT / folder, root / folder)
    stamp = "2015-02-01T09:00:00Z"
    lines = [f"{address},,{status},{stamp},cli,,{stamp},\n" for address, status in rows or []]
    (root / "subscribers.csv").write_text(
        "email,name,status,joined_at,source,consent,updated_at,reason\n" + "".join(lines), encoding="utf-8"
    )
    record_send(root)
    return root


def set_base_url(root: Path, base_url: str, trust_proxy: bool = False) -> None:
    path = root / "newsletter.toml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^# base_url = .*$", f'base_url = "{base_url}"', text)
    text = text.replace("trust_proxy = false", f"trust_proxy = {'true' if trust_proxy else 'false'}")
    path.write_text(text, encoding="utf-8")


@dataclass
class Server:
    root: Path
    base: str  # http://127.0.0.1:PORT/newsletter
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def journal(self) -> Path:
        return self.root / "journal"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox" / "_transactional"

    def messages(self, address: str) -> list[EmailMessage]:
        """The messages written to `address` so far, oldest first."""
        stem = re.sub(r"[^A-Za-z0-9@._+-]", "_", address.lower())
        paths = sorted(self.outbox.glob(f"{stem}*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for p in paths
        ]

    def wait_for_message(self, address: str, count: int = 1) -> EmailMessage:
        return wait_until(lambda: len(self.messages(address)) >= count and self.messages(address)[count - 1],
                          f"message {count} to {address}")  # fmt: skip

    def kill(self) -> None:
        """SIGKILL to the server and its workers: no shutdown code runs."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(
    root: Path, *, workers: int = 1, base_url: str = "", trust_proxy: bool = False, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """uvicorn --factory newsletter.web.asgi:app_from_environment on a fresh port, serving `root` under
    `base_url` (default: this server's own address, http://127.0.0.1:PORT/newsletter)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}{BASE_PATH}"
    set_base_url(root, base_url or base, trust_proxy)
    log = root / "server.log"
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "newsletter.web.asgi:app_from_environment",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log", "--no-proxy-headers",
        "--timeout-graceful-shutdown", "20",
    ]  # fmt: skip
    environment = {key: value for key, value in os.environ.items() if key != "SENDGRID_API_KEY"}
    environment.update({"NEWSLETTER_CONFIG": str(root / "newsletter.toml"), "NEWSLETTER_SECRET": TEST_SECRET.decode()})
    environment.update(env or {})
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=root, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )  # fmt: skip
    server = Server(root, base, process, log)
    try:
        wait_until(lambda: _healthy(server), "the web app to answer /healthz")
        yield server
    finally:
        server.stop()


def _healthy(server: Server) -> bool:
    if server.process.poll() is not None:
        raise AssertionError(f"the server exited ({server.process.returncode}): {server.log.read_text()[-3000:]}")
    try:
        return httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


FORM_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)">')


def hidden_fields(html: str) -> dict[str, str]:
    import html as html_module

    return {name: html_module.unescape(value) for name, value in FORM_FIELD.findall(html)}


def form_action(html: str) -> str:
    import html as html_module

    match = FORM_ACTION.search(html)
    assert match, "no form on the page"
    return html_module.unescape(match.group(1))


def link_in(message: EmailMessage, prefix: str) -> str:
    body = message.get_content()
    match = re.search(re.escape(prefix) + r"\S+", body)
    assert match, f"no {prefix} link in: {body}"
    return match.group()


def post_many(url: str, bodies: list[bytes], headers: dict[str, str], connections: int = 4) -> list[tuple[int, str]]:
    """POST each body (a urlencoded form) over a few keep-alive connections, as fast as the server answers: a
    flood that httpx, at several milliseconds a request on the client's side, could not produce here.

    Returns (status, Retry-After) per body, in order."""
    import threading
    from urllib.parse import urlsplit

    import h11

    split = urlsplit(url)
    target = (split.path + (f"?{split.query}" if split.query else "")).encode()
    results: list[tuple[int, str]] = [(0, "")] * len(bodies)

    def worker(first: int) -> None:
        with socket.create_connection((split.hostname, split.port), timeout=WAIT) as conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            machine = h11.Connection(h11.CLIENT)
            for n in range(first, len(bodies), connections):
                request_headers = [("Host", split.netloc), ("Content-Type", "application/x-www-form-urlencoded"),
                                   ("Content-Length", str(len(bodies[n]))), *headers.items()]  # fmt: skip
                request = machine.send(h11.Request(method="POST", target=target, headers=request_headers))
                # One send a request: a head and a body in two small packets wait on delayed ACKs (40 ms each).
                conn.sendall(request + machine.send(h11.Data(data=bodies[n])) + machine.send(h11.EndOfMessage()))
                status, retry = 0, ""
                while True:
                    event = machine.next_event()
                    if event is h11.NEED_DATA:
                        machine.receive_data(conn.recv(65536))
                    elif isinstance(event, h11.Response):
                        status = event.status_code
                        retry = dict(event.headers).get(b"retry-after", b"").decode()
                    elif isinstance(event, h11.EndOfMessage):
                        break
                results[n] = (status, retry)
                machine.start_next_cycle()

    threads = [threading.Thread(target=worker, args=(first,)) for first in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
