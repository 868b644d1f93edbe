"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1) that keeps what it receives, and can refuse or stall."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Sink:
    """An aiosmtpd handler that keeps every message, and can refuse or stall on purpose."""

    messages: list[tuple[str, list[str], bytes, Any]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> RCPT reply
    data_reply: str = "250 2.0.0 queued"
    data_delay: float = 0.0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content, session.peer))
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return self.data_reply


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()
