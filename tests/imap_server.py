"""A real IMAP server for the tests: pymap (from PyPI) with its in-memory 'dict' backend, run as a subprocess on
127.0.0.1 with a self-signed certificate for STARTTLS, plus a small TLS front so imaps:// (TLS from the first byte)
is tested too. One known login; every test starts from an empty mailbox."""

from __future__ import annotations

import contextlib
import imaplib
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tls_support import write_certificate

USER = "editor@indiawrites.org"
PASSWORD = "imap-test-password"


@dataclass(frozen=True)
class ImapServer:
    port: int  # plain IMAP with STARTTLS
    tls_port: int  # implicit TLS (imaps)
    cafile: Path  # the self-signed certificate, to trust in clients

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cafile))

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        client.starttls(ssl_context=self.client_context())
        client.login(USER, PASSWORD)
        return client

    def reset(self) -> None:
        """Empty every folder, so each test starts from a clean mailbox."""
        client = self.connect()
        try:
            _, folders = client.list()
            for entry in folders:
                assert isinstance(entry, bytes)
                name = entry.rsplit(b' "/" ', 1)[-1].decode().strip('"')
                if b"\\Noselect" in entry:
                    continue
                if client.select(f'"{name}"')[0] == "OK":
                    client.store("1:*", "+FLAGS", "(\\Deleted)")
                    client.expunge()
                if name != "INBOX":
                    client.close()
                    client.delete(f'"{name}"')
        finally:
            client.logout()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_greeting(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pymap exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2) as probe:
            if probe.recv(100).startswith(b"* OK"):
                return
        time.sleep(0.1)
    raise RuntimeError("pymap did not start within 30 seconds")


class _TlsFront:
    """Accepts TLS connections and pipes the plaintext to the IMAP port: imaps in front of pymap."""

    def __init__(self, cert: Path, key: Path, target: int) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(str(cert), str(key))
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            secure = self.context.wrap_socket(raw, server_side=True)
            inner = socket.create_connection(("127.0.0.1", self.target))
        except OSError:
            raw.close()
            return
        threading.Thread(target=_pump, args=(inner, secure), daemon=True).start()
        _pump(secure, inner)

    def close(self) -> None:
        self.stopped = True
        self.listener.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def run_pymap(folder: Path) -> Iterator[ImapServer]:
    cert, key = write_certificate(folder, "imap-")
    port = free_port()
    command = [
        sys.executable, "-c", "from pymap.main import main; main()",
        "--host", "127.0.0.1", "--port", str(port), "--cert", str(cert), "--key", str(key),
        "--no-service", "admin", "--no-service", "managesieve", "--no-service", "swim",
        "dict", "--demo-user", USER, "--demo-password", PASSWORD,
    ]  # fmt: skip
    log = (folder / "pymap.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    front: _TlsFront | None = None
    try:
        _wait_for_greeting(port, process)
        front = _TlsFront(cert, key, port)
        yield ImapServer(port, front.port, cert)
    finally:
        if front is not None:
            front.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
