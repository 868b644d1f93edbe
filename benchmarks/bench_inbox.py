"""`newsletter inbox` at scale: process 10,000 messages from a Maildir into a 10,000-row subscribers.csv.

    .venv/bin/python benchmarks/bench_inbox.py [--messages 10000] [--runs 3]

The Maildir holds a realistic mix built from the test corpus (tests/data/inbox): a third authenticated subscribe
requests (each from a new address), a tenth unauthenticated ones, a tenth unsubscribes of listed readers, and the
rest the editor's other mail (replies, auto-replies, bounces, list traffic, unrelated letters), each message with
its own Message-ID. Every run starts from fresh copies and goes through run_inbox: classify all messages, one
locked write of subscribers.csv, the answers (welcome, confirmation, goodbye) written as .eml files by the outbox
provider, the state file. Prints the median of the runs and the peak memory. Target (issue 3): < 30 s.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "inbox"

SUBSCRIBE = "01_gmail_subscribe_hindi.eml"
UNAUTHENTICATED = "06_spoofed_no_auth.eml"
UNSUBSCRIBE = "14_unsubscribe_authenticated.eml"
OTHER = [
    "11_quoted_reply_comment.eml",
    "13_forwarded_request.eml",
    "21_outlook_out_of_office.eml",
    "24_bounce_dsn.eml",
    "26_mailing_list.eml",
    "29_unrelated_invitation.eml",
    "02_outlook_subscribe.eml",
]


def build(folder: Path, messages: int) -> tuple[Path, Path]:
    maildir = folder / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    rows = ["email,name,status,joined_at,source,consent,updated_at,reason"]
    rows += [
        f"listed{n}@example.com,Listed {n},active,2015-01-01T00:00:00Z,cli,,2015-01-01T00:00:00Z,"
        for n in range(10_000)
    ]
    csv_path = folder / "subscribers.csv"
    csv_path.write_text("\n".join(rows) + "\n")
    texts = {name: (CORPUS / name).read_bytes() for name in [SUBSCRIBE, UNAUTHENTICATED, UNSUBSCRIBE, *OTHER]}
    for n in range(messages):
        kind = n % 30
        if kind < 10:
            raw = texts[SUBSCRIBE].replace(b"priya.sharma.delhi@gmail.com", f"new{n}@gmail.com".encode())
        elif kind < 13:
            raw = texts[UNAUTHENTICATED].replace(b"vikram.rao@example.com", f"maybe{n}@example.com".encode())
        elif kind < 16:
            raw = texts[UNSUBSCRIBE].replace(b"rahul.verma@example.com", f"listed{n % 10_000}@example.com".encode())
        else:
            raw = texts[OTHER[n % len(OTHER)]]
            if n % len(OTHER) == len(OTHER) - 1:  # the Outlook request, turned into unrelated mail
                raw = raw.replace(b"Subject: Subscription request", b"Subject: Lunch on Friday?").replace(
                    b"I would like to receive your newsletter", b"I would like to meet"
                )
        raw = raw.replace(b"Message-ID: <", f"Message-ID: <bench{n}.".encode(), 1)
        (maildir / "new" / f"{1426000000 + n}.M{n}P1.mx.indiawrites.org").write_bytes(raw)
    return maildir, csv_path


def run_once(template: Path, work: Path) -> tuple[float, str]:
    from newsletter.config import load_config
    from newsletter.inbox.run import run_inbox
    from newsletter.inbox.sources import STATE_NAME, load_state, open_maildir
    from newsletter.providers.outbox import OutboxProvider

    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    shutil.copy(ROOT / "newsletter.toml", work / "newsletter.toml")
    shutil.copy(template / "subscribers.csv", work / "subscribers.csv")
    config = load_config(work / "newsletter.toml")
    state_path = work / STATE_NAME
    start = time.perf_counter()
    source = open_maildir(template / "Maildir", load_state(state_path), state_path)
    try:
        report = run_inbox(
            source,
            config,
            b"benchmark-secret-of-at-least-32-bytes",
            OutboxProvider(work / "outbox" / "_transactional"),
            now=lambda: datetime(2015, 3, 26, tzinfo=UTC),
        )
    finally:
        source.close()
    elapsed = time.perf_counter() - start
    detail = f"{len(report.outcomes)} messages, {len(report.acted_on)} acted on, {len(report.sent)} answers"
    return elapsed, detail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        start = time.perf_counter()
        build(base, args.messages)
        print(f"built a Maildir of {args.messages:,} messages in {time.perf_counter() - start:.1f} s", flush=True)
        times = []
        detail = ""
        for run in range(args.runs):
            elapsed, detail = run_once(base, base / f"run{run}")
            times.append(elapsed)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"inbox    median {statistics.median(times):6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)})  "
            f"peak RSS {peak:5.0f} MB  [{detail}]"
        )


if __name__ == "__main__":
    main()
