"""The one place templates are found and compiled, for the issue, the pages (preview, archive, web app) and the
emails the inbox and the web app send.

The publication's own templates/ come first, the package's built-ins second (Pelican's theme lookup). An
environment is built once per folder and kind and kept: Jinja recompiles a template whose file changed, and the
loader here also retires a built-in as soon as the publication saves a template of the same name, which Jinja's
own check (the loaded file's modification time) never notices. So a long-running preview or web app picks up a
new override without a restart, and nothing needs to clear a cache.
"""

from __future__ import annotations

import functools
import os
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import jinja2
from jinja2.loaders import split_template_path

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
# issue: MJML (escaped for HTML) and the text part, in one environment; html: pages; text: emails' plain text.
Kind = Literal["issue", "html", "text"]


class OverridableLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader whose templates also go stale when a file of the same name appears earlier in the search
    path (a new override of a built-in)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        pieces = split_template_path(template)
        candidates = [os.path.normpath(posixpath.join(folder, *pieces)) for folder in self.searchpath]
        earlier = candidates[: candidates.index(filename)] if filename in candidates else []

        def current() -> bool:
            return uptodate() and not any(os.path.isfile(path) for path in earlier)

        return source, filename, current


@functools.lru_cache(maxsize=32)
def template_environment(
    templates_dir: Path | None, kind: Kind, finalize: Callable[[Any], Any] | None = None
) -> jinja2.Environment:
    """The environment for `kind` over the publication's `templates_dir` (it need not exist yet) and the built-ins.

    Strict: a name a template uses that its data lacks is an error, never an empty string."""
    search = [str(folder) for folder in (templates_dir, PACKAGE_TEMPLATES) if folder is not None]
    options: dict[str, Any] = {"loader": OverridableLoader(search), "undefined": jinja2.StrictUndefined}
    if kind == "issue":
        options["autoescape"] = jinja2.select_autoescape(enabled_extensions=("mjml.j2", "html.j2"), default=False)
        options["keep_trailing_newline"] = True
    elif kind == "html":
        options["autoescape"] = True
    else:
        options["autoescape"] = False
        options["keep_trailing_newline"] = True
    if finalize is not None:
        options["finalize"] = finalize
    return jinja2.Environment(**options)
