"""Retention: participants of a cohort that ended more than RETENTION_DAYS ago are erased by
a daily job; trainers are warned seven days before, once, so they can export what they need.

A cohort ends on its last lesson day: its start date, then one lesson day for every
`lessons_per_day` lessons of the course, on its lesson weekdays, public holidays skipped."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import ceil
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import ContentStore
from bot.db import audit_log as audit
from bot.db.models import Cohort, Participant, ProcessedUpdate
from bot.delivery import outbox
from bot.domain.pace import is_lesson_day
from bot.features.privacy import queries as privacy
from bot.kernel import roles
from bot.kernel.context import fill
from bot.kernel.i18n import Translations
from bot.kernel.messages import Message
from bot.kernel.registry import TRAINER
from bot.kernel.roles import Admins

log = logging.getLogger("bot.retention")
WARNING_DAYS = 7
PURPOSE = "retention"
# Telegram re-delivers an update for at most a day; Messenger for a few hours. A week of
# update ids is plenty to recognise a duplicate.
UPDATE_LEDGER_DAYS = 7


def cohort_end(cohort: Cohort, lesson_count: int) -> date:
    """The cohort's last lesson day."""
    days_needed = max(1, ceil(lesson_count / max(1, cohort.lessons_per_day)))
    day, counted = cohort.start_date, 0
    while True:
        if is_lesson_day(day, cohort.lesson_days):
            counted += 1
            if counted >= days_needed:
                return day
        day += timedelta(days=1)


@dataclass(frozen=True)
class RetentionReport:
    """What one run did: participants erased, trainer warnings queued."""

    erased: int = 0
    warned: int = 0
    forgotten_updates: int = 0


class RetentionNeeds(Admins, Protocol):
    """What the clean-up needs of the Deps: the course (for its length) and who the admins are."""

    @property
    def content(self) -> ContentStore: ...


async def _members(session: AsyncSession, cohort_id: int) -> list[int]:
    found = await session.scalars(select(Participant.id).where(Participant.cohort_id == cohort_id))
    return list(found)


async def _warn(
    session: AsyncSession,
    deps: RetentionNeeds,
    translations: Translations,
    cohort: Cohort,
    members: int,
    erase_on: date,
    now: datetime,
) -> int:
    queued = 0
    for trainer in await roles.holders(session, deps, TRAINER):
        tr = translations.get(trainer.language)
        text = fill(
            tr.ngettext(
                "🗓 On {date} the data of {count} participant of the group “{cohort}” will be "
                "erased: the course ended and the storage period is over. If you need "
                "anything, export it with /export before then.",
                "🗓 On {date} the data of {count} participants of the group “{cohort}” will be "
                "erased: the course ended and the storage period is over. If you need "
                "anything, export it with /export before then.",
                members,
            ),
            date=erase_on.isoformat(),
            count=members,
            cohort=cohort.name,
        )
        key = f"retention-warning:{cohort.id}:{erase_on.isoformat()}"
        if await outbox.enqueue(
            session,
            participant_id=trainer.id,
            dedupe_key=key,
            replies=[Message(text)],
            now=now,
            purpose=PURPOSE,
        ):
            queued += 1
    return queued


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    deps: RetentionNeeds,
    translations: Translations,
    now: datetime,
    zone: ZoneInfo,
    retention_days: int,
) -> RetentionReport:
    """Erase the participants of cohorts past their storage period; warn trainers before."""
    today = now.astimezone(zone).date()
    lesson_count = len(deps.content.index.lessons)
    erased = warned = 0
    async with sessions() as session, session.begin():
        for cohort in await session.scalars(select(Cohort).order_by(Cohort.id)):
            erase_on = cohort_end(cohort, lesson_count) + timedelta(days=retention_days)
            if today < erase_on - timedelta(days=WARNING_DAYS):
                continue
            members = await _members(session, cohort.id)
            if not members:
                continue
            if today >= erase_on:
                for participant_id in members:
                    await privacy.erase(session, participant_id)
                await audit.record(
                    session,
                    None,
                    "retention.erase",
                    now,
                    target=f"cohort:{cohort.id}",
                    details={"participants": len(members)},
                )
                erased += len(members)
            else:
                warned += await _warn(
                    session, deps, translations, cohort, len(members), erase_on, now
                )
        ledger = await session.execute(
            delete(ProcessedUpdate).where(
                ProcessedUpdate.processed_at < now - timedelta(days=UPDATE_LEDGER_DAYS)
            )
        )
        forgotten = ledger.rowcount or 0  # type: ignore[attr-defined]
    log.info("retention erased=%d warned=%d updates_forgotten=%d", erased, warned, forgotten)
    return RetentionReport(erased, warned, forgotten)
