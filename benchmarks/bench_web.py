"""The readers' web app: one-click unsubscribe POSTs per second with the journal fsynced before each answer, their
latency at 50 concurrent clients (targets, issue 10: p99 under 50 ms), and the time to fold 10,000 pending changes
into a 1,000,000-row subscribers.csv (target: under 10 s).

    .venv/bin/python benchmarks/bench_web.py [--requests 5000] [--clients 50] [--workers 1] [--rows 1000000]
                                              [--changes 10000] [--runs 3] [--skip-http] [--skip-fold]

The app runs as in production: `uvicorn --factory newsletter.web.asgi:app_from_environment` in its own process,
its background applier folding the journal into the list as it goes. The clients are 50 keep-alive connections
in this process (asyncio and h11), each POSTing `List-Unsubscribe=One-Click` for its own readers, one request at a
time; latency is from sending a request to the end of its answer. Client and server share the machine's cores.
The fold runs apply_journal in a fresh process (peak memory is its own) on a copy of the generated list, with the
changes written by the journal's own writer: unsubscribes of listed readers, sign-ups and their confirmations.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import h11
import httpx

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
SECRET = b"benchmark-secret-of-at-least-32-bytes"
HEADER = "email,name,status,joined_at,source,consent,updated_at,reason\n"


def publication(folder: Path, readers: int, port: int) -> None:
    for name in ("issues", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    config = (ROOT / "newsletter.toml").read_text(encoding="utf-8")
    config = config.replace(
        '# base_url = "https://www.indiawrites.org/newsletter"', f'base_url = "http://127.0.0.1:{port}/newsletter"'
    )
    (folder / "newsletter.toml").write_text(config, encoding="utf-8")
    stamp = "2015-02-01T09:00:00Z"
    rows = "".join(f"reader{n}@example.org,Reader {n},active,{stamp},cli,,{stamp},\n" for n in range(readers))
    (folder / "subscribers.csv").write_text(HEADER + rows, encoding="utf-8")


def start_server(folder: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "--factory", "newsletter.web.asgi:app_from_environment",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log",
               "--no-proxy-headers", "--log-level", "warning"]  # fmt: skip
    env = {**os.environ, "NEWSLETTER_CONFIG": str(folder / "newsletter.toml"), "NEWSLETTER_SECRET": SECRET.decode()}
    env.pop("SENDGRID_API_KEY", None)
    server = subprocess.Popen(command, cwd=folder, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/newsletter/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    os.killpg(server.pid, signal.SIGKILL)
    raise SystemExit("the web app did not start")


async def client(port: int, targets: list[bytes], latencies: list[float], codes: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    body = b"List-Unsubscribe=One-Click"
    machine = h11.Connection(h11.CLIENT)
    for target in targets:
        headers = [("Host", f"127.0.0.1:{port}"), ("Content-Type", "application/x-www-form-urlencoded"),
                   ("Content-Length", str(len(body)))]  # fmt: skip
        began = time.perf_counter()
        writer.write(machine.send(h11.Request(method="POST", target=target, headers=headers))
                     + machine.send(h11.Data(data=body)) + machine.send(h11.EndOfMessage()))  # fmt: skip
        status = 0
        while True:
            event = machine.next_event()
            if event is h11.NEED_DATA:
                machine.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                break
        latencies.append(time.perf_counter() - began)
        codes[status] = codes.get(status, 0) + 1
        machine.start_next_cycle()
    writer.close()


async def load(port: int, first: int, count: int, clients: int) -> tuple[float, list[float], dict[int, int]]:
    from newsletter.tokens import make_token

    targets = [
        f"/newsletter/unsubscribe?token={make_token(SECRET, 'unsubscribe', f'reader{n}@example.org')}".encode()
        for n in range(first, first + count)
    ]
    latencies: list[float] = []
    codes: dict[int, int] = {}
    began = time.perf_counter()
    await asyncio.gather(*(client(port, targets[c::clients], latencies, codes) for c in range(clients)))
    return time.perf_counter() - began, latencies, codes


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_http(args: argparse.Namespace) -> None:
    warm = 500
    with tempfile.TemporaryDirectory() as folder:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        publication(Path(folder), warm + args.requests * args.runs, port)
        server = start_server(Path(folder), port, args.workers)
        try:
            asyncio.run(load(port, 0, warm, args.clients))  # warm-up: imports, first templates, journal file
            rates, p50s, p99s = [], [], []
            for run in range(args.runs):
                elapsed, latencies, codes = asyncio.run(
                    load(port, warm + run * args.requests, args.requests, args.clients)
                )
                if codes != {200: args.requests}:
                    raise SystemExit(f"unexpected answers: {codes}")
                rates.append(args.requests / elapsed)
                p50s.append(percentile(latencies, 0.50) * 1000)
                p99s.append(percentile(latencies, 0.99) * 1000)
                print(
                    f"run {run + 1}: {rates[-1]:7.0f} POSTs/s  p50 {p50s[-1]:6.1f} ms  p99 {p99s[-1]:6.1f} ms",
                    flush=True,
                )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    print(
        f"one-click POST, {args.clients} clients, {args.workers} worker(s), journal fsynced before each answer: "
        f"median {statistics.median(rates):.0f} POSTs/s, p50 {statistics.median(p50s):.1f} ms, "
        f"p99 {statistics.median(p99s):.1f} ms (target p99 < 50 ms)",
        flush=True,
    )


def write_changes(journal: Path, rows: int, changes: int) -> None:
    from newsletter.subscribers.journal import Change, JournalWriter

    writer = JournalWriter(journal)
    moment = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    batch: list[Change] = []
    new = changes // 5
    for n in range(changes):
        at = moment + timedelta(milliseconds=n)
        if n < changes - 2 * new:  # unsubscribes of readers spread over the whole list
            address = f"reader{(n * 7919) % rows}@example{(n * 7919) % rows % 97}.org"
            batch.append(Change(f"u{n}", at, address, "unsubscribed", reason="unsubscribed on the web (one-click)"))
        elif n < changes - new:
            batch.append(
                Change(f"p{n}", at, f"new{n}@example.com", "pending", name="New Reader", evidence={"how": "form"})
            )
        else:
            address = f"new{n - new}@example.com"
            batch.append(Change(f"c{n}", at, address, "active", reader_request=True, evidence={"how": "link"}))
        if len(batch) == 500:
            writer.append(batch)
            batch = []
    writer.append(batch)
    writer.close()


def fold_child(csv: Path, journal: Path) -> None:
    from newsletter.subscribers.journal_apply import apply_journal

    began = time.perf_counter()
    report = apply_journal(csv, journal)
    elapsed = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "peak_mb": peak, "applied": len(report.applied), "changed": report.changed}))


def bench_fold(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(HERE))
    from bench_subscribers import generate

    with tempfile.TemporaryDirectory() as folder:
        original, journal = Path(folder) / "original.csv", Path(folder) / "journal-original"
        began = time.perf_counter()
        generate(original, args.rows)
        write_changes(journal, args.rows, args.changes)
        print(f"generated {args.rows:,} rows and {args.changes:,} journaled changes in {time.perf_counter() - began:.1f} s",
              flush=True)  # fmt: skip
        seconds, peaks = [], []
        for _ in range(args.runs):
            csv, copy = Path(folder) / "subscribers.csv", Path(folder) / "journal"
            shutil.copy(original, csv)
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(journal, copy)
            output = subprocess.run([sys.executable, __file__, "--fold-child", str(csv), str(copy)],
                                    check=True, capture_output=True, text=True).stdout  # fmt: skip
            result = json.loads(output)
            seconds.append(result["seconds"])
            peaks.append(result["peak_mb"])
            detail = f"{result['applied']:,} changes applied, {result['changed']:,} rows changed"
        print(
            f"fold {args.changes:,} pending changes into {args.rows:,} rows: median {statistics.median(seconds):.2f} s "
            f"(runs: {', '.join(f'{s:.2f}' for s in seconds)}), peak RSS {max(peaks):.0f} MB [{detail}] "
            "(target < 10 s)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="one-click POSTs per run")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-fold", action="store_true")
    parser.add_argument("--fold-child", nargs=2, metavar=("CSV", "JOURNAL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fold_child:
        fold_child(Path(args.fold_child[0]), Path(args.fold_child[1]))
        return
    if not args.skip_http:
        bench_http(args)
    if not args.skip_fold:
        bench_fold(args)


if __name__ == "__main__":
    main()
