"""The page-check task: /audit's fetch and judgement, run outside anyone's turn."""

from __future__ import annotations

import logging

from bot.features.audit import reports as audits
from bot.kernel.context import coach_of
from bot.kernel.messages import Message, Outbound
from bot.kernel.tasks import TaskJob
from bot.net.pages import AuditRefused

log = logging.getLogger("bot.ideas")


async def run_audit(job: TaskJob) -> list[Outbound]:
    """The page-check task: fetch and judge the page with no session open, then store the
    result and return the report (or why the page could not be checked)."""
    coach = coach_of(job.runner.deps)
    url = str(job.params["url"])
    report: audits.AuditReport | None = None
    outcome = "ok"
    try:
        report = await audits.check_page(coach.fetcher, url)
    except AuditRefused as error:
        refused = error
        outcome = error.reason
    except Exception:
        log.exception("web audit failed participant=%s", job.participant_id)
        refused, outcome = AuditRefused("failed"), "failed"
    async with job.context() as ctx:
        replies: list[Outbound]
        if report is not None:
            audit, previous = await audits.store_report(
                ctx.session, job.participant_id, report, ctx.now
            )
            when = (
                previous.created_at.astimezone(ctx.zone).strftime("%Y-%m-%d") if previous else None
            )
            replies = audits.render_report(
                ctx.tr, coach.catalogue, ctx.index, audit, previous, when
            )
        else:
            replies = [Message(audits.refusal_text(ctx.tr, refused))]
    log.info("web audit participant=%s outcome=%s", job.participant_id, outcome)
    return replies
