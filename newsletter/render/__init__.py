"""Rendering an issue: Jinja2 -> MJML -> HTML, the text part, the checks, and the build files.

- html.py: render once: Jinja2, MJML, inlined CSS, and the text part
- markdown.py: Markdown to HTML for the email and to wrapped text for the text part
- mjml_check.py: MJML mistakes found by line before mjml-python sees them
- check.py: `newsletter check`, validation, rendering and lint in one run
- clients.py: `check --clients`, what the major mail clients drop of the HTML
- build.py: `newsletter render`, the build files (.html, .txt, .mjml, .eml)
"""
