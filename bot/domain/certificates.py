"""Certificates of completion: who has earned one, what is still missing, and their codes.

Pure rules: the feature reads the participant's progress and the course's criteria, this
module says what is missing; codes are drawn from the operating system's randomness."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

# Crockford's base 32 without I, L, O and U: nothing to misread on paper or type wrong.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})


@dataclass(frozen=True)
class ModuleDone:
    """Lessons of one module: completed and in all."""

    module_id: str
    done: int
    total: int

    @property
    def left(self) -> int:
        """Lessons still to complete."""
        return max(self.total - self.done, 0)


@dataclass(frozen=True)
class Criteria:
    """What the course asks (course.yaml's certificate.criteria)."""

    all_lessons: bool
    min_average_score: int
    ideas_with_step_done: int


@dataclass(frozen=True)
class Standing:
    """What a participant has done that the criteria look at."""

    modules: tuple[ModuleDone, ...]
    score: int | None  # average quiz score in per cent; None before any scored answer
    ideas_with_step_done: int


@dataclass(frozen=True)
class Missing:
    """One thing still missing: lessons of a module, the score, or ideas carried out."""

    kind: str  # "lessons", "score" or "ideas"
    count: int  # lessons left, points of score missing, or ideas still to start
    module_id: str | None = None
    needed: int = 0  # the score or number of ideas the course asks for
    current: int | None = None  # the score now (None: no quiz answer yet)


def missing(criteria: Criteria, standing: Standing) -> list[Missing]:
    """Everything still missing for the certificate, in the course's order (empty: earned)."""
    found: list[Missing] = []
    if criteria.all_lessons:
        found += [
            Missing("lessons", module.left, module.module_id)
            for module in standing.modules
            if module.left
        ]
    if criteria.min_average_score:
        score = standing.score if standing.score is not None else 0
        if score < criteria.min_average_score:
            found.append(
                Missing(
                    "score",
                    criteria.min_average_score - score,
                    needed=criteria.min_average_score,
                    current=standing.score,
                )
            )
    ideas_left = criteria.ideas_with_step_done - standing.ideas_with_step_done
    if ideas_left > 0:
        found.append(Missing("ideas", ideas_left, needed=criteria.ideas_with_step_done))
    return found


def new_code() -> str:
    """A verification code nobody can guess: 60 random bits, e.g. 7KQ4-M2XD-9TRA."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


def normal_code(typed: str) -> str | None:
    """A code as typed (any case, spaces or dashes, O for 0) in its printed form, or None
    when it cannot be a code at all."""
    letters = "".join(ch for ch in typed.upper() if ch.isalnum()).translate(_MISREAD)
    if len(letters) != CODE_GROUPS * CODE_GROUP_LENGTH:
        return None
    if any(ch not in CODE_ALPHABET for ch in letters):
        return None
    return "-".join(
        letters[i : i + CODE_GROUP_LENGTH] for i in range(0, len(letters), CODE_GROUP_LENGTH)
    )


def register_number(prefix: str, year: int, sequence: int) -> str:
    """The register number printed on a certificate, e.g. KK-2026-0007."""
    return f"{prefix}-{year}-{sequence:04d}"
