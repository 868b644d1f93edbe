"""Sending an issue exactly once: who gets it (plan), the run, the ledger, suppressions.

- plan.py: who gets the issue in this run, from subscribers.csv and the ledger, without I/O
- run.py: the run: batches to the provider, intent and outcome in the ledger, the lock
- ledger.py, ledger_entries.py, ledger_check.py: the send ledger, its packed statuses, its records' shape
- suppressions.py: SendGrid's suppression lists into subscribers.csv
"""
