"""subscribers.csv at scale: load and validate a 1,000,000-row file, list the active readers, add one subscriber.

    .venv/bin/python benchmarks/bench_subscribers.py [--rows 1000000] [--runs 3]

The file is generated in a temporary folder with what real lists hold: mostly active readers, some pending,
unsubscribed, bounced and complained ones, consent records as quoted JSON, names with commas and in Hindi, Chinese
and Russian, a few addresses email-validator must look at itself (non-ASCII, odd case) and a few invalid rows.
Each measurement runs in a fresh process so that its peak memory (ru_maxrss) is its own. Prints the median of the
runs and the largest peak. Targets (issue 3): load+validate < 5 s and < 1 GB; add one subscriber < 3 s.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STATUSES = ["active"] * 85 + ["pending"] * 5 + ["unsubscribed"] * 7 + ["bounced"] * 2 + ["complained"]
NAMES = ["Priya Sharma", "Verma, Rahul", "अनन्या मिश्रा", "李伟", "Сергей Иванов", "John O'Neil", "Meera Iyer"]


def generate(path: Path, rows: int) -> None:
    rng = random.Random(316)
    consent = (
        '"{{""auth"": ""mx.indiawrites.org: dkim=pass header.d=example.org (aligned with example.org)"", '
        '""date"": ""Tue, 17 Mar 2015 10:01:47 +0530"", ""from"": ""Reader <r{n}@example.org>"", '
        '""message_id"": ""<CAHm2xA9{n}@mail.gmail.com>""}}"'
    )
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("email,name,status,joined_at,source,consent,updated_at,reason\r\n")
        for n in range(rows):
            email = f"reader{n}@example{n % 97}.org"
            if n % 1000 == 1:
                email = f"léa{n}@example.org"  # non-ASCII: email-validator decides
            elif n % 1000 == 2:
                email = f"Reader{n}@EXAMPLE.COM"
            elif n % 100_000 == 3:
                email = f"broken{n}.example.org"  # invalid: reported, kept
            name = rng.choice(NAMES)
            name = f'"{name}"' if "," in name else name
            month = 1 + n % 12
            stamp = f"2014-{month:02d}-{1 + n % 28:02d}T10:00:00Z"
            cell = consent.format(n=n) if n % 10 == 0 else ""
            status = rng.choice(STATUSES)
            reason = "SendGrid bounce: 550 5.1.1" if status == "bounced" else ""
            source = "inbox" if cell else "import:mailchimp"
            out.write(f"{email},{name},{status},{stamp},{source},{cell},{stamp},{reason}\r\n")


def child(task: str, path: Path, extra: str) -> None:
    from newsletter.subscribers.listfile import read_subscribers
    from newsletter.subscribers.store import add_subscriber

    start = time.perf_counter()
    if task == "load":
        subscribers = read_subscribers(path)
        detail = f"{len(subscribers)} rows, {len(subscribers.problems)} reported"
    elif task == "active":
        active = read_subscribers(path).active()
        detail = f"{len(active)} active"
    else:
        detail = add_subscriber(path, extra, "New Reader")
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "peak_mb": peak, "detail": detail}))


def measure(task: str, path: Path, runs: int) -> None:
    seconds, peaks, detail = [], [], ""
    for run in range(runs):
        output = subprocess.run(
            [sys.executable, __file__, "--child", task, str(path), f"new{run}-{time.time_ns()}@example.org"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(output)
        seconds.append(result["seconds"])
        peaks.append(result["peak_mb"])
        detail = result["detail"]
    print(
        f"{task:<8} median {statistics.median(seconds):6.2f} s  (runs: {', '.join(f'{s:.2f}' for s in seconds)})  "
        f"peak RSS {max(peaks):6.0f} MB  [{detail}]",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("TASK", "PATH", "EXTRA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.child[2])
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "subscribers.csv"
        start = time.perf_counter()
        generate(path, args.rows)
        size = path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size:.0f} MB) in {time.perf_counter() - start:.1f} s", flush=True)
        measure("load", path, args.runs)
        measure("active", path, args.runs)
        measure("add", path, args.runs)


if __name__ == "__main__":
    main()
