"""Read an issue YAML file into a validated Issue, reporting every problem at once with file:line:column.

PyYAML's composer (the C one where available: about 50 times faster than a round-trip loader) gives every node
its position, so each finding points at the exact place the editor has to change.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

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
# Where a value is written in the file: line and column (1-based) of its first character, and its start and end
# offsets in the text, so that `check` can point inside a long Markdown value at the very word to change.
Span = tuple[int, int, int, int]


@dataclass(frozen=True)
class Article:
    title: str
    url: str
    summary: str
    image: str = ""
    image_alt: str = ""
    author: str = ""
    source: str = ""
    spans: Mapping[str, Span] = field(default_factory=dict, compare=False, repr=False)
    # Validation problems inside this article: `check` lints such an article but does not render it.
    problems: int = field(default=0, compare=False, repr=False)


# How a section shows its articles: full cards (image, summary, a link naming the source), or compact briefs
# (headline link, a sentence or two, the source line, an optional thumbnail): about a fifth of a card's HTML.
LAYOUTS = ("cards", "briefs")


@dataclass(frozen=True)
class Section:
    heading: str
    articles: tuple[Article, ...]
    layout: str = "cards"


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
    spans: Mapping[str, Span] = field(default_factory=dict, compare=False, repr=False)

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
    "layout": (False, ""),
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

    def text(self, pair: tuple[yaml.Node, yaml.Node] | None, name: str, required: bool = True) -> str:
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
    return parse_issue(read_issue_text(path), path)


def read_issue_text(path: Path) -> str:
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
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise IssueError(
            [f"{display}:{line}:{column}: byte 0x{data[error.start]:02x} is not UTF-8: save the file as UTF-8."]
        ) from None


def parse_issue(text: str, path: Path) -> Issue:
    issue, problems = inspect_issue_text(text, path)
    if problems or issue is None:
        raise IssueError(problems)
    return issue


def inspect_issue(path: Path) -> tuple[Issue | None, list[str]]:
    """The issue as far as it can be read, and every validation problem ('file:line:column: message').

    With problems, the issue holds what is valid (articles with a problem left out; a bad number or date replaced),
    so that `check` can render and lint the rest in the same run. Only `check` uses it: everything else loads."""
    try:
        text = read_issue_text(path)
    except IssueError as error:
        return None, error.problems
    return inspect_issue_text(text, path)


def inspect_issue_text(text: str, path: Path) -> tuple[Issue | None, list[str]]:
    display = str(path)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        line, column, message = syntax_problem(text, error)
        return None, [f"{display}:{line}:{column}: {message}"]
    except yaml.YAMLError as error:
        return None, [f"{display}:1:1: invalid YAML ({error}): fix the syntax."]
    if root is None:
        return None, [f"{display}:1:1: the file is empty: start from the file 'newsletter new' writes."]

    reader = _Reader(display)
    issue = _read_issue(reader, root, path)
    reader.problems.sort(key=lambda problem: (problem[0], problem[1]))
    return issue, [f"{display}:{line}:{column}: {message}" for line, column, message in reader.problems]


def syntax_problem(text: str, error: yaml.MarkedYAMLError) -> tuple[int, int, str]:
    """(line, column, message) of a YAML syntax error, at the line that opened the problem.

    An unclosed quote is the usual culprit, and YAML reports it far from where it is: at the end of the file, or
    (a quoted value may run over several lines) where the next quote closes it, lines later."""
    if error.context == "while scanning a quoted scalar" and error.context_mark is not None:
        opening = error.context_mark
        quote = text[opening.index] if opening.index < len(text) else '"'
        return (
            opening.line + 1,
            opening.column + 1,
            f"invalid YAML: the quote {quote} that opens here is never closed: close it at the end of the value.",
        )
    mark = error.problem_mark or error.context_mark
    if mark is None:
        return 1, 1, f"invalid YAML ({error.problem}): fix the syntax."
    opened = _quote_closed_on_line(text, mark)
    if opened is not None:
        return (
            opened.line + 1,
            opened.column + 1,
            f"invalid YAML: the quote {text[opened.index]} that opens here is not closed on this line (YAML reads "
            f"on to the next {text[opened.index]}, on line {mark.line + 1}): close it at the end of the value.",
        )
    return mark.line + 1, mark.column + 1, f"invalid YAML ({error.problem}): fix the syntax at this place."


def _quote_closed_on_line(text: str, mark: yaml.Mark) -> yaml.Mark | None:
    """Where a quoted value starts that runs over several lines and closes on the error's line, if one does."""
    found = None
    try:
        for token in yaml.scan(text[: mark.index], Loader=yaml.SafeLoader):
            if not isinstance(token, yaml.ScalarToken):
                continue
            if token.style in ('"', "'") and token.end_mark.line > token.start_mark.line:
                found = token
            elif found is not None and token.start_mark.line > found.end_mark.line:
                found = None
    except yaml.YAMLError:
        pass
    if found is None or found.end_mark.line != mark.line:
        return None
    start: yaml.Mark = found.start_mark
    return start


def _read_issue(reader: _Reader, root: yaml.Node, path: Path) -> Issue | None:
    fields = reader.mapping(root, ISSUE_KEYS, "the issue")
    if fields is None:
        return None
    subject = reader.text(fields.get("subject"), "subject")
    number = _read_number(reader, fields.get("number"))
    date = _read_date(reader, fields.get("date"))
    preheader = reader.text(fields.get("preheader"), "preheader")
    intro = reader.text(fields.get("intro"), "intro")
    sign_off = reader.text(fields.get("sign_off"), "sign_off", required=False)
    sections = _read_sections(reader, fields.get("sections"))
    # A number or date that did not read is already a problem; the stand-ins only let `check` render the rest.
    return Issue(
        path=path,
        slug=path.stem,
        subject=subject,
        number=number or 0,
        date=date or dt.date(1970, 1, 1),
        preheader=preheader,
        intro=intro,
        sections=sections,
        sign_off=sign_off,
        spans=_spans(fields),
    )


def _spans(fields: dict[str, tuple[yaml.Node, yaml.Node]]) -> dict[str, Span]:
    spans = {}
    for key, (_, node) in fields.items():
        start, end = node.start_mark, node.end_mark
        spans[key] = (start.line + 1, start.column + 1, start.index, end.index)
    return spans


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
        heading = reader.text(fields.get("heading"), "heading")
        layout = _read_layout(reader, fields.get("layout"))
        articles = _read_articles(reader, fields.get("articles"), heading, seen)
        sections.append(Section(heading=heading, articles=articles, layout=layout))
    return tuple(sections)


def _read_layout(reader: _Reader, pair: tuple[yaml.Node, yaml.Node] | None) -> str:
    value = reader.text(pair, "layout", required=False)
    if not value or pair is None:
        return LAYOUTS[0]
    if value not in LAYOUTS:
        hint = suggest(value, list(LAYOUTS))
        reader.report(pair[1], f"'layout' is '{value}'{hint}: use cards (the default) or briefs.")
        return LAYOUTS[0]
    return value


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
        problems = len(reader.problems)
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
        articles.append(replace(article, problems=len(reader.problems) - problems))
    return tuple(articles)


def _read_article(reader: _Reader, fields: dict[str, tuple[yaml.Node, yaml.Node]]) -> Article:
    text: Callable[..., str] = reader.text
    image = reader.url(fields.get("image"), "image", required=False)
    image_alt = text(fields.get("image_alt"), "image_alt", required=False)
    if image_alt and not image and "image_alt" in fields:
        reader.report(fields["image_alt"][0], "'image_alt' is set but there is no 'image': add the image or remove it.")
    return Article(
        title=text(fields.get("title"), "title"),
        url=reader.url(fields.get("url"), "url"),
        summary=text(fields.get("summary"), "summary"),
        image=image,
        image_alt=image_alt,
        author=text(fields.get("author"), "author", required=False),
        source=text(fields.get("source"), "source", required=False),
        spans=_spans(fields),
    )
