"""Render pipeline speed and size for the digest layout: render p95 for issues of 10 and 25 stories (one lead
card, the rest as briefs in sections of six; the target is under 15 ms for 10), the same for all-card issues, the
whole pipeline (YAML, validation, Jinja2, MJML, inlining, text part, MIME), HTML KB per brief and per card, and the
largest issue that stays under 95 KB (check's error threshold, under Gmail's 102 KB clipping); `newsletter render`
as a whole process; and the node MJML reference renderer on the same MJML (when `npm install` has been run in
benchmarks/).

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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsletter.config import load_config  # noqa: E402
from newsletter.issue.load import load_issue  # noqa: E402
from newsletter.message.mime import MAIL_POLICY, build_reader_message  # noqa: E402
from newsletter.message.personalize import make_recipient  # noqa: E402
from newsletter.render.build import issue_content  # noqa: E402
from newsletter.render.html import mjml_to_html, render_issue  # noqa: E402

SECRET = b"benchmark-secret-of-at-least-32-bytes"
CARD = """
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
# A brief: a headline, a sentence or two, the source line (the 25-story test issue's proportions).
BRIEF = """
      - title: "Sanctions push Moscow towards Beijing, part {n}"
        url: "https://www.indiawrites.org/diplomacy/sanctions-{n}/"
        summary: "Russia faces sanctions from the United States and the European Union over its role in the separatist conflict in Ukraine."
        source: "India Writes Network"
"""
BRIEFS_PER_SECTION = 6
HTML_LIMIT = 95 * 1024


def make_issue(folder: Path, cards: int, briefs: int = 0) -> Path:
    """The sample issue's frame: `cards` cards (the first is the lead) in one section, then `briefs` briefs in
    sections of six."""
    body = "  - heading: Lead story\n    articles:" + "".join(CARD.format(n=n) for n in range(cards))
    for start in range(0, briefs, BRIEFS_PER_SECTION):
        count = min(BRIEFS_PER_SECTION, briefs - start)
        body += f"  - heading: Briefs {start // BRIEFS_PER_SECTION + 1}\n    layout: briefs\n    articles:"
        body += "".join(BRIEF.format(n=start + n) for n in range(count))
    text = (
        'subject: "Putin to meet top aide to Chinese president"\nnumber: 1\ndate: 2015-03-16\n'
        'preheader: "Russia seeks closer ties with Beijing: Vladimir Putin meets Xi Jinping\'s aide."\n'
        "intro: |\n  **Russia is looking east.** As its relations with the West sour, Moscow turns to Beijing.\n"
        "sections:\n" + body + 'sign_off: "The editors"\n'
    )
    path = folder / f"issue-{cards}-{briefs}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def html_bytes(folder: Path, config_path: Path, cards: int, briefs: int) -> int:
    rendered = render_issue(load_issue(make_issue(folder, cards, briefs)), load_config(config_path))
    return len(rendered.html.encode("utf-8"))


def largest_under(limit: int, size: Callable[[int], int]) -> int:
    """The largest n with size(n) < limit (size grows with n)."""
    n = 1
    while size(n * 2) < limit:
        n *= 2
    low, high = n, n * 2  # size(low) < limit <= size(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if size(middle) < limit else (low, middle)
    return low


def pipeline(path: Path, config_path: Path) -> tuple[bytes, str, str]:
    config = load_config(config_path)
    rendered = render_issue(load_issue(path), config)
    reader = make_recipient(config, SECRET, "reader@example.org", "Reader")
    message = build_reader_message(
        config, issue_content(rendered, config), reader, dt.datetime(2015, 3, 16, tzinfo=dt.UTC)
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
        config = load_config(config_path)
        print(
            f"render_issue (Jinja2 -> MJML -> inlined HTML -> text) and the whole pipeline (YAML -> MIME), "
            f"{args.runs} runs each after one warm-up; the machine is shared, so its other load shows in the figures"
        )
        print(
            f"{'issue':>28} {'render p50':>10} {'render p95':>10} {'pipeline p95':>12} {'mjml p50':>8} {'HTML KB':>8}"
        )
        mjml_sources: dict[str, str] = {}
        shapes = [
            ("10 stories: lead + 9 briefs", 1, 9),
            ("25 stories: lead + 24 briefs", 1, 24),
            ("10 stories, all cards", 10, 0),
            ("25 stories, all cards", 25, 0),
        ]
        for label, cards, briefs in shapes:
            path = make_issue(tmp, cards, briefs)
            issue = load_issue(path)
            rendered = render_issue(issue, config)  # warm-up: the first premailer call is slow
            pipeline(path, config_path)
            mjml_sources[label] = rendered.mjml
            render_times = time_calls(lambda issue=issue: render_issue(issue, config), args.runs)
            times = time_calls(lambda path=path: pipeline(path, config_path), args.runs)
            mjml_times = time_calls(lambda mjml=rendered.mjml: mjml_to_html(mjml, "issue.mjml.j2"), args.runs)
            print(
                f"{label:>28} {statistics.median(render_times):>10.2f} {percentile(render_times, 0.95):>10.2f} "
                f"{percentile(times, 0.95):>12.2f} {statistics.median(mjml_times):>8.2f} "
                f"{len(rendered.html.encode()) / 1024:>8.1f}"
            )

        per_brief = (html_bytes(tmp, config_path, 1, 24) - html_bytes(tmp, config_path, 1, 12)) / 12 / 1024
        per_card = (html_bytes(tmp, config_path, 13, 0) - html_bytes(tmp, config_path, 1, 0)) / 12 / 1024
        frame = html_bytes(tmp, config_path, 1, 0) / 1024
        print(
            f"\nHTML per brief: {per_brief:.2f} KB; per card: {per_card:.2f} KB; the frame with the lead card: "
            f"{frame:.1f} KB"
        )
        most_briefs = largest_under(HTML_LIMIT, lambda n: html_bytes(tmp, config_path, 1, n))
        most_cards = largest_under(HTML_LIMIT, lambda n: html_bytes(tmp, config_path, n, 0))
        print(
            f"largest issue under 95 KB: the lead card and {most_briefs} briefs ({most_briefs + 1} stories), "
            f"or {most_cards} cards"
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
        print("\nnode MJML reference CLI (mjml 4) vs mjml-python on the same MJML, 25-story digest:")
        digest = mjml_sources["25 stories: lead + 24 briefs"]
        source = tmp / "issue.mjml"
        source.write_text(digest, encoding="utf-8")
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
        python_inproc = statistics.median(time_calls(lambda: mjml_to_html(digest, "issue.mjml.j2"), args.runs))
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
