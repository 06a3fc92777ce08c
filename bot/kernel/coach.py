"""The idea coach's long-lived parts (its content and the page fetcher) and the page-check
task that runs outside anyone's turn (bot/conversation/tasks.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.content.catalogue import Catalogue, load_catalogue
from bot.content.loader import ContentStore
from bot.conversation.tasks import TaskJob
from bot.domain.findings import CODES
from bot.features.audit import reports as audits
from bot.kernel.deps import Deps
from bot.kernel.messages import Message, Outbound
from bot.net.pages import AuditRefused, FetchPolicy, WebFetcher

log = logging.getLogger("bot.ideas")


@dataclass
class IdeaCoach:
    """The coach's catalogue and page fetcher; page checks run as tracked tasks."""

    catalogue: Catalogue
    fetcher: WebFetcher


def build_coach(content: ContentStore, policy: FetchPolicy | None = None) -> IdeaCoach:
    """Load the coach's content (checked against the course) and make its fetcher."""
    catalogue = load_catalogue(content.directory, content.index, frozenset(CODES))
    return IdeaCoach(catalogue, WebFetcher(policy or FetchPolicy()))


def coach_of(deps: Deps) -> IdeaCoach:
    """The coach in service (built on first use with the safe default policy)."""
    if deps.ideas is None:
        deps.ideas = build_coach(deps.content)
    return deps.ideas


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
