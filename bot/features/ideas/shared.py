"""What every idea screen uses: the idea a button names, its steps as text, the stale reply."""

from __future__ import annotations

from bot.db.models import Idea
from bot.features.ideas import queries as service
from bot.kernel.context import Context, escape
from bot.kernel.messages import EditSource, Notice, Outbound


def stale(ctx: Context) -> list[Outbound]:
    """The answer to a button whose idea or step has moved on."""
    return [Notice(ctx._("This button is no longer active.")), EditSource()]


def payload_number(payload: str, part: int = 1) -> int | None:
    """The number in a payload's `part` (`iv:12` -> 12), or None."""
    pieces = payload.split(":")
    return int(pieces[part]) if len(pieces) > part and pieces[part].isdigit() else None


async def idea_named(ctx: Context, payload: str) -> Idea | None:
    """The participant's own idea a payload names, or None."""
    idea_id = payload_number(payload)
    return (
        None
        if idea_id is None
        else await service.own_idea(ctx.session, ctx.participant.id, idea_id)
    )


def steps_text(ctx: Context, idea: Idea) -> str:
    """An idea's steps, one line each: done or not, and a 📎 when evidence was sent."""
    lines = []
    for step in idea.steps:
        mark = "✅" if step.done_at else "▫️"
        extra = " 📎" if step.evidence else ""
        lines.append(f"{mark} {step.position}. {escape(step.text)}{extra}")
    return "\n".join(lines) or ctx._("No steps yet.")
