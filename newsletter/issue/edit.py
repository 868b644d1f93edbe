"""Appending an article to an issue YAML file the way an editor would: comments, key order, quoting, indentation
and the blank lines between sections stay as they were (ruamel.yaml round-trip).

`insert_article` is pure (text in, text out); `add_article` reads, locks and writes atomically.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from newsletter.errors import IssueError
from newsletter.files import hold_lock, write_text_atomic
from newsletter.issue.model import ArticleDraft, normalise_url
from newsletter.issue.yamltext import MAX_ISSUE_BYTES, limit_events, too_large

FIELDS = ("title", "url", "summary", "image", "image_alt", "author", "source")
SUMMARY_WIDTH = 90
# A wrapped summary line must not start like a Markdown block (list item, heading, quote): it would become one.
BLOCK_START = re.compile(r"^([-+*#>]|\d+[.)])")


@dataclass(frozen=True)
class Edit:
    text: str  # the whole new file
    section: str  # heading of the section the article went into
    created_section: bool
    line: int  # 1-based line of the new article's first key
    exact: bool = True  # False: ruamel could not keep the file's own layout everywhere (mixed indentation)


def strip_tracking(url: str) -> str:
    """`url` without utm_* parameters, which only say where the editor found the link."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(key.startswith("utm_") for key, _ in pairs):
        return url
    query = urlencode([(k, v) for k, v in pairs if not k.startswith("utm_")])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _make_yaml(mapping: int, sequence: int, offset: int) -> YAML:
    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-fold an editor's long lines
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(yaml: YAML, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def load_round_trip(text: str, display: str) -> tuple[YAML, Any, bool]:
    """A YAML instance whose indentation reproduces `text` exactly (when any does), the loaded document, and
    whether the reproduction is exact.

    ruamel.yaml keeps comments and quotes but not the indentation: it re-indents everything with its settings,
    so the settings under which the untouched file dumps back to itself are searched for (a handful of dumps
    of a small file: milliseconds)."""
    candidates = [(m, s, o) for m, s, o in itertools.product((2, 4, 3), (2, 4, 6, 3), (0, 2, 4, 1)) if o <= s - 2]
    best: tuple[YAML, Any] | None = None
    with _yaml_errors(display):
        # ruamel's composer recurses (a few hundred levels end in RecursionError) and the duplicate search walks
        # every alias again: the events (flat, expanding nothing) are checked first, as `check` checks them.
        if len(text) > MAX_ISSUE_BYTES:
            raise IssueError([too_large(display)])
        limit_events(YAML().parse(text), display, (AliasEvent, CollectionStartEvent, CollectionEndEvent))
        for mapping, sequence, offset in candidates:
            yaml = _make_yaml(mapping, sequence, offset)
            data = yaml.load(text)
            if best is None:
                best = (yaml, data)
            if _dump(yaml, data) == text:
                return yaml, data, True
    assert best is not None
    return best[0], best[1], False


@contextlib.contextmanager
def _yaml_errors(display: str) -> Iterator[None]:
    """ruamel's syntax errors as IssueError 'file:line:col: invalid YAML (problem): fix'."""
    try:
        yield
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{display}:{mark.line + 1}:{mark.column + 1}" if mark else f"{display}:1:1"
        raise IssueError([f"{where}: invalid YAML ({error.problem}): fix the syntax at this place."]) from None
    except YAMLError as error:
        raise IssueError([f"{display}:1:1: invalid YAML ({error}): fix the syntax."]) from None


def _style_of(values: list[Any]) -> type | None:
    """The quoting most of the editor's existing values use, so new ones look the same."""
    kinds = [type(v) for v in values if isinstance(v, str) and v]  # an empty value is quoted whatever the style
    for kind in (DoubleQuotedScalarString, SingleQuotedScalarString):
        if kinds and kinds.count(kind) * 2 > len(kinds):
            return kind
    return None


def wrap_markdown(text: str, width: int = SUMMARY_WIDTH) -> str:
    """Word-wrap a Markdown paragraph without ever starting a line with a block marker ('- ', '1. ', '#', '>')."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width and not BLOCK_START.match(word):
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return "\n".join([*lines, current]) + "\n"


def _last_node_comment(node: Any) -> tuple[Any, Any, int] | None:
    """Where ruamel keeps the comment after the deepest last value of `node`: (container, key, slot)."""
    while isinstance(node, CommentedMap | CommentedSeq) and len(node):
        key: Any = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
        child = node[key]
        if isinstance(child, CommentedMap | CommentedSeq) and len(child):
            node = child
            continue
        return node, key, 2 if isinstance(node, CommentedMap) else 0
    return None


def _comment_slot(container: Any, key: Any, slot: int) -> list[Any]:
    return container.ca.items.setdefault(key, [None, None, None, None] if slot == 2 else [None, None])  # type: ignore[no-any-return]


def _split_trailing(node: Any, keep_blank_line: bool = False) -> str:
    """Detach the lines after the last value of `node` (blank lines, the comment heading the next block) and
    return them; the end-of-line comment stays, followed by a blank line when `keep_blank_line`.

    ruamel attaches those lines to that last value, so appending after it would put them above the new item."""
    place = _last_node_comment(node)
    if place is None:
        return ""
    container, key, slot = place
    entry = container.ca.items.get(key)
    token = entry[slot] if entry else None
    value = token.value if token is not None else ""
    if _is_block_scalar(container[key]):  # its last line already ended: every line of the token follows it
        end_of_line, rest = "", value
        kept = "\n" if keep_blank_line else ""
    else:
        end_of_line, _, rest = (value or "\n").partition("\n")
        kept = end_of_line + "\n" + ("\n" if keep_blank_line else "")
    if kept and token is not None:
        token.value = kept  # in place: the token remembers the column of an end-of-line comment
    elif kept:
        _comment_slot(container, key, slot)[slot] = CommentToken(kept, CommentMark(0), None)
    elif entry:
        entry[slot] = None
    return rest


def _is_block_scalar(value: Any) -> bool:
    return isinstance(value, LiteralScalarString | FoldedScalarString)


def _attach_trailing(node: Any, lines: str) -> None:
    """Put `lines` (from _split_trailing) after the last value of `node`, after its end-of-line comment if any."""
    place = _last_node_comment(node)
    if place is None or not lines:
        return
    container, key, slot = place
    entry = _comment_slot(container, key, slot)
    token = entry[slot]
    if token is not None:
        token.value = token.value.rstrip("\n") + "\n" + lines
    else:
        line_end = "" if _is_block_scalar(container[key]) else "\n"
        entry[slot] = CommentToken(line_end + lines, CommentMark(0), None)


def _build_article(draft: ArticleDraft, url: str, articles: list[Any]) -> CommentedMap:
    """The new article in the style of the file's others: their quoting, and `|` blocks for summaries."""
    existing = [a for a in articles if isinstance(a, CommentedMap)]
    quote = _style_of([a.get(k) for a in existing for k in FIELDS if k != "summary"])
    literal = any(isinstance(a.get("summary"), LiteralScalarString) for a in existing) or not existing
    values = {
        "title": draft.title,
        "url": url,
        "summary": draft.summary,
        "image": draft.image,
        "image_alt": draft.image_alt,
        "author": draft.author,
        "source": draft.source,
    }
    article = CommentedMap()
    for key, value in values.items():
        if key == "summary" and value and literal:
            article[key] = LiteralScalarString(wrap_markdown(value))
        else:
            article[key] = quote(value) if quote else value
        if not value:
            article.yaml_add_eol_comment(f"# not found: {MISSING_HINTS[key]}", key, column=0)
    return article


MISSING_HINTS = {
    "title": "write the headline",
    "url": "write the article's https:// address",
    "summary": "write two or three sentences from the article",
    "image": "add the image's https:// address, or remove this line",
    "image_alt": "describe the image for readers who cannot see it",
    "author": "add the byline, or remove this line",
    "source": "add the publication's name, or remove this line",
}


def _find_duplicate(sections: list[Any], url: str, display: str) -> None:
    wanted = normalise_url(url)
    for section in sections:
        articles = section.get("articles") if isinstance(section, CommentedMap) else None
        for article in articles if isinstance(articles, list) else []:
            other = article.get("url") if isinstance(article, CommentedMap) else None
            if isinstance(other, str) and other.strip() and normalise_url(other) == wanted:
                line, column = article.lc.value("url")
                heading = section.get("heading", "")
                raise IssueError(
                    [
                        f"{display}:{line + 1}:{column + 1}: {url} is already in this issue (section '{heading}'): "
                        "nothing was added."
                    ]
                )


def insert_article(text: str, draft: ArticleDraft, section: str | None = None, display: str = "issue") -> Edit:
    """`text` (an issue file) with the article appended to `section` (default: the first one; created if new)."""
    # Windows line ends and a BOM are put back afterwards: ruamel writes neither.
    crlf, bom = "\r\n" in text, text.startswith("\ufeff")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    yaml, data, exact = load_round_trip(text, display)
    if not isinstance(data, CommentedMap):
        raise IssueError([f"{display}:1:1: the issue must be a mapping of keys (subject, date, sections, ...)."])
    sections = data.get("sections")
    if sections is None:  # no key yet, or "sections:" with nothing under it
        sections = data["sections"] = CommentedSeq()
    if not isinstance(sections, CommentedSeq):
        line, column = data.lc.value("sections")
        raise IssueError([f"{display}:{line + 1}:{column + 1}: 'sections' must be a list of sections to add to."])
    url = strip_tracking(draft.url)
    if url:
        _find_duplicate(sections, draft.url, display)

    target = _choose_section(sections, section, display)
    created = target is None
    if target is None:
        heading_style = _style_of([s.get("heading") for s in sections if isinstance(s, CommentedMap)])
        heading = section or ""
        target = CommentedMap([("heading", heading_style(heading) if heading_style else heading)])
        target["articles"] = CommentedSeq()
        # A new section is set apart from the one before by a blank line, like the editor's own.
        trailing = _split_trailing(sections, keep_blank_line=True)
        sections.append(target)
        target["articles"].append(_build_article(draft, url, _all_articles(sections)))
        _attach_trailing(sections, trailing)
    else:
        articles = target.get("articles")
        if not isinstance(articles, CommentedSeq):
            articles = target["articles"] = CommentedSeq()
        articles.fa.set_block_style()  # "articles: []" becomes a block list
        trailing = _split_trailing(target)
        articles.append(_build_article(draft, url, _all_articles(sections)))
        _attach_trailing(target, trailing)

    new_text = _dump(yaml, data)
    reread = _make_yaml(2, 4, 2).load(new_text)
    new_section = reread["sections"][next(i for i, s in enumerate(sections) if s is target)]
    line = new_section["articles"].lc.item(len(target["articles"]) - 1)[0] + 1
    new_text = ("\ufeff" if bom else "") + (new_text.replace("\n", "\r\n") if crlf else new_text)
    heading = str(target.get("heading", ""))
    return Edit(text=new_text, section=heading, created_section=created, line=line, exact=exact)


def _all_articles(sections: CommentedSeq) -> list[Any]:
    return [a for s in sections if isinstance(s, CommentedMap) for a in s.get("articles") or []]


def _choose_section(sections: CommentedSeq, name: str | None, display: str) -> CommentedMap | None:
    """The section named `name` (case and spaces ignored), the first one when no name is given, None to create."""
    mappings = [s for s in sections if isinstance(s, CommentedMap)]
    if name is None:
        if not mappings:
            raise IssueError([f"{display}: the issue has no sections yet: pass --section NAME to create one."])
        return mappings[0]
    wanted = " ".join(name.split()).casefold()
    for candidate in mappings:
        if " ".join(str(candidate.get("heading", "")).split()).casefold() == wanted:
            return candidate
    return None


def add_article(path: Path, draft: ArticleDraft, section: str | None = None) -> Edit:
    """Append `draft` to the issue file at `path`, atomically and under a lock (two `add`s at once lose nothing)."""
    if not path.is_file():
        raise IssueError([f"{path}: no such issue file: check the path, or create it with 'newsletter new'."])

    def busy(holder: str) -> IssueError:
        return IssueError([f"{path}: another 'newsletter add' holds the file: try again when it has finished."])

    with hold_lock(path, timeout=10, busy=busy):
        with path.open("rb") as handle:
            data = handle.read(MAX_ISSUE_BYTES + 1)
        if len(data) > MAX_ISSUE_BYTES:
            raise IssueError([too_large(str(path))])
        try:
            text = data.decode("utf-8")  # not read_text: it would turn CRLF into LF
        except UnicodeDecodeError as error:
            raise IssueError([f"{path}: byte {error.start} is not UTF-8: save the file as UTF-8."]) from None
        edit = insert_article(text, draft, section, str(path))
        mode = path.stat().st_mode & 0o7777
        write_text_atomic(path, edit.text)
        os.chmod(path, mode)  # the temporary file's 0600 would hide the issue from the rest of the team
    return edit


def describe_missing(draft: ArticleDraft) -> list[str]:
    """One line per thing the source did not give, for the editor to fill in."""
    lines = [f"no {key.replace('_', ' ')} found: {MISSING_HINTS[key]}." for key in FIELDS if not getattr(draft, key)]
    if not draft.image:
        lines = [line for line in lines if not line.startswith("no image alt")]
    return lines + [f"{note}." for note in draft.notes]
