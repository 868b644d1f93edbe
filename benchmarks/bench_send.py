"""A whole send through the SendGrid provider to the local fake SendGrid: wall time, rate, peak memory, and where
the time goes (render, reading subscribers and planning, personalising, payload building, HTTP, ledger).

    .venv/bin/python benchmarks/bench_send.py [--recipients 100000 1000000] [--runs 3] [--validate sample]

Targets (issue 4): 1,000,000 recipients in under 60 s of wall time and under 500 MB peak memory of the sending
process. The fake server runs in its own process (python tests/sendgrid_fake.py), so it does not share the sender's
GIL; the sender runs in a child process, measured with wait4 (its own peak RSS, not the server's). Each run starts
from a fresh publication, so nothing is resumed. Every run is checked: each address delivered exactly once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ISSUE = "issues/2015-03-16.yaml"
API_KEY = "SG.fake-key-for-tests"  # the fake server's key (tests/sendgrid_fake_api.py)


def make_publication(folder: Path, recipients: int, url: str, concurrency: int) -> None:
    for name in ("issues", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    toml = (ROOT / "newsletter.toml").read_text(encoding="utf-8")
    toml = toml.replace('host = "https://api.sendgrid.com"', f'host = "{url}"')
    toml = toml.replace("concurrency = 4", f"concurrency = {concurrency}")
    (folder / "newsletter.toml").write_text(toml, encoding="utf-8")
    with (folder / "subscribers.csv").open("w", encoding="utf-8") as out:
        out.write("email,name,status,joined_at,source,consent,updated_at\n")
        for number in range(recipients):
            out.write(
                f"reader{number:07d}@example.org,Reader {number},active,2015-01-01T00:00:00Z,import,yes,"
                "2015-01-01T00:00:00Z\n"
            )


def start_server(record: Path, validate: str) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "sendgrid_fake.py"),
            "--port",
            "0",
            "--validate",
            validate,
            "--sample-every",
            "50",
            "--record",
            str(record),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def child(publication: Path) -> None:
    """The send, as `newsletter send ISSUE --provider sendgrid --yes` does it, with each stage timed."""
    began = time.perf_counter()
    from newsletter.config import load_config
    from newsletter.issue import load_issue
    from newsletter.ledger import LedgerWriter, ledger_path, read_ledger
    from newsletter.providers.sendgrid import SendGridProvider
    from newsletter.render import render_issue
    from newsletter.send import lock_send, run_send
    from newsletter.send_plan import SendOptions, plan_send
    from newsletter.subscribers import read_subscribers
    from newsletter.suppressions import sync_suppressions

    stages: dict[str, float] = {"imports": time.perf_counter() - began}
    config = load_config(publication / "newsletter.toml")
    mark = time.perf_counter()
    rendered = render_issue(load_issue(publication / ISSUE), config)
    stages["render"] = time.perf_counter() - mark
    provider = SendGridProvider(config, API_KEY)
    ledger = ledger_path(config.sends_dir, rendered.issue.slug)
    with lock_send(ledger):
        mark = time.perf_counter()
        sync_suppressions(provider, config.subscribers_path, config.sendgrid.asm_group_id)
        stages["suppressions sync"] = time.perf_counter() - mark
        mark = time.perf_counter()
        state = read_ledger(ledger)
        plan = plan_send(rendered, read_subscribers(config.subscribers_path), state, "sendgrid", SendOptions())
        stages["read subscribers + plan"] = time.perf_counter() - mark
        with LedgerWriter(ledger) as writer:
            summary = run_send(
                plan,
                provider,
                writer,
                state,
                config=config,
                secret=b"bench-secret",
                concurrency=config.send.concurrency,
            )
    stages["send (wall)"] = summary.elapsed
    result = {
        "sent": summary.sent,
        "failed": summary.failed,
        "in_doubt": summary.in_doubt,
        "stages": stages,
        "thread_seconds": summary.timings,
    }
    print(json.dumps(result))


def reader_only(publication: Path) -> None:
    """Only read subscribers.csv and walk its rows: the part of the sender's memory that is the reader's."""
    from newsletter.subscribers import read_subscribers

    for _ in read_subscribers(publication / "subscribers.csv"):
        pass


def peak_of_reading(publication: Path) -> float:
    reader = subprocess.Popen([sys.executable, __file__, "--reader-only", str(publication)])
    _, _, usage = os.wait4(reader.pid, 0)
    return usage.ru_maxrss / 1024


def run_once(recipients: int, validate: str, concurrency: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-send-") as tmp:
        folder = Path(tmp)
        record = folder / "accepted.jsonl"
        server, url = start_server(record, validate)
        try:
            publication = folder / "publication"
            publication.mkdir()
            make_publication(publication, recipients, url, concurrency)
            began = time.perf_counter()
            sender = subprocess.Popen(
                [sys.executable, __file__, "--child", str(publication)], stdout=subprocess.PIPE, text=True
            )
            assert sender.stdout is not None
            output = sender.stdout.read()
            _, status, usage = os.wait4(sender.pid, 0)
            wall = time.perf_counter() - began
            if status != 0:
                raise SystemExit(f"the send failed (status {status})")
            reading_peak = peak_of_reading(publication)
        finally:
            server.terminate()
            _, _, server_usage = os.wait4(server.pid, 0)
        delivered = Counter(
            address for line in record.read_text().splitlines() for address in json.loads(line)["addresses"]
        )
    result: dict[str, object] = json.loads(output)
    if len(delivered) != recipients or max(delivered.values()) != 1 or result["sent"] != recipients:
        raise SystemExit(f"not exactly once: {len(delivered)} distinct of {recipients}, {result}")
    result["wall"] = wall
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux reports kilobytes
    result["cpu"] = usage.ru_utime + usage.ru_stime
    result["reading_peak_mb"] = reading_peak
    result["server_cpu"] = server_usage.ru_utime + server_usage.ru_stime
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3, help="runs per size (1 for 1,000,000 unless asked)")
    parser.add_argument("--validate", choices=("full", "sample", "off"), default="sample")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--reader-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    if args.reader_only:
        reader_only(args.reader_only)
        return
    print(f"fake SendGrid validation: {args.validate}; {os.cpu_count()} CPUs; concurrency {args.concurrency}")
    for recipients in args.recipients:
        runs = args.runs if recipients < 1_000_000 or "--runs" in sys.argv else 1
        results = [run_once(recipients, args.validate, args.concurrency) for _ in range(runs)]
        walls = [float(r["wall"]) for r in results]  # type: ignore[arg-type]
        median = results[walls.index(statistics.median_low(walls))]
        print(f"\n{recipients:,} recipients, {runs} run(s): wall {', '.join(f'{w:.1f}' for w in walls)} s")
        print(
            f"  median: {median['wall']:.1f} s, {recipients / float(median['wall']):,.0f} recipients/s, "  # type: ignore[arg-type]
            f"peak RSS of the sender {median['peak_rss_mb']:.0f} MB, its CPU {median['cpu']:.1f} s"
        )
        print(
            f"  (reading subscribers.csv alone peaks at {median['reading_peak_mb']:.0f} MB; "
            f"the fake SendGrid used {median['server_cpu']:.1f} s of CPU)"
        )
        for stage, seconds in median["stages"].items():  # type: ignore[attr-defined]
            print(f"  {stage:<26} {seconds:7.2f} s")
        print("  summed over the sending threads (they overlap):")
        for stage, seconds in sorted(median["thread_seconds"].items()):  # type: ignore[attr-defined]
            print(f"    {stage:<24} {seconds:7.2f} s")


if __name__ == "__main__":
    main()
