"""What each page shows, read from the database: plain data for the templates.

Every page reads the same Snapshot as /stats, /participants and the exports
(bot/kernel/snapshot.py), so the dashboard's numbers agree with the bot's."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Broadcast, Cohort, Idea, OutboxMessage, Participant
from bot.delivery.outbox import OutboxState
from bot.domain.profile import Municipality
from bot.features.broadcasts.labels import STATES as BROADCAST_STATES
from bot.features.broadcasts.labels import describe_audience
from bot.features.stats.figures import Stats, compute
from bot.kernel.i18n import N_, Translator
from bot.kernel.labels import municipality_name, role_name
from bot.kernel.snapshot import Person, Snapshot

PAGE_SIZE = 25
ID_MAX = 2**31 - 1  # a database integer; a longer number in an address is no one's id


def small_number(text: str, digits: int) -> int | None:
    """A number typed in an address (ASCII digits only: "²" is a digit to str.isdigit)."""
    if text.isascii() and text.isdigit() and len(text) < digits:
        return int(text)
    return None


WEEKS = 12
REMINDER_PURPOSE = "reminder"
WAITING = (OutboxState.PENDING, OutboxState.HELD, OutboxState.SENDING)
IDEA_STATUS = {
    "planned": N_("planned"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "dropped": N_("dropped"),
}


def idea_status(tr: Translator, code: str) -> str:
    """An idea's status in the reader's words."""
    return tr.gettext(IDEA_STATUS.get(code, code))


def percent(value: int | None) -> str:
    """A whole percentage, or a dash."""
    return "—" if value is None else f"{value} %"


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """A moment in the course's time zone, as the tables show it."""
    if moment is None:
        return "—"
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


# --- Overview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekPoint:
    """One week of the activity line: its Monday and how many people answered in it."""

    monday: date
    active: int


def weekly_activity(snapshot: Snapshot, weeks: int = WEEKS) -> list[WeekPoint]:
    """People who answered at least one quiz question, per week, the last `weeks` weeks
    (weeks from Monday, in the course's time zone)."""
    today = snapshot.today
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    # each week's start as an aware moment: an answer's week is one bisect away
    starts = [datetime.combine(m, time(0), snapshot.zone).astimezone(UTC) for m in mondays]
    active: list[set[int]] = [set() for _ in mondays]
    first = starts[0]
    for person in snapshot.people:
        weeks_answered = {
            bisect_right(starts, answer.answered_at) - 1
            for answer in person.answers
            if answer.answered_at >= first
        }
        for week in weeks_answered:
            active[week].add(person.participant.id)
    return [WeekPoint(monday, len(ids)) for monday, ids in zip(mondays, active, strict=True)]


@dataclass(frozen=True)
class Overview:
    """The Overview page."""

    stats: Stats
    lessons_done: int
    lessons_possible: int
    weeks: list[WeekPoint]
    by_role_municipality: dict[str, Counter[str]]


def overview(snapshot: Snapshot) -> Overview:
    """The course's figures (the same as /stats) and the weekly activity."""
    stats = compute(snapshot)
    by_place: dict[str, Counter[str]] = {}
    for person in snapshot.people:
        place = person.participant.municipality or Municipality.OTHER.value
        by_place.setdefault(place, Counter())[person.participant.role or ""] += 1
    return Overview(
        stats,
        sum(item.completed for item in stats.modules),
        sum(item.possible for item in stats.modules),
        weekly_activity(snapshot),
        by_place,
    )


# --- Participants -----------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the participants table."""

    id: int
    name: str
    cohort: str
    municipality: str
    progress: int  # whole percent of the course's lessons completed
    lessons_done: int
    last_seen: datetime
    reminders: int
    paused: bool
    behind: bool


SORTS = ("name", "cohort", "municipality", "progress", "last_seen", "reminders", "paused")


@dataclass(frozen=True)
class Filters:
    """The table's filters and order, as the query string gives them (never personal data)."""

    cohort: int | None = None
    municipality: str | None = None
    paused: bool | None = None
    sort: str = "name"
    descending: bool = False
    page: int = 0

    @classmethod
    def parse(cls, params: dict[str, str]) -> Filters:
        """Filters from query parameters; anything unknown is ignored."""
        cohort = params.get("cohort", "")
        place = params.get("municipality", "")
        paused = params.get("paused", "")
        sort = params.get("sort", "name")
        page = params.get("page", "0")
        return cls(
            small_number(cohort, 10),
            place if place in set(Municipality) else None,
            {"yes": True, "no": False}.get(paused),
            sort if sort in SORTS else "name",
            params.get("dir") == "desc",
            small_number(page, 6) or 0,
        )

    def query(self, **changes: object) -> str:
        """The query string of these filters with some changed (for links)."""
        values: dict[str, object] = {
            "cohort": self.cohort,
            "municipality": self.municipality,
            "paused": None if self.paused is None else ("yes" if self.paused else "no"),
            "sort": self.sort,
            "dir": "desc" if self.descending else "asc",
            "page": self.page,
        }
        values.update(changes)
        parts = [f"{key}={value}" for key, value in values.items() if value not in (None, "")]
        return "?" + "&".join(parts)


async def reminder_counts(session: AsyncSession, ids: list[int] | None = None) -> Counter[int]:
    """Reminders delivered to each participant (outbox rows of purpose "reminder", sent)."""
    query = (
        select(OutboxMessage.participant_id, func.count())
        .where(
            OutboxMessage.purpose == REMINDER_PURPOSE,
            OutboxMessage.state == OutboxState.SENT.value,
        )
        .group_by(OutboxMessage.participant_id)
    )
    if ids is not None:
        query = query.where(OutboxMessage.participant_id.in_(ids))
    return Counter({pid: int(count) for pid, count in await session.execute(query)})


@dataclass(frozen=True)
class Table:
    """A page of the participants table, and what its filters can choose from."""

    rows: list[Row]
    total: int
    page: int
    pages: int
    cohorts: list[Cohort]
    municipalities: list[str]


def _sort_key(sort: str) -> object:
    keys = {
        "name": lambda r: (r.name.casefold(), r.id),
        "cohort": lambda r: (r.cohort.casefold(), r.name.casefold(), r.id),
        "municipality": lambda r: (r.municipality, r.name.casefold(), r.id),
        "progress": lambda r: (r.progress, r.id),
        "last_seen": lambda r: (r.last_seen, r.id),
        "reminders": lambda r: (r.reminders, r.id),
        "paused": lambda r: (r.paused, r.name.casefold(), r.id),
    }
    return keys[sort]


async def participants_table(
    session: AsyncSession, snapshot: Snapshot, tr: Translator, filters: Filters
) -> Table:
    """The filtered, sorted page of the participants table."""
    reminders = await reminder_counts(session)
    total_lessons = len(snapshot.index.lessons) or 1
    people = [
        p
        for p in snapshot.people
        if (filters.cohort is None or p.participant.cohort_id == filters.cohort)
        and (filters.municipality is None or p.participant.municipality == filters.municipality)
        and (filters.paused is None or p.paused == filters.paused)
    ]
    rows = [
        Row(
            p.id,
            p.name,
            p.cohort.name if p.cohort else "",
            municipality_name(tr, p.participant.municipality),
            round(100 * p.lessons_done / total_lessons),
            p.lessons_done,
            p.participant.last_seen_at,
            reminders[p.id],
            p.paused,
            p.behind,
        )
        for p in people
    ]
    rows.sort(key=_sort_key(filters.sort), reverse=filters.descending)  # type: ignore[arg-type]
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = max(0, min(filters.page, pages - 1))
    cohorts = list(await session.scalars(select(Cohort).order_by(Cohort.start_date, Cohort.id)))
    places = sorted({p.participant.municipality or "other" for p in snapshot.people})
    return Table(
        rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], len(rows), page, pages, cohorts, places
    )


# --- One participant --------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleProgress:
    """One module's lessons completed by the participant."""

    title: str
    done: int
    total: int


@dataclass(frozen=True)
class Detail:
    """One participant's page."""

    person: Person
    municipality: str
    role: str
    modules: list[ModuleProgress]
    ideas: list[Idea]
    reminders: int


async def participant_detail(
    session: AsyncSession, snapshot: Snapshot, tr: Translator, participant_id: int
) -> Detail | None:
    """A participant's progress per module and their ideas with every step."""
    person = next((p for p in snapshot.people if p.id == participant_id), None)
    if person is None:
        return None
    modules = []
    for module in snapshot.index.course.modules:
        ids = {lesson.id for lesson in module.lessons}
        done = sum(1 for d in person.deliveries if d.completed_at and d.lesson_id in ids)
        title = module.title.get(tr.language) or module.title["lt"]
        modules.append(ModuleProgress(title, done, len(ids)))
    ideas = [idea for idea in snapshot.ideas if idea.participant_id == participant_id]
    reminders = (await reminder_counts(session, [participant_id]))[participant_id]
    return Detail(
        person,
        municipality_name(tr, person.participant.municipality),
        role_name(tr, person.participant.role),
        modules,
        ideas,
        reminders,
    )


# --- Ideas ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdeaRow:
    """An idea with its author and where it stands."""

    idea: Idea
    author: Participant
    municipality: str
    done: int
    total: int


@dataclass(frozen=True)
class Paged:
    """One page of a long list: its rows, which page, how many pages, how many rows in all."""

    rows: list[Any]
    page: int
    pages: int
    total: int


def page_span(total: int, page: int) -> tuple[int, int]:
    """A page number kept within range, and how many pages `total` rows make."""
    pages = max(1, -(-total // PAGE_SIZE))
    return max(0, min(page, pages - 1)), pages


async def all_ideas(
    session: AsyncSession,
    tr: Translator,
    municipality: str | None,
    status: str | None,
    *,
    shared: bool = False,
    page: int = 0,
) -> Paged:
    """Ideas (of one municipality, of one status, only those shared in the gallery), newest
    first, with their steps, PAGE_SIZE a page."""
    condition = []
    if municipality:
        condition.append(Participant.municipality == municipality)
    if status:
        condition.append(Idea.status == status)
    if shared:
        condition.append(Idea.shared_at.is_not(None))
    joined = select(Idea.id).join(Participant, Participant.id == Idea.participant_id)
    total = int(
        await session.scalar(select(func.count()).select_from(joined.where(*condition).subquery()))
        or 0
    )
    page, pages = page_span(total, page)
    query = (
        select(Idea, Participant)
        .join(Participant, Participant.id == Idea.participant_id)
        .where(*condition)
        .order_by(Idea.id.desc())
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    rows = [
        IdeaRow(
            idea,
            author,
            municipality_name(tr, author.municipality),
            sum(step.done_at is not None for step in idea.steps),
            len(idea.steps),
        )
        for idea, author in await session.execute(query)
    ]
    return Paged(rows, page, pages, total)


# --- Broadcasts -------------------------------------------------------------------------


@dataclass(frozen=True)
class BroadcastRow:
    """An announcement with its audience and delivery report."""

    broadcast: Broadcast
    audience: str
    state: str
    sent: int
    waiting: int
    failed: int
    blocked: int


async def broadcasts(session: AsyncSession, tr: Translator, page: int = 0) -> Paged:
    """The announcements, newest first, PAGE_SIZE a page; their counts from the outbox (the
    final report once the outbox rows are gone)."""
    total = int(await session.scalar(select(func.count()).select_from(Broadcast)) or 0)
    page, pages = page_span(total, page)
    found = list(
        await session.scalars(
            select(Broadcast)
            .order_by(Broadcast.id.desc())
            .offset(page * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    counts: dict[int, Counter[str]] = {b.id: Counter() for b in found}
    if found:
        for broadcast_id, state, count in await session.execute(
            select(OutboxMessage.broadcast_id, OutboxMessage.state, func.count())
            .where(OutboxMessage.broadcast_id.in_(list(counts)))
            .group_by(OutboxMessage.broadcast_id, OutboxMessage.state)
        ):
            if broadcast_id is not None:
                counts[broadcast_id][state] = int(count)
    rows = []
    for broadcast in found:
        live = counts[broadcast.id]
        report = broadcast.report or {}
        rows.append(
            BroadcastRow(
                broadcast,
                await describe_audience(session, tr, broadcast.audience),
                tr.gettext(BROADCAST_STATES.get(broadcast.state, broadcast.state)),
                live[OutboxState.SENT] or int(report.get("sent", 0)),
                sum(live[state] for state in WAITING),
                live[OutboxState.FAILED] or int(report.get("failed", 0)),
                live[OutboxState.BLOCKED] or int(report.get("blocked", 0)),
            )
        )
    return Paged(rows, page, pages, total)
