"""Carrying out an idea: the current step, Done / Need more time / I'm stuck, and evidence."""

from __future__ import annotations

import re

from bot.db import participants
from bot.db.models import DialogueState, Idea
from bot.domain.profile import format_time
from bot.features.ideas import prompts, stuck
from bot.features.ideas import queries as service
from bot.features.ideas.queries import Status
from bot.features.ideas.shared import idea_named, stale
from bot.kernel.context import Context, fill, rows
from bot.kernel.messages import Button, EditSource, InboundKind, Message, Outbound

EVIDENCE_FLOW = "idea_evidence"
_URL = re.compile(r"https?://\S+")


async def current_step(ctx: Context, payload: str) -> list[Outbound]:
    """Show the current step's prompt now."""
    idea = await idea_named(ctx, payload)
    step = service.current_step(idea) if idea is not None else None
    if idea is None or step is None or idea.status != Status.IN_PROGRESS:
        return stale(ctx)
    return [EditSource(), prompts.step_message(ctx.tr, idea, step)]


def _when(ctx: Context, idea: Idea) -> str:
    moment = (idea.next_prompt_at or ctx.now).astimezone(ctx.zone)
    return fill(
        ctx._("{date} at {time}"), date=moment.date().isoformat(), time=format_time(moment.time())
    )


async def step_action(ctx: Context, payload: str) -> list[Outbound]:
    """Done, Need more time or I'm stuck, pressed under a step prompt."""
    parts = payload.split(":")
    idea = await idea_named(ctx, payload)
    step = service.current_step(idea) if idea is not None else None
    if (
        idea is None
        or step is None
        or idea.status != Status.IN_PROGRESS
        or len(parts) != 4
        or parts[2] != str(step.position)
    ):
        return stale(ctx)
    action = parts[3]
    if action == prompts.DONE:
        return await _done(ctx, idea, step.position)
    if action == prompts.MORE_TIME:
        step.postponed += 1
        idea.next_prompt_at = service.prompt_time(
            ctx.now, ctx.participant.preferred_time, ctx.zone, days=service.POSTPONE_DAYS
        )
        text = fill(
            ctx._("No problem ⏳ I will remind you of this step on {when}."), when=_when(ctx, idea)
        )
        return [EditSource(), Message(text)]
    if action == prompts.STUCK:
        return [EditSource(), *await stuck.ask(ctx, idea, step.position)]
    return stale(ctx)


async def _done(ctx: Context, idea: Idea, position: int) -> list[Outbound]:
    step = idea.steps[position - 1]
    later = service.prompt_time(ctx.now, ctx.participant.preferred_time, ctx.zone, days=1)
    finished = service.complete_step(idea, step, ctx.now, later)
    await participants.set_state(
        ctx.session,
        ctx.participant.id,
        EVIDENCE_FLOW,
        "evidence",
        ctx.now,
        {"idea": idea.id, "position": position},
    )
    if finished:
        head = fill(ctx._("🎉 Congratulations! The idea “{title}” is done."), title=idea.title)
    else:
        upcoming = service.current_step(idea)
        head = fill(
            ctx._("✅ Step {number} done! Next: {step}. I will remind you on {when}."),
            number=position,
            step=upcoming.text if upcoming else "",
            when=_when(ctx, idea),
        )
    ask = ctx._("📎 If you like, send a link or a photo that shows the result. It is optional.")
    buttons = [Button(ctx._("Skip"), f"iev:{idea.id}:{position}")]
    if finished and idea.shared_at is None:
        buttons.append(Button(ctx._("🤝 Share with the cohort"), f"ish:{idea.id}"))
    return [EditSource(), Message(f"{head}\n\n{ask}", rows(*buttons))]


async def skip_evidence(ctx: Context, payload: str) -> list[Outbound]:
    """No evidence for this step."""
    await participants.clear_state(ctx.session, ctx.participant.id)
    return [EditSource(), Message(ctx._("All right. Keep going! 💪"))]


async def typed_evidence(ctx: Context, state: DialogueState) -> list[Outbound]:
    """A link or a photo showing a step's result."""
    idea = await service.own_idea(ctx.session, ctx.participant.id, int(state.data.get("idea", 0)))
    position = int(state.data.get("position", 0))
    if idea is None or not 1 <= position <= len(idea.steps):
        await participants.clear_state(ctx.session, ctx.participant.id)
        return [Message(ctx._("This idea is no longer there. See /ideas."))]
    inbound = ctx.inbound
    evidence: str | None = None
    if inbound.attachment:
        evidence = inbound.attachment
    elif inbound.kind is InboundKind.TEXT and (match := _URL.search(inbound.text)):
        evidence = match.group(0)[:1000]
    if evidence is None:
        text = ctx._("Please send a link (starting with https://) or a photo, or tap Skip.")
        buttons = rows(Button(ctx._("Skip"), f"iev:{idea.id}:{position}"))
        return [Message(text, buttons)]
    idea.steps[position - 1].evidence = evidence
    await participants.clear_state(ctx.session, ctx.participant.id)
    return [Message(ctx._("📎 Saved. Thank you!"))]
