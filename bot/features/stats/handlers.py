"""/stats (coordinators): the course in numbers and a chart comparing municipalities;
/stats MUNICIPALITY (or its button) narrows everything to one municipality."""

from __future__ import annotations

import asyncio

from bot.domain.profile import Command, Municipality
from bot.features.stats.charts import Bar, ChartText, municipality_chart
from bot.features.stats.figures import Stats, compute
from bot.kernel.context import Context, fill, grid, rows
from bot.kernel.i18n import N_
from bot.kernel.labels import role_name
from bot.kernel.messages import Button, Message, Outbound, Photo
from bot.kernel.registry import COORDINATOR, Registry
from bot.kernel.snapshot import load_snapshot
from bot.kernel.tasks import TaskJob, tasks_of
from bot.kernel.widgets import find_municipality, municipality_label, record, stale

BUTTON = "stats"


def _percent(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def _summary(ctx: Context, stats: Stats, place: str | None) -> str:
    _ = ctx._
    title = (
        fill(_("📊 <b>Statistics: {place}</b>"), place=place)
        if place
        else _("📊 <b>Course statistics</b>")
    )
    lines = [title, ""]
    lines.append(fill(_("Participants: <b>{n}</b>"), n=stats.participants))
    if stats.onboarding:
        lines.append(fill(_("Still getting started: {n}"), n=stats.onboarding))
    if not place and stats.by_municipality:
        lines += ["", _("<b>By municipality</b>")]
        lines += [
            fill("• {name}: {n}", name=municipality_label(ctx, code), n=n)
            for code, n in stats.by_municipality.items()
        ]
    if stats.by_role:
        lines += ["", _("<b>By role</b>")]
        lines += [
            fill("• {name}: {n}", name=role_name(ctx.tr, code), n=n)
            for code, n in stats.by_role.items()
        ]
    lines += ["", _("<b>Lessons completed per module</b>")]
    for item in stats.modules:
        lines.append(
            fill(
                "• {title}: {done} / {possible}",
                title=ctx.local(item.module.title),
                done=item.completed,
                possible=item.possible,
            )
        )
    lines += [
        "",
        fill(_("Average quiz score: <b>{score}</b>"), score=_percent(stats.average_score)),
        fill(_("Active in the last 7 days: <b>{n}</b>"), n=stats.active),
        fill(_("Behind schedule: <b>{n}</b>"), n=stats.behind),
        fill(_("Lessons paused: <b>{n}</b>"), n=stats.paused),
        fill(
            _("Improvement ideas started: <b>{started}</b>, done: <b>{done}</b>"),
            started=stats.ideas_started,
            done=stats.ideas_done,
        ),
    ]
    return "\n".join(lines)


def _buttons(ctx: Context, stats: Stats, place: str | None) -> tuple[tuple[Button, ...], ...]:
    codes = list(stats.by_municipality) if not place else []
    choices = [Button(municipality_label(ctx, c), f"{BUTTON}:{c}") for c in codes if len(codes) > 1]
    back = rows(Button(ctx._("📊 All municipalities"), BUTTON)) if place else ()
    return grid(choices, 2) + back


async def draw_chart(job: TaskJob) -> list[Outbound]:
    """The chart task: the numbers in a short session, the picture drawn outside it."""
    municipality = job.params.get("municipality")
    async with job.context() as ctx:
        snapshot = await load_snapshot(
            ctx.session, ctx.index, ctx.now, ctx.zone, municipality=municipality
        )
        stats = compute(snapshot)
        if not stats.groups:
            return []
        text = ChartText(
            title=ctx._("Municipalities compared"),
            participants=ctx._("Participants"),
            active=ctx._("Active in 7 days"),
            progress=ctx._("Course completed, %"),
            score=ctx._("Quiz score, %"),
            count_axis=ctx._("People"),
            percent_axis="%",
        )
        bars = [
            Bar(
                municipality_label(ctx, g.municipality),
                g.participants,
                g.active,
                g.progress,
                g.score or 0,
            )
            for g in stats.groups
        ]
    png = await asyncio.to_thread(municipality_chart, bars, text)
    return [Photo(png, "statistics.png", text.title)]


async def show(ctx: Context, municipality: str | None) -> list[Outbound]:
    """The statistics (of one municipality, if given): a summary now, the chart after it."""
    snapshot = await load_snapshot(
        ctx.session, ctx.index, ctx.now, ctx.zone, municipality=municipality
    )
    stats = compute(snapshot)
    await record(ctx, "stats.view", f"municipality:{municipality}" if municipality else None)
    place = municipality_label(ctx, municipality) if municipality else None
    if stats.groups:  # the picture takes a moment: it follows the numbers
        await tasks_of(ctx.deps).submit(ctx, "stats_chart", {"municipality": municipality})
    return [Message(_summary(ctx, stats, place), _buttons(ctx, stats, place))]


def _choices(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    buttons = [Button(municipality_label(ctx, m), f"{BUTTON}:{m.value}") for m in Municipality]
    return grid(buttons, 2) + rows(Button(ctx._("📊 All municipalities"), BUTTON))


def register(registry: Registry) -> None:
    """Add /stats and its municipality buttons."""

    @registry.command("stats", N_("course statistics and a chart"), roles={COORDINATOR})
    async def stats(ctx: Context, command: Command) -> list[Outbound]:
        """Show the statistics, of one municipality if one is named."""
        if not command.args:
            return await show(ctx, None)
        found = find_municipality(ctx, command.args)
        if found is None:
            text = fill(
                ctx._("I don't know the municipality “{name}”. Choose one:"), name=command.args
            )
            return [Message(text, _choices(ctx))]
        return await show(ctx, found)

    registry.task("stats_chart")(draw_chart)

    @registry.button(BUTTON, roles={COORDINATOR})
    async def pressed(ctx: Context, payload: str) -> list[Outbound]:
        """A municipality's statistics (or everyone's) from a button."""
        value = payload.partition(":")[2]
        if value and value not in set(Municipality):
            return stale(ctx)
        return await show(ctx, value or None)
