"""How a broadcast is described to its author: its audience, live progress and final report."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Broadcast, Cohort
from bot.features.broadcasts import service
from bot.kernel.context import Context, fill
from bot.kernel.i18n import N_, Translator
from bot.kernel.labels import MUNICIPALITY_NAMES, ROLE_NAMES

STATES = {
    service.SCHEDULED: N_("scheduled"),
    service.SENDING: N_("sending"),
    service.DONE: N_("finished"),
    service.CANCELLED: N_("cancelled"),
}
REASONS_SHOWN = 5
SNIPPET = 80


async def describe_audience(session: AsyncSession, tr: Translator, audience: str) -> str:
    """An audience in words (plain text; escape it when showing)."""
    kind, _, value = audience.partition(":")
    if kind == service.ALL:
        return tr.gettext("everyone")
    if kind == service.BEHIND:
        return tr.gettext("participants behind schedule")
    if kind == "cohort" and value.isdigit():
        cohort = await session.get(Cohort, int(value))
        return cohort.name if cohort is not None else f"#{value}"
    if kind == "municipality":
        return tr.gettext(MUNICIPALITY_NAMES.get(value, value))
    if kind == "role":
        return tr.gettext(ROLE_NAMES.get(value, value))
    return audience


async def audience_label(ctx: Context, audience: str) -> str:
    """An audience in the reader's words."""
    return await describe_audience(ctx.session, ctx.tr, audience)


def progress_text(tr: Translator, broadcast: Broadcast, counts: Mapping[str, int]) -> str:
    """The author's live progress message (edited as copies go out)."""
    sent, blocked, failed = counts.get("sent", 0), counts.get("blocked", 0), counts.get("failed", 0)
    total = max(broadcast.recipients, 1)
    filled = round(10 * (sent + blocked + failed) / total)
    bar = "▓" * filled + "░" * (10 - filled)
    text = tr.gettext(
        "📣 Broadcast #{id}: {sent} of {total} delivered\n{bar}\n"
        "blocked: {blocked} · failed: {failed}"
    )
    return fill(
        text,
        id=broadcast.id,
        sent=sent,
        total=broadcast.recipients,
        bar=bar,
        blocked=blocked,
        failed=failed,
    )


def final_text(tr: Translator, broadcast: Broadcast, report: Mapping[str, object]) -> str:
    """The final report: delivered, blocked, failed, and why."""
    lines = [
        fill(
            tr.gettext(
                "✅ Broadcast #{id} is finished.\nDelivered: {sent}\nBlocked the bot: {blocked}\n"
                "Failed: {failed}"
            ),
            id=broadcast.id,
            sent=report.get("sent", 0),
            blocked=report.get("blocked", 0),
            failed=report.get("failed", 0),
        )
    ]
    reasons = report.get("reasons")
    if isinstance(reasons, dict) and reasons:
        lines.append(tr.gettext("Reasons:"))
        ordered = sorted(reasons.items(), key=lambda item: (-int(item[1]), str(item[0])))
        for reason, count in ordered[:REASONS_SHOWN]:
            lines.append(fill("• {reason} — {count}", reason=reason, count=count))
    return "\n".join(lines)


async def report_lines(ctx: Context, broadcast: Broadcast) -> list[str]:
    """One broadcast in /broadcasts: when, to whom, its state and numbers, its beginning."""
    return await summary_lines(ctx.session, ctx.tr, ctx.zone, broadcast)


async def summary_lines(
    session: AsyncSession, tr: Translator, zone: ZoneInfo, broadcast: Broadcast
) -> list[str]:
    """One broadcast in /broadcasts: when, to whom, its state and numbers, its beginning."""
    moment = broadcast.scheduled_at or broadcast.started_at or broadcast.created_at
    audience = await describe_audience(session, tr, broadcast.audience)
    state = tr.gettext(STATES.get(broadcast.state, broadcast.state))
    lines = [
        fill(
            "<b>#{id}</b> · {time} · {audience} · {state}",
            id=broadcast.id,
            time=moment.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            audience=audience,
            state=state,
        )
    ]
    snippet = broadcast.text if len(broadcast.text) <= SNIPPET else broadcast.text[:SNIPPET] + "…"
    if broadcast.attachment:
        snippet = ("📎 " + snippet).strip()
    lines.append(fill("<i>{text}</i>", text=snippet))
    if broadcast.state == service.DONE:
        lines.append(final_text(tr, broadcast, broadcast.report).split("\n", 1)[1])
    elif broadcast.state == service.SENDING:
        counts, _ = await service.progress(session, broadcast.id)
        lines.append(progress_text(tr, broadcast, counts).split("\n", 1)[0])
    return lines
