"""One pass over an HTML page collecting what article metadata comes from: meta tags, links, <title>, JSON-LD
and the opening paragraphs. The standard library's html.parser copes with the broken HTML of real sites."""

from __future__ import annotations

import json
from collections import Counter
from html.parser import HTMLParser
from typing import Any

from newsletter.clean import clean_line

# fmt: off
# Paragraphs inside these are site furniture (menus, footers, captions), not the article's opening.
SKIP_TAGS = frozenset(("nav", "header", "footer", "aside", "form", "figure", "figcaption", "script", "style",
                       "noscript", "template", "svg", "button"))
BLOCK_TAGS = frozenset(("div", "section", "article", "main", "li", "ul", "ol", "table", "tr", "td", "th",
                        "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr"))
ARTICLE_TYPES = frozenset(("Article", "NewsArticle", "BlogPosting", "Report", "ReportageNews", "AnalysisNewsArticle",
                           "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle", "ScholarlyArticle",
                           "TechArticle", "LiveBlogPosting"))
# fmt: on
TEXT_LIMIT = 20_000  # characters of one piece of page text (a paragraph, a description): more is not metadata
JSONLD_DEPTH = 8  # a list of @graphs of lists is four; publishers nest no deeper


def clean_text(text: str) -> str:
    """Page text as one line of plain text, through the boundary every text from outside passes (clean.py): NFC,
    no control, bidirectional or line-separator characters (a page can carry ESC or U+202E in its title), runs of
    whitespace as one space, at most TEXT_LIMIT characters."""
    return clean_line(text, TEXT_LIMIT)


class PageParser(HTMLParser):
    """Collects what metadata extraction needs in one pass: meta tags, links, <title>, JSON-LD and paragraphs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self.h1 = ""
        self.canonical = ""
        self.image_src = ""
        self.base_href = ""
        self.jsonld: list[str] = []
        self._paragraphs: list[tuple[bool, str]] = []  # (inside <article>/<main>, text)
        self._open: Counter[str] = Counter()
        self._capture = ""  # what the text being read belongs to: "title", "h1", "jsonld" or "p"
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or values.get("itemprop") or "").strip().lower()
            if key and values.get("content", "").strip():
                self.meta.setdefault(key, values["content"].strip())
        elif tag == "link":
            rel = values.get("rel", "").lower().split()
            if "canonical" in rel and not self.canonical:
                self.canonical = values.get("href", "")
            if "image_src" in rel and not self.image_src:
                self.image_src = values.get("href", "")
        elif tag == "base" and not self.base_href:
            self.base_href = values.get("href", "")
        elif tag == "title" and not self.title and not self._open["svg"]:
            self._start("title")
        elif tag == "script" and values.get("type", "").lower() == "application/ld+json":
            self._start("jsonld")
        elif tag == "p" or tag in BLOCK_TAGS:
            self._finish_paragraph()
            if tag in ("p", "h1") and not any(self._open[t] for t in SKIP_TAGS) and not (tag == "h1" and self.h1):
                self._start(tag)
        elif tag == "br" and self._capture == "p":
            self._buffer.append(" ")
        self._open[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        if self._open[tag]:
            self._open[tag] -= 1
        if tag == "title" and self._capture == "title":
            self.title = clean_text("".join(self._buffer))
            self._capture = ""
        elif tag == "script" and self._capture == "jsonld":
            self.jsonld.append("".join(self._buffer))
            self._capture = ""
        elif tag == "h1" and self._capture == "h1":
            self.h1 = clean_text("".join(self._buffer))
            self._capture = ""
        elif tag == "p" or tag in BLOCK_TAGS:
            self._finish_paragraph()

    def handle_data(self, data: str) -> None:
        if self._capture and not (self._capture == "p" and (self._open["script"] or self._open["style"])):
            self._buffer.append(data)

    def _start(self, what: str) -> None:
        self._capture = what
        self._buffer = []

    def _finish_paragraph(self) -> None:
        if self._capture == "p":
            text = clean_text("".join(self._buffer))
            if len(text.split()) >= 6:  # "Share this", dates and bylines are not the article's opening
                self._paragraphs.append((bool(self._open["article"] or self._open["main"]), text))
            self._capture = ""

    def paragraphs(self) -> list[str]:
        """The page's paragraphs, those inside <article> or <main> only when there are any."""
        self._finish_paragraph()
        inside = [text for in_article, text in self._paragraphs if in_article]
        return inside or [text for _, text in self._paragraphs]


def parse_page(html: str) -> PageParser:
    """`html` read by a PageParser, with what breaks the standard library's parser kept out of it.

    Python before 3.13.4 (and 3.11 before 3.11.13, what runs here) spends quadratic time on an unterminated tag at
    the end of a page: 60 KB of '<a ' took 35 s, so 5 MB would hold `add` for hours (CVE-2025-6069). Nothing after
    the last '>' is metadata, so an unterminated tail is dropped before parsing. '<![' followed by junk raises
    AssertionError from _markupbase; what was read before it is kept."""
    end = html.rfind(">")
    if "<" in html[end + 1 :]:
        html = html[: end + 1]
    parser = PageParser()
    try:
        parser.feed(html)
        parser.close()
    except AssertionError:
        pass
    return parser


def _jsonld_nodes(data: Any) -> list[dict[str, Any]]:
    """Every object in a JSON-LD document, in document order, down lists and @graph to JSONLD_DEPTH levels.

    Iterative and bounded: a page nesting lists a few hundred deep made the recursive walk raise RecursionError."""
    nodes: list[dict[str, Any]] = []
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > JSONLD_DEPTH:
            continue
        if isinstance(item, list):
            stack.extend((child, depth + 1) for child in reversed(item))
        elif isinstance(item, dict):
            nodes.append(item)
            stack.append((item.get("@graph"), depth + 1))
    return nodes


def find_jsonld_article(scripts: list[str]) -> dict[str, Any]:
    """The first Article-like JSON-LD node (lists and @graph searched), its {"@id"} references resolved."""
    nodes: list[dict[str, Any]] = []
    for script in scripts:
        try:
            nodes.extend(_jsonld_nodes(json.loads(script, strict=False)))
        except (ValueError, RecursionError):
            continue  # broken JSON-LD is common (and deeply nested JSON is hostile); the other sources still count
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str) and len(node) > 1}

    def resolve(value: Any) -> Any:
        # One level: a property holds a reference or a list of them; deeper lists are not metadata we read.
        if isinstance(value, dict) and set(value) == {"@id"} and isinstance(value["@id"], str):
            return by_id.get(value["@id"], value)
        return value

    for node in nodes:
        types = node.get("@type")
        type_list = [types] if isinstance(types, str) else types if isinstance(types, list) else []
        if any(kind in ARTICLE_TYPES for kind in type_list if isinstance(kind, str)):
            return {
                key: [resolve(item) for item in value] if isinstance(value, list) else resolve(value)
                for key, value in node.items()
            }
    return {}


def jsonld_names(value: Any) -> str:
    """'A' for "A" or {"name": "A"}; 'A and B' for a list of two people (lists inside lists are not names)."""
    if isinstance(value, list):
        names = [name for name in (_jsonld_name(item) for item in value) if name]
        return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)
    return _jsonld_name(value)


def _jsonld_name(value: Any) -> str:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        name = value.get("name")
        return clean_text(name) if isinstance(name, str) else ""
    return ""


def jsonld_image(node: dict[str, Any]) -> tuple[str, str]:
    """(address, caption) of an Article's image, given as a string, an ImageObject or a list of either."""
    image = node.get("image") or node.get("thumbnailUrl")
    if isinstance(image, list):
        image = image[0] if image else None
    if isinstance(image, str):
        return image, ""
    if isinstance(image, dict):
        url = image.get("url") or image.get("contentUrl") or image.get("@id") or ""
        caption = image.get("caption")
        return (url, caption if isinstance(caption, str) else "") if isinstance(url, str) else ("", "")
    return "", ""
