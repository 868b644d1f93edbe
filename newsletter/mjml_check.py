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
# mj-attributes children name the tags they set defaults for (<mj-text ... />), and are always self-closing.
_TAG = re.compile(r"<(/?)(mjml|mj-[a-z-]+)\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>")


def find_mjml_problem(source: str) -> tuple[int, str] | None:
    """(line, message) of the first unknown, unclosed or mismatched MJML tag, or None."""
    stack: list[tuple[str, int]] = []
    position = 0
    while True:
        match = _TAG.search(source, position)
        if match is None:
            break
        position = match.end()
        closing, name, self_closing = match.group(1), match.group(2), match.group(3)
        line = source.count("\n", 0, match.start()) + 1
        inside = stack[-1][0] if stack else ""
        if inside in _OPAQUE and not closing:
            continue
        if inside == "mj-attributes" and not closing:
            continue
        if name not in KNOWN_TAGS:
            return line, f"<{closing}{name}> is not an MJML tag"
        if self_closing:
            continue
        if not closing:
            stack.append((name, line))
            continue
        if not stack:
            return line, f"</{name}> closes a tag that was never opened"
        if stack[-1][0] != name:
            opened, opened_line = stack[-1]
            return line, f"</{name}> found where <{opened}> (opened at line {opened_line}) must be closed"
        stack.pop()
    if stack:
        opened, opened_line = stack[-1]
        return opened_line, f"<{opened}> is never closed"
    return None
