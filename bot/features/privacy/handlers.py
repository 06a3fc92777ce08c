"""/mydata and /deleteme: the participant sees everything stored about them, or erases it."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.db import participants
from bot.db.models import Certificate, DialogueState
from bot.domain.profile import MUNICIPALITY_LABELS, Command, Municipality, Role
from bot.features.privacy import queries as privacy
from bot.kernel.context import Context, fill, rows
from bot.kernel.i18n import N_
from bot.kernel.labels import LANGUAGE_LABELS, ROLE_LABELS
from bot.kernel.messages import Button, Document, EditSource, Message, Outbound
from bot.kernel.registry import Registry

FLOW = "deleteme"
ERASE, KEEP = "priv:erase", "priv:keep"

# What each table holds, in words; a table not listed here is counted as "other records".
TABLE_LABELS = {
    "channel_identities": N_("Chat accounts (Telegram, Messenger)"),
    "enrollments": N_("Course enrolments"),
    "lesson_deliveries": N_("Lessons received"),
    "answers": N_("Quiz answers"),
    "reflections": N_("Reflections"),
    "review_cards": N_("Questions in your review queue"),
    "ideas": N_("Improvement ideas"),
    "idea_steps": N_("Steps of your ideas"),
    "idea_notes": N_("Notes on your ideas"),
    "self_audit_answers": N_("Self-audit answers"),
    "web_audits": N_("Website checks"),
    "role_grants": N_("Roles"),
    "outbox": N_("Messages waiting to be sent"),
    "dialogue_states": N_("An unfinished conversation step"),
    "certificates": N_("Certificates"),
}


def register(registry: Registry) -> None:
    """Plug /mydata and /deleteme into the dialogue."""
    # Privacy rights apply from the first step, before onboarding is finished.
    mydata = registry.command(
        "mydata", N_("see everything stored about you"), before_onboarding=True
    )
    mydata(show_my_data)
    registry.command("deleteme", N_("erase your data"), before_onboarding=True)(ask_to_erase)
    registry.button("priv")(on_button)
    registry.flow(FLOW)(while_confirming)


def _summary(ctx: Context, data: dict[str, list[dict[str, object]]]) -> str:
    person = ctx.participant
    lines = [ctx._("🔐 <b>Your data</b>")]
    municipality = (
        MUNICIPALITY_LABELS.get(Municipality(person.municipality))
        if (person.municipality in set(Municipality))
        else None
    )
    role = ROLE_LABELS.get(Role(person.role)) if person.role in set(Role) else None
    profile = [
        (ctx._("Name"), person.name),
        (ctx._("Municipality"), ctx._(municipality) if municipality else person.municipality),
        (ctx._("Institution"), person.institution),
        (ctx._("Area of work"), ctx._(role) if role else person.role),
        (ctx._("Language"), LANGUAGE_LABELS.get(person.language, person.language)),
        (
            ctx._("Lesson time"),
            person.preferred_time.strftime("%H:%M") if person.preferred_time else None,
        ),
    ]
    lines += [
        fill("{label}: {value}", label=label, value=value) for label, value in profile if value
    ]
    counted = []
    other = 0
    for table, rows_ in sorted(data.items()):
        if table == "participants":
            continue
        label = TABLE_LABELS.get(table)
        if label is None:
            other += len(rows_)
        else:
            counted.append(fill("{label}: {count}", label=ctx._(label), count=len(rows_)))
    if other:
        counted.append(fill(ctx._("Other records: {count}"), count=other))
    if counted:
        lines += ["", *counted]
    lines += ["", ctx._("The attached file holds all of it. /deleteme erases it.")]
    return "\n".join(lines)


async def show_my_data(ctx: Context, command: Command) -> list[Outbound]:
    """Send a readable summary and a JSON file of everything stored about the participant."""
    data = await privacy.personal_data(ctx.session, ctx.participant.id)
    export = {"exported_at": ctx.now.isoformat(), "participant_id": ctx.participant.id, **data}
    payload = json.dumps(export, ensure_ascii=False, indent=2).encode("utf-8")
    filename = f"culture-coach-my-data-{ctx.now:%Y-%m-%d}.json"
    caption = ctx._("Everything stored about you, as a JSON file.")
    return [Message(_summary(ctx, data)), Document(payload, filename, caption)]


async def ask_to_erase(ctx: Context, command: Command) -> list[Outbound]:
    """Ask for confirmation before erasing anything; remember where the person was."""
    state = await participants.get_state(ctx.session, ctx.participant.id)
    back = {"flow": state.flow, "step": state.step, "data": state.data} if state else None
    if state is not None and state.flow == FLOW:
        back = state.data.get("back")
    await participants.set_state(
        ctx.session, ctx.participant.id, FLOW, "confirm", ctx.now, {"back": back}
    )
    text = ctx._(
        "Erase all your data? Your profile, progress, answers, reflections and ideas will be "
        "deleted for good. Course statistics keep only anonymous counts."
    )
    if await ctx.session.scalar(
        select(Certificate.id).where(Certificate.participant_id == ctx.participant.id).limit(1)
    ):
        text += "\n\n" + ctx._(
            "Your certificate stays in the course register (your name, the course, hours, "
            "dates and its number), so that its code can still be checked."
        )
    buttons = rows(
        Button(ctx._("🗑 Yes, erase everything"), ERASE), Button(ctx._("↩️ No, keep it"), KEEP)
    )
    return [Message(text, buttons)]


async def on_button(ctx: Context, payload: str) -> list[Outbound]:
    """Erase on a confirmed request; keep everything otherwise."""
    state = await participants.get_state(ctx.session, ctx.participant.id)
    confirming = state is not None and state.flow == FLOW
    if payload == ERASE and confirming:
        await privacy.erase(ctx.session, ctx.participant.id)
        goodbye = ctx._(
            "Done: your data is erased and I have forgotten you. If you ever want to come "
            "back, send /start. Good luck! 🌱"
        )
        return [EditSource(), Message(goodbye)]
    if payload == KEEP and confirming and state is not None:
        back = state.data.get("back")
        if back:
            await participants.set_state(
                ctx.session, ctx.participant.id, back["flow"], back["step"], ctx.now, back["data"]
            )
        else:
            await participants.clear_state(ctx.session, ctx.participant.id)
        kept = ctx._("Nothing was erased. Let's carry on! 🙂 Send /start to continue.")
        return [EditSource(), Message(kept)]
    return [
        EditSource(),
        Message(ctx._("This button is no longer active. Send /deleteme to start again.")),
    ]


async def while_confirming(ctx: Context, state: DialogueState) -> list[Outbound]:
    """Text while the confirmation waits: ask for a button."""
    return await ask_to_erase(ctx, Command(name="deleteme", args=""))
