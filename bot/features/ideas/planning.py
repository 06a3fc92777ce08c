"""Planning an idea (a suggestion, or one's own words): its steps, a target date, the start."""

from __future__ import annotations

from datetime import timedelta

from bot.db import participants
from bot.db.models import DialogueState, Idea
from bot.domain.profile import clean_text
from bot.features.ideas import prompts
from bot.features.ideas import queries as service
from bot.features.ideas.queries import Status
from bot.features.ideas.shared import idea_named, payload_number, stale, steps_text
from bot.kernel.context import Context, coach_of, fill, grid, rows
from bot.kernel.i18n import N_
from bot.kernel.messages import Button, EditSource, InboundKind, Message, Outbound

STEPS_FLOW, DATE_FLOW, TITLE_FLOW = "idea_steps", "idea_date", "idea_title"
DATE_CHOICES = ((14, N_("In 2 weeks")), (30, N_("In a month")), (60, N_("In 2 months")))


async def take_suggestion(ctx: Context, payload: str) -> list[Outbound]:
    """Create an idea from the catalogue and offer to keep or change its steps."""
    template = coach_of(ctx.deps).catalogue.ideas.get(payload.partition(":")[2])
    if template is None:
        return stale(ctx)
    idea = await service.create_idea(
        ctx.session,
        ctx.participant.id,
        ctx.local(template.title),
        [ctx.local(step) for step in template.steps],
        ctx.now,
        why=ctx.local(template.why),
        template_id=template.id,
        lesson_id=template.lesson,
    )
    return [EditSource(), _review_steps(ctx, idea)]


def _review_steps(ctx: Context, idea: Idea) -> Message:
    text = fill(ctx._("💡 <b>{title}</b>\n\nThe steps:"), title=idea.title)
    return Message(
        f"{text}\n{steps_text(ctx, idea)}",
        rows(
            Button(ctx._("👍 Keep these steps"), f"ikeep:{idea.id}"),
            Button(ctx._("✏️ Write my own steps"), f"iedit:{idea.id}"),
        ),
    )


async def ask_title(ctx: Context, payload: str) -> list[Outbound]:
    """Start an idea in one's own words."""
    await participants.set_state(ctx.session, ctx.participant.id, TITLE_FLOW, "title", ctx.now)
    text = ctx._("What is your idea? Describe it in one sentence (or /cancel).")
    return [EditSource(), Message(text)]


async def typed_title(ctx: Context, state: DialogueState) -> list[Outbound]:
    """The idea's title in one's own words; then its steps."""
    title = clean_text(ctx.inbound.text) if ctx.inbound.kind is InboundKind.TEXT else ""
    if sum(ch.isalpha() for ch in title) < 3 or title.startswith("/"):
        return [Message(ctx._("Please describe the idea in a few words, or /cancel."))]
    if len(title) > service.TITLE_MAX:
        return [Message(ctx._("That is a bit long: please keep the idea to one sentence."))]
    idea = await service.create_idea(ctx.session, ctx.participant.id, title, [], ctx.now)
    return await _ask_steps(ctx, idea)


async def _ask_steps(ctx: Context, idea: Idea) -> list[Outbound]:
    await participants.set_state(
        ctx.session, ctx.participant.id, STEPS_FLOW, "steps", ctx.now, {"idea": idea.id}
    )
    text = ctx._(
        "Send me the steps, one per line, in the order you will do them (at most 8). "
        "You can copy the steps above and change them."
    )
    return [Message(text)]


async def edit_steps(ctx: Context, payload: str) -> list[Outbound]:
    """Ask for one's own steps instead of the template's."""
    idea = await idea_named(ctx, payload)
    if idea is None or idea.status not in (Status.PLANNED, Status.DROPPED):
        return stale(ctx)
    return [EditSource(), *await _ask_steps(ctx, idea)]


async def typed_steps(ctx: Context, state: DialogueState) -> list[Outbound]:
    """Steps typed one per line; then the target date."""
    idea = await service.own_idea(ctx.session, ctx.participant.id, int(state.data.get("idea", 0)))
    if idea is None:
        await participants.clear_state(ctx.session, ctx.participant.id)
        return [Message(ctx._("This idea is no longer there. See /ideas."))]
    steps = service.parse_steps(ctx.inbound.text) if ctx.inbound.kind is InboundKind.TEXT else []
    if not steps:
        return [Message(ctx._("Please send at least one step as text, one step per line."))]
    service.replace_steps(idea, steps)
    await ctx.session.flush()
    await participants.clear_state(ctx.session, ctx.participant.id)
    note = fill(
        ctx.tr.ngettext("Saved {count} step:", "Saved {count} steps:", len(idea.steps)),
        count=len(idea.steps),
    )
    return [Message(f"{note}\n{steps_text(ctx, idea)}"), await _ask_date(ctx, idea)]


async def keep_steps(ctx: Context, payload: str) -> list[Outbound]:
    """Keep the template's steps and go on to the target date."""
    idea = await idea_named(ctx, payload)
    if idea is None or idea.status != Status.PLANNED:
        return stale(ctx)
    return [EditSource(), await _ask_date(ctx, idea)]


async def _ask_date(ctx: Context, idea: Idea) -> Message:
    await participants.set_state(
        ctx.session, ctx.participant.id, DATE_FLOW, "date", ctx.now, {"idea": idea.id}
    )
    buttons = [Button(ctx._(label), f"idt:{idea.id}:{days}") for days, label in DATE_CHOICES]
    buttons.append(Button(ctx._("No date"), f"idt:{idea.id}:0"))
    text = ctx._("🎯 By when would you like to finish? Choose, or type a date, e.g. 2026-12-20.")
    return Message(text, grid(buttons, 2))


async def chose_date(ctx: Context, payload: str) -> list[Outbound]:
    """A target date from the buttons; the idea starts."""
    idea, days = await idea_named(ctx, payload), payload_number(payload, 2)
    if idea is None or days is None or idea.status != Status.PLANNED or not idea.steps:
        return stale(ctx)
    today = ctx.now.astimezone(ctx.zone).date()
    idea.target_date = today + timedelta(days=days) if days else None
    return [EditSource(), *await _begin(ctx, idea)]


async def typed_date(ctx: Context, state: DialogueState) -> list[Outbound]:
    """A target date typed by hand."""
    idea = await service.own_idea(ctx.session, ctx.participant.id, int(state.data.get("idea", 0)))
    if idea is None or idea.status != Status.PLANNED:
        await participants.clear_state(ctx.session, ctx.participant.id)
        return [Message(ctx._("This idea is no longer there. See /ideas."))]
    today = ctx.now.astimezone(ctx.zone).date()
    target = service.parse_date(ctx.inbound.text, today)
    if target is None or not today <= target <= today + timedelta(days=730):
        text = ctx._("Please type a date within two years, e.g. 2026-12-20, or tap a button.")
        return [Message(text)]
    idea.target_date = target
    return await _begin(ctx, idea)


async def _begin(ctx: Context, idea: Idea) -> list[Outbound]:
    await participants.clear_state(ctx.session, ctx.participant.id)
    step = service.current_step(idea)
    if step is None:
        return await _ask_steps(ctx, idea)
    later = service.prompt_time(
        ctx.now, ctx.participant.preferred_time, ctx.zone, days=service.REMIND_AGAIN_DAYS
    )
    service.start(idea, ctx.now, later)
    text = ctx._(
        "🚀 Your idea is under way! Here is the first step; "
        "I will remind you of each step at your lesson time."
    )
    return [Message(text), prompts.step_message(ctx.tr, idea, step)]


async def start_idea(ctx: Context, payload: str) -> list[Outbound]:
    """Start (or restart) a planned or dropped idea: on to the target date."""
    idea = await idea_named(ctx, payload)
    if idea is None or idea.status not in (Status.PLANNED, Status.DROPPED):
        return stale(ctx)
    idea.status = Status.PLANNED.value
    if not idea.steps:
        return [EditSource(), *await _ask_steps(ctx, idea)]
    return [EditSource(), await _ask_date(ctx, idea)]
