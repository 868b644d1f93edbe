"""Sending an issue exactly once: who gets it (plan), the run, the ledger, suppressions."""
