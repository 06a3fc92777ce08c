"""/broadcast (trainers): write the message, choose the audience, see the preview, then send,
schedule or cancel. /broadcasts: the latest broadcasts with their reports.

Steps of the flow (dialogue state "broadcast"): text -> audience -> confirm (-> when)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.db import participants
from bot.db.models import Broadcast, Cohort, DialogueState
from bot.domain.profile import Command, InvalidAnswer
from bot.features.broadcasts import service
from bot.features.broadcasts.labels import audience_label, report_lines
from bot.features.broadcasts.when import parse_send_time
from bot.kernel.context import Context, fill, grid, rows
from bot.kernel.i18n import N_
from bot.kernel.labels import MUNICIPALITY_NAMES, ROLE_NAMES
from bot.kernel.messages import Button, EditSource, InboundKind, Message, Outbound
from bot.kernel.registry import TRAINER, Registry
from bot.kernel.widgets import record, stale

FLOW = "broadcast"
BUTTON = "bc"
LISTED = 10

REASONS = {
    "when_format": N_(
        "Please type the date and time like 2026-12-01 09:30, or just 09:30 for today."
    ),
    "when_invalid": N_("There is no such day or hour. Please check the date and time."),
    "when_past": N_("That time has already passed. Please type a time in the future."),
    "when_far": N_("That is more than 90 days ahead. Please choose a nearer time."),
}


def _cancel_button(ctx: Context) -> Button:
    return Button(ctx._("✖️ Cancel"), f"{BUTTON}:x")


def _audience_menu(ctx: Context, note: str = "") -> Message:
    question = ctx._("Who should receive it?")
    buttons = rows(
        Button(ctx._("👥 Everyone"), f"{BUTTON}:a:all"),
        Button(ctx._("A group"), f"{BUTTON}:m:cohort"),
        Button(ctx._("A municipality"), f"{BUTTON}:m:municipality"),
        Button(ctx._("A role"), f"{BUTTON}:m:role"),
        Button(ctx._("⏳ Behind schedule"), f"{BUTTON}:a:behind"),
        _cancel_button(ctx),
    )
    return Message(f"{note}\n\n{question}".strip(), buttons)


async def _submenu(ctx: Context, kind: str) -> list[Outbound]:
    if kind == "cohort":
        cohorts = await ctx.session.scalars(select(Cohort).order_by(Cohort.start_date.desc()))
        choices = [Button(c.name, f"{BUTTON}:a:cohort:{c.id}") for c in cohorts][:30]
        if not choices:
            return [EditSource(ctx._("There are no groups yet."), _audience_menu(ctx).buttons)]
        question = ctx._("Which group?")
    elif kind == "municipality":
        names = MUNICIPALITY_NAMES.items()
        choices = [Button(ctx._(n), f"{BUTTON}:a:municipality:{c}") for c, n in names]
        question = ctx._("Which municipality?")
    else:
        names = ROLE_NAMES.items()
        choices = [Button(ctx._(n), f"{BUTTON}:a:role:{c}") for c, n in names]
        question = ctx._("Which role?")
    buttons = grid(choices, 1 if kind != "municipality" else 2)
    back = (Button(ctx._("◀️ Back"), f"{BUTTON}:back"), _cancel_button(ctx))
    return [EditSource(question, (*buttons, back))]


async def _typed(ctx: Context, state: DialogueState) -> list[Outbound]:
    """The message itself (step "text") or the send time (step "when")."""
    inbound = ctx.inbound
    if state.step == "when":
        try:
            moment = parse_send_time(inbound.text, ctx.now, ctx.zone)
        except InvalidAnswer as error:
            return [Message(ctx._(REASONS[error.reason]))]
        return await _create(ctx, state, moment)
    if state.step != "text":
        return [Message(ctx._("Please use the buttons above, or /cancel."))]
    text, attachment = inbound.text.strip(), inbound.attachment
    if inbound.kind is InboundKind.OTHER and not attachment:
        return [Message(ctx._("I can send text, a photo or a document. Please try again."))]
    if not text and not attachment:
        return [Message(ctx._("The message is empty. Please write what to send."))]
    limit = service.CAPTION_LIMIT * 3 if attachment else service.TEXT_LIMIT
    if service.utf16_len(text) > min(limit, service.TEXT_LIMIT):
        return [Message(ctx._("That is too long for one message: please shorten it."))]
    data = {"text": text, "attachment": attachment}
    await participants.set_state(ctx.session, ctx.participant.id, FLOW, "audience", ctx.now, data)
    return [_audience_menu(ctx, ctx._("Got it. 👍"))]


async def _choose(ctx: Context, state: DialogueState, audience: str) -> list[Outbound]:
    """An audience was chosen: the preview exactly as recipients see it, then the question."""
    ids = await service.recipients(ctx.session, ctx.index, ctx.now, ctx.zone, audience)
    label = await audience_label(ctx, audience)
    if not ids:
        note = fill(ctx._("Nobody is in “{audience}” now."), audience=label)
        return [EditSource(), _audience_menu(ctx, note)]
    data = {**state.data, "audience": audience}
    await participants.set_state(ctx.session, ctx.participant.id, FLOW, "confirm", ctx.now, data)
    preview = service.recipient_replies(
        str(data.get("text", "")),
        str(data.get("attachment", "")),
        telegram_only=ctx.inbound.channel == "telegram",
    )
    count = ctx.tr.ngettext("{n} person", "{n} people", len(ids)).format(n=len(ids))
    question = fill(
        ctx._("👆 This is how it will look. Send it to “{audience}” ({count})?"),
        audience=label,
        count=count,
    )
    buttons = rows(
        Button(ctx._("✅ Send now"), f"{BUTTON}:send"),
        Button(ctx._("🕒 Choose a time"), f"{BUTTON}:when"),
        _cancel_button(ctx),
    )
    chosen = fill(ctx._("Audience: {audience}"), audience=label)
    return [EditSource(chosen), Message(ctx._("Preview:")), *preview, Message(question, buttons)]


async def _create(
    ctx: Context, state: DialogueState, moment: datetime | None = None
) -> list[Outbound]:
    """Store the broadcast: start it now, or keep it for its time."""
    broadcast = Broadcast(
        author_id=ctx.participant.id,
        text=str(state.data.get("text", "")),
        attachment=str(state.data.get("attachment", "")),
        audience=str(state.data.get("audience", service.ALL)),
        scheduled_at=moment,
        state=service.SCHEDULED,
        progress_channel=ctx.inbound.channel,
        progress_chat_id=ctx.inbound.user_id,
        report={},
        created_at=ctx.now,
    )
    ctx.session.add(broadcast)
    await ctx.session.flush()
    await participants.clear_state(ctx.session, ctx.participant.id)
    if moment is not None:
        await record(
            ctx, "broadcast.schedule", f"broadcast:{broadcast.id}", audience=broadcast.audience
        )
        local = moment.astimezone(ctx.zone).strftime("%Y-%m-%d %H:%M")
        text = ctx._("🕒 Scheduled for {time}. /broadcasts shows it; you can cancel it there.")
        return [Message(fill(text, time=local))]
    count = await service.start(ctx.session, broadcast, ctx.index, ctx.now, ctx.zone)
    await record(
        ctx,
        "broadcast.send",
        f"broadcast:{broadcast.id}",
        audience=broadcast.audience,
        recipients=count,
    )
    text = ctx.tr.ngettext(
        "📣 Sending to {n} person. I will show the progress below.",
        "📣 Sending to {n} people. I will show the progress below.",
        count,
    )
    return [EditSource(fill(text, n=count))]


async def _pressed(ctx: Context, payload: str) -> list[Outbound]:
    parts = payload.split(":")
    if parts[1:2] == ["drop"] and len(parts) == 3 and parts[2].isdigit():
        return await _drop(ctx, int(parts[2]))
    state = await participants.get_state(ctx.session, ctx.participant.id)
    if state is None or state.flow != FLOW:
        return stale(ctx)
    action = parts[1] if len(parts) > 1 else ""
    if action == "x":
        await participants.clear_state(ctx.session, ctx.participant.id)
        return [EditSource(ctx._("Cancelled. Nothing was sent."))]
    if state.step == "audience" and action == "a" and len(parts) >= 3:
        return await _choose(ctx, state, ":".join(parts[2:]))
    if state.step == "audience" and action == "m" and len(parts) == 3:
        return await _submenu(ctx, parts[2])
    if state.step == "audience" and action == "back":
        menu = _audience_menu(ctx)
        return [EditSource(menu.text, menu.buttons)]
    if state.step == "confirm" and action == "send":
        return await _create(ctx, state)
    if state.step == "confirm" and action == "when":
        await participants.set_state(
            ctx.session, ctx.participant.id, FLOW, "when", ctx.now, state.data
        )
        text = ctx._(
            "When shall I send it? Type the date and time, e.g. 2026-12-01 09:30 (course time)."
        )
        return [EditSource(), Message(text, rows(_cancel_button(ctx)))]
    return stale(ctx)


async def _drop(ctx: Context, broadcast_id: int) -> list[Outbound]:
    """Cancel a scheduled broadcast that has not started."""
    broadcast = await ctx.session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.state != service.SCHEDULED:
        return stale(ctx)
    broadcast.state = service.CANCELLED
    broadcast.finished_at = ctx.now
    await record(ctx, "broadcast.cancel", f"broadcast:{broadcast.id}")
    return [EditSource(fill(ctx._("Broadcast #{id} is cancelled."), id=broadcast.id))]


async def _list(ctx: Context) -> list[Outbound]:
    found = list(
        await ctx.session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(LISTED))
    )
    if not found:
        return [Message(ctx._("No broadcasts yet. Write one with /broadcast."))]
    replies: list[Outbound] = [Message(ctx._("📣 <b>Latest broadcasts</b>"))]
    for broadcast in found:
        lines = await report_lines(ctx, broadcast)
        buttons: tuple[tuple[Button, ...], ...] = ()
        if broadcast.state == service.SCHEDULED:
            buttons = rows(
                Button(ctx._("✖️ Cancel this broadcast"), f"{BUTTON}:drop:{broadcast.id}")
            )
        replies.append(Message("\n".join(lines), buttons))
    return replies


def register(registry: Registry) -> None:
    """Add /broadcast, /broadcasts, their buttons and the writing flow."""

    @registry.command("broadcast", N_("send a message to many participants"), roles={TRAINER})
    async def broadcast(ctx: Context, command: Command) -> list[Outbound]:
        """Ask for the message."""
        await participants.set_state(ctx.session, ctx.participant.id, FLOW, "text", ctx.now)
        text = ctx._(
            "📣 Write the message for the participants. You may also send a photo or a "
            "document with a caption. (/cancel to stop)"
        )
        return [Message(text)]

    @registry.command("broadcasts", N_("past broadcasts and their reports"), roles={TRAINER})
    async def broadcasts(ctx: Context, command: Command) -> list[Outbound]:
        """List the latest broadcasts."""
        return await _list(ctx)

    registry.flow(FLOW)(_typed)
    registry.button(BUTTON, roles={TRAINER})(_pressed)
