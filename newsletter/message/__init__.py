"""The one message builder: plain content (subject, HTML, text, headers) -> MIME, per-reader values.

- mime.py: the MIME message a reader receives
- personalize.py: per-reader values (name, unsubscribe link) filled into the issue rendered once
"""
