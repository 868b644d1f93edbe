"""The one message builder: plain content (subject, HTML, text, headers) -> MIME, per-reader values."""
