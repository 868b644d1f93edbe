"""Read an issue YAML file into a validated Issue, reporting every problem at once with file:line:column.

The text and its YAML nodes come from yamltext.py (limits, syntax errors); this module walks the nodes, checks
every key and value against the issue's schema and builds the model (model.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from newsletter.clean import describe_char, find_unsafe
from newsletter.config import suggest
from newsletter.errors import IssueError
from newsletter.issue.model import LAYOUTS, Article, Issue, Section, Span, normalise_url
from newsletter.issue.yamltext import SHOWN_CHARS, compose_issue, read_issue_text, shown

INT_TAG = "tag:yaml.org,2002:int"
NULL_TAG = "tag:yaml.org,2002:null"
# Control characters other than tab and newline.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
NUMBER_DIGITS = 6
LINE_BREAKS = frozenset("\n\u2028\u2029")  # the breaks CONTROL leaves to find_unsafe


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
                self.report(key_node, f"duplicate key '{shown(key)}': keep only one of them.")
                continue
            if key not in keys:
                hint = suggest(key, list(keys)) if len(key) <= SHOWN_CHARS else ""
                if not hint:
                    hint = f": remove it (allowed here: {', '.join(keys)})"
                self.report(key_node, f"unknown key '{shown(key)}'{hint}.")
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
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # raises for a port that is not a number from 0 to 65535
    except ValueError as error:
        return f"'{shown(value)}' is not a valid address ({error}): fix it, e.g. copy it from the browser."
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") and parts.netloc:
        if any(ch.isspace() for ch in value):
            return f"'{shown(value)}' contains spaces: encode them as %20 or fix the address."
        return ""
    if not scheme:
        return f"'{shown(value)}' is a relative address: write the full address starting with https://."
    return f"uses the '{shown(scheme)}:' scheme: only http:// and https:// addresses are allowed."


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == NULL_TAG:
        return "empty"
    return f"'{shown(str(node.value))}'"


def load_issue(path: Path) -> Issue:
    """Load and validate `path`; IssueError lists every problem as 'file:line:column: message'."""
    return parse_issue(read_issue_text(path), path)


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
        root = compose_issue(text, display)
    except IssueError as error:
        return None, error.problems
    if root is None:
        return None, [f"{display}:1:1: the file is empty: start from the file 'newsletter new' writes."]

    reader = _Reader(display)
    issue = _read_issue(reader, root, path)
    reader.problems.sort(key=lambda problem: (problem[0], problem[1]))
    return issue, [f"{display}:{line}:{column}: {message}" for line, column, message in reader.problems]


def read_issue_number(path: Path) -> int | None:
    """The issue number written in `path`, by the rules `check` applies, or None when there is none to read (a
    file that does not parse, a number that is not valid); the rest of the file may be unfinished."""
    try:
        root = compose_issue(read_issue_text(path), str(path))
    except IssueError:
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == "number":
            return _read_number(_Reader(str(path)), (key_node, value_node))
    return None


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
    # YAML 1.1 (PyYAML's) reads more than digits as a number: 017 is octal 15, 1:30 is sexagesimal 90, and 0x1f,
    # 0b101 and 1_000 count too. An editor who writes them means something else: only plain digits are taken.
    raw = str(node.value)
    if re.fullmatch(r"[-+]?0+|-[0-9]{1,20}", raw):
        reader.report(node, f"'number' must be 1 or more, not {int(raw)}.")
    elif re.fullmatch(r"\+?0+[0-9]+", raw):
        reader.report(
            node,
            f"'number' is {raw}: write it without the leading zero (YAML reads {raw} as an octal number), "
            f"e.g. number: {raw.lstrip('+0')}.",
        )
    elif not re.fullmatch(r"\+?[0-9]+", raw):
        reader.report(node, f"'number' must be a whole number written in digits, e.g. number: 12, not '{shown(raw)}'.")
    elif len(raw.lstrip("+")) > NUMBER_DIGITS:
        reader.report(node, f"'number' has more than {NUMBER_DIGITS} digits: write the issue's own number.")
    else:
        return int(raw)
    return None


def _read_date(reader: _Reader, pair: tuple[yaml.Node, yaml.Node] | None) -> dt.date | None:
    if pair is None:
        return None
    node = pair[1]
    if not isinstance(node, yaml.ScalarNode):
        reader.report(node, f"'date' must be a date written YYYY-MM-DD, not {_kind(node)}.")
        return None
    raw = str(node.value).strip()
    try:
        # fromisoformat alone also takes week dates (2015-W12-1) and other digits than ASCII ones.
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw, re.ASCII):
            raise ValueError("not YYYY-MM-DD")
        return dt.date.fromisoformat(raw)
    except ValueError:
        reader.report(node, f"'date' is '{shown(raw)}', not a real date: write it as YYYY-MM-DD, e.g. 2015-03-16.")
        return None


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
        spans=_spans(fields),
    )
