"""Find MJML mistakes by line, before mjml-python sees them.

mjml-python passes unknown tags through without a word and reports parse errors with no position (or a byte
offset), so a mistyped tag in a template would either vanish from the email or fail with no clue where.
"""

from __future__ import annotations

import re

# The MJML 4 elements mjml-python renders (mj-html-attributes is not supported, so it is not listed).
KNOWN_TAGS = frozenset(
    {
        "mjml",
        "mj-head",
        "mj-body",
        "mj-attributes",
        "mj-all",
        "mj-class",
        "mj-breakpoint",
        "mj-font",
        "mj-preview",
        "mj-style",
        "mj-title",
        "mj-raw",
        "mj-accordion",
        "mj-accordion-element",
        "mj-accordion-title",
        "mj-accordion-text",
        "mj-button",
        "mj-carousel",
        "mj-carousel-image",
        "mj-column",
        "mj-divider",
        "mj-group",
        "mj-hero",
        "mj-image",
        "mj-navbar",
        "mj-navbar-link",
        "mj-section",
        "mj-social",
        "mj-social-element",
        "mj-spacer",
        "mj-table",
        "mj-text",
        "mj-wrapper",
        "mj-include",
    }
)
# Inside these, content is HTML or CSS: MJML-looking text there is not structure.
_OPAQUE = (
    "mj-text",
    "mj-raw",
    "mj-style",
    "mj-button",
    "mj-table",
    "mj-preview",
    "mj-title",
    "mj-navbar-link",
    "mj-social-element",
    "mj-accordion-title",
    "mj-accordion-text",
)
# An MJML tag up to its '>'. Attribute values holding '>' are not worth a slower pattern: this runs on every
# render, and the simple one is ten times faster than one that tracks quotes.
_TAG = re.compile(r"<(/?)(mjml|mj-[a-z-]+)(?=[\s/>])[^>]*>")


def find_mjml_problem(source: str) -> tuple[int, str] | None:
    """(line, message) of the first unknown, unclosed or mismatched MJML tag, or None."""

    def line(offset: int) -> int:  # counted only for the message: counting per tag made the scan quadratic
        return source.count("\n", 0, offset) + 1

    stack: list[tuple[str, int]] = []  # (tag, offset where it opened)
    for match in _TAG.finditer(source):
        closing, name = match.group(1), match.group(2)
        inside = stack[-1][0] if stack else ""
        if not closing and (inside in _OPAQUE or inside == "mj-attributes"):
            continue  # HTML inside mj-text and the like; tag names as defaults inside mj-attributes
        if name not in KNOWN_TAGS:
            return line(match.start()), f"<{closing}{name}> is not an MJML tag"
        if match.group(0).endswith("/>"):
            continue
        if not closing:
            stack.append((name, match.start()))
        elif not stack:
            return line(match.start()), f"</{name}> closes a tag that was never opened"
        elif stack[-1][0] != name:
            opened, where = stack[-1]
            return line(
                match.start()
            ), f"</{name}> found where <{opened}> (opened at line {line(where)}) must be closed"
        else:
            stack.pop()
    if stack:
        opened, where = stack[-1]
        return line(where), f"<{opened}> is never closed"
    return None
