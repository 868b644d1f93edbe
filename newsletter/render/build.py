"""The pipeline's edges for one issue: load, render, lint, and write build/<slug>.* files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from newsletter.config import Config
from newsletter.files import write_atomic, write_text_atomic
from newsletter.issue.load import load_issue
from newsletter.message.mime import MAIL_POLICY, build_message, make_message_id, sender_domain
from newsletter.message.personalize import list_unsubscribe_headers, personalize, recipient_values
from newsletter.render.html import RenderedIssue, render_issue


def sample_message_bytes(rendered: RenderedIssue, config: Config, secret: bytes, reader: tuple[str, str]) -> bytes:
    """The .eml a reader would receive, dated at the issue's date so that the file is byte-stable."""
    email, name = reader
    issue = rendered.issue
    message = build_message(
        rendered,
        config,
        to_email=email,
        to_name=name,
        values=recipient_values(config, secret, email, name),
        headers=list_unsubscribe_headers(config, secret, email),
        date=dt.datetime.combine(issue.date, dt.time(0, 0), tzinfo=dt.UTC),
        message_id=make_message_id(issue.slug, email, sender_domain(config)),
    )
    return message.as_bytes(policy=MAIL_POLICY)


def write_build(issue_path: Path, config: Config, out_dir: Path, secret: bytes, reader: tuple[str, str]) -> list[Path]:
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
