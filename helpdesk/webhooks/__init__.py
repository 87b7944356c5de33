"""Webhooks: administrators subscribe URLs to the help desk's events (``helpdesk.events``);
each event is recorded as a delivery per subscription in the transaction that made it, sent
after the commit by django-q2, signed per the Standard Webhooks headers, retried with
backoff for 24 hours, from public addresses only (docs/webhooks.md)."""
