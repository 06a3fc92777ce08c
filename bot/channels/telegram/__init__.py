"""Telegram: updates in, the outbox's messages out through the Bot API."""
