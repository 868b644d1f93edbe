"""The pipeline's edges for one issue: load, render, write build/<slug>.* files, and the issue as mail content."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from newsletter.config import Config
from newsletter.files import write_atomic, write_text_atomic
from newsletter.issue.load import load_issue
from newsletter.message.content import Content
from newsletter.message.mime import MAIL_POLICY, build_reader_message, list_id
from newsletter.message.personalize import make_recipient, personalize, recipient_values
from newsletter.render.html import RenderedIssue, render_issue


def issue_content(rendered: RenderedIssue, config: Config) -> Content:
    """The rendered issue as the message builder and the providers take it: plain text, the same for every reader."""
    return Content(
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        key=rendered.issue.slug,
        content_hash=rendered.content_hash,
        headers={"List-Id": list_id(config)},
    )


def sample_message_bytes(rendered: RenderedIssue, config: Config, secret: bytes, reader: tuple[str, str]) -> bytes:
    """The .eml a reader would receive, dated at the issue's date so that the file is byte-stable."""
    date = dt.datetime.combine(rendered.issue.date, dt.time(0, 0), tzinfo=dt.UTC)
    recipient = make_recipient(config, secret, *reader)
    return build_reader_message(config, issue_content(rendered, config), recipient, date).as_bytes(policy=MAIL_POLICY)


SAMPLE_READER = ("reader@example.org", "Sample Reader")  # whose copy `newsletter render` writes as the .eml


def write_build(
    issue_path: Path, config: Config, out_dir: Path, secret: bytes, reader: tuple[str, str] = SAMPLE_READER
) -> list[Path]:
    rendered = render_issue(load_issue(issue_path), config)
    values = recipient_values(config, secret, *reader)
    slug = rendered.issue.slug
    outputs = {
        out_dir / f"{slug}.html": personalize(rendered.html, values),
        out_dir / f"{slug}.txt": personalize(rendered.text, values),
        out_dir / f"{slug}.mjml": rendered.mjml,
    }
    for path, text in outputs.items():
        write_text_atomic(path, text)
    eml = out_dir / f"{slug}.eml"
    write_atomic(eml, sample_message_bytes(rendered, config, secret, reader))
    return [*outputs, eml]
