"""`newsletter check`: what would embarrass the editors or hurt delivery, found before anything is sent."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

from newsletter.config import Config
from newsletter.errors import IssueError
from newsletter.issue import Issue, load_issue
from newsletter.personalize import UNSUBSCRIBE_URL
from newsletter.render import RenderedIssue, render_issue

# Gmail clips a message near 102 KB of HTML and hides the rest, the footer with the unsubscribe link included.
HTML_WARN_BYTES = 80 * 1024
HTML_ERROR_BYTES = 95 * 1024
SUBJECT_RANGE = (10, 78)
PREHEADER_RANGE = (40, 130)
PLACEHOLDER = re.compile(r"\b(?:TK|TKTK|TODO|FIXME|XXX)\b|lorem ipsum|\blorem\b", re.IGNORECASE)
READER_PLACEHOLDER = re.compile(r"%%[A-Za-z_]+%%")

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    location: str

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def findings_from_error(error: IssueError) -> list[Finding]:
    """Validation problems as error findings."""
    return [Finding("error", "invalid", message, location) for location, message in error.located()]


class _LinkScanner(HTMLParser):
    """Collects every <a> with its href and visible text (or an image's alt text inside it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a":
            self._href = values.get("href") or ""
            self._text = []
        elif tag == "img" and self._href is not None:
            self._text.append(values.get("alt") or "")

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def _locate(source: str, needle: str, path: Path) -> str:
    """file:line:col of the first occurrence of `needle` in the YAML text (the model keeps no positions)."""
    index = source.find(needle) if needle else -1
    if index < 0:
        return str(path)
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return f"{path}:{line}:{column}"


def check_issue(issue: Issue, rendered: RenderedIssue, config: Config) -> list[Finding]:
    try:
        source = issue.path.read_text(encoding="utf-8-sig")
    except OSError:
        source = ""
    path = issue.path
    found: list[Finding] = []

    def add(severity: Severity, code: str, message: str, needle: str = "") -> None:
        found.append(Finding(severity, code, message, _locate(source, needle, path)))

    low, high = SUBJECT_RANGE
    if not low <= len(issue.subject) <= high:
        add(
            "error",
            "subject-length",
            f"the subject is {len(issue.subject)} characters: keep it between {low} and {high} "
            "so inboxes show it whole.",
            issue.subject,
        )
    low, high = PREHEADER_RANGE
    if not low <= len(issue.preheader) <= high:
        add(
            "warning",
            "preheader-length",
            f"the preheader is {len(issue.preheader)} characters: {low} to {high} fill the inbox preview "
            "without being cut.",
            issue.preheader,
        )

    texts = [issue.subject, issue.preheader, issue.intro, issue.sign_off]
    for article in issue.articles:
        texts += [article.title, article.summary, article.image_alt, article.author, article.source]
        if article.image and not article.image_alt:
            add(
                "error",
                "image-alt",
                f"the image of '{article.title}' has no image_alt: describe it for readers who see no images.",
                article.image,
            )
        if article.image and not article.image.lower().startswith("https://"):
            add(
                "error",
                "image-https",
                f"the image {article.image} is not https: mail clients block or warn on insecure images.",
                article.image,
            )
        if article.url.lower().startswith("http://"):
            add(
                "warning",
                "link-http",
                f"the link {article.url} is not https: use the https address if the site has one.",
                article.url,
            )
    for text in texts:
        for match in PLACEHOLDER.finditer(text):
            add(
                "error",
                "placeholder",
                f"leftover placeholder '{match.group(0)}': replace it with the final text.",
                match.group(0),
            )
        for match in READER_PLACEHOLDER.finditer(text):
            # Rendering keeps the issue's own text inert (render.inert_value): only the templates' placeholders
            # are filled in per reader, so this one reaches every reader as written.
            add(
                "warning",
                "reader-placeholder",
                f"'{match.group(0)}' in the issue's text is not filled in per reader (only the templates' "
                "placeholders are): readers see it as written; reword it if that is not meant.",
                match.group(0),
            )

    size = len(rendered.html.encode("utf-8"))
    kb = size / 1024
    if size >= HTML_ERROR_BYTES:
        add(
            "error",
            "html-size",
            f"the HTML is {kb:.1f} KB: Gmail clips messages near 102 KB; "
            f"keep it under {HTML_ERROR_BYTES // 1024} KB (fewer or shorter articles).",
        )
    elif size >= HTML_WARN_BYTES:
        add(
            "warning",
            "html-size",
            f"the HTML is {kb:.1f} KB: close to Gmail's 102 KB clipping; aim for under {HTML_WARN_BYTES // 1024} KB.",
        )

    scanner = _LinkScanner()
    scanner.feed(rendered.html)
    for href, text in scanner.links:
        if not href.strip() or href.strip() == "#":
            add("error", "empty-link", f"a link with the text '{text}' goes nowhere: give it an address.", text)
        elif not text:
            add("error", "empty-link", f"the link to {href} has no text: readers cannot see or click it.", href)

    for part, body in (("HTML", rendered.html), ("text", rendered.text)):
        if UNSUBSCRIBE_URL not in body:
            add(
                "error",
                "unsubscribe",
                f"the {part} part has no unsubscribe link: keep %%unsubscribe_url%% in the {part} template.",
            )
    if not config.newsletter.archive_url:
        found.append(
            Finding(
                "warning",
                "view-in-browser",
                "there is no 'view in browser' link: set [newsletter] archive_url.",
                str(config.path),
            )
        )
    return found


def count(findings: list[Finding], severity: Severity) -> int:
    return sum(1 for finding in findings if finding.severity == severity)


def check_path(issue_path: Path, config: Config) -> list[Finding]:
    """Every finding for the issue: validation problems alone when it does not load, else the lint's."""
    try:
        issue = load_issue(issue_path)
    except IssueError as error:
        return findings_from_error(error)
    return check_issue(issue, render_issue(issue, config), config)
