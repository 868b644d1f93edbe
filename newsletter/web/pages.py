"""The web app's pages and its confirmation email: Jinja templates under templates/web/, the publication's own
templates/web/ first, the package's second. HTML is autoescaped: whatever a page echoes (an address, a name) is
escaped once, there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.responses import HTMLResponse, Response

from newsletter.config import Config

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


class Pages:
    def __init__(self, config: Config, base_path: str) -> None:
        loader = jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(str(config.templates_dir)), jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES))]
        )
        self.html = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
        self.text = jinja2.Environment(
            loader=loader, autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
        )
        self.common = {"newsletter": config.newsletter, "base": base_path}
        self.stylesheet = loader.get_source(self.html, "web/web.css")[0].encode("utf-8")

    def render(self, template: str, **values: Any) -> str:
        return self.html.get_template(f"web/{template}.html.j2").render(**self.common, **values)

    def page(self, template: str, status: int = 200, headers: dict[str, str] | None = None, **values: Any) -> Response:
        return HTMLResponse(self.render(template, **values), status_code=status, headers=headers)

    def problem(self, status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Response:
        return self.page("problem", status, headers, title=title, message=message)

    def mail_text(self, template: str, **values: Any) -> str:
        return self.text.get_template(f"web/{template}.txt.j2").render(**values)
