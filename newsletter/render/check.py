"""`newsletter check`: what would embarrass the editors or hurt delivery, found before anything is sent."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

from newsletter.config import Config
from newsletter.errors import IssueError, RenderError
from newsletter.issue.load import inspect_issue
from newsletter.issue.model import Article, Issue, Span
from newsletter.issue.scaffold import PLACEHOLDER_TEXTS
from newsletter.message.personalize import UNSUBSCRIBE_URL
from newsletter.render.clients import ClientReport, format_reports, report_clients, reports_as_json
from newsletter.render.html import RenderedIssue, render_issue

# Gmail clips a message near 102 KB of HTML and hides the rest, the footer with the unsubscribe link included.
HTML_WARN_BYTES = 80 * 1024
HTML_ERROR_BYTES = 95 * 1024
SUBJECT_RANGE = (10, 78)
PREHEADER_RANGE = (40, 130)
# A brief is a sentence or two; longer, it is a card squeezed into a list.
BRIEF_CHARS = 320
# Link texts that say nothing of where they go: screen readers list links by their text alone.
VAGUE_LINK_TEXTS = frozenset({"here", "click here", "read more", "more", "link", "this", "this link"})
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


def findings_from_problems(problems: list[str]) -> list[Finding]:
    return [Finding("error", "invalid", message, location) for location, message in IssueError(problems).located()]


def finding_from_render_error(error: RenderError, fallback: str) -> Finding:
    """A template or MJML failure, located at the template line it names (that is where it is fixed)."""
    message = str(error)
    match = re.match(r"^(\S+?:\d+): (.*)$", message, re.DOTALL)
    if match:
        return Finding("error", "render", match.group(2), match.group(1))
    return Finding("error", "render", message, fallback)


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


class _Places:
    """file:line:column of a value in the issue file, or of a word inside it (a long Markdown intro, say)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.source = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            self.source = ""

    def at(self, spans: Mapping[str, Span], key: str, needle: str = "") -> str:
        span = spans.get(key)
        if span is None or not self.source:
            return str(self.path)
        line, column, start, end = span
        index = self.source.find(needle, start, end) if needle else -1
        if index >= 0:
            line = self.source.count("\n", 0, index) + 1
            column = index - (self.source.rfind("\n", 0, index) + 1) + 1
        return f"{self.path}:{line}:{column}"

    def first(self, needle: str) -> str:
        index = self.source.find(needle) if needle else -1
        if index < 0:
            return str(self.path)
        line = self.source.count("\n", 0, index) + 1
        return f"{self.path}:{line}:{index - (self.source.rfind(chr(10), 0, index) + 1) + 1}"


def check_issue(issue: Issue, rendered: RenderedIssue | None, config: Config) -> list[Finding]:
    """The lint's findings on an issue (and on its rendering, when it rendered)."""
    places = _Places(issue.path)
    found: list[Finding] = []

    def add(severity: Severity, code: str, message: str, location: str = "") -> None:
        found.append(Finding(severity, code, message, location or str(issue.path)))

    low, high = SUBJECT_RANGE
    if issue.subject and not low <= len(issue.subject) <= high:
        add(
            "error",
            "subject-length",
            f"the subject is {len(issue.subject)} characters: keep it between {low} and {high} "
            "so inboxes show it whole.",
            places.at(issue.spans, "subject"),
        )
    low, high = PREHEADER_RANGE
    if issue.preheader and not low <= len(issue.preheader) <= high:
        add(
            "warning",
            "preheader-length",
            f"the preheader is {len(issue.preheader)} characters: {low} to {high} fill the inbox preview "
            "without being cut.",
            places.at(issue.spans, "preheader"),
        )

    texts: list[tuple[Mapping[str, Span], str, str]] = [
        (issue.spans, key, getattr(issue, key)) for key in ("subject", "preheader", "intro", "sign_off")
    ]
    for section in issue.sections:
        for article in section.articles:
            texts += [
                (article.spans, key, getattr(article, key))
                for key in ("title", "summary", "image_alt", "author", "source")
            ]
            _check_article(article, section.layout, places, add)
    for spans, key, text in texts:
        for match in PLACEHOLDER.finditer(text):
            add(
                "error",
                "placeholder",
                f"leftover placeholder '{match.group(0)}': replace it with the final text.",
                places.at(spans, key, match.group(0)),
            )
        for match in READER_PLACEHOLDER.finditer(text):
            # Rendering keeps the issue's own text inert (render.inert_value): only the templates' placeholders
            # are filled in per reader, so this one reaches every reader as written.
            add(
                "warning",
                "reader-placeholder",
                f"'{match.group(0)}' in the issue's text is not filled in per reader (only the templates' "
                "placeholders are): readers see it as written; reword it if that is not meant.",
                places.at(spans, key, match.group(0)),
            )
        for sentence in PLACEHOLDER_TEXTS:
            if sentence in text:
                add(
                    "error",
                    "placeholder",
                    f"'{sentence}' is the text 'newsletter new' wrote: replace it with your own.",
                    places.at(spans, key, sentence),
                )
    if rendered is not None:
        _check_rendered(rendered, places, add)
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


Add = Callable[[Severity, str, str, str], None]


def check_settings(config: Config) -> list[Finding]:
    """What the publication's settings lack for every issue (`check` reports it; the preview, about the issue being
    written, does not)."""
    if config.one_click_url:
        return []
    return [
        Finding(
            "warning",
            "one-click",
            "[web] base_url is empty, so readers can unsubscribe only by email: Gmail and Yahoo require one-click "
            "unsubscribe (RFC 8058) of bulk senders; run the readers' web app (`newsletter serve`) and set base_url "
            "to its https address.",
            str(config.path),
        )
    ]


def _check_article(article: Article, layout: str, places: _Places, add: Add) -> None:
    if article.image and not article.image_alt:
        add(
            "error",
            "image-alt",
            f"the image of '{article.title}' has no image_alt: describe it for readers who see no images.",
            places.at(article.spans, "image"),
        )
    if article.image and not article.image.lower().startswith("https://"):
        add(
            "error",
            "image-https",
            f"the image {article.image} is not https: mail clients block or warn on insecure images.",
            places.at(article.spans, "image"),
        )
    if article.url.lower().startswith("http://"):
        add(
            "warning",
            "link-http",
            f"the link {article.url} is not https: use the https address if the site has one.",
            places.at(article.spans, "url"),
        )
    if layout == "briefs" and len(article.summary) > BRIEF_CHARS:
        add(
            "warning",
            "brief-length",
            f"the brief '{article.title}' has a {len(article.summary)}-character summary: a brief is one or two "
            f"sentences (under {BRIEF_CHARS} characters); shorten it, or give it a section of cards.",
            places.at(article.spans, "summary"),
        )


def _check_rendered(rendered: RenderedIssue, places: _Places, add: Add) -> None:
    size = len(rendered.html.encode("utf-8"))
    kb = size / 1024
    if size >= HTML_ERROR_BYTES:
        add(
            "error",
            "html-size",
            f"the HTML is {kb:.1f} KB: Gmail clips messages near 102 KB; "
            f"keep it under {HTML_ERROR_BYTES // 1024} KB (fewer stories, or more of them as briefs).",
            "",
        )
    elif size >= HTML_WARN_BYTES:
        add(
            "warning",
            "html-size",
            f"the HTML is {kb:.1f} KB: close to Gmail's 102 KB clipping; aim for under {HTML_WARN_BYTES // 1024} KB "
            "(more stories as briefs).",
            "",
        )

    scanner = _LinkScanner()
    scanner.feed(rendered.html)
    for href, text in scanner.links:
        if not href.strip() or href.strip() == "#":
            add("error", "empty-link", f"a link with the text '{text}' goes nowhere: give it an address.", "")
        elif not text:
            add("error", "empty-link", f"the link to {href} has no text: readers cannot see or click it.", "")
        elif text.casefold().strip(" .!:") in VAGUE_LINK_TEXTS:
            add(
                "warning",
                "link-text",
                f"the link text '{text}' does not say what it opens: link the words that name it.",
                places.first(f"[{text}]"),
            )

    for part, body in (("HTML", rendered.html), ("text", rendered.text)):
        if UNSUBSCRIBE_URL not in body:
            add(
                "error",
                "unsubscribe",
                f"the {part} part has no unsubscribe link: keep %%unsubscribe_url%% in the {part} template.",
                "",
            )


def count(findings: list[Finding], severity: Severity) -> int:
    return sum(1 for finding in findings if finding.severity == severity)


@dataclass(frozen=True)
class CheckReport:
    findings: list[Finding]
    clients: list[ClientReport] | None = None  # with clients=True, when the issue rendered


def run_check(issue_path: Path, config: Config, clients: bool = False) -> CheckReport:
    """Validate what reads, render what validates, lint all of it: an editor sees every problem at once.
    With `clients`, also what the major mail clients make of the rendered HTML."""
    issue, problems = inspect_issue(issue_path)
    found = findings_from_problems(problems)
    rendered = None
    if issue is not None:
        try:
            rendered = render_issue(_renderable(issue), config)
        except RenderError as error:
            found.append(finding_from_render_error(error, str(issue_path)))
        found += check_issue(issue, rendered, config)
    found += check_settings(config)
    support = report_clients(rendered.html) if clients and rendered is not None else None
    return CheckReport(findings=arrange(found, str(issue_path)), clients=support)


def check_output(report: CheckReport, issue_path: Path, *, as_json: bool, clients: bool) -> list[tuple[str, bool]]:
    """What `check` prints, line by line, each with True for standard error (an error finding goes there)."""
    findings = report.findings
    errors, warnings = count(findings, "error"), count(findings, "warning")
    if as_json:
        result: dict[str, Any] = {
            "ok": errors == 0,
            "errors": errors,
            "warnings": warnings,
            "findings": [finding.as_dict() for finding in findings],
        }
        if report.clients is not None:
            result["clients"] = reports_as_json(report.clients)
        return [(json.dumps(result, indent=2, ensure_ascii=False), False)]
    lines = [(str(finding), finding.severity == "error") for finding in findings]
    if report.clients is not None:
        lines.append(("\n".join(format_reports(report.clients)), False))
    elif clients:
        lines.append(("No client report: the issue did not render (see the errors above).", False))
    lines.append((f"{issue_path}: {errors} error(s), {warnings} warning(s).", False))
    return lines


def _renderable(issue: Issue) -> Issue:
    """The issue without the articles validation refused: their problems are reported once, as what they are,
    not again as the empty links or missing text they would render to."""
    sections = tuple(
        replace(section, articles=tuple(article for article in section.articles if not article.problems))
        for section in issue.sections
    )
    return replace(issue, sections=sections)


def arrange(findings: list[Finding], issue_file: str) -> list[Finding]:
    """Each finding once, the issue file's in its order first, then the templates' and the settings'; a place a
    validation error names gets no second finding (a javascript: image is one mistake, not also an insecure one)."""
    invalid = {finding.location for finding in findings if finding.code == "invalid" and _line_of(finding)}
    seen: set[tuple[str, str]] = set()
    kept = []
    for finding in findings:
        key = (finding.location, finding.message)
        if key in seen or (finding.code != "invalid" and finding.location in invalid):
            continue
        seen.add(key)
        kept.append(finding)
    return sorted(kept, key=lambda finding: _order(finding, issue_file))


def _order(finding: Finding, issue_file: str) -> tuple[bool, bool, int, int]:
    line, column = _line_of(finding) or (0, 0)
    file = re.sub(r":\d+(?::\d+)?$", "", finding.location)
    return file != issue_file, not line, line, column


def _line_of(finding: Finding) -> tuple[int, int] | None:
    match = re.search(r":(\d+)(?::(\d+))?$", finding.location)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or 0)
