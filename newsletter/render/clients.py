"""`newsletter check --clients`: which HTML and CSS features of the rendered issue the major mail clients drop, and
whether the design still holds there.

The support data is caniemail.com's (https://www.caniemail.com/, by Rémi Parmentier and contributors), cut down to
the features this tool detects and the clients below, in newsletter/data/caniemail.json; newsletter/data/README.md
says where it came from, when, and under which licence. The features are found in the HTML itself, so a
publication's own templates are reported as faithfully as the built-in ones.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data" / "caniemail.json"

# caniemail family/platform -> the name readers know. The clients most of this publication's readers use.
CLIENTS = {
    "apple-mail/macos": "Apple Mail (macOS)",
    "apple-mail/ios": "Apple Mail (iOS)",
    "gmail/desktop-webmail": "Gmail (web)",
    "gmail/ios": "Gmail (iOS app)",
    "gmail/android": "Gmail (Android app)",
    "gmail/mobile-webmail": "Gmail (mobile web)",
    "outlook/windows": "Outlook (Windows)",
    "outlook/macos": "Outlook (macOS)",
    "outlook/outlook-com": "Outlook.com",
    "outlook/ios": "Outlook (iOS)",
    "outlook/android": "Outlook (Android)",
    "yahoo/desktop-webmail": "Yahoo Mail (web)",
    "yahoo/ios": "Yahoo Mail (iOS)",
    "yahoo/android": "Yahoo Mail (Android)",
    "samsung-email/android": "Samsung Email (Android)",
    "thunderbird/macos": "Thunderbird",
}

# What happens to this design where a feature is missing, for the features whose absence changes something a
# reader sees. Each was checked where it could be: tests/test_browser.py renders the issue without its <style>
# block (no media queries, no dark rules, no classes) and with images off. `True`: the design holds.
FALLBACKS: dict[str, tuple[bool, str]] = {
    "html-style": (True, "inline styles alone keep the layout fluid and every image in its shape (tested without it)"),
    "css-at-media": (True, "no phone sizes for headlines and thumbnails; the layout stays fluid"),
    "css-at-media-prefers-color-scheme": (
        True,
        "no designed dark palette: the client shows the light design or darkens it itself, and its colours keep "
        "4.5:1 under the Gmail apps' inversion",
    ),
    "html-meta-color-scheme": (True, "the client may darken the email itself; its colours survive inversion"),
    "css-selector-attribute": (True, "the [data-ogsc]/[data-ogsb] dark rules go unused; only Outlook.com needs them"),
    "css-selector-class": (True, "the <style> rules go unused, as without the <style> block"),
    "css-selector-descendant": (True, "the <style> rules go unused, as without the <style> block"),
    "css-selector-child": (True, "the <style> rules go unused, as without the <style> block"),
    "css-selector-grouping": (True, "the <style> rules go unused, as without the <style> block"),
    "css-selector-type": (True, "the <style> rules go unused, as without the <style> block"),
    "css-important": (True, "the <style> rules cannot override inline styles: as without the <style> block"),
    "css-max-width": (True, "MJML's fixed 600 px tables for Outlook take over"),
    "css-width": (True, "the width attributes MJML writes take over"),
    "css-height": (True, "images keep the height their width gives them"),
    "css-display": (True, "stand-alone links lose their 44 px tap box but stay links; preheader hidden otherwise"),
    "css-display-none": (True, "the preheader stays hidden by its zero size and opacity"),
    "css-padding": (True, "tighter spacing inside links and cells"),
    "css-margin": (True, "tighter spacing between paragraphs"),
    "css-background-color": (True, "the client's own background shows; text colours stay dark on light"),
    "css-background": (True, "the client's own background shows; text colours stay dark on light"),
    "css-border": (True, "the rules between briefs and above headings are not drawn"),
    "css-border-collapse": (True, "a pixel more space around table cells"),
    "css-border-spacing": (True, "a pixel more space around table cells"),
    "css-line-height": (True, "the client's line spacing"),
    "css-letter-spacing": (True, "small capitals set tighter"),
    "css-text-transform": (True, "labels in the case they are written"),
    "css-text-align": (True, "text and alt text aligned left"),
    "css-text-decoration": (True, "headline links underlined"),
    "css-vertical-align": (True, "a thumbnail may sit lower beside its brief"),
    "css-word-break": (True, "a long address may widen its cell on a phone"),
    "css-font-size": (True, "the client's text sizes"),
    "css-font-weight": (True, "headlines in the client's weight"),
    "css-direction": (True, "left-to-right, as the text is"),
    "css-opacity": (True, "the preheader stays hidden by its zero size"),
    "css-overflow": (True, "the preheader stays hidden by its zero size"),
    "css-max-height": (True, "the preheader stays hidden by display:none"),
    "css-unit-percent": (True, "the width attributes take over"),
    "html-align": (True, "centred by CSS instead"),
    "html-valign": (True, "aligned by CSS instead"),
    "html-width": (True, "sized by CSS instead"),
    "html-cellpadding": (True, "spacing from CSS instead"),
    "html-cellspacing": (True, "spacing from CSS instead"),
    "html-role": (True, "screen readers may announce layout tables"),
    "html-lang": (True, "screen readers guess the language"),
    "html-dir": (True, "left-to-right, as the text is"),
    "html-comments": (True, "Outlook's conditional comments are ignored, as they are meant to be elsewhere"),
    "html-doctype": (True, "the client's own document mode; the layout does not rely on it"),
    "html-mailto-links": (True, "the address is still written out beside the link"),
    "html-h1-h6": (True, "headings in the client's own size, or as the inline styles set"),
    "html-lists": (True, "the contents list without bullets"),
    "html-strong": (True, "lead-ins in the normal weight"),
    "html-body": (True, "the page colour is set on the wrapper inside <body> as well"),
    "css-outline": (True, "a focus outline could show around an image; none is a link"),
    "css-word-spacing": (True, "the client's default word spacing, which is what the reset asks for"),
    "html-aria-label": (True, "screen readers do not announce the email's title; the subject names it"),
    "html-img": (True, "alt text on a short placeholder instead of each image (tested with images off)"),
}


@dataclass(frozen=True)
class Gap:
    feature: str  # caniemail slug
    title: str
    support: str  # "n" (not supported), "a" (partial), "u" (unknown)
    notes: tuple[str, ...]
    holds: bool | None  # None: this design's fallback for it is not assessed
    fallback: str


@dataclass(frozen=True)
class ClientReport:
    client: str
    name: str
    gaps: tuple[Gap, ...]

    @property
    def verdict(self) -> str:
        if any(gap.holds is False for gap in self.gaps):
            return "breaks"
        if any(gap.holds is None for gap in self.gaps):
            return "is not assessed"
        return "holds"


@lru_cache(maxsize=1)
def load_support() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


class _FeatureScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: set[str] = set()
        self.styles: list[str] = []
        self._in_style = False

    def handle_decl(self, decl: str) -> None:
        if decl.lower().startswith("doctype"):
            self.found.add("html-doctype")

    def handle_comment(self, data: str) -> None:
        self.found.add("html-comments")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.update(_TAGS.get(tag, ()))
        values = dict(attrs)
        for name in values:
            if name in _ATTRIBUTES:
                self.found.add(_ATTRIBUTES[name])
        if tag == "meta" and (values.get("name") or "").lower() in ("color-scheme", "supported-color-schemes"):
            self.found.add("html-meta-color-scheme")
        if tag == "a" and (values.get("href") or "").lower().startswith("mailto:"):
            self.found.add("html-mailto-links")
        if tag == "img":
            extension = (values.get("src") or "").rsplit(".", 1)[-1].lower()
            self.found.add({"jpeg": "image-jpg"}.get(extension, f"image-{extension}"))
        if values.get("style"):
            self.found.update(css_features(values["style"] or ""))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


_TAGS = {
    "style": ("html-style",),
    "img": ("html-img",),
    "table": ("html-table",),
    "p": ("html-p",),
    "div": ("html-div",),
    "span": ("html-span",),
    "ul": ("html-lists",),
    "ol": ("html-lists",),
    "strong": ("html-strong",),
    "b": ("html-strong",),
    "body": ("html-body",),
    **{f"h{level}": ("html-h1-h6",) for level in range(1, 7)},
}
_ATTRIBUTES = {
    "role": "html-role",
    "lang": "html-lang",
    "dir": "html-dir",
    "align": "html-align",
    "valign": "html-valign",
    "width": "html-width",
    "height": "html-height",
    "cellpadding": "html-cellpadding",
    "cellspacing": "html-cellspacing",
    "aria-hidden": "html-aria-hidden",
    "aria-label": "html-aria-label",
}
# Longhands reported under the shorthand caniemail tests.
_PROPERTY_FAMILY = {
    "border-top": "border",
    "border-bottom": "border",
    "border-left": "border",
    "border-right": "border",
    "border-color": "border",
    "border-top-color": "border",
    "padding-top": "padding",
    "padding-bottom": "padding",
    "padding-left": "padding",
    "padding-right": "padding",
    "margin-top": "margin",
    "margin-bottom": "margin",
    "margin-left": "margin",
    "margin-right": "margin",
}
_DECLARATION = re.compile(r"(?<![\w-])([a-z-]+)\s*:\s*([^;{}]*)", re.IGNORECASE)


def css_features(css: str) -> set[str]:
    """caniemail slugs for the properties, values and units of a run of CSS declarations."""
    found: set[str] = set()
    for name, value in _DECLARATION.findall(css):
        name = name.lower()
        if name.startswith(("mso-", "-webkit-", "-ms-", "-moz-")):
            continue  # vendor properties are for one client each, and ignored by the rest
        family = _PROPERTY_FAMILY.get(name, name)
        if family == "display":
            kind = value.strip().lower().split()[0] if value.strip() else ""
            found.add(
                {"none": "css-display-none", "flex": "css-display-flex", "grid": "css-display-grid"}.get(
                    kind, "css-display"
                )
            )
        else:
            found.add(f"css-{family}")
        if "!important" in value:
            found.add("css-important")
        if re.search(r"\d%", value):
            found.add("css-unit-percent")
        if re.search(r"\dpx", value):
            found.add("css-unit-px")
    return found


def stylesheet_features(css: str) -> set[str]:
    """Features of a <style> block: its at-rules, its selectors, and its declarations."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    found = css_features(re.sub(r"@media[^{]*\{", "{", css))  # a media query's (min-width: ...) is no property
    if "@media" in css:
        found.add("css-at-media")
    if "prefers-color-scheme" in css:
        found.add("css-at-media-prefers-color-scheme")
    for selector_list in re.findall(r"(?:^|[{}])\s*([^{}@]+?)\s*\{", css):
        for selector in selector_list.split(","):
            if "," in selector_list:
                found.add("css-selector-grouping")
            selector = selector.strip()
            if "[" in selector:
                found.add("css-selector-attribute")
            if "." in selector:
                found.add("css-selector-class")
            if ">" in selector:
                found.add("css-selector-child")
            if re.search(r"[\w\]]\s+[.\w\[]", selector.replace(">", " ")):
                found.add("css-selector-descendant")
            if re.match(r"^[a-z]", selector) or re.search(r"[\s>]\s*[a-z]+\b", selector):
                found.add("css-selector-type")
    return found


def find_features(html: str) -> set[str]:
    """Every caniemail feature the HTML uses."""
    scanner = _FeatureScanner()
    scanner.feed(html)
    scanner.close()
    found = set(scanner.found)
    for block in scanner.styles:
        found |= stylesheet_features(block)
    return found


def report_clients(html: str) -> list[ClientReport]:
    """Per major client: the features of `html` it does not (or only partly) support, and what that does."""
    data = load_support()
    used = find_features(html)
    reports = []
    for client, name in CLIENTS.items():
        gaps = []
        for slug in sorted(used):
            feature = data["features"].get(slug)
            if feature is None:
                if slug in data["all_features"]:  # caniemail tests it, but its data is not shipped here
                    gaps.append(Gap(slug, slug, "u", (), None, "support data not shipped with newsletter"))
                continue  # caniemail has no page for it (font-family, color): supported everywhere
            support, notes = feature["support"].get(client, ["u", []])
            if support == "y":
                continue
            holds, fallback = FALLBACKS.get(slug, (None, "not assessed for this design"))
            gaps.append(Gap(slug, feature["title"], support, tuple(notes), holds, fallback))
        reports.append(ClientReport(client, name, tuple(gaps)))
    return reports


SUPPORT_WORDS = {"n": "not supported", "a": "partly supported", "u": "support unknown"}


def format_reports(reports: list[ClientReport]) -> list[str]:
    """The report as lines for the terminal: per client its verdict, what it does not support and what that does
    to this design, and the names of what it supports only in part (--json has every note)."""
    source = load_support()["source"]
    lines = [
        f"Client support of the rendered HTML (data: {source['name']}, {source['url']}, {source['licence']}, "
        f"as of {source['date']}):"
    ]
    for report in reports:
        lines.append(
            f"  {report.name}: the design {report.verdict}"
            + ("." if report.gaps else "; every feature used is supported.")
        )
        for gap in report.gaps:
            if gap.support != "a":
                lines.append(f"    - {gap.title}: {SUPPORT_WORDS.get(gap.support, gap.support)}: {gap.fallback}.")
        partial = [gap.title for gap in report.gaps if gap.support == "a"]
        if partial:
            lines.append(f"    - partly supported: {', '.join(partial)}.")
    return lines


def reports_as_json(reports: list[ClientReport]) -> dict[str, Any]:
    return {
        "source": load_support()["source"],
        "clients": [
            {
                "client": report.client,
                "name": report.name,
                "verdict": report.verdict,
                "gaps": [
                    {
                        "feature": gap.feature,
                        "title": gap.title,
                        "support": gap.support,
                        "notes": list(gap.notes),
                        "holds": gap.holds,
                        "fallback": gap.fallback,
                    }
                    for gap in report.gaps
                ],
            }
            for report in reports
        ],
    }
