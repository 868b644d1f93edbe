"""The editor's desk: articles from pages, the live preview, the static archive."""
