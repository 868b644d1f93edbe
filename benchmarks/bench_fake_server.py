"""How many 1000-personalization mail-send requests per second the fake SendGrid server accepts, per validate mode.

    .venv/bin/python benchmarks/bench_fake_server.py [--requests 200] [--runs 3] [--clients 2] [--sample-every 10]
                                                     [--separate-process]

Each request is about 1 MB of JSON (1000 recipients, each with substitutions, custom_args and a List-Unsubscribe
header, plus an 80 KB HTML part), the size of one batch of a real send; clients post pre-serialised bytes over
keep-alive connections, so the figure is the server's. By default the server runs in this process (as in the tests,
sharing the GIL with the clients); --separate-process starts `python tests/sendgrid_fake.py` instead. Prints the median
of the runs for each mode."""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from sendgrid_fake import API_KEY, FakeSendGrid, mail_body  # noqa: E402
from sendgrid_fake_api import Validate  # noqa: E402

MODES: tuple[Validate, ...] = ("full", "sample", "off")


def make_payload(recipients: int) -> bytes:
    body = mail_body([f"reader{number}@example.org" for number in range(recipients)])
    token = "t" * 120  # a signed token is about this long
    for number, personalization in enumerate(body["personalizations"]):
        url = f"https://indiawrites.org/unsubscribe?token={token}{number}"
        personalization["substitutions"]["-unsubscribe-"] = url
        personalization["headers"]["List-Unsubscribe"] = (
            f"<mailto:editor@indiawrites.org?subject=unsubscribe-{token}{number}>, <{url}>"
        )
    body["content"][1]["value"] = "<p>" + "India and the World. " * 4000 + "</p>"
    return json.dumps(body).encode()


def post_many(url: str, payload: bytes, count: int) -> int:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    accepted = 0
    for _ in range(count):
        connection.request("POST", "/v3/mail/send", body=payload, headers=headers)
        response = connection.getresponse()
        response.read()
        accepted += response.status == 202
    connection.close()
    return accepted


def run_once(url: str, payload: bytes, requests: int, clients: int) -> float:
    shares = [requests // clients + (i < requests % clients) for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        accepted = sum(pool.map(lambda share: post_many(url, payload, share), shares))
    elapsed = time.perf_counter() - started
    if accepted != requests:
        raise SystemExit(f"only {accepted} of {requests} requests were accepted")
    return requests / elapsed


def measure(mode: Validate, args: argparse.Namespace, payload: bytes) -> list[float]:
    requests = max(args.requests // 10, 10) if mode == "full" else args.requests
    if args.separate_process:
        command = [sys.executable, str(ROOT / "tests" / "sendgrid_fake.py"), "--validate", mode]
        command += ["--sample-every", str(args.sample_every)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            url = process.stdout.readline().strip() if process.stdout else ""
            return [run_once(url, payload, requests, args.clients) for _ in range(args.runs)]
        finally:
            process.terminate()
            process.wait(timeout=10)
    with FakeSendGrid(validate=mode, sample_every=args.sample_every, keep_bodies=False) as server:
        return [run_once(server.url, payload, requests, args.clients) for _ in range(args.runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per run (a tenth of it for validate=full)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--sample-every", type=int, default=10, help="validate=sample: the schema on every Nth request")
    parser.add_argument("--separate-process", action="store_true")
    args = parser.parse_args()
    payload = make_payload(1000)
    where = "a separate process" if args.separate_process else "this process"
    print(
        f"payload {len(payload) / 1e6:.2f} MB, 1000 personalizations; server in {where}; {args.clients} clients; "
        f"sample: every {args.sample_every}th request"
    )
    for mode in MODES:
        rates = measure(mode, args, payload)
        median = statistics.median(rates)
        runs = ", ".join(f"{rate:.1f}" for rate in rates)
        print(
            f"validate={mode:<6}  {median:7.1f} requests/s  ({median * len(payload) / 1e6:6.1f} MB/s, "
            f"1,000,000 recipients in {1000 / median:6.1f} s)  runs: {runs}"
        )


if __name__ == "__main__":
    main()
