"""/cohort_new (trainers): a group's name and start date, then its invite link;
/cohorts (trainers, coordinators): the groups with their participant counts and links."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from bot.db import participants
from bot.db.models import Cohort, DialogueState, Participant
from bot.domain.cohorts import (
    invite_link,
    new_invite_code,
    parse_start_date,
    validate_cohort_name,
)
from bot.domain.profile import Command, InvalidAnswer
from bot.kernel.context import Context, fill, rows
from bot.kernel.i18n import N_
from bot.kernel.messages import Button, EditSource, Message, Outbound
from bot.kernel.registry import COORDINATOR, TRAINER, Registry
from bot.kernel.widgets import record, stale

FLOW = "cohort_new"
BUTTON = "cohortnew"
LISTED = 30  # newest groups shown by /cohorts

REASONS = {
    "command": N_("That looks like a command. Please type the name as plain text, or /cancel."),
    "too_short": N_("That seems too short: please use at least two letters or digits."),
    "too_long": N_("That is too long: please keep the name under 100 characters."),
    "date_format": N_("Please type the date as 2026-12-01 or 1.12.2026."),
    "date_invalid": N_("There is no such day in the calendar. Please check the date."),
    "date_past": N_("That date is more than a year ago. Please type the start date."),
    "date_far": N_("That date is more than two years ahead. Please check the year."),
}


def _ask_date(ctx: Context, today: date) -> Message:
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    buttons = rows(
        Button(fill(ctx._("Today, {day}"), day=today.isoformat()), f"{BUTTON}:{today}"),
        Button(fill(ctx._("Next Monday, {day}"), day=monday.isoformat()), f"{BUTTON}:{monday}"),
        Button(ctx._("✖️ Cancel"), f"{BUTTON}:x"),
    )
    text = ctx._(
        "When does the group start? Choose, or type the date, e.g. 2026-12-01 or 1.12.2026."
    )
    return Message(text, buttons)


async def _create(ctx: Context, name: str, start: date) -> list[Outbound]:
    code = new_invite_code()
    while await participants.find_cohort(ctx.session, code) is not None:  # pragma: no cover
        code = new_invite_code()
    cohort = Cohort(
        name=name,
        invite_code=code,
        start_date=start,
        timezone=ctx.zone.key,
        created_at=ctx.now,
    )
    ctx.session.add(cohort)
    await ctx.session.flush()
    await participants.clear_state(ctx.session, ctx.participant.id)
    await record(ctx, "cohort.create", f"cohort:{cohort.id}")
    created = fill(
        ctx._("✅ Group “{name}” is ready; it starts on {day}."), name=name, day=start.isoformat()
    )
    return [Message(created), Message(_invitation(ctx, cohort))]


def _invitation(ctx: Context, cohort: Cohort) -> str:
    link = invite_link(ctx.deps.bot_username, cohort.invite_code)
    if link is None:
        return fill(
            ctx._(
                "Invitation code: <code>{code}</code>. Participants join by sending /start {code}."
            ),
            code=cohort.invite_code,
        )
    return fill(
        ctx._("Share this link with the group: whoever opens it joins the group.\n{link}"),
        link=link,
    )


async def _typed(ctx: Context, state: DialogueState) -> list[Outbound]:
    text = ctx.inbound.text
    today = ctx.now.astimezone(ctx.zone).date()
    try:
        if state.step == "name":
            name = validate_cohort_name(text)
            await participants.set_state(
                ctx.session, ctx.participant.id, FLOW, "start", ctx.now, {"name": name}
            )
            return [_ask_date(ctx, today)]
        start = parse_start_date(text, today)
    except InvalidAnswer as error:
        return [Message(ctx._(REASONS[error.reason]))]
    return await _create(ctx, str(state.data.get("name", "")), start)


async def _pressed(ctx: Context, payload: str) -> list[Outbound]:
    value = payload.partition(":")[2]
    state = await participants.get_state(ctx.session, ctx.participant.id)
    if state is None or state.flow != FLOW or state.step != "start":
        return stale(ctx)
    if value == "x":
        await participants.clear_state(ctx.session, ctx.participant.id)
        return [EditSource(ctx._("Cancelled. Nothing was changed."))]
    try:
        start = date.fromisoformat(value)
    except ValueError:
        return stale(ctx)
    return [EditSource(), *await _create(ctx, str(state.data.get("name", "")), start)]


async def _list(ctx: Context) -> list[Outbound]:
    found = await ctx.session.execute(
        select(Participant.cohort_id, func.count(Participant.id))
        .where(Participant.cohort_id.is_not(None))
        .group_by(Participant.cohort_id)
    )
    counts: dict[int | None, int] = {cohort_id: n for cohort_id, n in found}
    cohorts = list(
        await ctx.session.scalars(
            select(Cohort).order_by(Cohort.start_date.desc(), Cohort.id.desc()).limit(LISTED)
        )
    )
    if not cohorts:
        return [Message(ctx._("There are no groups yet. Create one with /cohort_new."))]
    lines = [ctx._("👥 <b>Groups</b>")]
    for cohort in cohorts:
        count = counts.get(cohort.id, 0)
        people = ctx.tr.ngettext("{n} participant", "{n} participants", count).format(n=count)
        link = (
            invite_link(ctx.deps.bot_username, cohort.invite_code) or f"/start {cohort.invite_code}"
        )
        lines.append(
            fill(
                "\n<b>{name}</b> · {day} · {people}\n{link}",
                name=cohort.name,
                day=cohort.start_date.isoformat(),
                people=people,
                link=link,
            )
        )
    return [Message("\n".join(lines))]


def register(registry: Registry) -> None:
    """Add /cohort_new, /cohorts, the start-date buttons and the naming flow."""

    @registry.command("cohort_new", N_("create a group and its invite link"), roles={TRAINER})
    async def cohort_new(ctx: Context, command: Command) -> list[Outbound]:
        """Ask for the new group's name."""
        await participants.set_state(ctx.session, ctx.participant.id, FLOW, "name", ctx.now)
        return [Message(ctx._("What is the new group called? (/cancel to stop)"))]

    @registry.command("cohorts", N_("groups and their invite links"), roles={TRAINER, COORDINATOR})
    async def cohorts(ctx: Context, command: Command) -> list[Outbound]:
        """List the groups."""
        return await _list(ctx)

    registry.flow(FLOW)(_typed)
    registry.button(BUTTON, roles={TRAINER})(_pressed)
