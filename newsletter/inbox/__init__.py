"""The editor's mailbox: reading sources, classifying requests, applying them, answering.

- sources.py: where mail is read (IMAP, mbox, Maildir) and what was handled before
- text.py: what a person wrote: decoded headers, the new text above any quote
- authres.py: Authentication-Results and DMARC alignment (did the domain's owner send it?)
- rules.py: what a message asks of the newsletter (raw bytes and rules to a Decision)
- intent.py and intent_*.py: reading a reader's request from their words (sentences, cues, phrase tables)
- run.py: `newsletter inbox`, the decisions applied to subscribers.csv and answered
- replies.py: the emails sent back (welcome, confirmation request, goodbye)
"""
