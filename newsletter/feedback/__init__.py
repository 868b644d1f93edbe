"""What comes back after a send: SendGrid's Event Webhook (webhook.py), the events store (events.py), and the per-issue
figures `newsletter stats` prints (stats.py). Bounces and complaints that arrive by email are read in inbox/."""
