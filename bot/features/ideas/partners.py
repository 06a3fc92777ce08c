"""Creative partnership: share an idea with the cohort, /gallery of shared ideas from every
municipality, Borrow (the author hears who borrowed it); trainers list every idea and comment."""

from __future__ import annotations

from bot.db import participants
from bot.db.models import Idea, Participant
from bot.domain.profile import MUNICIPALITY_LABELS, Command, Municipality
from bot.features.ideas import queries as service
from bot.features.ideas import stuck
from bot.features.ideas.notify import send_later
from bot.features.ideas.overview import STATUS_LABELS
from bot.features.ideas.queries import Status
from bot.kernel.context import Context, fill, grid, rows
from bot.kernel.i18n import N_
from bot.kernel.messages import Button, EditSource, Message, Notice, Outbound
from bot.kernel.registry import TRAINER, Registry

PAGE = 5
TRAINER_PAGE = 10
ALL = "all"


def register(registry: Registry) -> None:
    """Plug sharing, the gallery, borrowing and the trainers' list into the dialogue."""
    registry.command("gallery", N_("ideas shared by colleagues"))(gallery)
    registry.command("allideas", N_("every participant's ideas"), roles={TRAINER})(all_ideas)
    registry.button("ish")(toggle_share)
    registry.button("gal")(gallery_page)
    registry.button("ibr")(borrow)
    registry.button("tl", roles={TRAINER})(trainer_page)
    registry.button("tc", roles={TRAINER})(ask_comment)


def _stale(ctx: Context) -> list[Outbound]:
    return [Notice(ctx._("This button is no longer active.")), EditSource()]


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


async def toggle_share(ctx: Context, payload: str) -> list[Outbound]:
    """Share an idea with the cohort, or stop sharing it."""
    idea_id = _number(payload.partition(":")[2])
    idea = await service.own_idea(ctx.session, ctx.participant.id, idea_id or 0)
    if idea is None or idea.status == Status.DROPPED:
        return _stale(ctx)
    if idea.shared_at is None:
        idea.shared_at = ctx.now
        text = ctx._("🤝 Shared! Colleagues from every municipality will see it in /gallery.")
    else:
        idea.shared_at = None
        text = ctx._("🙈 The idea is no longer shared.")
    return [EditSource(), Message(text, rows(Button(ctx._("⬅️ My ideas"), "ils")))]


async def gallery(ctx: Context, command: Command) -> list[Outbound]:
    """/gallery: ideas shared by colleagues from every municipality."""
    return [await _gallery(ctx, 0)]


async def gallery_page(ctx: Context, payload: str) -> list[Outbound]:
    """Another page of the gallery."""
    return [EditSource(), await _gallery(ctx, _number(payload.partition(":")[2]) or 0)]


def _author(ctx: Context, author: Participant) -> str:
    place = stuck.municipality_label(ctx.tr, author.municipality)
    return fill(
        ctx._("{name}, {institution} ({municipality})"),
        name=author.name or "—",
        institution=author.institution or "—",
        municipality=place,
    )


async def _gallery(ctx: Context, page: int) -> Message:
    found, total = await service.shared_ideas(ctx.session, page * PAGE, PAGE)
    if not found:
        return Message(
            ctx._(
                "🖼 Nobody has shared an idea yet. "
                "Be the first: open an idea in /ideas and share it."
            )
        )
    lines = [fill(ctx._("🖼 <b>Colleagues' ideas</b> ({total})"), total=total)]
    buttons: list[Button] = []
    for number, (idea, author) in enumerate(found, start=page * PAGE + 1):
        steps = len(idea.steps)
        lines.append(
            fill(ctx._("{number}. <b>{title}</b>"), number=number, title=idea.title)
            + "\n"
            + _author(ctx, author)
            + " · "
            + fill(ctx.tr.ngettext("{count} step", "{count} steps", steps), count=steps)
        )
        if author.id != ctx.participant.id:
            buttons.append(
                Button(fill(ctx._("📥 Borrow {number}"), number=number), f"ibr:{idea.id}")
            )
    more: list[Button] = []
    if page > 0:
        more.append(Button(ctx._("◀️ Back"), f"gal:{page - 1}"))
    if (page + 1) * PAGE < total:
        more.append(Button(ctx._("More ▶️"), f"gal:{page + 1}"))
    return Message("\n\n".join(lines), grid(buttons, 2) + ((tuple(more),) if more else ()))


async def borrow(ctx: Context, payload: str) -> list[Outbound]:
    """Copy a shared idea with its steps; tell its author who borrowed it and from where."""
    source = await ctx.session.get(Idea, _number(payload.partition(":")[2]) or 0)
    if source is None or source.shared_at is None or source.status == Status.DROPPED:
        return _stale(ctx)
    if source.participant_id == ctx.participant.id:
        return [Notice(ctx._("This is your own idea 🙂"))]
    if await service.already_borrowed(ctx.session, ctx.participant.id, source.id):
        return [Notice(ctx._("You have already borrowed this idea: see /ideas."))]
    copy = await service.borrow(ctx.session, ctx.participant.id, source, ctx.now)
    author = await ctx.session.get(Participant, source.participant_id)
    if author is not None:
        tr = ctx.translations.get(author.language)
        text = fill(
            tr.gettext(
                "🤝 {name} from {municipality} borrowed your idea “{title}”. "
                "Creative partnership at work!"
            ),
            name=ctx.participant.name or "—",
            municipality=stuck.municipality_label(tr, ctx.participant.municipality),
            title=source.title,
        )
        await send_later(
            ctx.session,
            author.id,
            f"idea-borrowed:{copy.id}",
            [Message(text)],
            ctx.now,
            purpose="idea_borrowed",
        )
    text = fill(
        ctx.tr.ngettext(
            "📥 “{title}” is now among your ideas, with its {count} step.",
            "📥 “{title}” is now among your ideas, with its {count} steps.",
            len(copy.steps),
        ),
        title=copy.title,
        count=len(copy.steps),
    )
    buttons = rows(
        Button(ctx._("▶️ Start"), f"istart:{copy.id}"),
        Button(ctx._("⬅️ My ideas"), "ils"),
    )
    return [Message(text, buttons)]


async def all_ideas(ctx: Context, command: Command) -> list[Outbound]:
    """/allideas: every idea, filtered by municipality and status (trainers)."""
    return [await _trainer_list(ctx, ALL, ALL, 0)]


async def trainer_page(ctx: Context, payload: str) -> list[Outbound]:
    """Another filter or page of the trainers' list."""
    parts = [*payload.split(":"), ALL, ALL, "0"][1:4]
    municipality, status, page = parts[0], parts[1], _number(parts[2]) or 0
    if municipality != ALL and municipality not in set(Municipality):
        municipality = ALL
    if status != ALL and status not in set(Status):
        status = ALL
    return [EditSource(), await _trainer_list(ctx, municipality, status, page)]


async def _trainer_list(ctx: Context, municipality: str, status: str, page: int) -> Message:
    found, total = await service.all_ideas(
        ctx.session,
        None if municipality == ALL else municipality,
        None if status == ALL else status,
        page * TRAINER_PAGE,
        TRAINER_PAGE,
    )
    place = (
        ctx._("all municipalities")
        if municipality == ALL
        else stuck.municipality_label(ctx.tr, municipality)
    )
    state = ctx._("every status") if status == ALL else ctx._(STATUS_LABELS[Status(status)])
    lines = [
        fill(
            ctx._("📊 <b>Ideas</b>: {total} · {place} · {state}"),
            total=total,
            place=place,
            state=state,
        )
    ]
    comment: list[Button] = []
    for idea, author in found:
        done, steps = service.progress(idea)
        lines.append(
            fill(
                ctx._("#{id} <b>{title}</b>\n{author} · {status} · {done}/{steps}"),
                id=idea.id,
                title=idea.title,
                author=_author(ctx, author),
                status=ctx._(STATUS_LABELS[Status(idea.status)]),
                done=done,
                steps=steps,
            )
        )
        comment.append(Button(f"💬 #{idea.id}", f"tc:{idea.id}"))
    muni_buttons = [Button(ctx._("All"), f"tl:{ALL}:{status}:0")] + [
        Button(ctx._(label), f"tl:{code.value}:{status}:0")
        for code, label in MUNICIPALITY_LABELS.items()
    ]
    status_buttons = [Button(ctx._("All"), f"tl:{municipality}:{ALL}:0")] + [
        Button(ctx._(label), f"tl:{municipality}:{code.value}:0")
        for code, label in STATUS_LABELS.items()
    ]
    more: list[Button] = []
    if page > 0:
        more.append(Button(ctx._("◀️ Back"), f"tl:{municipality}:{status}:{page - 1}"))
    if (page + 1) * TRAINER_PAGE < total:
        more.append(Button(ctx._("More ▶️"), f"tl:{municipality}:{status}:{page + 1}"))
    buttons = grid(comment, 5) + grid(muni_buttons, 4) + grid(status_buttons, 5)
    return Message("\n\n".join(lines), buttons + ((tuple(more),) if more else ()))


async def ask_comment(ctx: Context, payload: str) -> list[Outbound]:
    """A trainer starts a comment on an idea."""
    idea = await ctx.session.get(Idea, _number(payload.partition(":")[2]) or 0)
    author = await ctx.session.get(Participant, idea.participant_id) if idea is not None else None
    if idea is None or author is None:
        return _stale(ctx)
    await participants.set_state(
        ctx.session, ctx.participant.id, stuck.REPLY_FLOW, "comment", ctx.now, {"idea": idea.id}
    )
    text = fill(
        ctx._("Write your comment on “{title}” for {name} (or /cancel)."),
        title=idea.title,
        name=author.name or "—",
    )
    return [Message(text)]
