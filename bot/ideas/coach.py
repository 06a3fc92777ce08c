"""The idea coach's long-lived parts: its content, the page fetcher, and the tracked
background tasks that run page checks outside anyone's turn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.content.loader import ContentStore
from bot.dialogue.deps import Deps
from bot.dialogue.events import Message, Outbound
from bot.i18n import Translations
from bot.ideas import audits
from bot.ideas.catalogue import Catalogue, load_catalogue
from bot.ideas.findings import CODES
from bot.ideas.notify import send_later
from bot.ideas.webaudit import AuditRefused, FetchPolicy, WebFetcher

log = logging.getLogger("bot.ideas")


@dataclass
class IdeaCoach:
    """Catalogue, fetcher and background page checks (tracked: failures are logged, and
    shutdown or tests can wait for them with drain())."""

    catalogue: Catalogue
    fetcher: WebFetcher
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _running: set[int] = field(default_factory=set)

    def busy(self, participant_id: int) -> bool:
        """Whether this participant's previous page check is still running."""
        return participant_id in self._running

    def start_audit(self, job: AuditJob) -> None:
        """Run a page check in the background; its report arrives through the outbox."""
        self._running.add(job.participant_id)
        self._track(job.run(self), job.participant_id)

    def _track(self, coroutine: Coroutine[Any, Any, None], participant_id: int) -> None:
        task = asyncio.create_task(coroutine, name=f"web-audit-{participant_id}")
        self._tasks.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._tasks.discard(done)
            self._running.discard(participant_id)
            if not done.cancelled() and done.exception() is not None:
                log.error(
                    "web audit task failed participant=%s",
                    participant_id,
                    exc_info=done.exception(),
                )

        task.add_done_callback(finished)

    async def drain(self) -> None:
        """Wait for every running page check."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def build_coach(content: ContentStore, policy: FetchPolicy | None = None) -> IdeaCoach:
    """Load the coach's content (checked against the course) and make its fetcher."""
    catalogue = load_catalogue(content.directory, content.index, frozenset(CODES))
    return IdeaCoach(catalogue, WebFetcher(policy or FetchPolicy()))


def coach_of(deps: Deps) -> IdeaCoach:
    """The coach in service (built on first use with the safe default policy)."""
    if deps.ideas is None:
        deps.ideas = build_coach(deps.content)
    return deps.ideas


@dataclass(frozen=True)
class AuditJob:
    """One page check for one participant, carrying only ids and plain values."""

    participant_id: int
    language: str
    url: str
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    translations: Translations
    content: ContentStore
    zone: ZoneInfo

    async def run(self, coach: IdeaCoach) -> None:
        """Check the page, store the result and queue the report for the participant."""
        report: audits.AuditReport | None = None
        outcome = "ok"
        try:
            report = await audits.check_page(coach.fetcher, self.url)
        except AuditRefused as error:
            refused = error
            outcome = error.reason
        except Exception:
            log.exception("web audit failed participant=%s", self.participant_id)
            refused, outcome = AuditRefused("failed"), "failed"
        tr = self.translations.get(self.language)
        async with self.sessions() as session, session.begin():
            now = self.clock.now()
            replies: list[Outbound]
            if report is not None:
                audit, previous = await audits.store_report(
                    session, self.participant_id, report, now
                )
                when = (
                    previous.created_at.astimezone(self.zone).strftime("%Y-%m-%d")
                    if previous
                    else None
                )
                replies = audits.render_report(
                    tr, coach.catalogue, self.content.index, audit, previous, when
                )
                key = f"web-audit:{audit.id}"
            else:
                replies = [Message(audits.refusal_text(tr, refused))]
                key = f"web-audit-refused:{self.participant_id}:{now.timestamp():.6f}"
            await send_later(session, self.participant_id, key, replies, now, purpose="web_audit")
        log.info("web audit participant=%s outcome=%s", self.participant_id, outcome)
