"""Reminders: channel senders (``channels``), the outbox (``outbox``) and the runner (``run``)."""
