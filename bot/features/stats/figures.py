"""Course statistics for coordinators, computed from a reporting Snapshot.

Definitions (plain, as /stats shows them):
- participants: people who finished onboarding; "onboarding" counts those still at it;
- lessons completed per module: completed lessons of that module, summed over participants,
  out of (module lessons × participants);
- average quiz score: the mean of each participant's share of right answers (open answers
  are not scored; people with no scored answer are left out);
- active in the last 7 days: wrote to or pressed a button of the bot within 7×24 hours;
- behind schedule: see bot.domain.pace (fewer lessons completed than lesson days since start);
- paused: participants who paused their lessons;
- improvement ideas started and done: the idea coach's ideas with a start / done time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from bot.content.models import Module
from bot.domain.profile import Municipality, Role
from bot.kernel.snapshot import Person, Snapshot

ACTIVE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class ModuleCount:
    """Lessons of one module completed by everyone, out of what was possible."""

    module: Module
    completed: int
    possible: int


@dataclass(frozen=True)
class GroupFigures:
    """One municipality's figures, for the comparison chart."""

    municipality: str
    participants: int
    active: int
    progress: int  # mean share of the course completed, whole percent
    score: int | None


@dataclass(frozen=True)
class Stats:
    """Everything /stats shows."""

    participants: int
    onboarding: int
    by_municipality: dict[str, int]
    by_role: dict[str, int]
    modules: list[ModuleCount]
    average_score: int | None
    active: int
    behind: int
    paused: int
    ideas_started: int
    ideas_done: int
    groups: list[GroupFigures]


def _mean(values: list[int]) -> int | None:
    return round(sum(values) / len(values)) if values else None


def _active(snapshot: Snapshot, person: Person) -> bool:
    return person.participant.last_seen_at >= snapshot.now - ACTIVE_WINDOW


def _group(snapshot: Snapshot, municipality: str, people: list[Person]) -> GroupFigures:
    total = len(snapshot.index.lessons) or 1
    return GroupFigures(
        municipality,
        len(people),
        sum(_active(snapshot, p) for p in people),
        _mean([round(100 * p.lessons_done / total) for p in people]) or 0,
        _mean([p.score for p in people if p.score is not None]),
    )


def compute(snapshot: Snapshot) -> Stats:
    """The statistics of a snapshot."""
    people = snapshot.people
    municipalities = Counter(p.participant.municipality or Municipality.OTHER for p in people)
    roles = Counter(p.participant.role or "" for p in people)
    by_municipality = {m.value: municipalities[m.value] for m in Municipality if municipalities[m]}
    by_role = {r.value: roles[r.value] for r in Role if roles[r.value]}
    # one pass over every lesson delivered, then a sum per module
    completed_lessons = Counter(
        d.lesson_id for p in people for d in p.deliveries if d.completed_at is not None
    )
    modules = []
    for module in snapshot.index.course.modules:
        lesson_ids = {lesson.id for lesson in module.lessons}
        completed = sum(completed_lessons[lesson_id] for lesson_id in lesson_ids)
        modules.append(ModuleCount(module, completed, len(lesson_ids) * len(people)))
    groups = [
        _group(
            snapshot,
            code,
            [p for p in people if (p.participant.municipality or Municipality.OTHER) == code],
        )
        for code in by_municipality
    ]
    return Stats(
        participants=len(people),
        onboarding=snapshot.onboarding,
        by_municipality=by_municipality,
        by_role=by_role,
        modules=modules,
        average_score=_mean([p.score for p in people if p.score is not None]),
        active=sum(_active(snapshot, p) for p in people),
        behind=sum(p.behind for p in people),
        paused=sum(p.paused for p in people),
        ideas_started=snapshot.ideas_started,
        ideas_done=snapshot.ideas_done,
        groups=groups,
    )
