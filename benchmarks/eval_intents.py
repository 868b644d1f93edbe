"""How well newsletter/intent.py reads readers' requests: run it over a corpus folder and compare with the answers.

    .venv/bin/python benchmarks/eval_intents.py tests/data/intents/dev [--messages 10000] [--runs 5]

A corpus folder holds NNN_slug.eml files (complete RFC 5322 messages) and expected.csv (file,expected,note;
expected one of subscribe, unsubscribe, ignore, unsure). Each message is read as `newsletter inbox` reads it
(the compat32 parser, the decoded Subject, the first text part or the HTML as text, the new text above any quote
or forward marker and the quoted text below it: newsletter.inbox.text), then classified with read_intent, with
editor@indiawrites.org as the publication's own address (as the inbox passes its from_email and reply_to).

Prints the number right and wrong, a confusion table (expected by row, got by column), every miss with the
reason given, every harmful action (acting when the answer is ignore or unsure, or acting the opposite way), and
the classification time per message: the corpus is classified again and again until --messages classifications
are done, --runs times, and the median run is reported (parsing the mail is not counted). Exits 1 when any
action is harmful, 2 when the folder cannot be read.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsletter.inbox.intent import OUTCOMES, Intent, read_intent  # noqa: E402
from newsletter.inbox.text import body_text, decode_words, raw_header, sender, split_reply  # noqa: E402

ACTIONS = ("subscribe", "unsubscribe")
OWN_ADDRESSES = ("editor@indiawrites.org",)


@dataclass(frozen=True)
class Case:
    file: str
    expected: str
    subject: str
    text: str
    sender: str
    quoted: str = ""

    def read(self) -> Intent:
        return read_intent(self.subject, self.text, self.sender, own_addresses=OWN_ADDRESSES, quoted=self.quoted)


def load_corpus(folder: Path) -> list[Case]:
    """Every message of expected.csv, read as the inbox reads it; an unreadable row stops with its line."""
    rows = list(csv.DictReader((folder / "expected.csv").open(encoding="utf-8")))
    cases = []
    for line, row in enumerate(rows, 2):
        if row.get("expected") not in OUTCOMES:
            raise ValueError(f"{folder / 'expected.csv'}:{line}: expected must be one of {', '.join(OUTCOMES)}")
        message = message_from_bytes((folder / row["file"]).read_bytes())
        subject = decode_words(" ".join(raw_header(message, "Subject")[:1]))
        found = sender(message)
        text, quoted = split_reply(body_text(message))
        cases.append(Case(row["file"], row["expected"], subject, text, found[1] if found else "", quoted))
    return cases


def harmful(expected: str, got: str) -> bool:
    """Acting when nobody asked, or doing the opposite of what was asked."""
    return got in ACTIONS and got != expected


def report(cases: list[Case], intents: list[Intent]) -> int:
    right = sum(case.expected == intent.outcome for case, intent in zip(cases, intents, strict=True))
    print(f"{len(cases)} messages: {right} right, {len(cases) - right} wrong")
    print()
    width = max(len(outcome) for outcome in OUTCOMES) + 2
    print("expected \\ got".ljust(16) + "".join(outcome.rjust(width) for outcome in OUTCOMES))
    for expected in OUTCOMES:
        row = [
            sum(c.expected == expected and i.outcome == got for c, i in zip(cases, intents, strict=True))
            for got in OUTCOMES
        ]
        print(expected.ljust(16) + "".join(str(count).rjust(width) for count in row))
    misses = [(case, intent) for case, intent in zip(cases, intents, strict=True) if case.expected != intent.outcome]
    print()
    print(f"misses: {len(misses)}")
    for case, intent in misses:
        print(f"  {case.file}: expected {case.expected}, got {intent.outcome} ({intent.reason})")
    bad = [(case, intent) for case, intent in misses if harmful(case.expected, intent.outcome)]
    print()
    print(f"harmful actions: {len(bad)}")
    for case, intent in bad:
        print(f"  {case.file}: expected {case.expected}, got {intent.outcome} ({intent.reason})")
        print(f"    evidence: {intent.evidence!r}")
    return len(bad)


def time_classification(cases: list[Case], messages: int, runs: int) -> None:
    rounds = max(1, -(-messages // len(cases)))
    inputs = cases * rounds
    for case in cases:
        case.read()  # builds the per-word tables once, as a long-running inbox would
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        for case in inputs:
            case.read()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print()
    print(
        f"classification: {len(inputs)} messages per run, median of {runs} runs: {wall:.3f} s wall "
        f"({wall / len(inputs) * 1e6:.0f} us per message), {cpu:.3f} s CPU ({cpu / len(inputs) * 1e6:.0f} us per message)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--messages", type=int, default=10_000, help="classifications per timed run")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    try:
        cases = load_corpus(args.folder)
    except (OSError, ValueError, KeyError) as error:
        print(f"cannot read the corpus: {error}", file=sys.stderr)
        return 2
    intents = [case.read() for case in cases]
    bad = report(cases, intents)
    if args.messages > 0 and args.runs > 0:
        time_classification(cases, args.messages, args.runs)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
