"""The improvement-idea coach (issue 6): self-audits, /audit of a web page, ideas carried out
step by step, the cohort's gallery and the trainers' view."""

from __future__ import annotations

from bot.dialogue.registry import Registry


def register(registry: Registry) -> None:
    """Plug every part of the idea coach into the dialogue."""
    from bot.ideas import audit_dialogue, idea_dialogue, partners, stuck

    audit_dialogue.register(registry)
    idea_dialogue.register(registry)
    stuck.register(registry)
    partners.register(registry)
