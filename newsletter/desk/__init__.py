"""The editor's desk: articles from pages, the live preview, the static archive.

- add.py: `newsletter add`, an article read from its source and added to an issue
- articles.py: an article's title, summary, image, author and site from its page or a saved file
- fetch.py: fetching a page with limits that hold whatever the server does
- pagemeta.py: one pass over a page's HTML for its metadata (meta tags, JSON-LD, <title>)
- preview.py: `newsletter preview`, the live local preview (desktop, phone, dark mode, text part)
- archive.py: `newsletter archive`, the static web archive of sent issues and its Atom feed
"""
