"""A whole send through the SendGrid provider to the local fake SendGrid: wall time, rate, peak memory, and where
the time goes (render, reading subscribers and planning, personalising, payload building, HTTP, ledger), next to
the floor measured in the same run.

    .venv/bin/python benchmarks/bench_send.py [--recipients 100000 1000000] [--runs 3] [--validate sample]
                                              [--taskset 0,1] [--py-spy PREFIX]

Targets (issue 13): 1,000,000 recipients on 2 cores in under 20 s of wall time, the sender's CPU under twice the
floor, and under 300 MB peak memory of the sending process. The floor is a plain-Python loop doing only what a
send cannot avoid: sign each reader's token (tokens.make_token, as the send does), build the 1000-reader
personalizations as dicts and JSON-encode each request with a 40 KB body (json.dumps); its CPU is the loop's alone,
the sender's is its whole process (imports, render, reading the list, planning, the ledger included). The ratio
sender CPU / floor CPU is the figure. `--taskset CPUS` runs everything (server, sender, floor) pinned to those
CPUs; without it, a machine with more than two CPUs runs everything twice: on all of them, then pinned to the first
two. The load average is printed with every figure, since the machine may be shared. `--py-spy PREFIX` (py-spy on
PATH; not a project dependency) records each send's collapsed stacks, all threads, to PREFIX-HHMMSS.txt: the shape
of the work, while the figures of that run are py-spy's own and not the send's.

The fake server runs in its own process (python tests/sendgrid_fake.py), so it does not share the sender's GIL;
the sender runs in a child process, measured with wait4 (its own peak RSS, not the server's). Each run starts
from a fresh publication, so nothing is resumed. Every run is checked: each address delivered exactly once.

    .venv/bin/python benchmarks/bench_send.py --resume [--recipients 1000000] [--runs 1] [--report-runs 3]

measures a resume instead, and `newsletter report ISSUE --json` on the ledger it leaves. How the send is
interrupted: the sender is SIGKILLed once the fake server has recorded (answered) half of the batches. That is the
crash the ledger exists for (issue 4: "killed at any moment"), it needs no fault mode in the server, and it leaves
what a real kill leaves: the batches in flight as intents without outcomes (in doubt; SendGrid accepted some of
them, not others), perhaps a torn last line. The resumed run is a plain `send` (no --resend-in-doubt), measured as
above (wall time from its own process start, peak RSS with wait4, time per stage, "read ledger" included). Checked:
every address the report calls sent was delivered exactly once, the in-doubt ones at most once, nobody else
delivered, and nothing pending or failed. Then `newsletter report ISSUE --json` runs as its own process on that
ledger (two runs, a million snapshot entries each, some 85 MB of JSON lines) `--report-runs` times: wall, peak RSS, and
the report's counts are checked against the server's record. A 1,000,000 resume cycle takes under two minutes, so
it runs once unless --runs says otherwise; the median is of whatever ran. `--ledger-only` figures (the peak RSS of
read_ledger alone) show how much of the resume's memory is the ledger replay.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ISSUE = "issues/2015-03-16.yaml"
LEDGER = "2015-03-16.jsonl"
API_KEY = "SG.fake-key-for-tests"
PROFILE_TO = ""  # --py-spy PREFIX: record each send's collapsed stacks to PREFIX-HHMMSS.txt  # the fake server's key (tests/sendgrid_fake_api.py)


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
    """The send, as `newsletter send ISSUE --provider sendgrid --yes` does it (send_issue), with each stage timed."""
    began = time.perf_counter()
    from datetime import UTC, datetime

    from newsletter.config import load_config
    from newsletter.issue.load import load_issue
    from newsletter.providers.sendgrid import SendGridProvider
    from newsletter.render.html import render_issue
    from newsletter.sending.send import SendRequest, send_issue

    stages: dict[str, float] = {"imports": time.perf_counter() - began}
    config = load_config(publication / "newsletter.toml")
    mark = time.perf_counter()
    rendered = render_issue(load_issue(publication / ISSUE), config)
    stages["render"] = time.perf_counter() - mark
    result = send_issue(
        config,
        SendRequest(rendered, "sendgrid"),
        lambda: SendGridProvider(config, API_KEY),
        secret=b"benchmark-secret-of-at-least-32-bytes",
        now=lambda: datetime.now(UTC),
        confirm=lambda question: True,
    )
    summary = result.summary
    assert summary is not None
    stages.update(result.stages)  # suppressions sync, read ledger, read subscribers + plan
    stages["send (wall)"] = summary.elapsed
    output = {
        "sent": summary.sent,
        "failed": summary.failed,
        "in_doubt": summary.in_doubt,
        "stages": stages,
        "thread_seconds": summary.timings,
    }
    output["own_peak_mb"] = own_peak_mb()
    print(json.dumps(output))


def own_peak_mb() -> float:
    """This process's peak RSS (VmHWM): wait4's ru_maxrss also counts the parent's peak when the child was
    started (Linux carries the high-water mark over fork and exec), which a benchmark that has checked a big run
    already has grown to."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reader_only(publication: Path) -> None:
    """Only read subscribers.csv as the send reads it (a part at a time) and walk its rows: the part of the
    sender's memory that is the reader's. Prints its own peak."""
    from newsletter.subscribers.stream import stream_subscribers

    for _ in stream_subscribers(publication / "subscribers.csv"):
        pass
    print(own_peak_mb())


FLOOR_SECRET = b"benchmark-secret-of-at-least-32-bytes"


def floor(recipients: int) -> None:
    """The floor: sign each reader's token, build each 1000-reader request as dicts, JSON-encode it with a 40 KB
    body. Prints {"cpu", "wall", "bytes"} of the loop alone (the addresses are made before it starts)."""
    from newsletter.tokens import make_token

    emails = [f"reader{number:07d}@example.org" for number in range(recipients)]
    names = [f"Reader {number}" for number in range(recipients)]
    shell = {
        "from": {"email": "editor@indiawrites.org", "name": "India and the World"},
        "subject": "Putin to meet top aide to Chinese president",
        "content": [
            {"type": "text/plain", "value": "t" * 4_000},
            {"type": "text/html", "value": "<p>" + "h" * 36_000 + "</p>"},
        ],
        "custom_args": {"issue": "2015-03-16"},
    }
    # The inputs are not the floor's work: frozen, the cycle collector does not walk them again and again (at ten
    # million readers it doubled the loop's time).
    gc.freeze()
    began, cpu, size = time.perf_counter(), time.process_time(), 0
    for start in range(0, recipients, 1000):
        people = []
        for email, name in zip(emails[start : start + 1000], names[start : start + 1000], strict=True):
            url = (
                f"mailto:editor@indiawrites.org?subject=unsubscribe%20{make_token(FLOOR_SECRET, 'unsubscribe', email)}"
            )
            people.append(
                {
                    "to": [{"email": email, "name": name}],
                    "substitutions": {"%%name%%": name, "%%name_text%%": name, "%%unsubscribe_url%%": url},
                    "custom_args": {"recipient": email},
                    "headers": {"List-Unsubscribe": f"<{url}>"},
                }
            )
        size += len(json.dumps({"personalizations": people, **shell}).encode())
    print(json.dumps({"cpu": time.process_time() - cpu, "wall": time.perf_counter() - began, "bytes": size}))


def run_floor(recipients: int) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--floor", str(recipients)], stdout=subprocess.PIPE, text=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def ledger_only(publication: Path) -> None:
    """Only replay the ledger: the part of a resume's (and a report's) memory that is the ledger's."""
    from newsletter.sending.ledger import read_ledger

    read_ledger(publication / "sends" / LEDGER)
    print(own_peak_mb())


def peak_of_reading(publication: Path, mode: str = "--reader-only") -> float:
    done = subprocess.run([sys.executable, __file__, mode, str(publication)], stdout=subprocess.PIPE, text=True)
    return float(done.stdout)


def json_line(output: str) -> str:
    """The sender's one JSON line (py-spy, when it profiles, prints lines of its own around it)."""
    return next((line for line in output.splitlines() if line.startswith("{")), output)


def run_sender(publication: Path, what: str) -> tuple[str, Any, float]:
    """Run the send in a child process: (its JSON output, its resource usage, wall seconds)."""
    began = time.perf_counter()
    command = [sys.executable, __file__, "--child", str(publication)]
    if PROFILE_TO:  # py-spy samples the sender (all its threads, native frames off): a flame graph, not timings
        out = f"{PROFILE_TO}-{time.strftime('%H%M%S')}"
        command = ["py-spy", "record", "--threads", "-r", "200", "-f", "raw", "-o", f"{out}.txt", "--", *command]
    sender = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert sender.stdout is not None
    output = sender.stdout.read()
    _, status, usage = os.wait4(sender.pid, 0)
    wall = time.perf_counter() - began
    if status != 0:
        raise SystemExit(f"the {what} failed (status {status})")
    return output, usage, wall


def run_once(recipients: int, validate: str, concurrency: int) -> dict[str, object]:
    load_before = load()
    floor_figures = run_floor(recipients)
    with tempfile.TemporaryDirectory(prefix="bench-send-") as tmp:
        folder = Path(tmp)
        record = folder / "accepted.jsonl"
        server, url = start_server(record, validate)
        try:
            publication = folder / "publication"
            publication.mkdir()
            make_publication(publication, recipients, url, concurrency)
            output, usage, wall = run_sender(publication, "send")
            reading_peak = peak_of_reading(publication)
        finally:
            server.terminate()
            _, _, server_usage = os.wait4(server.pid, 0)
        delivered = Counter(
            address for line in record.read_text().splitlines() for address in json.loads(line)["addresses"]
        )
    result: dict[str, object] = json.loads(json_line(output))
    if len(delivered) != recipients or max(delivered.values()) != 1 or result["sent"] != recipients:
        raise SystemExit(f"not exactly once: {len(delivered)} distinct of {recipients}, {result}")
    result["wall"] = wall
    result["peak_rss_mb"] = result["own_peak_mb"]
    result["cpu"] = usage.ru_utime + usage.ru_stime
    result["reading_peak_mb"] = reading_peak
    result["server_cpu"] = server_usage.ru_utime + server_usage.ru_stime
    result["floor"] = floor_figures
    result["load"] = f"{load_before} before, {load()} after"
    return result


def kill_half_way(publication: Path, record: Path, batches: int) -> int:
    """Start a send and SIGKILL it once the server has answered `batches` requests; returns how many it had."""
    sender = subprocess.Popen(
        [sys.executable, __file__, "--child", str(publication)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    answered = 0
    with record.open("ab+") as handle:  # created here, so polling never races the server's first write
        handle.seek(0)
        while answered < batches and sender.poll() is None:
            answered += handle.read().count(b"\n")
            time.sleep(0.005)
    sender.send_signal(signal.SIGKILL)
    sender.wait()
    return answered


def run_report(publication: Path, out: Path) -> tuple[float, float]:
    """`newsletter report ISSUE --json` as its own process, stdout to a file: (wall seconds, peak RSS MB)."""
    began = time.perf_counter()
    with out.open("wb") as handle:
        reporter = subprocess.Popen(
            [sys.executable, "-m", "newsletter", "report", ISSUE, "--json"], cwd=publication, stdout=handle
        )
        _, status, usage = os.wait4(reporter.pid, 0)
    wall = time.perf_counter() - began
    if status != 0:
        raise SystemExit(f"report --json failed (status {status})")
    return wall, usage.ru_maxrss / 1024


def check_resumed(recipients: int, delivered: Counter[str], report: dict[str, Any]) -> dict[str, int]:
    """Exactly once: sent means delivered once, in doubt at most once, nobody else delivered, nothing left over."""
    counts: dict[str, int] = report["counts"]
    statuses = {item["email"]: item["status"] for item in report["recipients"]}
    problems = []
    if len(statuses) != recipients or counts["sent"] + counts["in_doubt"] != recipients:
        problems.append(f"report: {counts} for {len(statuses)} addresses, expected {recipients}")
    if delivered and max(delivered.values()) > 1:
        problems.append(f"{sum(1 for n in delivered.values() if n > 1)} addresses delivered twice")
    if any(statuses.get(address) not in ("sent", "in_doubt") for address in delivered):
        problems.append("an address delivered that the report does not list as sent or in doubt")
    if any(delivered[address] != 1 for address, status in statuses.items() if status == "sent"):
        problems.append("an address reported sent was not delivered")
    if problems:
        raise SystemExit("not exactly once after the resume: " + "; ".join(problems))
    return counts


def resume_once(recipients: int, validate: str, concurrency: int, report_runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-resume-") as tmp:
        folder = Path(tmp)
        record = folder / "accepted.jsonl"
        server, url = start_server(record, validate)
        try:
            publication = folder / "publication"
            publication.mkdir()
            make_publication(publication, recipients, url, concurrency)
            batches = (recipients + 999) // 1000
            answered = kill_half_way(publication, record, batches // 2)
            ledger = publication / "sends" / LEDGER
            ledger_mb = ledger.stat().st_size / 1e6
            output, usage, wall = run_sender(publication, "resumed send")
            replay_peak = peak_of_reading(publication, "--ledger-only")
            reports = [run_report(publication, folder / "report.json") for _ in range(report_runs)]
            report = json.loads((folder / "report.json").read_bytes())
        finally:
            server.terminate()
            os.wait4(server.pid, 0)
        delivered = Counter(
            address for line in record.read_text().splitlines() for address in json.loads(line)["addresses"]
        )
    result: dict[str, Any] = json.loads(json_line(output))
    result["counts"] = check_resumed(recipients, delivered, report)
    result.update(
        answered_at_kill=answered,
        ledger_mb_at_kill=ledger_mb,
        wall=wall,
        peak_rss_mb=result["own_peak_mb"],
        cpu=usage.ru_utime + usage.ru_stime,
        replay_peak_mb=replay_peak,
        report_walls=[w for w, _ in reports],
        report_peaks=[p for _, p in reports],
    )
    return result


def resume_in_new_process(recipients: int, args: argparse.Namespace) -> dict[str, Any]:
    """One resume_once in a process of its own, so that every process it starts is measured alone.

    A child's ru_maxrss counts its parent's peak RSS when it was started (Linux carries the high-water mark over
    fork or vfork and exec), and checking a million-address run makes this process big: run in the measuring
    process, the second run's figures would be this process's size, not the sender's."""
    command = [sys.executable, __file__, "--resume-run", str(recipients), "--validate", args.validate]
    command += ["--concurrency", str(args.concurrency), "--report-runs", str(args.report_runs)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def print_resumes(recipients: int, results: list[dict[str, Any]]) -> None:
    walls = [float(r["wall"]) for r in results]
    peaks = [float(r["peak_rss_mb"]) for r in results]
    median = results[walls.index(statistics.median_low(walls))]
    print(f"\n{recipients:,} recipients, killed half-way then resumed, {len(results)} run(s):")
    print(
        f"  resumed run wall {', '.join(f'{w:.1f}' for w in walls)} s; peaks {', '.join(f'{peak:.0f}' for peak in peaks)} MB"
    )
    print(
        f"  median: killed after {median['answered_at_kill']} answered requests (ledger {median['ledger_mb_at_kill']:.0f} MB); "
        f"resumed in {median['wall']:.1f} s, peak RSS {median['peak_rss_mb']:.0f} MB, CPU {median['cpu']:.1f} s"
    )
    print(f"  read_ledger alone on the final ledger peaks at {median['replay_peak_mb']:.0f} MB")
    print(f"  report counts: {median['counts']} (in doubt: the batches in flight at the kill, not resent)")
    for stage, seconds in median["stages"].items():
        print(f"  {stage:<26} {seconds:7.2f} s")
    report_walls = [w for r in results for w in r["report_walls"]]
    report_peaks = [p for r in results for p in r["report_peaks"]]
    print(
        f"  report --json, {len(report_walls)} run(s): wall {', '.join(f'{w:.1f}' for w in report_walls)} s "
        f"(median {statistics.median(report_walls):.1f} s), peak RSS median {statistics.median(report_peaks):.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3, help="runs per size (1 for 1,000,000 unless asked)")
    parser.add_argument("--validate", choices=("full", "sample", "off"), default="sample")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--resume", action="store_true", help="measure a resume after a kill half-way, and report")
    parser.add_argument("--report-runs", type=int, default=3, help="runs of `report --json` per resume (--resume)")
    parser.add_argument("--taskset", metavar="CPUS", help="pin the server, the sender and the floor: e.g. 0,1")
    parser.add_argument("--py-spy", metavar="PREFIX", help="profile each send with py-spy (on PATH) into PREFIX-*.txt")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reader-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ledger-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--resume-run", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.py_spy:
        global PROFILE_TO
        PROFILE_TO = args.py_spy
    if args.taskset:
        # Again under taskset, so that every process it starts (server, sender, floor) inherits the CPUs.
        command = [arg for arg in sys.argv if arg != args.taskset and arg != "--taskset"]
        os.execvp("taskset", ["taskset", "-c", args.taskset, sys.executable, *command])
    if args.floor:
        floor(args.floor)
        return
    if args.child:
        child(args.child)
        return
    if args.reader_only:
        reader_only(args.reader_only)
        return
    if args.ledger_only:
        ledger_only(args.ledger_only)
        return
    if args.resume_run:
        print(json.dumps(resume_once(args.resume_run, args.validate, args.concurrency, args.report_runs)))
        return
    cpus = sorted(os.sched_getaffinity(0))
    print(
        f"fake SendGrid validation: {args.validate}; {os.cpu_count()} CPUs on the machine, this run on {len(cpus)} "
        f"({','.join(map(str, cpus))}); concurrency {args.concurrency}; {load()}"
    )
    if args.resume:
        sizes = args.recipients if "--recipients" in sys.argv else [1_000_000]
        for recipients in sizes:
            runs = args.runs if recipients < 1_000_000 or "--runs" in sys.argv else 1
            resumes = [resume_in_new_process(recipients, args) for _ in range(runs)]
            print_resumes(recipients, resumes)
        return
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
        floor_cpu = float(median["floor"]["cpu"])  # type: ignore[index]
        print(
            f"  floor (sign, build, JSON-encode; same run): CPU {floor_cpu:.1f} s; the sender's CPU is "
            f"{float(median['cpu']) / floor_cpu:.2f} x the floor"  # type: ignore[arg-type]
        )
        print(
            f"  (reading subscribers.csv alone, as the send reads it, peaks at {median['reading_peak_mb']:.0f} MB; "
            f"the fake SendGrid used {median['server_cpu']:.1f} s of CPU; {median['load']})"
        )
        for stage, seconds in median["stages"].items():  # type: ignore[attr-defined]
            print(f"  {stage:<26} {seconds:7.2f} s")
        print("  summed over the sending threads (they overlap):")
        for stage, seconds in sorted(median["thread_seconds"].items()):  # type: ignore[attr-defined]
            print(f"    {stage:<24} {seconds:7.2f} s")
    pin_to_two(cpus)


def pin_to_two(cpus: list[int]) -> None:
    """After the run on every CPU, the same run pinned to two of them (the issue's second figure), unless this run
    is on two already."""
    if len(cpus) <= 2:
        print(f"\n(this run was on {len(cpus)} CPUs: it is the pinned figure too)")
        return
    pinned = f"{cpus[0]},{cpus[1]}"
    print(f"\n=== the same, pinned to CPUs {pinned} ===", flush=True)
    subprocess.run(["taskset", "-c", pinned, sys.executable, *sys.argv], check=True)


if __name__ == "__main__":
    main()
