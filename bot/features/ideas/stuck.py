"""I'm stuck: the trainers get the context through the outbox, and a trainer's reply reaches
the participant through the bot."""

from __future__ import annotations

from bot.db import participants
from bot.db.models import DialogueState, Idea, IdeaNote, Participant
from bot.domain.profile import MUNICIPALITY_LABELS, Municipality, clean_text
from bot.features.ideas.notify import send_later
from bot.kernel import roles
from bot.kernel.context import Context, fill, rows
from bot.kernel.i18n import Translator
from bot.kernel.messages import Button, EditSource, InboundKind, Message, Notice, Outbound
from bot.kernel.registry import TRAINER, Registry

STUCK_FLOW, REPLY_FLOW = "idea_stuck", "idea_reply"
TEXT_MAX = 2000


def register(registry: Registry) -> None:
    """Plug the stuck request and the trainers' reply into the dialogue."""
    registry.button("isk")(send_without_details)
    registry.button("irp", roles={TRAINER})(ask_reply)
    registry.flow(STUCK_FLOW)(typed_problem)
    registry.flow(REPLY_FLOW)(typed_reply)


def municipality_label(tr: Translator, code: str | None) -> str:
    """A municipality's name in the reader's language ("—" when unknown)."""
    try:
        return tr.gettext(MUNICIPALITY_LABELS[Municipality(code or "")])
    except ValueError:
        return "—"


async def ask(ctx: Context, idea: Idea, position: int) -> list[Outbound]:
    """Ask what is in the way (optional) before telling the trainers."""
    await participants.set_state(
        ctx.session,
        ctx.participant.id,
        STUCK_FLOW,
        "problem",
        ctx.now,
        {"idea": idea.id, "position": position},
    )
    text = ctx._(
        "🆘 What is getting in the way? Write a sentence or two and I will pass it on to "
        "the trainers (or /cancel)."
    )
    button = Button(ctx._("Send without details"), f"isk:{idea.id}:{position}")
    return [Message(text, rows(button))]


async def typed_problem(ctx: Context, state: DialogueState) -> list[Outbound]:
    """The participant's words about what is in the way."""
    if ctx.inbound.kind is not InboundKind.TEXT or not clean_text(ctx.inbound.text):
        return [Message(ctx._("Please write it as text, or tap “Send without details”."))]
    text = clean_text(ctx.inbound.text)[:TEXT_MAX]
    return await _notify(
        ctx, int(state.data.get("idea", 0)), int(state.data.get("position", 0)), text
    )


async def send_without_details(ctx: Context, payload: str) -> list[Outbound]:
    """Tell the trainers without a description."""
    parts = payload.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return [Notice(ctx._("This button is no longer active.")), EditSource()]
    return [EditSource(), *await _notify(ctx, int(parts[1]), int(parts[2]), "")]


async def _notify(ctx: Context, idea_id: int, position: int, text: str) -> list[Outbound]:
    await participants.clear_state(ctx.session, ctx.participant.id)
    idea = await ctx.session.get(Idea, idea_id)
    if (
        idea is None
        or idea.participant_id != ctx.participant.id
        or not 1 <= position <= len(idea.steps)
    ):
        return [Message(ctx._("This idea is no longer there. See /ideas."))]
    note = IdeaNote(
        idea_id=idea.id,
        author_id=ctx.participant.id,
        kind="stuck",
        step_position=position,
        text=text,
        created_at=ctx.now,
    )
    ctx.session.add(note)
    await ctx.session.flush()
    trainers = [
        t for t in await roles.holders(ctx.session, ctx.deps, TRAINER) if t.id != ctx.participant.id
    ]
    person = ctx.participant
    for trainer in trainers:
        tr = ctx.translations.get(trainer.language)
        message = fill(
            tr.gettext(
                "🆘 <b>{name}</b> ({institution}, {municipality}) is stuck.\n\n"
                "💡 Idea: {title}\nStep {number} of {total}: {step}"
            ),
            name=person.name or "—",
            institution=person.institution or "—",
            municipality=municipality_label(tr, person.municipality),
            title=idea.title,
            number=position,
            total=len(idea.steps),
            step=idea.steps[position - 1].text,
        )
        if text:
            message += "\n\n" + fill(tr.gettext("They wrote: {text}"), text=text)
        button = Button(tr.gettext("↩️ Reply"), f"irp:{note.id}")
        await send_later(
            ctx.session,
            trainer.id,
            f"idea-stuck:{note.id}",
            [Message(message, rows(button))],
            ctx.now,
            purpose="idea_stuck",
        )
    if not trainers:
        return [
            Message(
                ctx._(
                    "I saved your request. No trainer is connected to the bot yet, "
                    "but they will see it."
                )
            )
        ]
    return [Message(ctx._("📨 I passed it on to the trainers. Their answer will come here."))]


async def ask_reply(ctx: Context, payload: str) -> list[Outbound]:
    """A trainer starts a reply to a stuck participant."""
    parts = payload.split(":")
    note = (
        await ctx.session.get(IdeaNote, int(parts[1]))
        if len(parts) == 2 and parts[1].isdigit()
        else None
    )
    idea = await ctx.session.get(Idea, note.idea_id) if note is not None else None
    author = await ctx.session.get(Participant, idea.participant_id) if idea is not None else None
    if note is None or idea is None or author is None:
        return [Notice(ctx._("This button is no longer active.")), EditSource()]
    await participants.set_state(
        ctx.session, ctx.participant.id, REPLY_FLOW, "reply", ctx.now, {"note": note.id}
    )
    text = fill(
        ctx._("Write your reply to {name}; I will deliver it through the bot (or /cancel)."),
        name=author.name or "—",
    )
    return [Message(text)]


async def typed_reply(ctx: Context, state: DialogueState) -> list[Outbound]:
    """The trainer's reply (or comment): stored, and sent to the idea's author."""
    if not ctx.has_role(TRAINER):
        await participants.clear_state(ctx.session, ctx.participant.id)
        return [Message(ctx._("Cancelled. Nothing was changed."))]
    if ctx.inbound.kind is not InboundKind.TEXT or not clean_text(ctx.inbound.text):
        return [Message(ctx._("Please write your reply as text, or /cancel."))]
    text = clean_text(ctx.inbound.text)[:TEXT_MAX]
    note_id = state.data.get("note")
    stuck_note = await ctx.session.get(IdeaNote, int(note_id)) if note_id else None
    idea_id = stuck_note.idea_id if stuck_note is not None else int(state.data.get("idea", 0))
    idea = await ctx.session.get(Idea, idea_id)
    await participants.clear_state(ctx.session, ctx.participant.id)
    author = await ctx.session.get(Participant, idea.participant_id) if idea is not None else None
    if idea is None or author is None:
        return [Message(ctx._("This idea is no longer there."))]
    note = IdeaNote(
        idea_id=idea.id,
        author_id=ctx.participant.id,
        kind="reply" if stuck_note is not None else "comment",
        step_position=stuck_note.step_position if stuck_note is not None else None,
        text=text,
        reply_to_id=stuck_note.id if stuck_note is not None else None,
        created_at=ctx.now,
    )
    ctx.session.add(note)
    await ctx.session.flush()
    tr = ctx.translations.get(author.language)
    if stuck_note is not None:
        head = tr.gettext("💬 <b>The trainer's answer</b> about “{title}”, step {number}:")
    else:
        head = tr.gettext("💬 <b>The trainer's comment</b> on your idea “{title}”:")
    message = (
        fill(head, title=idea.title, number=note.step_position or "")
        + "\n\n"
        + fill("{text}", text=text)
    )
    button = Button(tr.gettext("💡 Open the idea"), f"iv:{idea.id}")
    await send_later(
        ctx.session,
        author.id,
        f"idea-note:{note.id}",
        [Message(message, rows(button))],
        ctx.now,
        purpose="idea_note",
    )
    return [Message(fill(ctx._("✅ Sent to {name}."), name=author.name or "—"))]
