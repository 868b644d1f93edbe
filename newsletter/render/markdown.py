"""Markdown for intros, summaries and sign-offs: to HTML for the email, to wrapped plain text for the text part.

Raw HTML in Markdown is off, so an editor's (or a scraped page's) `<script>` shows as text, and markdown-it's link
validation refuses javascript:, vbscript:, file: and data: links.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False, "linkify": False})


def md_to_html(text: str) -> str:
    return md_to_both(text)[0]


def md_to_both(text: str, width: int = 72) -> tuple[str, str]:
    """The HTML and the plain text of `text`, from one parse (parsing is most of markdown-it's time)."""
    parser = _parser()
    tokens = parser.parse(text)
    html = str(parser.renderer.render(tokens, parser.options, {})).strip()
    return html, tokens_to_text(tokens, width)


def tokens_to_text(tokens: list[Token], width: int = 72) -> str:
    """Paragraphs wrapped at `width`, links as 'text (url)', list items as '- item' or '1. item' on consecutive
    lines; URLs are never broken."""
    blocks: list[str] = []
    items: list[str] | None = None  # the lines of the list being read
    number = 0
    ordered = False
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            items, number, ordered = [], 0, token.type == "ordered_list_open"
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            blocks.append("\n".join(items or []))
            items = None
        elif token.type == "list_item_open":
            number += 1
        elif token.type == "inline":
            heading = index > 0 and tokens[index - 1].type == "heading_open"
            prefix = (f"{number}. " if ordered else "- ") if items is not None else ""
            wrapped = _wrap(_inline_text(token), width, prefix)
            if items is not None:
                items.append(wrapped)
            else:
                blocks.append(wrapped.upper() if heading else wrapped)
        elif token.type in ("code_block", "fence"):
            blocks.append(token.content.rstrip("\n"))
    return "\n\n".join(blocks)


def _wrap(text: str, width: int, prefix: str) -> str:
    """Wrap each hard-broken line on its own, so a Markdown line break stays a line break."""
    indent = " " * len(prefix)
    lines = text.split("\n")
    return "\n".join(
        textwrap.fill(
            line,
            width=width,
            initial_indent=prefix if number == 0 else indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        for number, line in enumerate(lines)
    )


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    href = ""
    link_text: list[str] = []
    for child in token.children or []:
        target = link_text if href else parts
        if child.type == "link_open":
            href = str(child.attrs.get("href", ""))
            link_text = []
        elif child.type == "link_close":
            label = "".join(link_text)
            parts.append(label if label == href else f"{label} ({href})")
            href = ""
        elif child.type in ("text", "code_inline"):
            target.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            target.append(" " if child.type == "softbreak" else "\n")
        elif child.type == "image":
            target.append(child.content)
    return "".join(parts)
