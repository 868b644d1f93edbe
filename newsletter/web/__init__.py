"""The readers' web app (`newsletter serve`): one-click unsubscribe, sign-up with confirmation, and the archive.

Starlette on uvicorn: `create_app` (newsletter.web.app) builds the ASGI application; newsletter.web.asgi is the
factory for `uvicorn --factory` in production. Every change a reader makes is journaled (newsletter.subscribers.journal)
before the answer, and folded into subscribers.csv in batches by a background task.

- app.py: create_app, the routes; asgi.py: the factory for production
- readers.py: sign up, confirm, unsubscribe; background.py: the journal's appends and its applier
- guard.py, limits.py: what every request passes through, and the rate limits
- pages.py, mail.py: the pages and the emails; archive_site.py: the archive served
"""
