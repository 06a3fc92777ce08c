"""Broadcasts (issue 5): a trainer's message to many, delivered through the outbox."""

from __future__ import annotations

from bot.dialogue.registry import Registry


def register(registry: Registry) -> None:
    """Add /broadcast, /broadcasts and their buttons and flow."""
    from bot.broadcasts import dialogue

    dialogue.register(registry)
