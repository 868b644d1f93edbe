"""`newsletter new`: the next issue's YAML file, with every field commented for the editor."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from newsletter.errors import NewsletterError, UsageError
from newsletter.files import write_text_atomic
from newsletter.issue.load import read_issue_number

# Text the scaffold writes for the editor to replace: `check` reports any of it left in an issue as an error.
PLACEHOLDER_TEXTS = (
    "Write the lead-in here.",
    "Then a sentence or two on what this issue is about.",
)

SKELETON = """\
# {name}, issue {number}. Fill in every field, then: newsletter check {path}
# Add articles from the web with: newsletter add {path} https://...

# The subject line (10-78 characters).
subject: {subject}
number: {number}
date: {date}
# The preview text shown after the subject in the inbox (40-130 characters).
preheader: ""

# The editor's note, in Markdown. Open each paragraph with a bold lead-in that says it in a few words.
intro: |
  **Write the lead-in here.** Then a sentence or two on what this issue is about.

# The first article of the first section is the lead story, shown as a card with its image.
# From four articles on, the issue opens with an "In this issue" list of the headlines.
sections:
  - heading: "Lead story"
    articles: []
    # Each article:
    # - title: "Headline"                    (the link readers tap)
    #   url: "https://www.indiawrites.org/..."
    #   summary: |
    #     Two or three sentences written from the article (one or two in a briefs section).
    #   image: "https://..."                 (optional; https; any shape: it is never stretched)
    #   image_alt: "What the image shows"
    #   author: "Name"
    #   source: "India Writes Network"

  # layout: briefs shows each article compactly: headline, a sentence or two, the source line and an
  # optional small image. Leave it out for cards.
  - heading: "In brief"
    layout: briefs
    articles: []

sign_off: |
  The editors, India Writes Network
"""


def next_number(issues_dir: Path) -> int:
    """One more than the highest issue number in issues/ (files that do not parse are passed over).

    The numbers are read by the rules `check` applies: a YAML 1.1 loader would take `number: 017` for 15, and an
    alias-laden file in issues/ would stop `new` as it stops `check`."""
    numbers = (read_issue_number(path) for path in issues_dir.glob("*.yaml"))
    return max((number for number in numbers if number is not None), default=0) + 1


def issue_date(text: str | None, today: dt.date) -> dt.date:
    """--date as a date; `today` without one."""
    try:
        return dt.date.fromisoformat(text) if text else today
    except ValueError:
        raise UsageError(f"Invalid value for --date: '{text}' is not a date: write YYYY-MM-DD.") from None


def create_issue(issues_dir: Path, date: dt.date, title: str, name: str) -> Path:
    path = issues_dir / f"{date.isoformat()}.yaml"
    if path.exists():
        raise NewsletterError(f"{path} already exists: edit it, or pass another --date.")
    number = next_number(issues_dir) if issues_dir.is_dir() else 1
    text = SKELETON.format(
        name=name,
        number=number,
        path=path.relative_to(issues_dir.parent) if issues_dir.parent in path.parents else path,
        subject=json.dumps(title, ensure_ascii=False),
        date=date.isoformat(),
    )
    write_text_atomic(path, text)
    return path
