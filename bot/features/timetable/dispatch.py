"""The scheduler's work: claim the enrollments whose time has come and decide for each —
a lesson, a reminder about the open quiz, a pause after unanswered reminders, or simply the
next time to look — writing what must be sent to the outbox.

The schedule is state in the database (`next_due_at`, reminder counts, pauses): nothing is
remembered between ticks. PostgreSQL: `FOR UPDATE SKIP LOCKED`, so several processes share the
work without doubles; SQLite: one process. A due time missed while the bot was stopped is
served once, on the first tick, if the window is still open, else at the next slot: never
a burst, never two lessons to one person in one catch-up."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import CourseIndex
from bot.db.models import LessonDelivery
from bot.delivery.outbox import Queued, enqueue_many
from bot.domain.timetable import ScheduleRules
from bot.features.lessons import learning, quiz
from bot.features.lessons import queries as lessons
from bot.features.review import cards as review
from bot.features.timetable.claims import Job, claim, load_facts
from bot.features.timetable.pauses import PAUSE_REASON_REMINDERS, pause, resume
from bot.features.timetable.texts import mention_reviews, paused_text, reminder_text
from bot.kernel.context import Context, Deps
from bot.kernel.i18n import Translations
from bot.kernel.messages import Inbound, InboundKind, Message, Outbound

# A slot found a little late (the tick's interval, a busy database) is still on time.
GRACE = timedelta(minutes=15)
# "24 hours later at the preferred time" also means the next day's slot when that falls a
# little earlier than exactly 24 hours (a lesson sent at 09:00:20, a DST change).
TOLERANCE = timedelta(hours=1)
FINISHED_RECHECK = timedelta(days=30)
BLOCKED_RECHECK = timedelta(days=1)


@dataclass(frozen=True)
class ScheduleConfig:
    """How the schedule behaves (from Settings)."""

    zone: ZoneInfo
    reminder_delay: timedelta = timedelta(hours=24)
    reminder_max: int = 3
    batch_size: int = 500


class Dispatcher:
    """Decides and writes one batch of due enrollments in the caller's transaction."""

    def __init__(
        self,
        index: CourseIndex,
        translations: Translations,
        deps: Deps,
        config: ScheduleConfig,
    ) -> None:
        self._index = index
        self._translations = translations
        self._deps = deps
        self._config = config
        self.queued: list[Queued] = []

    async def dispatch_due(self, session: AsyncSession, now: datetime) -> Counter[str]:
        """Claim and handle one batch; returns what was done, by kind."""
        jobs = await claim(session, now, self._config.batch_size, self._config.zone)
        counts: Counter[str] = Counter()
        if not jobs:
            return counts
        self.queued = []
        await load_facts(session, jobs)
        await review.sync_cards(session, self._index, [job.enrollment.id for job in jobs], now)
        waiting = await review.due_counts(session, [job.enrollment.id for job in jobs], now)
        with session.no_autoflush:
            for job in jobs:
                reviews = waiting.get(job.enrollment.id, 0)
                counts[await self._handle(session, job, now, reviews)] += 1
        await session.flush()
        await enqueue_many(session, self.queued, now)
        return counts

    def _context(self, session: AsyncSession, job: Job, now: datetime) -> Context:
        person = job.participant
        inbound = Inbound("schedule", str(person.id), InboundKind.OTHER)
        return Context(
            session,
            person,
            self._translations,
            now,
            job.rules.zone,
            self._index,
            inbound,
            self._deps,
        )

    async def _handle(self, session: AsyncSession, job: Job, now: datetime, reviews: int) -> str:
        enrollment, rules = job.enrollment, job.rules
        preferred = job.participant.preferred_time
        if enrollment.paused_at is not None:
            until = enrollment.paused_until
            if until is None or rules.local(now).date() < until:
                start = datetime.combine(until, datetime.min.time(), rules.zone) if until else None
                enrollment.next_due_at = rules.first_slot_from(start, preferred) if start else None
                return "paused"
            resume(enrollment, now)
        if job.facts.blocked:
            enrollment.next_due_at = now + BLOCKED_RECHECK
            return "blocked"
        ctx = self._context(session, job, now)
        pending = None
        if any(d.completed_at is None for d in job.facts.deliveries):
            pending = await lessons.open_question(session, enrollment, self._index)
        if pending is not None:
            return await self._remind(ctx, job, pending, now)
        delivered = [d.delivered_at for d in job.facts.deliveries]
        if delivered:
            due = rules.next_lesson_after(max(delivered), preferred)
        else:
            due = enrollment.next_due_at or now
        if due > now:
            enrollment.next_due_at = due
            return "waiting"
        if not self._on_time(rules, due, now):
            enrollment.next_due_at = rules.first_slot_from(now, preferred)
            return "rescheduled"
        return await self._lesson(ctx, job, now, reviews)

    @staticmethod
    def _on_time(rules: ScheduleRules, due: datetime, now: datetime) -> bool:
        return now - due <= GRACE or rules.in_window(now)

    async def _lesson(self, ctx: Context, job: Job, now: datetime, reviews: int) -> str:
        enrollment = job.enrollment
        done = {d.lesson_id for d in job.facts.deliveries}
        ref = self._index.next_lesson(done)
        if ref is None:
            enrollment.next_due_at = now + FINISHED_RECHECK
            return "finished"
        delivery = LessonDelivery(
            enrollment_id=enrollment.id, lesson_id=ref.lesson.id, delivered_at=now
        )
        ctx.session.add(delivery)
        job.facts.deliveries.append(delivery)
        replies = await learning.deliver_lesson(ctx, enrollment, ref)
        if reviews:
            replies = mention_reviews(ctx, replies, reviews)
        self.queued.append(
            Queued(job.participant.id, f"lesson:{enrollment.id}:{ref.lesson.id}", replies, "lesson")
        )
        enrollment.reminder_count = 0
        preferred = job.participant.preferred_time
        following = job.rules.next_lesson_after(now, preferred)
        reminder = job.rules.first_slot_from(
            now + self._config.reminder_delay - TOLERANCE, preferred
        )
        enrollment.next_due_at = min(following, reminder)
        return "lesson"

    async def _remind(
        self, ctx: Context, job: Job, pending: lessons.OpenQuestion, now: datetime
    ) -> str:
        enrollment, rules = job.enrollment, job.rules
        preferred = job.participant.preferred_time
        sent = max(
            d.delivered_at for d in job.facts.deliveries if d.lesson_id == pending.ref.lesson.id
        )
        last_answer, reminded = job.facts.last_answer_at, enrollment.last_reminded_at
        if reminded is not None and (reminded < sent or (last_answer and last_answer > reminded)):
            enrollment.reminder_count = 0
        anchor = max(moment for moment in (sent, last_answer, reminded) if moment is not None)
        due = rules.first_slot_from(anchor + self._config.reminder_delay - TOLERANCE, preferred)
        if due > now:
            enrollment.next_due_at = due
            return "waiting"
        if not self._on_time(rules, due, now):
            enrollment.next_due_at = rules.first_slot_from(now, preferred)
            return "rescheduled"
        count = enrollment.reminder_count
        if count >= self._config.reminder_max:
            pause(enrollment, now, PAUSE_REASON_REMINDERS)
            key = f"paused:{enrollment.id}:{now.isoformat()}"
            self.queued.append(
                Queued(job.participant.id, key, [Message(paused_text(ctx))], "pause")
            )
            return "paused_now"
        replies: list[Outbound] = [
            Message(reminder_text(ctx, count + 1, self._config.reminder_max))
        ]
        replies.append(await quiz.show(ctx, pending))
        key = f"reminder:{enrollment.id}:{pending.ref.lesson.id}:{anchor.isoformat()}"
        self.queued.append(Queued(job.participant.id, key, replies, "reminder"))
        enrollment.reminder_count = count + 1
        enrollment.last_reminded_at = now
        enrollment.next_due_at = rules.first_slot_from(
            now + self._config.reminder_delay - TOLERANCE, preferred
        )
        return "reminder"
