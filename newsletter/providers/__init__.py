"""Providers: one module each (outbox, smtp, sendgrid), chosen by name."""
