"""The ideas overview: /ideas with each idea's progress, one idea's screen, dropping an idea."""

from __future__ import annotations

from bot.domain.profile import Command
from bot.features.ideas import queries as service
from bot.features.ideas.queries import Status
from bot.features.ideas.shared import idea_named, stale, steps_text
from bot.kernel.context import Context, fill, grid, rows
from bot.kernel.i18n import N_
from bot.kernel.messages import Button, EditSource, Message, Outbound

STATUS_LABELS = {
    Status.PLANNED: N_("planned"),
    Status.IN_PROGRESS: N_("in progress"),
    Status.DONE: N_("done"),
    Status.DROPPED: N_("dropped"),
}


def _bar(done: int, total: int) -> str:
    return "🟩" * done + "⬜" * (total - done)


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
    idea = await idea_named(ctx, payload)
    if idea is None:
        return stale(ctx)
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
    return [EditSource(), Message(f"{text}\n\n{steps_text(ctx, idea)}", rows(*buttons))]


async def drop_idea(ctx: Context, payload: str) -> list[Outbound]:
    """Drop an idea (it can be started again later)."""
    idea = await idea_named(ctx, payload)
    if idea is None or idea.status not in (Status.PLANNED, Status.IN_PROGRESS):
        return stale(ctx)
    idea.status, idea.next_prompt_at = Status.DROPPED.value, None
    text = fill(ctx._("Dropped “{title}”. You can start it again from /ideas."), title=idea.title)
    return [EditSource(), Message(text)]
