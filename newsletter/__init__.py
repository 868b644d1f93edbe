"""newsletter: compose, render and send the "India and the World" digest, exactly once.

Packages, in the order an issue goes through them (README.md "Architecture" has the rules between them):
- issue/: the issue file (model, loading and validation, edits, scaffolding)
- render/: Jinja2 -> MJML -> HTML and the text part, the checks, the build files
- message/: the one MIME message builder and the per-reader values
- subscribers/: subscribers.csv, statuses, imports, the web journal
- providers/: outbox, smtp, sendgrid: one module each, one shape
- sending/: the send exactly once (plan, run, ledger, suppressions)
- inbox/: the editor's mailbox turned into subscribes and unsubscribes
- feedback/: bounces, complaints and events
- desk/: the editor's tools (add, preview, archive)
- web/: the readers' web app
Beside them: cli.py (the command line, the only module with click), config.py and config_rules.py, errors.py,
clean.py (text from outside), files.py (atomic writes, the lock), templating.py, clock.py, tokens.py.
"""

__version__ = "0.1.0"
