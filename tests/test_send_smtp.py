"""A whole send by SMTP (send_issue, as `newsletter send --provider smtp` calls it) against a real SMTP server
(aiosmtpd): each reader once, as the report says; and the command line's exit code when someone failed."""

from __future__ import annotations

import json
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

from send_support import ISSUE, Sub, make_publication, readers, run, send
from smtp_sink import Sink

from newsletter.sending.send import unfinished


def test_send_by_smtp(tmp_path: Path, sink: tuple[Sink, int]) -> None:
    handler, port = sink
    handler.refuse["reader00007@example.org"] = "550 5.1.1 no such user"
    rows = [*readers(30), Sub("gone@example.org", status="unsubscribed")]
    make_publication(
        tmp_path,
        rows,
        send={"provider": "smtp", "concurrency": 3},
        smtp={"host": "127.0.0.1", "port": port, "security": "none", "username": ""},
    )
    summary = send(tmp_path, "smtp").result.summary
    assert summary is not None and unfinished(summary, ISSUE) == (
        "not everyone has the issue (failed 1, in doubt 0, pending 0): see `newsletter report "
        f"{ISSUE}`, then run the send again (with --retry-failed for failed recipients, --resend-in-doubt for "
        "those in doubt)."
    )
    received = Counter(to for _, tos, _, _ in handler.messages for to in tos)
    assert received == Counter(row.email for row in rows[:30] if row.email != "reader00007@example.org")
    report = json.loads(run(tmp_path, "report", ISSUE, "--json").stdout)
    assert report["counts"] == {"sent": 29, "failed": 1, "in_doubt": 0, "pending": 0, "skipped": 1}
    ids = {
        message_from_bytes(raw, policy=policy.default)["To"].addresses[0].addr_spec: message_from_bytes(
            raw, policy=policy.default
        )["Message-ID"]
        for _, _, raw, _ in handler.messages
    }
    for item in report["recipients"]:
        if item["status"] == "sent":
            assert item["message_id"] == ids[item["email"]]
    human = run(tmp_path, "report", ISSUE).stdout.splitlines()
    assert human[-2:] == [
        "failed (resent only with --retry-failed):",
        f"  reader00007@example.org: the SMTP server 127.0.0.1:{port} answered 550 5.1.1 no such user to RCPT "
        "TO:<reader00007@example.org>",
    ]

    del handler.refuse["reader00007@example.org"]
    again = send(tmp_path, "smtp", retry_failed=True).result.summary
    assert again is not None and unfinished(again, ISSUE) == ""
    received = Counter(to for _, tos, _, _ in handler.messages for to in tos)
    assert set(received.values()) == {1} and len(received) == 30


def test_cli_exit_code_when_someone_failed(tmp_path: Path, sink: tuple[Sink, int]) -> None:
    handler, port = sink
    handler.refuse["reader00001@example.org"] = "550 5.1.1 no such user"
    make_publication(
        tmp_path,
        readers(3),
        send={"provider": "smtp"},
        smtp={"host": "127.0.0.1", "port": port, "security": "none", "username": ""},
    )
    result = run(tmp_path, "send", ISSUE, "--yes")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "error: not everyone has the issue (failed 1, in doubt 0, pending 0): see `newsletter report "
        f"{ISSUE}`, then run the send again (with --retry-failed for failed recipients, --resend-in-doubt for "
        "those in doubt)."
    )
    del handler.refuse["reader00001@example.org"]
    assert run(tmp_path, "send", ISSUE, "--retry-failed", "--yes").exit_code == 0
