"""Render an issue once: Jinja2 -> MJML -> mjml-python -> premailer -> HTML, and a text part from its own template.

The output still holds the per-reader placeholders (see personalize.py): personalising is substitution, so a
send of 1,000,000 copies renders once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import traceback
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from newsletter.config import Config
from newsletter.errors import RenderError
from newsletter.issue.model import Article, Issue
from newsletter.message.personalize import break_placeholders
from newsletter.render.markdown import md_to_both
from newsletter.render.mjml_check import find_mjml_problem
from newsletter.templating import template_environment

HTML_TEMPLATE = "issue.mjml.j2"
TEXT_TEMPLATE = "issue.txt.j2"
# The card image fills the 600 px column; a brief's thumbnail sits beside its text. Only widths are set: the
# height follows each image's own shape (inline height:auto), so no client can stretch it.
IMAGE_WIDTH = 600
THUMB_WIDTH = 96
# From this many stories on, the issue opens with a list of its headlines.
CONTENTS_FROM = 4

# Colours, checked for WCAG AA contrast (4.5:1) by tests/test_browser.py in light mode, in dark mode (Apple Mail,
# Outlook.com) and under the Gmail apps' own inversion of the light palette.
COLORS = {
    "page": "#f3f1ec",
    "card": "#ffffff",
    "masthead": "#14213d",
    "masthead_muted": "#d5dbe6",
    "text": "#1f2328",
    "title": "#14213d",
    "muted": "#555b63",
    "accent": "#8a1c1c",
    "link": "#1d4e89",
    "rule": "#dedad2",
    "image_bg": "#e4e1d8",
}
DARK = {
    "page": "#0f1216",
    "card": "#1a1f26",
    # At least 1.5:1 against the page (1.87:1), so the brand band stays a band in dark mode.
    "masthead": "#2b4170",
    "masthead_muted": "#d5dbe6",
    "text": "#e6e8eb",
    "title": "#f2f4f7",
    "muted": "#aab3bf",
    "accent": "#f0a3a3",
    "link": "#9cc8ff",
    "rule": "#343b46",
    "image_bg": "#2a313b",
}
# Zero-width non-joiners and spaces after the preheader stop inbox previews pulling in the body text.
PREVIEW_PADDING = "\u200c\u00a0" * 60


@dataclass(frozen=True)
class RenderedIssue:
    issue: Issue
    subject: str
    mjml: str
    html: str
    text: str
    content_hash: str


def view_url(config: Config, issue: Issue) -> str:
    """The issue's public web version in the archive (archive.py writes it there)."""
    base = config.newsletter.archive_url
    if not base:
        return ""
    return f"{base.rstrip('/')}/{issue.slug}.html"


def format_date(issue: Issue) -> str:
    return f"{issue.date.day} {issue.date:%B %Y}"


def byline(source: str, author: str) -> str:
    parts = [part for part in (source, author) if part]
    if len(parts) == 2 and parts[0].casefold() == parts[1].casefold():
        parts = parts[:1]
    return " \u00b7 ".join(parts)


def inert_value(value: Any) -> Any:
    """Every {{ value }} a template writes, with no placeholder in it: a title reading "%%name%%" (written by the
    editor or scraped from a page) stays that text for every reader; only the placeholders the template itself
    holds are filled in per reader (personalize.py)."""
    if isinstance(value, Markup):
        return Markup(break_placeholders(str(value)))
    if isinstance(value, str):
        return break_placeholders(value)
    return value


def site_name(url: str) -> str:
    """'indiawrites.org' for https://www.indiawrites.org/...: what a text link opens, said in its words."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _article_context(article: Article, lead: bool) -> dict[str, Any]:
    summary_html, summary_text = md_to_both(article.summary)
    return {
        "title": article.title,
        "url": article.url,
        "image": article.image,
        "image_alt": article.image_alt,
        "byline": byline(article.source, article.author),
        "summary_html": Markup(summary_html),
        "summary_text": summary_text,
        "site": site_name(article.url),
        "lead": lead,
    }


def build_context(issue: Issue, config: Config, web_copy: bool = False) -> dict[str, Any]:
    """What the templates see. `web_copy` is the archive's page: it is already in the browser, so it carries no
    "view in browser" line."""
    first = issue.sections[0] if issue.sections else None
    lead = first.articles[0] if first is not None and first.articles and first.layout == "cards" else None
    sections = [
        {
            "heading": section.heading,
            "layout": section.layout,
            "articles": [_article_context(article, article is lead) for article in section.articles],
        }
        for section in issue.sections
    ]
    intro_html, intro_text = md_to_both(issue.intro)
    sign_off_html, sign_off_text = md_to_both(issue.sign_off) if issue.sign_off else ("", "")
    return {
        "issue": issue,
        "newsletter": config.newsletter,
        "issue_date": format_date(issue),
        "view_url": "" if web_copy else view_url(config, issue),
        "intro_html": Markup(intro_html),
        "intro_text": intro_text,
        "sign_off_html": Markup(sign_off_html),
        "sign_off_text": sign_off_text,
        "sections": sections,
        "contents": len(issue.articles) >= CONTENTS_FROM,
        "colors": COLORS,
        "dark": DARK,
        "image_width": IMAGE_WIDTH,
        "thumb_width": THUMB_WIDTH,
        "preview_padding": PREVIEW_PADDING,
    }


def render_template(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as error:
        where = error.filename or error.name or name
        raise RenderError(f"{where}:{error.lineno}: {error.message}: fix the template there.") from None
    except jinja2.TemplateError as error:
        where = _template_frame(error) or name
        raise RenderError(f"{where}: {error}: fix the template or the issue's data.") from None


def _template_frame(error: BaseException) -> str:
    """'file:line' of the innermost template frame: Jinja rewrites tracebacks to point into templates."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename.endswith((".j2", ".css"))]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def mjml_to_html(source: str, template: str) -> str:
    from mjml import mjml2html

    problem = find_mjml_problem(source)
    if problem is not None:
        line, message = problem
        raise RenderError(f"{template}: MJML error at line {line} of the generated MJML: {message}: fix the template.")
    try:
        return str(mjml2html(source))
    except BaseException as error:
        # mjml-python can raise pyo3's PanicException, which is not an Exception subclass.
        if isinstance(error, KeyboardInterrupt | SystemExit):
            raise
        raise RenderError(
            f"{template}: MJML error {_mjml_place(source, str(error))}: fix the template there."
        ) from None


def _mjml_place(source: str, message: str) -> str:
    """mjml-python reports byte offsets; turn one into the line of the generated MJML it points at."""
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    found = re.search(r"(?:position|offset|at)\D{0,3}(\d+)", message)
    if not found:
        return f"({first})"
    offset = int(found.group(1))
    line = source.encode("utf-8")[:offset].count(b"\n") + 1
    return f"at MJML line {line} ({first})"


def inline_css(html: str) -> str:
    """Inline CSS into style attributes with premailer, keeping what premailer would break.

    premailer drops the doctype (quirks mode shifts the layout) and, by default, downloads every stylesheet
    <link>; @media blocks (mobile and dark mode) stay in a <style> block, and font <link>s stay in place.
    """
    from premailer import Premailer

    doctype = "<!doctype html>" if html.lstrip().lower().startswith("<!doctype html>") else ""
    # Like MJML's own juice step, inline only the CSS the template marks for inlining; mjml's reset and
    # responsive blocks stay in <head> as they are. This also keeps premailer (cssutils) from re-parsing and
    # re-serialising them, which was 90% of its time.
    html = _STYLE_TAG.sub(_mark_style, html)
    inlined: str = Premailer(
        html,
        allow_network=False,
        keep_style_tags=False,
        strip_important=False,
        remove_classes=False,
        disable_validation=True,
        exclude_pseudoclasses=True,
        cssutils_logging_level=logging.CRITICAL,
        cache_css_parsing=True,
        # premailer copies CSS widths into attributes: 'width:100%' would overwrite an image's width="600",
        # which Outlook needs to size it.
        disable_basic_attributes=["width", "height"],
        # Our images never float; the check parses every image's style with cssutils, the slowest step.
        align_floating_images=False,
    ).transform()
    inlined = inlined.replace(' data-premailer="ignore"', "")
    if doctype and not inlined.lstrip().lower().startswith("<!doctype"):
        inlined = f"{doctype}\n{inlined}"
    return inlined


_STYLE_TAG = re.compile(r"<style\b([^>]*)>(\s*)(/\* inline \*/)?")


def _mark_style(match: re.Match[str]) -> str:
    if match.group(3):
        return match.group(0)
    return f'<style{match.group(1)} data-premailer="ignore">{match.group(2)}'


def content_hash(subject: str, html: str, text: str) -> str:
    digest = hashlib.sha256()
    for part in (subject, html, text):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def render_issue(issue: Issue, config: Config, web_copy: bool = False) -> RenderedIssue:
    """The email (or, with `web_copy`, the archive's page of it: the same without the "view in browser" line)."""
    env = template_environment(config.templates_dir, "issue", inert_value)
    context = build_context(issue, config, web_copy)
    mjml_source = render_template(env, HTML_TEMPLATE, context)
    html = inline_css(mjml_to_html(mjml_source, HTML_TEMPLATE))
    text = render_template(env, TEXT_TEMPLATE, context).strip() + "\n"
    return RenderedIssue(
        issue=issue,
        subject=issue.subject,
        mjml=mjml_source,
        html=html,
        text=text,
        content_hash=content_hash(issue.subject, html, text),
    )
