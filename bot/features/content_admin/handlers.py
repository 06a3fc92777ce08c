"""/reload_content: an admin puts edited course files into service without a restart.

The new files go through the whole checker first; if it finds anything, the course in
service stays as it was and the admin sees the first problems with a count."""

from __future__ import annotations

import asyncio
import logging

from bot.content.loader import ContentError, CourseIndex
from bot.domain.profile import Command
from bot.kernel.context import Context, escape, fill
from bot.kernel.i18n import N_
from bot.kernel.messages import Message
from bot.kernel.registry import ADMIN, Registry, Replies
from bot.kernel.tasks import TaskJob, tasks_of

log = logging.getLogger("bot.content")

SHOWN_ISSUES = 5
ISSUE_TEXT_MAX = 300


async def reload_content(ctx: Context, command: Command) -> Replies:
    """Start checking and reloading the course files outside the turn."""
    runner = tasks_of(ctx.deps)
    if await runner.busy(ctx.session, ctx.participant.id, "content_reload"):
        return [Message(ctx._("I am still checking the course files. The result is coming!"))]
    await runner.submit(ctx, "content_reload", {})
    return [Message(ctx._("⏳ Checking the new course files… I will tell you how it went."))]


async def run_reload(job: TaskJob) -> Replies:
    """The reload task: read and check the files (in a thread, no session open); keep the
    old course if the new one has problems."""
    store = job.runner.content
    try:
        index = await asyncio.to_thread(store.reload)
    except ContentError as error:
        async with job.context() as ctx:
            log.warning(
                "content reload refused participant=%s issues=%d",
                ctx.participant.id,
                len(error.issues),
            )
            return [Message(_refusal(ctx, error))]
    async with job.context() as ctx:
        return _reloaded(ctx, index, len(store.warnings))


def _reloaded(ctx: Context, index: CourseIndex, warnings: int) -> Replies:
    log.info(
        "content reloaded participant=%s modules=%d lessons=%d warnings=%d",
        ctx.participant.id,
        len(index.course.modules),
        len(index.lessons),
        warnings,
    )
    done = fill(
        ctx._("✅ The course content is reloaded. Modules: {modules}, lessons: {lessons}."),
        modules=len(index.course.modules),
        lessons=len(index.lessons),
    )
    note = ctx._("Everyone sees the new content from their next message.")
    if not warnings:
        return [Message(f"{done}\n{note}")]
    advice = ctx.tr.ngettext(
        "💡 The checker has {count} warning (a quiz pattern or a bare-domain source). "
        "It does not stop the course; see it with:",
        "💡 The checker has {count} warnings (quiz patterns or bare-domain sources). "
        "They do not stop the course; see them with:",
        warnings,
    )
    hint = fill(advice, count=warnings) + "\n<code>python -m bot content check</code>"
    return [Message(f"{done}\n{note}\n\n{hint}")]


def _refusal(ctx: Context, error: ContentError) -> str:
    count = len(error.issues)
    head = ctx.tr.ngettext(
        "⚠️ The new content was not loaded: it has {count} problem. "
        "The course in service has not changed.",
        "⚠️ The new content was not loaded: it has {count} problems. "
        "The course in service has not changed.",
        count,
    )
    lines = [fill(head, count=count), ""]
    for issue in error.issues[:SHOWN_ISSUES]:
        where = f"{issue.file}:{issue.line}:{issue.column}"
        what = f"{issue.path}: {issue.message}" if issue.path else issue.message
        if len(what) > ISSUE_TEXT_MAX:
            what = what[: ISSUE_TEXT_MAX - 1] + "…"
        lines.append(f"• <code>{escape(where)}</code> {escape(what)}")
    if count > SHOWN_ISSUES:
        lines.append(fill(ctx._("…and {count} more."), count=count - SHOWN_ISSUES))
    lines += [
        "",
        ctx._("Fix the files and try again. Every problem is listed by:")
        + "\n<code>python -m bot content check</code>",
    ]
    return "\n".join(lines)


def register(registry: Registry) -> None:
    """Add /reload_content (admins only)."""
    registry.command(
        "reload_content", N_("reload the course content from its files"), roles={ADMIN}
    )(reload_content)
    registry.task("content_reload")(run_reload)
