"""Trainer, coordinator and admin tools: roles, cohorts, statistics, participants, exports."""

from __future__ import annotations

from bot.admin import access, cohorts, exports, people, stats
from bot.dialogue.registry import Registry


def register(registry: Registry) -> None:
    """Add every trainer, coordinator and admin command and button."""
    for module in (access, cohorts, people, stats, exports):
        module.register(registry)
