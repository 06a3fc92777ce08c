"""The scheduler's work: claim the enrollments whose time has come and decide for each —
a lesson, a reminder about the open quiz, a pause after unanswered reminders, or simply the
next time to look — writing what must be sent to the outbox.

The schedule is state in the database (`next_due_at`, reminder counts, pauses): nothing is
remembered between ticks. PostgreSQL: `FOR UPDATE SKIP LOCKED`, so several processes share the
work without doubles; SQLite: one process. A due time missed while the bot was stopped is
served once, on the first tick, if the window is still open, else at the next slot: never
a burst, never two lessons to one person in one catch-up."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import CourseIndex
from bot.db.models import (
    Answer,
    ChannelIdentity,
    Cohort,
    Enrollment,
    LessonDelivery,
    Participant,
)
from bot.delivery.outbox import Queued, enqueue_many
from bot.domain.timetable import ScheduleRules, parse_lesson_days
from bot.features.lessons import learning, quiz
from bot.features.lessons import queries as lessons
from bot.features.review import cards as review
from bot.kernel.context import Context, Deps, fill
from bot.kernel.i18n import Translations
from bot.kernel.messages import Inbound, InboundKind, Message, Outbound

# A slot found a little late (the tick's interval, a busy database) is still on time.
GRACE = timedelta(minutes=15)
# "24 hours later at the preferred time" also means the next day's slot when that falls a
# little earlier than exactly 24 hours (a lesson sent at 09:00:20, a DST change).
TOLERANCE = timedelta(hours=1)
FINISHED_RECHECK = timedelta(days=30)
BLOCKED_RECHECK = timedelta(days=1)
PAUSE_REASON_REMINDERS = "reminders"
PAUSE_REASON_PERSON = "person"


@dataclass(frozen=True)
class ScheduleConfig:
    """How the schedule behaves (from Settings)."""

    zone: ZoneInfo
    reminder_delay: timedelta = timedelta(hours=24)
    reminder_max: int = 3
    batch_size: int = 500


def rules_for(cohort: Cohort | None, zone: ZoneInfo) -> ScheduleRules:
    """The schedule of a cohort, or the default one (in the course's zone) without one."""
    if cohort is None:
        return ScheduleRules(zone)
    return ScheduleRules(
        ZoneInfo(cohort.timezone),
        parse_lesson_days(cohort.lesson_days),
        cohort.lessons_per_day,
        cohort.window_start,
        cohort.window_end,
        cohort.start_date,
    )


@dataclass
class _Facts:
    """What the batch's queries found about one enrollment."""

    deliveries: list[LessonDelivery] = field(default_factory=list)
    last_answer_at: datetime | None = None
    blocked: bool = False


@dataclass
class _Job:
    enrollment: Enrollment
    participant: Participant
    rules: ScheduleRules
    facts: _Facts


def _due_clause(now: datetime) -> object:
    return or_(
        Enrollment.next_due_at <= now,
        and_(Enrollment.next_due_at.is_(None), Enrollment.paused_at.is_(None)),
    )


async def claim(session: AsyncSession, now: datetime, limit: int, zone: ZoneInfo) -> list[_Job]:
    """Lock (PostgreSQL: skipping rows another process holds) up to `limit` due enrollments."""
    rows = await session.execute(
        select(Enrollment, Participant, Cohort)
        .join(Participant, Participant.id == Enrollment.participant_id)
        .outerjoin(Cohort, Cohort.id == Participant.cohort_id)
        .where(_due_clause(now), Participant.onboarded_at.is_not(None))  # type: ignore[arg-type]
        .order_by(Enrollment.next_due_at, Enrollment.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Enrollment)
    )
    return [_Job(e, p, rules_for(c, zone), _Facts()) for e, p, c in rows]


async def _load_facts(session: AsyncSession, jobs: list[_Job]) -> None:
    by_id = {job.enrollment.id: job for job in jobs}
    ids = list(by_id)
    for delivery in await session.scalars(
        select(LessonDelivery).where(LessonDelivery.enrollment_id.in_(ids))
    ):
        by_id[delivery.enrollment_id].facts.deliveries.append(delivery)
    answered = await session.execute(
        select(Answer.enrollment_id, func.max(Answer.answered_at))
        .where(Answer.enrollment_id.in_(ids))
        .group_by(Answer.enrollment_id)
    )
    for enrollment_id, last in answered:
        by_id[enrollment_id].facts.last_answer_at = _aware(last)
    people = {job.participant.id: job for job in jobs}
    identities: dict[int, list[bool]] = defaultdict(list)
    for identity in await session.scalars(
        select(ChannelIdentity).where(ChannelIdentity.participant_id.in_(list(people)))
    ):
        seen = identity.last_inbound_at or people[identity.participant_id].participant.last_seen_at
        blocked = identity.blocked_at is not None and seen <= identity.blocked_at
        identities[identity.participant_id].append(blocked)
    for participant_id, flags in identities.items():
        people[participant_id].facts.blocked = all(flags)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=ZoneInfo("UTC"))


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
        await _load_facts(session, jobs)
        await review.sync_cards(session, [job.enrollment.id for job in jobs], now)
        waiting = await review.due_counts(session, [job.enrollment.id for job in jobs], now)
        with session.no_autoflush:
            for job in jobs:
                reviews = waiting.get(job.enrollment.id, 0)
                counts[await self._handle(session, job, now, reviews)] += 1
        await session.flush()
        await enqueue_many(session, self.queued, now)
        return counts

    def _context(self, session: AsyncSession, job: _Job, now: datetime) -> Context:
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

    async def _handle(self, session: AsyncSession, job: _Job, now: datetime, reviews: int) -> str:
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

    async def _lesson(self, ctx: Context, job: _Job, now: datetime, reviews: int) -> str:
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
            replies = _mention_reviews(ctx, replies, reviews)
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
        self, ctx: Context, job: _Job, pending: lessons.OpenQuestion, now: datetime
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
                Queued(job.participant.id, key, [Message(_paused_text(ctx))], "pause")
            )
            return "paused_now"
        replies: list[Outbound] = [Message(_reminder_text(ctx, count + 1, self._config))]
        replies.append(await quiz.show(ctx, pending))
        key = f"reminder:{enrollment.id}:{pending.ref.lesson.id}:{anchor.isoformat()}"
        self.queued.append(Queued(job.participant.id, key, replies, "reminder"))
        enrollment.reminder_count = count + 1
        enrollment.last_reminded_at = now
        enrollment.next_due_at = rules.first_slot_from(
            now + self._config.reminder_delay - TOLERANCE, preferred
        )
        return "reminder"


def pause(
    enrollment: Enrollment,
    now: datetime,
    reason: str,
    *,
    until: date | None = None,
    resume_at: datetime | None = None,
) -> None:
    """Stop lessons and reminders until /resume, or until a date (`resume_at`: its first slot,
    when the scheduler looks again)."""
    enrollment.paused_at = now
    enrollment.paused_until = until
    enrollment.pause_reason = reason
    enrollment.next_due_at = resume_at if until is not None else None


def resume(enrollment: Enrollment, now: datetime) -> None:
    """Lessons go on; reminders count afresh from now."""
    enrollment.paused_at = None
    enrollment.paused_until = None
    enrollment.pause_reason = None
    enrollment.reminder_count = 0
    enrollment.last_reminded_at = now
    enrollment.next_due_at = None  # planned again by the next tick


def _mention_reviews(ctx: Context, replies: list[Outbound], count: int) -> list[Outbound]:
    """Add "N reviews are waiting" to the lesson's text instead of sending another message."""
    text = ctx.tr.ngettext(
        "🔁 {count} review is waiting for you: /review",
        "🔁 {count} reviews are waiting for you: /review",
        count,
    )
    mention = fill(text, count=count)
    for number, reply in enumerate(replies):
        if isinstance(reply, Message) and not reply.buttons:
            changed = Message(f"{reply.text}\n\n{mention}", reply.buttons)
            return [*replies[:number], changed, *replies[number + 1 :]]
    return [*replies, Message(mention)]


def _reminder_text(ctx: Context, number: int, config: ScheduleConfig) -> str:
    if number >= config.reminder_max:
        return ctx._(
            "⏰ Your quiz is still waiting. If now is not a good time, you can /pause the "
            "lessons; otherwise, here is the question:"
        )
    return ctx._("⏰ A gentle reminder: your quiz is waiting for you.")


def _paused_text(ctx: Context) -> str:
    return ctx._(
        "⏸ I have paused your lessons for now, as the quiz has waited a while. "
        "Whenever you are ready, send /resume and we will go on. 🌱"
    )
