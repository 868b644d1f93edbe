"""`newsletter new`: the next issue's YAML file, with every field commented for the editor."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from newsletter.errors import NewsletterError
from newsletter.files import write_text_atomic
from newsletter.issue import read_issue_number

SKELETON = """\
# {name}, issue {number}. Fill in every field, then: newsletter check {path}
# Add articles from the web with: newsletter add {path} https://...

# The subject line (10-78 characters).
subject: {subject}
number: {number}
date: {date}
# The preview text shown after the subject in the inbox (40-130 characters).
preheader: ""

# The editor's note, in Markdown.
intro: |
  Write a short introduction here.

sections:
  - heading: "Lead story"
    articles: []
    # Each article:
    # - title: "Headline"
    #   url: "https://www.indiawrites.org/..."
    #   summary: |
    #     Two or three sentences written from the article.
    #   image: "https://..."       (optional; https; 16:9)
    #   image_alt: "What the image shows"
    #   author: "Name"
    #   source: "India Writes Network"

sign_off: |
  The editors, India Writes Network
"""


def next_number(issues_dir: Path) -> int:
    """One more than the highest issue number in issues/ (files that do not parse are passed over).

    The numbers are read by the rules `check` applies: a YAML 1.1 loader would take `number: 017` for 15, and an
    alias-laden file in issues/ would stop `new` as it stops `check`."""
    numbers = (read_issue_number(path) for path in issues_dir.glob("*.yaml"))
    return max((number for number in numbers if number is not None), default=0) + 1


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
