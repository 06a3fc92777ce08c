"""/participants (trainers, coordinators): everyone with their progress and last activity,
a page at a time, and one participant's detail (/participants 12, or a button)."""

from __future__ import annotations

from bot.domain.profile import Command
from bot.domain.progress import progress_bar
from bot.kernel.context import Context, fill, grid, rows
from bot.kernel.i18n import N_
from bot.kernel.labels import role_name
from bot.kernel.messages import Button, EditSource, Message, Outbound
from bot.kernel.registry import COORDINATOR, TRAINER, Registry
from bot.kernel.snapshot import Person, Snapshot, load_snapshot
from bot.kernel.widgets import (
    ago,
    municipality_label,
    number,
    page_of,
    pager,
    record,
    role_label,
    stale,
)

BUTTON = "pp"


def _line(ctx: Context, snapshot: Snapshot, person: Person) -> str:
    total = len(snapshot.index.lessons)
    flags = " ⏰" if person.behind else ""
    flags += " ⏸" if person.paused else ""
    return (
        fill(
            "<b>#{id} {name}</b> · {place}\n{bar} · {seen}",
            id=person.id,
            name=person.participant.name or "",
            place=municipality_label(ctx, person.participant.municipality),
            bar=progress_bar(person.lessons_done, total, 8),
            seen=ago(ctx, person.participant.last_seen_at),
        )
        + flags
    )


async def _page(ctx: Context, page: int) -> Message:
    snapshot = await load_snapshot(ctx.session, ctx.index, ctx.now, ctx.zone)
    people = sorted(snapshot.people, key=lambda p: ((p.participant.name or "").casefold(), p.id))
    if not people:
        return Message(ctx._("Nobody has finished getting started yet."))
    shown, page, pages = page_of(people, page)
    header = fill(ctx._("👥 <b>Participants: {n}</b>"), n=len(people))
    legend = ctx._("⏰ behind schedule · ⏸ paused")
    lines = [header, "", *(_line(ctx, snapshot, p) for p in shown), "", legend]
    buttons = grid((Button(f"#{p.id} {p.name}", f"{BUTTON}:v:{p.id}:{page}") for p in shown), 2)
    nav = pager(ctx, f"{BUTTON}:pg", page, pages)
    return Message("\n".join(lines), buttons + ((nav,) if nav else ()))


async def _detail(ctx: Context, participant_id: int, page: int | None) -> Message | None:
    snapshot = await load_snapshot(ctx.session, ctx.index, ctx.now, ctx.zone)
    person = next((p for p in snapshot.people if p.id == participant_id), None)
    if person is None:
        return None
    await record(ctx, "participant.view", f"participant:{person.id}")
    p = person.participant
    _ = ctx._
    lines = [
        fill("👤 <b>#{id} {name}</b>", id=p.id, name=p.name or ""),
        fill(_("Municipality: {value}"), value=municipality_label(ctx, p.municipality)),
        fill(_("Institution: {value}"), value=p.institution or "—"),
        fill(_("Role: {value}"), value=role_name(ctx.tr, p.role) or "—"),
        fill(_("Group: {value}"), value=person.cohort.name if person.cohort else "—"),
        fill(_("Last active: {value}"), value=ago(ctx, p.last_seen_at)),
        "",
    ]
    for module in snapshot.index.course.modules:
        ids = {lesson.id for lesson in module.lessons}
        done = sum(1 for d in person.deliveries if d.completed_at and d.lesson_id in ids)
        lines.append(
            fill(
                "{title}\n{bar}",
                title=ctx.local(module.title),
                bar=progress_bar(done, len(ids), 8),
            )
        )
    score = "—" if person.score is None else f"{person.score}%"
    lines += [
        "",
        fill(_("Quiz score: {score} ({n} answers)"), score=score, n=len(person.answers)),
    ]
    if person.behind:
        lines.append(_("⏰ Behind schedule"))
    if person.paused:
        lines.append(_("⏸ Lessons paused"))
    if person.granted:
        held = ", ".join(role_label(ctx, role) for role in sorted(person.granted))
        lines.append(fill(_("Access: {roles}"), roles=held))
    back = rows(Button(_("⬅️ Back to the list"), f"{BUTTON}:pg:{page}")) if page is not None else ()
    return Message("\n".join(lines), back)


def register(registry: Registry) -> None:
    """Add /participants and its buttons."""

    @registry.command(
        "participants", N_("participants and their progress"), roles={TRAINER, COORDINATOR}
    )
    async def participants(ctx: Context, command: Command) -> list[Outbound]:
        """The list, or one participant's detail (/participants 12)."""
        if command.args:
            wanted = number(command.args)
            detail = await _detail(ctx, wanted, None) if wanted is not None else None
            if detail is not None:
                return [detail]
            note = fill(ctx._("I found no participant {id}."), id=command.args)
            return [Message(note), await _page(ctx, 0)]
        return [await _page(ctx, 0)]

    @registry.button(BUTTON, roles={TRAINER, COORDINATOR})
    async def pressed(ctx: Context, payload: str) -> list[Outbound]:
        """Turn a page, or open a participant."""
        parts = payload.split(":")
        if len(parts) == 3 and parts[1] == "pg" and parts[2].isdigit():
            message = await _page(ctx, int(parts[2]))
            return [EditSource(message.text, message.buttons)]
        if len(parts) == 4 and parts[1] == "v" and parts[2].isdigit() and parts[3].isdigit():
            detail = await _detail(ctx, int(parts[2]), int(parts[3]))
            if detail is not None:
                return [EditSource(detail.text, detail.buttons)]
        return stale(ctx)
