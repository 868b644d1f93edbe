"""The web app's pages: Jinja templates under templates/web/, the publication's own
templates/web/ first, the package's second. HTML is autoescaped: whatever a page echoes (an address, a name) is
escaped once, there."""

from __future__ import annotations

from typing import Any

from starlette.responses import HTMLResponse, Response

from newsletter.config import Config
from newsletter.templating import template_environment


class Pages:
    def __init__(self, config: Config, base_path: str) -> None:
        self.html = template_environment(config.templates_dir, "html")
        # welcome: whether a confirmed reader is sent the welcome email ([inbox] send_welcome, as for mail requests)
        self.common = {"newsletter": config.newsletter, "base": base_path, "welcome": config.inbox.send_welcome}
        loader = self.html.loader
        assert loader is not None  # the factory always gives one
        self.stylesheet = loader.get_source(self.html, "web/web.css")[0].encode("utf-8")

    def render(self, template: str, **values: Any) -> str:
        return self.html.get_template(f"web/{template}.html.j2").render(**self.common, **values)

    def page(self, template: str, status: int = 200, headers: dict[str, str] | None = None, **values: Any) -> Response:
        return HTMLResponse(self.render(template, **values), status_code=status, headers=headers)

    def problem(self, status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Response:
        return self.page("problem", status, headers, title=title, message=message)
