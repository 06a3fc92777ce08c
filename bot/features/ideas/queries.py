"""Ideas and their steps in the database: create, start, step on, borrow, list, count."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Idea, IdeaStep, Participant
from bot.domain.profile import clean_text

MAX_STEPS = 8
STEP_MAX = 300
TITLE_MAX = 200
DEFAULT_PROMPT_TIME = time(9, 0)
POSTPONE_DAYS = 3
REMIND_AGAIN_DAYS = 3
_BULLET = re.compile(r"^\s*(?:\d{1,2}\s*[.)]|[-–•*])\s*")


class Status(StrEnum):
    """Where an idea stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


def parse_steps(text: str) -> list[str]:
    """Steps typed one per line (numbers and bullets dropped); at most MAX_STEPS."""
    steps = [clean_text(_BULLET.sub("", line)) for line in text.splitlines()]
    return [step[:STEP_MAX] for step in steps if sum(ch.isalpha() for ch in step) >= 2]


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m")


def parse_date(text: str, today: date) -> date | None:
    """A target date typed as YYYY-MM-DD, DD.MM.YYYY or DD.MM (the next such day)."""
    typed = text.strip().rstrip(".")
    for form in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(typed, form).date()
        except ValueError:
            continue
        if form == "%d.%m":
            parsed = parsed.replace(year=today.year)
            if parsed < today:
                parsed = parsed.replace(year=today.year + 1)
        return parsed
    return None


def prompt_time(
    now: datetime, preferred: time | None, zone: ZoneInfo, *, days: int = 0
) -> datetime:
    """The participant's preferred time `days` days from today (or the next one ahead)."""
    local = now.astimezone(zone)
    moment = datetime.combine(
        local.date() + timedelta(days=days), preferred or DEFAULT_PROMPT_TIME, zone
    )
    if moment <= now:
        moment += timedelta(days=1)
    return moment


async def create_idea(
    session: AsyncSession,
    participant_id: int,
    title: str,
    steps: list[str],
    now: datetime,
    *,
    why: str | None = None,
    template_id: str | None = None,
    lesson_id: str | None = None,
    borrowed_from_id: int | None = None,
) -> Idea:
    """A new planned idea with its steps."""
    idea = Idea(
        participant_id=participant_id,
        title=title[:TITLE_MAX],
        why=why,
        template_id=template_id,
        lesson_id=lesson_id,
        borrowed_from_id=borrowed_from_id,
        status=Status.PLANNED.value,
        created_at=now,
    )
    idea.steps = [
        IdeaStep(position=n, text=text, postponed=0)
        for n, text in enumerate(steps[:MAX_STEPS], start=1)
    ]
    session.add(idea)
    await session.flush()
    return idea


def replace_steps(idea: Idea, steps: list[str]) -> None:
    """Give a not yet started idea new steps."""
    idea.steps.clear()
    idea.steps.extend(
        IdeaStep(position=n, text=text, postponed=0)
        for n, text in enumerate(steps[:MAX_STEPS], start=1)
    )


async def own_idea(session: AsyncSession, participant_id: int, idea_id: int) -> Idea | None:
    """The participant's idea with this id, if it is theirs."""
    idea = await session.get(Idea, idea_id)
    return idea if idea is not None and idea.participant_id == participant_id else None


async def ideas_of(session: AsyncSession, participant_id: int) -> list[Idea]:
    """A participant's ideas: in progress first, then planned, done and dropped."""
    order = [Status.IN_PROGRESS, Status.PLANNED, Status.DONE, Status.DROPPED]
    found = await session.scalars(
        select(Idea).where(Idea.participant_id == participant_id).order_by(Idea.id)
    )
    return sorted(found, key=lambda idea: order.index(Status(idea.status)))


def current_step(idea: Idea) -> IdeaStep | None:
    """The first step not yet done."""
    return next((step for step in idea.steps if step.done_at is None), None)


def progress(idea: Idea) -> tuple[int, int]:
    """(steps done, steps in all)."""
    return sum(1 for step in idea.steps if step.done_at is not None), len(idea.steps)


def start(idea: Idea, now: datetime, next_prompt_at: datetime | None) -> None:
    """Put an idea in progress; its current step is prompted at next_prompt_at."""
    idea.status = Status.IN_PROGRESS.value
    idea.started_at = idea.started_at or now
    idea.next_prompt_at = next_prompt_at


def complete_step(idea: Idea, step: IdeaStep, now: datetime, next_prompt_at: datetime) -> bool:
    """Mark a step done; True when that finished the whole idea."""
    step.done_at = now
    if current_step(idea) is None:
        idea.status = Status.DONE.value
        idea.done_at = now
        idea.next_prompt_at = None
        return True
    idea.next_prompt_at = next_prompt_at
    return False


async def due_for_prompt(session: AsyncSession, now: datetime, limit: int = 200) -> list[Idea]:
    """Ideas in progress whose current step is due to be prompted."""
    found = await session.scalars(
        select(Idea)
        .where(Idea.status == Status.IN_PROGRESS.value, Idea.next_prompt_at <= now)
        .order_by(Idea.next_prompt_at, Idea.id)
        .limit(limit)
    )
    return list(found)


async def shared_ideas(
    session: AsyncSession, offset: int, limit: int
) -> tuple[list[tuple[Idea, Participant]], int]:
    """Ideas shared with the cohort, newest first, with their authors; and how many in all."""
    query = select(Idea, Participant).join(Participant, Participant.id == Idea.participant_id)
    query = query.where(Idea.shared_at.is_not(None), Idea.status != Status.DROPPED.value)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.execute(
        query.order_by(Idea.shared_at.desc(), Idea.id.desc()).offset(offset).limit(limit)
    )
    return [(row[0], row[1]) for row in rows], total


async def all_ideas(
    session: AsyncSession,
    municipality: str | None,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[list[tuple[Idea, Participant]], int]:
    """Every participant's ideas for trainers, filtered by municipality and status."""
    query = select(Idea, Participant).join(Participant, Participant.id == Idea.participant_id)
    if municipality:
        query = query.where(Participant.municipality == municipality)
    if status:
        query = query.where(Idea.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.execute(query.order_by(Idea.id.desc()).offset(offset).limit(limit))
    return [(row[0], row[1]) for row in rows], total


async def borrow(session: AsyncSession, borrower_id: int, source: Idea, now: datetime) -> Idea:
    """Copy a shared idea with its steps (none done) into the borrower's ideas."""
    return await create_idea(
        session,
        borrower_id,
        source.title,
        [step.text for step in source.steps],
        now,
        why=source.why,
        template_id=source.template_id,
        lesson_id=source.lesson_id,
        borrowed_from_id=source.id,
    )


async def already_borrowed(session: AsyncSession, borrower_id: int, source_id: int) -> bool:
    """Whether the borrower already copied this idea."""
    found = await session.scalar(
        select(Idea.id).where(
            Idea.participant_id == borrower_id, Idea.borrowed_from_id == source_id
        )
    )
    return found is not None


async def idea_counts(
    session: AsyncSession, participant_ids: list[int] | None = None
) -> dict[str, int]:
    """Ideas started and done (for coordinators' statistics), optionally of some people."""
    query = select(
        func.count(Idea.started_at), func.count(Idea.done_at), func.count(Idea.shared_at)
    )
    if participant_ids is not None:
        query = query.where(Idea.participant_id.in_(participant_ids))
    started, done, shared = (await session.execute(query)).one()
    return {"started": int(started), "done": int(done), "shared": int(shared)}
