"""Ideas step by step: create (from a suggestion or in one's own words), steps and a target
date, /ideas with progress, and the step buttons Done / Need more time / I'm stuck."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.db import participants
from bot.db.models import DialogueState, Idea
from bot.domain.profile import Command, clean_text, format_time
from bot.features.ideas import prompts, stuck
from bot.features.ideas import queries as service
from bot.features.ideas.queries import Status
from bot.kernel.context import Context, coach_of, escape, fill, grid, rows
from bot.kernel.i18n import N_
from bot.kernel.messages import Button, EditSource, InboundKind, Message, Notice, Outbound
from bot.kernel.registry import Registry

STEPS_FLOW, DATE_FLOW, TITLE_FLOW, EVIDENCE_FLOW = (
    "idea_steps",
    "idea_date",
    "idea_title",
    "idea_evidence",
)
STATUS_LABELS = {
    Status.PLANNED: N_("planned"),
    Status.IN_PROGRESS: N_("in progress"),
    Status.DONE: N_("done"),
    Status.DROPPED: N_("dropped"),
}
DATE_CHOICES = ((14, N_("In 2 weeks")), (30, N_("In a month")), (60, N_("In 2 months")))
_URL = re.compile(r"https?://\S+")


def register(registry: Registry) -> None:
    """Plug /ideas, idea creation and the step buttons into the dialogue."""
    registry.command("ideas", N_("your improvement ideas, step by step"))(list_ideas)
    for prefix, handler in (
        ("inew", take_suggestion),
        ("iown", ask_title),
        ("ikeep", keep_steps),
        ("iedit", edit_steps),
        ("idt", chose_date),
        ("ils", list_button),
        ("iv", show_idea),
        ("istart", start_idea),
        ("icur", current_step),
        ("idrop", drop_idea),
        ("ist", step_action),
        ("iev", skip_evidence),
    ):
        registry.button(prefix)(handler)
    registry.flow(STEPS_FLOW)(typed_steps)
    registry.flow(DATE_FLOW)(typed_date)
    registry.flow(TITLE_FLOW)(typed_title)
    registry.flow(EVIDENCE_FLOW)(typed_evidence)


def _stale(ctx: Context) -> list[Outbound]:
    return [Notice(ctx._("This button is no longer active.")), EditSource()]


def _id(payload: str, part: int = 1) -> int | None:
    pieces = payload.split(":")
    return int(pieces[part]) if len(pieces) > part and pieces[part].isdigit() else None


async def _mine(ctx: Context, payload: str) -> Idea | None:
    idea_id = _id(payload)
    return (
        None
        if idea_id is None
        else await service.own_idea(ctx.session, ctx.participant.id, idea_id)
    )


def _steps_text(ctx: Context, idea: Idea) -> str:
    lines = []
    for step in idea.steps:
        mark = "✅" if step.done_at else "▫️"
        extra = " 📎" if step.evidence else ""
        lines.append(f"{mark} {step.position}. {escape(step.text)}{extra}")
    return "\n".join(lines) or ctx._("No steps yet.")


def _bar(done: int, total: int) -> str:
    return "🟩" * done + "⬜" * (total - done)


async def take_suggestion(ctx: Context, payload: str) -> list[Outbound]:
    """Create an idea from the catalogue and offer to keep or change its steps."""
    template = coach_of(ctx.deps).catalogue.ideas.get(payload.partition(":")[2])
    if template is None:
        return _stale(ctx)
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
        f"{text}\n{_steps_text(ctx, idea)}",
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
    idea = await _mine(ctx, payload)
    if idea is None or idea.status not in (Status.PLANNED, Status.DROPPED):
        return _stale(ctx)
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
    return [Message(f"{note}\n{_steps_text(ctx, idea)}"), await _ask_date(ctx, idea)]


async def keep_steps(ctx: Context, payload: str) -> list[Outbound]:
    """Keep the template's steps and go on to the target date."""
    idea = await _mine(ctx, payload)
    if idea is None or idea.status != Status.PLANNED:
        return _stale(ctx)
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
    idea, days = await _mine(ctx, payload), _id(payload, 2)
    if idea is None or days is None or idea.status != Status.PLANNED or not idea.steps:
        return _stale(ctx)
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


async def list_ideas(ctx: Context, command: Command) -> list[Outbound]:
    """/ideas: every idea with its progress."""
    return [await _list(ctx)]


async def list_button(ctx: Context, payload: str) -> list[Outbound]:
    """Back to the list of ideas."""
    return [EditSource(), await _list(ctx)]


async def _list(ctx: Context) -> Message:
    ideas = await service.ideas_of(ctx.session, ctx.participant.id)
    extra = [
        Button(ctx._("➕ A new idea in my own words"), "iown"),
        Button(ctx._("🔍 Find ideas with a self-audit"), "au"),
        Button(ctx._("🖼 Colleagues' ideas"), "gal:0"),
    ]
    if not ideas:
        text = ctx._("💡 You have no ideas yet. Start with a self-audit, or write your own idea.")
        return Message(text, rows(*extra))
    lines = [ctx._("💡 <b>Your ideas</b>")]
    buttons = []
    for number, idea in enumerate(ideas, start=1):
        done, total = service.progress(idea)
        line = fill(
            ctx._("{number}. {title}\n{bar} {done}/{total} · {status}"),
            number=number,
            title=idea.title,
            bar=_bar(done, total),
            done=done,
            total=total,
            status=ctx._(STATUS_LABELS[Status(idea.status)]),
        )
        if idea.target_date and idea.status in (Status.PLANNED, Status.IN_PROGRESS):
            line += fill(ctx._(" · by {date}"), date=idea.target_date.isoformat())
        lines.append(line)
        buttons.append(Button(str(number), f"iv:{idea.id}"))
    return Message("\n\n".join(lines), grid(buttons, 5) + rows(*extra))


async def show_idea(ctx: Context, payload: str) -> list[Outbound]:
    """One idea: steps, status, date, and what can be done with it."""
    idea = await _mine(ctx, payload)
    if idea is None:
        return _stale(ctx)
    status = Status(idea.status)
    text = fill(
        ctx._("💡 <b>{title}</b>\nStatus: {status}"),
        title=idea.title,
        status=ctx._(STATUS_LABELS[status]),
    )
    if idea.target_date:
        text += "\n" + fill(ctx._("🎯 Target date: {date}"), date=idea.target_date.isoformat())
    if idea.shared_at:
        text += "\n" + ctx._("🤝 Shared with the cohort")
    buttons: list[Button] = []
    if status is Status.IN_PROGRESS:
        buttons.append(Button(ctx._("▶️ Current step"), f"icur:{idea.id}"))
    if status in (Status.PLANNED, Status.DROPPED):
        buttons.append(Button(ctx._("▶️ Start"), f"istart:{idea.id}"))
        buttons.append(Button(ctx._("✏️ Write my own steps"), f"iedit:{idea.id}"))
    if status is not Status.DROPPED:
        share = ctx._("🙈 Stop sharing") if idea.shared_at else ctx._("🤝 Share with the cohort")
        buttons.append(Button(share, f"ish:{idea.id}"))
    if status in (Status.PLANNED, Status.IN_PROGRESS):
        buttons.append(Button(ctx._("🗑 Drop this idea"), f"idrop:{idea.id}"))
    buttons.append(Button(ctx._("⬅️ My ideas"), "ils"))
    return [EditSource(), Message(f"{text}\n\n{_steps_text(ctx, idea)}", rows(*buttons))]


async def start_idea(ctx: Context, payload: str) -> list[Outbound]:
    """Start (or restart) a planned or dropped idea: on to the target date."""
    idea = await _mine(ctx, payload)
    if idea is None or idea.status not in (Status.PLANNED, Status.DROPPED):
        return _stale(ctx)
    idea.status = Status.PLANNED.value
    if not idea.steps:
        return [EditSource(), *await _ask_steps(ctx, idea)]
    return [EditSource(), await _ask_date(ctx, idea)]


async def current_step(ctx: Context, payload: str) -> list[Outbound]:
    """Show the current step's prompt now."""
    idea = await _mine(ctx, payload)
    step = service.current_step(idea) if idea is not None else None
    if idea is None or step is None or idea.status != Status.IN_PROGRESS:
        return _stale(ctx)
    return [EditSource(), prompts.step_message(ctx.tr, idea, step)]


async def drop_idea(ctx: Context, payload: str) -> list[Outbound]:
    """Drop an idea (it can be started again later)."""
    idea = await _mine(ctx, payload)
    if idea is None or idea.status not in (Status.PLANNED, Status.IN_PROGRESS):
        return _stale(ctx)
    idea.status, idea.next_prompt_at = Status.DROPPED.value, None
    text = fill(ctx._("Dropped “{title}”. You can start it again from /ideas."), title=idea.title)
    return [EditSource(), Message(text)]


def _when(ctx: Context, idea: Idea) -> str:
    moment = (idea.next_prompt_at or ctx.now).astimezone(ctx.zone)
    return fill(
        ctx._("{date} at {time}"), date=moment.date().isoformat(), time=format_time(moment.time())
    )


async def step_action(ctx: Context, payload: str) -> list[Outbound]:
    """Done, Need more time or I'm stuck, pressed under a step prompt."""
    parts = payload.split(":")
    idea = await _mine(ctx, payload)
    step = service.current_step(idea) if idea is not None else None
    if (
        idea is None
        or step is None
        or idea.status != Status.IN_PROGRESS
        or len(parts) != 4
        or parts[2] != str(step.position)
    ):
        return _stale(ctx)
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
    return _stale(ctx)


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
