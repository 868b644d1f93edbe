"""Reading an article's title, summary, image, author and site from its web page or a saved text file.

Parsing is pure (text in, ArticleDraft out); only `read_article` does I/O (fetch.py fetches). Metadata is trusted in
the order publishers maintain it: OpenGraph (what social sites show, so editors keep it right), Twitter card,
JSON-LD, then the plain HTML (<title>, meta description, the first paragraph).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from newsletter.clean import find_unsafe, show
from newsletter.desk.fetch import MAX_BYTES, FetchedPage, address_problem, check_address, decode_html, fetch_page
from newsletter.desk.pagemeta import clean_text, find_jsonld_article, jsonld_image, jsonld_names, parse_page
from newsletter.errors import FetchError
from newsletter.issue.model import ArticleDraft

SUMMARY_WORDS = 60
MAX_URL = 2000  # characters: longer addresses break in mail clients and are not an article's

# fmt: off
# Words whose final period does not end a sentence ("Mr. Putin", "U.S. sanctions").
ABBREVIATIONS = frozenset(("mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "col", "lt", "sgt", "capt", "gov",
                           "sen", "rep", "rev", "hon", "no", "nos", "vs", "etc", "approx", "fig", "inc", "ltd", "co",
                           "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
                           "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m"))
# fmt: on
# A scraped image id glued to the first paragraph: "china_russia_economy_ap_img_0Russian President ...".
IMAGE_ID = re.compile(r"^([a-z0-9]+(?:_[a-z0-9]+)+)(?=[A-Z\"“‘'(])")
TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ")


def split_sentences(text: str) -> list[str]:
    """Sentences of plain prose; a period after an abbreviation or an initial does not end one."""
    words = clean_text(text).split(" ")
    sentences: list[str] = []
    current: list[str] = []
    for index, word in enumerate(words):
        current.append(word)
        following = words[index + 1] if index + 1 < len(words) else ""
        stripped = word.rstrip("\"'”’)]")
        if not stripped.endswith((".", "!", "?")):
            continue
        bare = stripped.rstrip(".!?").lstrip("\"'“‘([").lower()
        is_initial = len(bare) == 1 and bare.isalpha()
        if stripped.endswith(".") and (bare in ABBREVIATIONS or is_initial):
            continue
        if following and not (following[0].isupper() or following[0].isdigit() or following[0] in "\"“‘'("):
            continue
        sentences.append(" ".join(current))
        current = []
    if current and current != [""]:
        sentences.append(" ".join(current))
    return sentences


def trim_summary(text: str, max_words: int = SUMMARY_WORDS) -> str:
    """Whole sentences from the start of `text`, up to about `max_words` words; never rewords anything.

    A first sentence longer than 1.5 x max_words is cut at a word and marked with an ellipsis."""
    sentences = split_sentences(text)
    kept: list[str] = []
    count = 0
    for sentence in sentences:
        words = len(sentence.split())
        if kept and count + words > max_words:
            break
        kept.append(sentence)
        count += words
    if kept and count > max_words * 3 // 2:
        return " ".join(" ".join(kept).split()[:max_words]).rstrip(",;:") + " …"
    return " ".join(kept)


def escape_markdown(text: str) -> str:
    """Plain text made safe as a Markdown paragraph: no stray emphasis, links, HTML, entities or list markers."""
    escaped = re.sub(r"([\\`*\[\]<])", r"\\\1", text)
    escaped = re.sub(r"&(?=#?\w+;)", r"\\&", escaped)
    # An underscore inside a word (snake_case) is literal in CommonMark; only flanking ones need escaping.
    escaped = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", escaped)
    escaped = re.sub(r"^(\d+)([.)])(?=\s)", r"\1\\\2", escaped)
    return re.sub(r"^(?:[#+-](?=\s)|>)", r"\\\g<0>", escaped)


def strip_site_name(title: str, site_name: str) -> str:
    """'Putin to meet ... | India Writes Network' -> 'Putin to meet ...' when the site name is known."""
    if site_name:
        for separator in TITLE_SEPARATORS:
            suffix = separator + site_name
            if title.lower().endswith(suffix.lower()) and len(title) > len(suffix):
                return title[: -len(suffix)].strip()
    return title


def host_name(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _first(*values: str) -> str:
    return next((clean_text(v) for v in values if v and clean_text(v)), "")


def _text(value: object) -> str:
    """A JSON-LD value that should be text; anything else (a list, an object) counts as absent."""
    return value if isinstance(value, str) else ""


def _absolute(url: str, base: str) -> str:
    """`url` resolved against `base`; '' unless the result is an http(s) address."""
    url = url.strip()
    if not url:
        return ""
    try:
        resolved = urljoin(base, url) if base else url
        parts = urlsplit(resolved)
        parts.port  # noqa: B018  # raises for a port that is not a number from 0 to 65535
    except ValueError:  # an unclosed '[' in the host, a port of letters: not an address
        return ""
    # A page's address with a space, a control character or a line break in it is not one to put in the issue.
    if find_unsafe(resolved) or any(ch.isspace() for ch in resolved) or len(resolved) > MAX_URL:
        return ""
    return resolved if parts.scheme in ("http", "https") and parts.netloc else ""


def _same_site(url: str, page_url: str) -> bool:
    return bool(url) and (not page_url or host_name(url) == host_name(page_url))


def parse_html_page(html: str, page_url: str = "") -> ArticleDraft:
    """The article's metadata from an HTML page; `page_url` resolves relative links (may be '' for a file)."""
    parser = parse_page(html)
    meta = parser.meta
    ld = find_jsonld_article(parser.jsonld)
    ld_image, ld_caption = jsonld_image(ld)

    # The canonical address wins over the one fetched (tracking parameters, mobile hosts), but only on the same
    # site: a page claiming another site's address is more likely wrong than right.
    canonical = _first(parser.canonical, meta.get("og:url", ""), _text(ld.get("url")))
    canonical = _absolute(canonical, page_url)
    url = canonical if _same_site(canonical, page_url) else page_url
    base = (_absolute(parser.base_href, url or page_url) if parser.base_href else "") or page_url or url

    # A <title> is usually "Headline | Site": with the page's <h1> that tells both apart.
    title_site = ""
    plain_title = parser.title
    if parser.h1 and plain_title.startswith(parser.h1):
        title_site = re.sub(r"^\s*[|–—:·-]+\s*", "", plain_title[len(parser.h1) :]) if plain_title != parser.h1 else ""
        plain_title = parser.h1
    site_name = _first(meta.get("og:site_name", ""), jsonld_names(ld.get("publisher")), title_site)
    title = _first(meta.get("og:title", ""), meta.get("twitter:title", ""), _text(ld.get("headline")))
    title = strip_site_name(title or _first(_text(ld.get("name")), plain_title or parser.h1), site_name)
    description = _first(
        meta.get("og:description", ""),
        meta.get("twitter:description", ""),
        _text(ld.get("description")),
        meta.get("description", ""),
    )
    if not description:
        description = " ".join(parser.paragraphs()[:2])

    # Each image with the alt text given for that image: an alt from one source never describes another's image.
    pairs = [
        (_first(meta.get("og:image:secure_url", ""), meta.get("og:image", ""), meta.get("og:image:url", "")),
         meta.get("og:image:alt", "")),
        (_first(meta.get("twitter:image", ""), meta.get("twitter:image:src", "")), meta.get("twitter:image:alt", "")),
        (ld_image, ld_caption),
        (parser.image_src, ""),
    ]  # fmt: skip
    notes: list[str] = []
    resolved = [(_absolute(image, base), alt) for image, alt in pairs]
    image = next((image for image, _ in resolved if image), "")
    image_alt = next((clean_text(alt) for img, alt in resolved if img == image and clean_text(alt)), "")
    relative = next((raw for raw, _ in pairs if raw and not _absolute(raw, base)), "")
    if not image and relative and not base:
        notes.append(f"the page names the image '{relative}' without its address: pass --url with the page's address")

    # article:author is often a profile URL and twitter:creator a @handle: neither is a byline.
    og_author = meta.get("article:author", "")
    author = _first("" if "://" in og_author else og_author, jsonld_names(ld.get("author")), meta.get("author", ""))
    if not site_name and url:
        site_name = host_name(url)
        notes.append(f"no site name on the page: used its host '{site_name}' as the source")
    return ArticleDraft(
        title=title,
        url=url,
        summary=escape_markdown(trim_summary(description)),
        image=image,
        image_alt=image_alt,
        author=author,
        source=site_name,
        notes=tuple(notes),
    )


def parse_text_article(text: str, url: str = "") -> ArticleDraft:
    """An article saved as text: title on the first line, body paragraphs, then an 'Author Profile' block."""
    lines = text.replace("\r\n", "\n").lstrip("\ufeff").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    title = clean_text(lines[0]) if lines else ""
    paragraphs = [clean_text(p) for p in re.split(r"\n\s*\n", "\n".join(lines[1:])) if p.strip()]
    body: list[str] = []
    for paragraph in paragraphs:
        if paragraph.lower().rstrip(":") == "author profile":
            break
        body.append(paragraph)
    profile = _profile_lines(lines)
    notes: list[str] = []
    if body:
        match = IMAGE_ID.match(body[0])
        if match:
            body[0] = body[0][match.end() :]
            notes.append(f"the text names the image '{match.group(1)}': put that image's address in 'image'")
    author = profile[0] if profile else ""
    return ArticleDraft(
        title=title,
        url=url,
        summary=escape_markdown(trim_summary(" ".join(body[:2]))),
        author=author,
        notes=tuple(notes),
    )


def _profile_lines(lines: list[str]) -> list[str]:
    """The non-empty lines after the 'Author Profile' line: the author's name comes first."""
    for index, line in enumerate(lines):
        if line.strip().lower().rstrip(":") == "author profile":
            return [clean_text(rest) for rest in lines[index + 1 :] if rest.strip()]
    return []


def read_article(source: str, *, url: str = "", fetch: Callable[[str], FetchedPage] = fetch_page) -> ArticleDraft:
    """An ArticleDraft from an http(s) address or a saved .html/.htm/.txt file (`url`: that file's web address)."""
    problem = address_problem(url) if url else ""
    if problem:
        raise FetchError(f"--url '{show(url[:200])}' {problem}: give the article's full https:// address.")
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source):
        check_address(source, source)
        page = fetch(source)
        draft = parse_html_page(page.html, page.url)
    else:
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix not in (".html", ".htm", ".txt"):
            raise FetchError(
                f"{source}: not a web address or a .html, .htm or .txt file: give an https:// URL or a saved page."
            )
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError as error:
            raise FetchError(f"{source}: cannot read the file ({error.strerror}).") from None
        if len(data) > MAX_BYTES:
            raise FetchError(
                f"{source}: the file is larger than {MAX_BYTES // 1048576} MB, which no article page is: check that "
                "it is the article's saved page."
            )
        if suffix == ".txt":
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise FetchError(f"{source}: the file is not UTF-8 text: save it as UTF-8 and add it again.") from None
            draft = parse_text_article(text, url)
        else:
            draft = parse_html_page(decode_html(data), url)
            if url:
                draft = replace(draft, url=url)
    if not draft.title:
        raise FetchError(f"{source}: found no title in it (is it the article itself, not a log-in or cookie page?).")
    return draft
