"""/progress: each module with a bar, the average quiz score and the streak."""

from __future__ import annotations

from bot.db.models import Enrollment
from bot.domain.progress import progress_bar
from bot.features.progress import report as progress
from bot.kernel.context import Context, escape, fill, rows
from bot.kernel.messages import Button, Message, Outbound


async def show_progress(ctx: Context, enrollment: Enrollment) -> list[Outbound]:
    """/progress: each module with a bar, the average quiz score and the streak."""
    today = ctx.now.astimezone(ctx.zone).date()
    report = await progress.progress_report(ctx.session, enrollment, ctx.index, today, ctx.zone)
    lines = [ctx._("📊 <b>Your progress</b>")]
    for item in report.modules:
        lines.append(
            f"{escape(ctx.local(item.module.title))}\n{progress_bar(item.done, item.total)}"
        )
    if report.score is None:
        lines.append(ctx._("Average quiz score: no answers yet"))
    else:
        lines.append(fill(ctx._("Average quiz score: {score}%"), score=report.score))
    if report.streak_days:
        days = ctx.tr.ngettext(
            "Streak: {count} day in a row", "Streak: {count} days in a row", report.streak_days
        )
        lines.append("🔥 " + fill(days, count=report.streak_days))
    else:
        lines.append("🔥 " + ctx._("Start a streak: learn something today!"))
    return [Message("\n\n".join(lines), rows(Button(ctx._("▶️ Next lesson"), "cmd:next")))]
