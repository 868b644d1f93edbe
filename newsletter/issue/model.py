"""What an issue is: its sections and articles as validated from issues/<date>.yaml (load.py reads them), and an
article as found on its page before it is added to an issue (desk/articles.py finds it, edit.py adds it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


@dataclass(frozen=True)
class ArticleDraft:
    """An article as found in its source; empty strings mean "not found". `summary` is Markdown."""

    title: str
    url: str
    summary: str = ""
    image: str = ""
    image_alt: str = ""
    author: str = ""
    source: str = ""
    notes: tuple[str, ...] = ()  # what the editor should know beyond the empty fields


def normalise_url(url: str) -> str:
    """The form in which two addresses are the same article: scheme and host case, http/https, default ports,
    trailing slash, fragment and utm_* tracking parameters do not count."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # not an address at all (validation says so): compared as written
        return url.strip()
    host = (parts.hostname or "").lower()
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")])
    scheme = "http" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    return urlunsplit((scheme, host, parts.path.rstrip("/"), query, ""))
