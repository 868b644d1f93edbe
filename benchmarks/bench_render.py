"""Render pipeline speed: load YAML, validate, Jinja2, MJML, inline CSS, text part and MIME, in-process, for
issues of 3, 10 and 20 articles; `newsletter render` as a whole process; and the node MJML reference renderer
on the same MJML (when `npm install` has been run in benchmarks/).

Run: .venv/bin/python benchmarks/bench_render.py [--runs N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsletter.config import load_config  # noqa: E402
from newsletter.issue import load_issue  # noqa: E402
from newsletter.mime import MAIL_POLICY, build_message, make_message_id  # noqa: E402
from newsletter.personalize import list_unsubscribe_headers, recipient_values  # noqa: E402
from newsletter.render import mjml_to_html, render_issue  # noqa: E402

SECRET = b"benchmark-secret-of-at-least-32-bytes"
ARTICLE = """
      - title: "Putin to meet top aide to Chinese president, part {n}"
        url: "https://www.indiawrites.org/diplomacy/putin-to-meet-top-aide-{n}/"
        summary: |
          Russian President Vladimir Putin will meet Li Zhanshu, head of the General Office of the
          Communist Party of China and a close aide to President Xi Jinping, in Moscow on March 19,
          the Kremlin said. It is his first high-profile meeting since he was last seen in public on
          March 5.
        image: "https://www.indiawrites.org/wp-content/uploads/2015/03/image-{n}.jpg"
        image_alt: "Photograph {n}"
        author: "India Writes Network"
        source: "India Writes Network"
"""


def make_issue(folder: Path, articles: int) -> Path:
    """The sample issue's frame with `articles` articles in one section."""
    body = "".join(ARTICLE.format(n=n) for n in range(articles))
    text = (
        'subject: "Putin to meet top aide to Chinese president"\nnumber: 1\ndate: 2015-03-16\n'
        'preheader: "Russia seeks closer ties with Beijing: Vladimir Putin meets Xi Jinping\'s aide."\n'
        "intro: |\n  Russia is looking east.\nsections:\n  - heading: Lead story\n    articles:"
        + body
        + 'sign_off: "The editors"\n'
    )
    path = folder / f"2015-03-{articles:02d}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def pipeline(path: Path, config_path: Path) -> tuple[bytes, str, str]:
    config = load_config(config_path)
    rendered = render_issue(load_issue(path), config)
    email = "reader@example.org"
    message = build_message(
        rendered,
        config,
        to_email=email,
        to_name="Reader",
        values=recipient_values(config, SECRET, email, "Reader"),
        headers=list_unsubscribe_headers(config, SECRET, email),
        date=dt.datetime(2015, 3, 16, tzinfo=dt.UTC),
        message_id=make_message_id(rendered.issue.slug, email, "indiawrites.org"),
    )
    return message.as_bytes(policy=MAIL_POLICY), rendered.html, rendered.mjml


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_calls(func: object, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return times


def node_mjml(bench: Path) -> Path | None:
    cli = bench / "node_modules" / ".bin" / "mjml"
    return cli if cli.exists() and shutil.which("node") else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    config_path = ROOT / "newsletter.toml"
    bench = Path(__file__).resolve().parent
    node = node_mjml(bench)

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        print(
            f"in-process pipeline (YAML -> validated issue -> Jinja2 -> MJML -> inlined HTML -> text -> MIME), "
            f"{args.runs} runs each after one warm-up"
        )
        print(f"{'articles':>8} {'median ms':>10} {'p95 ms':>8} {'mjml ms':>8} {'HTML KB':>8} {'KB/article':>10}")
        mjml_sources: dict[int, str] = {}
        for count in (3, 10, 20):
            path = make_issue(tmp, count)
            _, html, mjml = pipeline(path, config_path)  # warm-up: first premailer call is slow
            mjml_sources[count] = mjml
            times = time_calls(lambda path=path: pipeline(path, config_path), args.runs)
            mjml_times = time_calls(lambda mjml=mjml: mjml_to_html(mjml, "issue.mjml.j2"), args.runs)
            kb = len(html.encode()) / 1024
            print(
                f"{count:>8} {statistics.median(times):>10.2f} {percentile(times, 0.95):>8.2f} "
                f"{statistics.median(mjml_times):>8.2f} {kb:>8.1f} {kb / count:>10.2f}"
            )

        # The whole command, as an editor runs it: interpreter start, imports, render, four files written.
        sample = ROOT / "issues" / "2015-03-16.yaml"
        command = [str(ROOT / ".venv" / "bin" / "newsletter"), "render", str(sample), "-o", str(tmp / "build")]
        process_times = []
        for _ in range(7):
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
            process_times.append((time.perf_counter() - start) * 1000)
        print(
            f"\n`newsletter render` whole process (sample issue), 7 runs: median "
            f"{statistics.median(process_times):.0f} ms, max {max(process_times):.0f} ms"
        )

        if node is None:
            print("\nnode MJML: not installed (cd benchmarks && npm install): ratio not measured")
            return
        print("\nnode MJML reference CLI (mjml 4) vs mjml-python on the same MJML, 10-article issue:")
        source = tmp / "issue.mjml"
        source.write_text(mjml_sources[10], encoding="utf-8")
        node_times = []
        for _ in range(7):
            start = time.perf_counter()
            subprocess.run([str(node), str(source), "-s"], check=True, capture_output=True)
            node_times.append((time.perf_counter() - start) * 1000)
        script = (
            "const mjml = require('mjml'); const fs = require('fs');"
            f"const src = fs.readFileSync({str(source)!r}, 'utf8'); mjml(src);"
            "const t = []; for (let i = 0; i < 50; i++) { const s = process.hrtime.bigint(); mjml(src);"
            " t.push(Number(process.hrtime.bigint() - s) / 1e6); } t.sort((a, b) => a - b);"
            "console.log(t[25]);"
        )
        node_inproc = float(
            subprocess.run(["node", "-e", script], cwd=bench, check=True, capture_output=True, text=True).stdout
        )
        python_inproc = statistics.median(
            time_calls(lambda: mjml_to_html(mjml_sources[10], "issue.mjml.j2"), args.runs)
        )
        node_cli = statistics.median(node_times)
        print(f"  node `mjml` CLI process:        median {node_cli:.0f} ms")
        print(
            f"  `newsletter render` process:    median {statistics.median(process_times):.0f} ms "
            f"(ratio node CLI / ours: {node_cli / statistics.median(process_times):.1f}x)"
        )
        print(f"  node mjml() in-process:         median {node_inproc:.2f} ms")
        print(
            f"  mjml-python in-process:         median {python_inproc:.2f} ms "
            f"(ratio node / mjml-python: {node_inproc / python_inproc:.1f}x)"
        )


if __name__ == "__main__":
    main()
