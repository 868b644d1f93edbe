"""Read an issue YAML file into a validated Issue, reporting every problem at once with file:line:column.

PyYAML's composer (the C one where available: about 50 times faster than a round-trip loader) gives every node
its position, so each finding points at the exact place the editor has to change.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

from newsletter.clean import describe_char, find_unsafe
from newsletter.config import suggest
from newsletter.errors import IssueError

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
NULL_TAG = "tag:yaml.org,2002:null"
# Control characters other than tab and newline.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
LINE_BREAKS = frozenset("\n\u2028\u2029")  # the breaks CONTROL leaves to find_unsafe


@dataclass(frozen=True)
class Article:
    title: str
    url: str
    summary: str
    image: str = ""
    image_alt: str = ""
    author: str = ""
    source: str = ""


@dataclass(frozen=True)
class Section:
    heading: str
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Issue:
    path: Path
    slug: str
    subject: str
    number: int
    date: dt.date
    preheader: str
    intro: str
    sections: tuple[Section, ...]
    sign_off: str = ""

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(article for section in self.sections for article in section.articles)


# key -> (required, hint shown when it is missing)
ISSUE_KEYS: dict[str, tuple[bool, str]] = {
    "subject": (True, 'add the subject line, e.g. subject: "Putin to meet top aide to Chinese president"'),
    "number": (True, "add the issue number, e.g. number: 12"),
    "date": (True, "add the issue date as YYYY-MM-DD"),
    "preheader": (True, "add the preview text readers see after the subject (40-130 characters)"),
    "intro": (True, "add the editor's short introduction (Markdown)"),
    "sections": (True, "add at least one section with a heading and articles"),
    "sign_off": (False, ""),
}
SECTION_KEYS: dict[str, tuple[bool, str]] = {
    "heading": (True, "add the section's heading, e.g. heading: Diplomacy"),
    "articles": (True, "add the section's articles"),
}
ARTICLE_KEYS: dict[str, tuple[bool, str]] = {
    "title": (True, "add the article's headline"),
    "url": (True, "add the article's https:// address"),
    "summary": (True, "add a short summary (Markdown) written from the article"),
    "image": (False, ""),
    "image_alt": (False, ""),
    "author": (False, ""),
    "source": (False, ""),
}


def normalise_url(url: str) -> str:
    """The form in which two addresses are the same article: scheme and host case, http/https, default ports,
    trailing slash, fragment and utm_* tracking parameters do not count."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")])
    scheme = "http" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    return urlunsplit((scheme, host, parts.path.rstrip("/"), query, ""))


class _Reader:
    """Walks the composed node tree and collects every problem instead of stopping at the first."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.problems: list[tuple[int, int, str]] = []

    def report(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append((mark.line + 1, mark.column + 1, message))

    def mapping(
        self, node: yaml.Node, keys: dict[str, tuple[bool, str]], what: str
    ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        if not isinstance(node, yaml.MappingNode):
            self.report(node, f"{what} must be a mapping of keys ({', '.join(keys)}), not {_kind(node)}.")
            return None
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
            if key in found:
                self.report(key_node, f"duplicate key '{key}': keep only one of them.")
                continue
            if key not in keys:
                hint = suggest(key, list(keys))
                if not hint:
                    hint = f": remove it (allowed here: {', '.join(keys)})"
                self.report(key_node, f"unknown key '{key}'{hint}.")
                continue
            found[key] = (key_node, value_node)
        for key, (required, fix) in keys.items():
            if required and key not in found:
                self.report(node, f"missing required key '{key}' in {what}: {fix}.")
        return found

    def text(
        self, pair: tuple[yaml.Node, yaml.Node] | None, name: str, required: bool = True, *, one_line: bool = False
    ) -> str:
        if pair is None:
            return ""
        key_node, node = pair
        if not isinstance(node, yaml.ScalarNode):
            self.report(node, f"'{name}' must be text, not {_kind(node)}.")
            return ""
        # Take the characters as written: "title: Yes" is a headline, not a boolean.
        value = "" if node.tag == NULL_TAG else str(node.value).strip()
        if required and not value:
            self.report(key_node, f"'{name}' is empty: write the {name.replace('_', ' ')}.")
        control = CONTROL.search(value)
        if control:
            # A double-quoted YAML string can hold "\f" or "\x1b"; MJML cannot parse them and mail clients show junk.
            self.report(node, f"'{name}' contains the control character U+{ord(control.group()):04X}: remove it.")
        elif one_line:
            unsafe = find_unsafe(value)
            if unsafe in LINE_BREAKS:
                # A subject goes into a header and the inbox list, a heading or title onto one line: a break there
                # ends the header or breaks the layout.
                how = ' (a "\\n" in double quotes or a | block makes one in YAML)' if unsafe == "\n" else ""
                where = describe_char(unsafe)
                self.report(node, f"'{name}' must be one line but holds a line break ({where}): join the lines{how}.")
            elif unsafe:
                # Bidirectional overrides and their kin reorder what readers see ("Trojan Source").
                self.report(node, f"'{name}' contains the invisible character {describe_char(unsafe)}: remove it.")
        return value

    def url(self, pair: tuple[yaml.Node, yaml.Node] | None, name: str, required: bool = True) -> str:
        value = self.text(pair, name, required)
        if not value or pair is None:
            return value
        problem = url_problem(value)
        if problem:
            self.report(pair[1], f"'{name}' {problem}")
        return value


def url_problem(value: str) -> str:
    """Why `value` is not an absolute http(s) URL (a sentence ending with the fix), or ''."""
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.netloc:
        if any(ch.isspace() for ch in value):
            return f"'{value}' contains spaces: encode them as %20 or fix the address."
        return ""
    if not scheme:
        return f"'{value}' is a relative address: write the full address starting with https://."
    return f"uses the '{scheme}:' scheme: only http:// and https:// addresses are allowed."


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == NULL_TAG:
        return "empty"
    return f"'{node.value}'"


def load_issue(path: Path) -> Issue:
    """Load and validate `path`; IssueError lists every problem as 'file:line:column: message'."""
    display = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IssueError(
            [f"{display}: no such issue file: check the path, or create it with 'newsletter new'."]
        ) from None
    except OSError as error:
        raise IssueError([f"{display}: cannot read the file ({error.strerror})."]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise IssueError(
            [f"{display}:{line}:{column}: byte 0x{data[error.start]:02x} is not UTF-8: save the file as UTF-8."]
        ) from None
    return parse_issue(text, path)


def parse_issue(text: str, path: Path) -> Issue:
    display = str(path)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise IssueError(
            [f"{display}:{line}:{column}: invalid YAML ({error.problem}): fix the syntax at this place."]
        ) from None
    except yaml.YAMLError as error:
        raise IssueError([f"{display}:1:1: invalid YAML ({error}): fix the syntax."]) from None
    if root is None:
        raise IssueError([f"{display}:1:1: the file is empty: start from the file 'newsletter new' writes."])

    reader = _Reader(display)
    issue = _read_issue(reader, root, path)
    if reader.problems or issue is None:
        reader.problems.sort(key=lambda problem: (problem[0], problem[1]))
        raise IssueError([f"{display}:{line}:{column}: {message}" for line, column, message in reader.problems])
    return issue


def _read_issue(reader: _Reader, root: yaml.Node, path: Path) -> Issue | None:
    fields = reader.mapping(root, ISSUE_KEYS, "the issue")
    if fields is None:
        return None
    subject = reader.text(fields.get("subject"), "subject", one_line=True)
    number = _read_number(reader, fields.get("number"))
    date = _read_date(reader, fields.get("date"))
    preheader = reader.text(fields.get("preheader"), "preheader", one_line=True)
    intro = reader.text(fields.get("intro"), "intro")
    sign_off = reader.text(fields.get("sign_off"), "sign_off", required=False)
    sections = _read_sections(reader, fields.get("sections"))
    if date is None or number is None:
        return None
    return Issue(
        path=path,
        slug=path.stem,
        subject=subject,
        number=number,
        date=date,
        preheader=preheader,
        intro=intro,
        sections=sections,
        sign_off=sign_off,
    )


def _read_number(reader: _Reader, pair: tuple[yaml.Node, yaml.Node] | None) -> int | None:
    if pair is None:
        return None
    node = pair[1]
    if not isinstance(node, yaml.ScalarNode) or node.tag != INT_TAG:
        reader.report(node, f"'number' must be a whole number, not {_kind(node)}.")
        return None
    value = int(str(node.value).replace("_", ""), 0)
    if value < 1:
        reader.report(node, f"'number' must be 1 or more, not {value}.")
        return None
    return value


def _read_date(reader: _Reader, pair: tuple[yaml.Node, yaml.Node] | None) -> dt.date | None:
    if pair is None:
        return None
    node = pair[1]
    if not isinstance(node, yaml.ScalarNode):
        reader.report(node, f"'date' must be a date written YYYY-MM-DD, not {_kind(node)}.")
        return None
    raw = str(node.value).strip()
    try:
        return dt.date.fromisoformat(raw) if len(raw) == 10 else _bad_date()
    except ValueError:
        reader.report(node, f"'date' is '{raw}', not a real date: write it as YYYY-MM-DD, e.g. 2015-03-16.")
        return None


def _bad_date() -> dt.date:
    raise ValueError("not YYYY-MM-DD")


def _read_sections(reader: _Reader, pair: tuple[yaml.Node, yaml.Node] | None) -> tuple[Section, ...]:
    if pair is None:
        return ()
    key_node, node = pair
    if not isinstance(node, yaml.SequenceNode):
        reader.report(node, f"'sections' must be a list of sections (each '- heading: ...'), not {_kind(node)}.")
        return ()
    if not node.value:
        reader.report(key_node, "'sections' is empty: add at least one section with articles.")
    seen: dict[str, int] = {}
    sections = []
    for section_node in node.value:
        fields = reader.mapping(section_node, SECTION_KEYS, "a section")
        if fields is None:
            continue
        heading = reader.text(fields.get("heading"), "heading", one_line=True)
        articles = _read_articles(reader, fields.get("articles"), heading, seen)
        sections.append(Section(heading=heading, articles=articles))
    return tuple(sections)


def _read_articles(
    reader: _Reader, pair: tuple[yaml.Node, yaml.Node] | None, heading: str, seen: dict[str, int]
) -> tuple[Article, ...]:
    if pair is None:
        return ()
    key_node, node = pair
    if not isinstance(node, yaml.SequenceNode):
        reader.report(node, f"'articles' must be a list of articles (each '- title: ...'), not {_kind(node)}.")
        return ()
    if not node.value:
        reader.report(key_node, f"section '{heading}' has no articles: add one or remove the section.")
    articles = []
    for article_node in node.value:
        fields = reader.mapping(article_node, ARTICLE_KEYS, "an article")
        if fields is None:
            continue
        article = _read_article(reader, fields)
        if article.url and "url" in fields:
            key = normalise_url(article.url)
            if key in seen:
                reader.report(
                    fields["url"][1],
                    f"the article {article.url} is already in this issue (line {seen[key]}): keep it once.",
                )
            else:
                seen[key] = fields["url"][1].start_mark.line + 1
        articles.append(article)
    return tuple(articles)


def _read_article(reader: _Reader, fields: dict[str, tuple[yaml.Node, yaml.Node]]) -> Article:
    text: Callable[..., str] = reader.text
    image = reader.url(fields.get("image"), "image", required=False)
    image_alt = text(fields.get("image_alt"), "image_alt", required=False, one_line=True)
    if image_alt and not image and "image_alt" in fields:
        reader.report(fields["image_alt"][0], "'image_alt' is set but there is no 'image': add the image or remove it.")
    return Article(
        title=text(fields.get("title"), "title", one_line=True),
        url=reader.url(fields.get("url"), "url"),
        summary=text(fields.get("summary"), "summary"),
        image=image,
        image_alt=image_alt,
        author=text(fields.get("author"), "author", required=False, one_line=True),
        source=text(fields.get("source"), "source", required=False, one_line=True),
    )
