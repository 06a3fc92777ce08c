"""/grant and /revoke (admins): give and take the trainer and coordinator roles.

A participant is chosen from a list of buttons (paged) or by their short id (/grant 12);
the role with a button; the change is confirmed with a button and recorded in the audit log.
Admins themselves come from the settings (ADMIN_TELEGRAM_IDS), not from here."""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.db.models import Participant, RoleGrant
from bot.domain.profile import Command
from bot.kernel.context import Context, fill, rows
from bot.kernel.i18n import N_
from bot.kernel.messages import Button, EditSource, Message, Outbound
from bot.kernel.registry import ADMIN, COORDINATOR, TRAINER, Registry
from bot.kernel.roles import granted_roles
from bot.kernel.widgets import (
    ROLE_LABELS,
    fold,
    number,
    page_of,
    pager,
    record,
    role_label,
    stale,
)

GRANTABLE = (TRAINER, COORDINATOR)
GRANT, REVOKE = "grant", "revoke"


def _name(person: Participant) -> str:
    return f"#{person.id} {person.name or ''}".strip()


async def _candidates(ctx: Context, verb: str) -> list[Participant]:
    """Who can be chosen: onboarded participants (for /revoke: those holding a granted role)."""
    query = select(Participant).where(Participant.onboarded_at.is_not(None))
    if verb == REVOKE:
        query = query.where(Participant.id.in_(select(RoleGrant.participant_id)))
    found = await ctx.session.scalars(query.order_by(Participant.name, Participant.id))
    return list(found)


async def _choose_person(ctx: Context, verb: str, page: int, note: str = "") -> list[Outbound]:
    people = await _candidates(ctx, verb)
    if not people:
        if verb == REVOKE:
            return [Message(ctx._("Nobody holds a trainer or coordinator role yet."))]
        return [Message(ctx._("Nobody has finished getting started yet."))]
    shown, page, pages = page_of(people, page)
    question = (
        ctx._("Whom shall I give a role? Choose, or type /grant and the number after #.")
        if verb == GRANT
        else ctx._("Whose role shall I take back? Choose, or type /revoke and the number after #.")
    )
    buttons = rows(*(Button(_name(p), f"{verb}:p:{p.id}") for p in shown))
    nav = pager(ctx, f"{verb}:pg", page, pages)
    buttons += ((nav,) if nav else ()) + rows(Button(ctx._("✖️ Cancel"), f"{verb}:x"))
    return [Message(f"{note}\n\n{question}".strip(), buttons)]


async def _choose_role(ctx: Context, verb: str, person: Participant) -> Outbound:
    held = await granted_roles(ctx.session, person.id)
    roles = [r for r in GRANTABLE if (r not in held) == (verb == GRANT)]
    cancel = Button(ctx._("✖️ Cancel"), f"{verb}:x")
    if not roles:
        text = (
            ctx._("{name} already holds every role I can give.")
            if verb == GRANT
            else ctx._("{name} holds no role I could take back.")
        )
        return EditSource(fill(text, name=_name(person)))
    text = ctx._("Which role for {name}?") if verb == GRANT else ctx._("Which role of {name}?")
    buttons = rows(
        *(Button(role_label(ctx, r).capitalize(), f"{verb}:r:{person.id}:{r}") for r in roles),
        cancel,
    )
    return EditSource(fill(text, name=_name(person)), buttons)


def _confirm(ctx: Context, verb: str, person: Participant, role: str) -> Outbound:
    if verb == GRANT:
        text, yes = ctx._("Give {name} the role “{role}”?"), ctx._("✅ Yes, give it")
    else:
        text, yes = ctx._("Take the role “{role}” from {name}?"), ctx._("✅ Yes, take it back")
    buttons = rows(
        Button(yes, f"{verb}:ok:{person.id}:{role}"), Button(ctx._("✖️ Cancel"), f"{verb}:x")
    )
    return EditSource(fill(text, name=_name(person), role=role_label(ctx, role)), buttons)


async def _apply(ctx: Context, verb: str, person: Participant, role: str) -> Outbound:
    held = await granted_roles(ctx.session, person.id)
    values = {"name": _name(person), "role": role_label(ctx, role)}
    if verb == GRANT:
        if role in held:
            return EditSource(fill(ctx._("{name} already holds the role “{role}”."), **values))
        ctx.session.add(
            RoleGrant(
                participant_id=person.id,
                role=role,
                granted_by=ctx.participant.id,
                granted_at=ctx.now,
            )
        )
        await ctx.session.flush()
        await record(ctx, "role.grant", f"participant:{person.id}", role=role)
        return EditSource(fill(ctx._("✅ {name} now holds the role “{role}”."), **values))
    if role not in held:
        return EditSource(fill(ctx._("{name} does not hold the role “{role}”."), **values))
    await ctx.session.execute(
        delete(RoleGrant).where(RoleGrant.participant_id == person.id, RoleGrant.role == role)
    )
    await record(ctx, "role.revoke", f"participant:{person.id}", role=role)
    return EditSource(fill(ctx._("✅ {name} no longer holds the role “{role}”."), **values))


async def _command(ctx: Context, command: Command, verb: str) -> list[Outbound]:
    words = command.args.split()
    if not words:
        return await _choose_person(ctx, verb, 0)
    wanted = number(words[0])
    person = await ctx.session.get(Participant, wanted) if wanted is not None else None
    if person is None or person.onboarded_at is None:
        note = fill(ctx._("I found no participant {id}."), id=words[0])
        return await _choose_person(ctx, verb, 0, note)
    role = _typed_role(ctx, words[1]) if len(words) > 1 else None
    if role is not None:
        reply = _confirm(ctx, verb, person, role)
    else:
        reply = await _choose_role(ctx, verb, person)
    assert isinstance(reply, EditSource)
    return [Message(reply.text or "", reply.buttons)]


def _typed_role(ctx: Context, word: str) -> str | None:
    """A grantable role typed by its code or its name in any language ("treneris", "Trainer")."""
    typed = fold(word)
    for role in GRANTABLE:
        names = {
            role,
            *(
                ctx.translations.get(lang).gettext(ROLE_LABELS[role])
                for lang in ctx.translations.languages
            ),
        }
        if typed in {fold(name) for name in names}:
            return role
    return None


async def _button(ctx: Context, payload: str) -> list[Outbound]:
    verb, _, rest = payload.partition(":")
    step, _, value = rest.partition(":")
    if step == "x":
        return [EditSource(ctx._("Cancelled. Nothing was changed."))]
    if step == "pg" and value.isdigit():
        replies = await _choose_person(ctx, verb, int(value))
        first = replies[0]
        assert isinstance(first, Message)
        return [EditSource(first.text, first.buttons)]
    person_id, _, role = value.partition(":")
    person = await ctx.session.get(Participant, int(person_id)) if person_id.isdigit() else None
    if person is None:
        return stale(ctx)
    if step == "p" and not role:
        return [await _choose_role(ctx, verb, person)]
    if role not in GRANTABLE:
        return stale(ctx)
    if step == "r":
        return [_confirm(ctx, verb, person, role)]
    if step == "ok":
        return [await _apply(ctx, verb, person, role)]
    return stale(ctx)


def register(registry: Registry) -> None:
    """Add /grant, /revoke and their buttons."""

    @registry.command("grant", N_("give someone a trainer or coordinator role"), roles={ADMIN})
    async def grant(ctx: Context, command: Command) -> list[Outbound]:
        """Start giving a role."""
        return await _command(ctx, command, GRANT)

    @registry.command("revoke", N_("take a trainer or coordinator role back"), roles={ADMIN})
    async def revoke(ctx: Context, command: Command) -> list[Outbound]:
        """Start taking a role back."""
        return await _command(ctx, command, REVOKE)

    registry.button(GRANT, roles={ADMIN})(_button)
    registry.button(REVOKE, roles={ADMIN})(_button)
