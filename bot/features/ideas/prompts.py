"""Step prompts: "Step 2 of 4 — ... [Done] [Need more time] [I'm stuck]", sent in the turn
when the person is there, and by the periodic job at their preferred time otherwise."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Idea, IdeaStep, Participant
from bot.features.ideas import queries as service
from bot.features.ideas.notify import send_later
from bot.kernel.context import fill, rows
from bot.kernel.i18n import Translations, Translator
from bot.kernel.messages import Button, Message

log = logging.getLogger("bot.ideas")
DONE, MORE_TIME, STUCK = "d", "m", "s"


def step_message(tr: Translator, idea: Idea, step: IdeaStep) -> Message:
    """The prompt for an idea's current step, with its three buttons."""
    _ = tr.gettext
    text = fill(
        _("💡 <b>{title}</b>\n\nStep {number} of {total} — {step}"),
        title=idea.title,
        number=step.position,
        total=len(idea.steps),
        step=step.text,
    )
    if idea.target_date is not None:
        text += "\n" + fill(_("🎯 Target date: {date}"), date=idea.target_date.isoformat())
    payload = f"ist:{idea.id}:{step.position}"
    return Message(
        text,
        rows(
            Button(_("✅ Done"), f"{payload}:{DONE}"),
            Button(_("⏳ Need more time"), f"{payload}:{MORE_TIME}"),
            Button(_("🆘 I'm stuck"), f"{payload}:{STUCK}"),
        ),
    )


async def prompt_due_steps(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    translations: Translations,
    zone: ZoneInfo,
) -> int:
    """Queue the prompt of every idea step that is due; how many were queued.

    The dedupe key holds the due moment, so two workers or a repeated tick queue it once;
    unanswered, the step is asked again REMIND_AGAIN_DAYS later at the preferred time."""
    queued = 0
    async with sessions() as session, session.begin():
        due = await service.due_for_prompt(session, now)
        for idea in due:
            step = service.current_step(idea)
            person = await session.get(Participant, idea.participant_id)
            if step is None or person is None or idea.next_prompt_at is None:
                idea.next_prompt_at = None
                continue
            key = f"idea-step:{idea.id}:{step.position}:{int(idea.next_prompt_at.timestamp())}"
            message = step_message(translations.get(person.language), idea, step)
            if await send_later(session, person.id, key, [message], now, purpose="idea_step"):
                queued += 1
            idea.next_prompt_at = service.prompt_time(
                now, person.preferred_time, zone, days=service.REMIND_AGAIN_DAYS
            )
    log.info("idea step prompts due=%d queued=%d", len(due), queued)
    return queued
