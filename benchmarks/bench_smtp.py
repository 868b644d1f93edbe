"""A send through the SMTP provider to a local aiosmtpd sink: messages per second (target: at least 500).

    .venv/bin/python benchmarks/bench_smtp.py [--recipients 5000] [--runs 3] [--concurrency 4]

The sink runs in its own process and counts what it receives; the sender runs `newsletter send --provider smtp`'s
steps in a child process (render once, then one personalised MIME message per reader over reused connections).
Prints the median of the runs and where the sender's time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ISSUE = "issues/2015-03-16.yaml"

SINK = """
import asyncio, signal, sys
from aiosmtpd.smtp import SMTP

received = 0

class Count:
    async def handle_DATA(self, server, session, envelope):
        global received
        received += len(envelope.rcpt_tos)
        return "250 2.0.0 queued"

async def serve(port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    server = await loop.create_server(
        lambda: SMTP(Count(), hostname="127.0.0.1"), "127.0.0.1", port, reuse_port=True
    )
    print("ready", flush=True)
    await stop
    server.close()
    print(received, flush=True)

asyncio.run(serve(int(sys.argv[1])))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_publication(folder: Path, recipients: int, port: int, concurrency: int) -> None:
    for name in ("issues", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    toml = (ROOT / "newsletter.toml").read_text(encoding="utf-8")
    toml = toml.replace('host = "smtp.sendgrid.net"', 'host = "127.0.0.1"').replace("port = 587", f"port = {port}")
    toml = toml.replace('security = "starttls"', 'security = "none"').replace('username = "apikey"', 'username = ""')
    toml = toml.replace("concurrency = 4", f"concurrency = {concurrency}")
    (folder / "newsletter.toml").write_text(toml, encoding="utf-8")
    with (folder / "subscribers.csv").open("w", encoding="utf-8") as out:
        out.write("email,name,status\n")
        for number in range(recipients):
            out.write(f"reader{number:07d}@example.org,Reader {number},active\n")


def child(publication: Path) -> None:
    """The send, as `newsletter send ISSUE --provider smtp --yes` does it (send_issue)."""
    from datetime import UTC, datetime

    from newsletter.config import load_config
    from newsletter.issue.load import load_issue
    from newsletter.providers.smtp import SmtpProvider
    from newsletter.render.html import render_issue
    from newsletter.sending.send import SendRequest, send_issue

    config = load_config(publication / "newsletter.toml")
    rendered = render_issue(load_issue(publication / ISSUE), config)
    result = send_issue(
        config,
        SendRequest(rendered, "smtp"),
        lambda: SmtpProvider(config, ""),
        secret=b"benchmark-secret-of-at-least-32-bytes",
        now=lambda: datetime.now(UTC),
        confirm=lambda question: True,
    )
    summary = result.summary
    assert summary is not None
    print(json.dumps({"sent": summary.sent, "elapsed": summary.elapsed, "timings": summary.timings}))


def run_once(recipients: int, concurrency: int, sinks: int) -> dict[str, object]:
    """One send; `sinks` aiosmtpd processes share the port (SO_REUSEPORT): one Python process parses about 370
    messages of this size a second, so a single sink would measure the sink."""
    port = free_port()
    servers = [subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True)]
    for _ in range(sinks - 1):
        servers.append(subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True))
    for server in servers:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    try:
        with tempfile.TemporaryDirectory(prefix="bench-smtp-") as tmp:
            publication = Path(tmp)
            make_publication(publication, recipients, port, concurrency)
            sender = subprocess.Popen(
                [sys.executable, __file__, "--child", str(publication)], stdout=subprocess.PIPE, text=True
            )
            assert sender.stdout is not None
            output = sender.stdout.read()
            _, status, usage = os.wait4(sender.pid, 0)
            if status != 0:
                raise SystemExit(f"the send failed (status {status})")
    finally:
        received = 0
        sink_cpu = 0.0
        for server in servers:
            server.send_signal(signal.SIGTERM)
            assert server.stdout is not None
            received += int(server.stdout.read().strip() or 0)
            _, _, sink_usage = os.wait4(server.pid, 0)
            sink_cpu += sink_usage.ru_utime + sink_usage.ru_stime
    result: dict[str, object] = json.loads(output)
    result["cpu"] = usage.ru_utime + usage.ru_stime
    result["sink_cpu"] = sink_cpu
    if received != recipients or result["sent"] != recipients:
        raise SystemExit(f"the sink received {received} of {recipients}: {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--sinks", type=int, default=2, help="aiosmtpd processes sharing the port")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    results = [run_once(args.recipients, args.concurrency, args.sinks) for _ in range(args.runs)]
    rates = [args.recipients / float(r["elapsed"]) for r in results]  # type: ignore[arg-type]
    median = results[rates.index(statistics.median_low(rates))]
    print(
        f"SMTP, {args.recipients:,} messages, concurrency {args.concurrency}, {args.sinks} aiosmtpd process(es), "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"  runs: {', '.join(f'{rate:,.0f}' for rate in rates)} messages/s; median {statistics.median_low(rates):,.0f}"
    )
    print(f"  CPU: sender {median['cpu']:.1f} s, aiosmtpd sink(s) {median['sink_cpu']:.1f} s")
    print("  summed over the sending threads (they overlap):")
    for stage, seconds in sorted(median["timings"].items()):  # type: ignore[attr-defined]
        print(f"    {stage:<14} {seconds:7.2f} s")


if __name__ == "__main__":
    main()
