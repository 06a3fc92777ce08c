"""Every feature beyond the core loop plugs its commands, buttons and flows in here."""

from __future__ import annotations

from bot.dialogue.registry import Registry


def build_registry() -> Registry:
    """A registry holding every feature's handlers."""
    registry = Registry()
    # Each feature module exposes register(registry); add one line per feature, e.g.
    # from bot.schedule import commands as schedule_commands; schedule_commands.register(registry)
    from bot.dialogue import linking

    linking.register(registry)
    from bot.dialogue import privacy

    privacy.register(registry)
    from bot.schedule import commands as schedule_commands
    from bot.schedule import review_commands

    schedule_commands.register(registry)
    review_commands.register(registry)
    from bot import admin

    admin.register(registry)
    from bot.dialogue import content_admin

    content_admin.register(registry)
    from bot import ideas

    ideas.register(registry)
    from bot import broadcasts

    broadcasts.register(registry)
    return registry
