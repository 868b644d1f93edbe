"""What comes back: bounces, complaints and events, by email and by webhook.

- bounces.py: what a bounce or complaint in the editor's mailbox says (raw bytes to Feedback)
- bounces_report.py: the standard reports, DSN (RFC 3464) and ARF (RFC 5965)
- bounces_legacy.py: bounces written for people (qmail, Exim and their kin)
- bounces_text.py: the parts of a report: decoded text, fields, addresses, status codes
- tokens.py: the signed value that proves a bounce is about mail this newsletter sent
"""
