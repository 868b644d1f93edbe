"""The editor's mailbox: reading sources, classifying requests, applying them, answering."""
