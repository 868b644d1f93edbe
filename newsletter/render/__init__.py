"""Rendering an issue: Jinja2 -> MJML -> HTML, the text part, the checks, and the build files."""
