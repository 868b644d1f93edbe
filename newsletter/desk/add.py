"""`newsletter add`: an article read from its page (or a saved copy) and added to an issue file, in one call.

The page is read by desk/articles.py, the YAML edited by issue/edit.py; what the page did not give is said as
warnings, for the editor to fill in by hand.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from newsletter.desk.articles import read_article
from newsletter.desk.fetch import fetch_page
from newsletter.issue.edit import add_article, describe_missing

MIXED_INDENTATION = (
    "the file mixes indentation styles, so some lines were re-indented: check the change (e.g. with git diff)."
)


@dataclass(frozen=True)
class Added:
    said: str  # where the article went, for standard output
    warnings: list[str]  # what the editor should check or fill in, for standard error


def add_from_source(
    issue_path: Path,
    source: str,
    *,
    section: str | None = None,
    page_url: str = "",
    proxies: Mapping[str, str] | None = None,
) -> Added:
    """Read the article at `source` (an http(s) address, or a saved file whose address is `page_url`) and add it
    to `section` of the issue (the first one when None; a new one when no section has that heading).

    `proxies` are the proxies cli.py read from the environment (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY)."""
    fetch = functools.partial(fetch_page, proxies=proxies)
    draft = read_article(source, url=page_url, fetch=fetch)
    edit = add_article(issue_path, draft, section)
    where = "new section" if edit.created_section else "section"
    warnings = ([] if edit.exact else [MIXED_INDENTATION]) + describe_missing(draft)
    return Added(f"{issue_path}:{edit.line}: added '{draft.title}' to {where} '{edit.section}'.", warnings)
