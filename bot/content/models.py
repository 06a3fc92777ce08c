"""Pydantic models of the course YAML: ids are stable keys, every text is translated."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

LANGUAGES: tuple[str, ...] = ("lt", "en")
"""Languages every text must have; Lithuanian is the source language."""

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,23}$")


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(
            "an id uses lowercase latin letters, digits, '-' or '_', at most 24 characters"
        )
    return value


Id = Annotated[str, AfterValidator(_check_id)]


def _check_localized(value: dict[str, str]) -> dict[str, str]:
    missing = [lang for lang in LANGUAGES if lang not in value]
    extra = [lang for lang in value if lang not in LANGUAGES]
    if missing:
        raise ValueError(f"missing translation: {', '.join(missing)}")
    if extra:
        raise ValueError(f"unknown language: {', '.join(extra)}")
    empty = [lang for lang, text in value.items() if not text.strip()]
    if empty:
        raise ValueError(f"empty text: {', '.join(empty)}")
    return {lang: text.strip() for lang, text in value.items()}


Localized = Annotated[dict[str, str], AfterValidator(_check_localized)]
"""A text in every language of LANGUAGES, e.g. {lt: "Sveiki", en: "Hello"}."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuestionType(StrEnum):
    """How a quiz question is answered."""

    SINGLE = "single"  # one correct option
    MULTIPLE = "multiple"  # select several, then submit
    TRUE_FALSE = "true_false"  # two options, one correct
    OPEN = "open"  # a free-text reflection, stored, not scored


class Option(_Strict):
    """One answer to a question, with the feedback shown when it is chosen."""

    id: Id
    text: Localized
    correct: bool = False
    feedback: Localized


class Question(_Strict):
    """A quiz question: answered with buttons, or (open) in the participant's own words."""

    id: Id
    type: QuestionType = QuestionType.SINGLE
    prompt: Localized
    options: list[Option] = Field(default_factory=list, max_length=6)
    explanation: Localized

    @model_validator(mode="after")
    def _answerable(self) -> Question:
        if self.type is QuestionType.OPEN:
            if self.options:
                raise ValueError(f"open question {self.id!r} takes no options")
            return self
        if len(self.options) < 2:
            raise ValueError(f"question {self.id!r} needs at least two options")
        ids = [option.id for option in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"question {self.id!r} has duplicate option ids")
        correct = sum(option.correct for option in self.options)
        if self.type is QuestionType.MULTIPLE:
            if correct < 1:
                raise ValueError(f"question {self.id!r} has no correct option")
        elif correct == 0:
            raise ValueError(f"question {self.id!r} has no correct option")
        elif correct > 1:
            raise ValueError(
                f"single-choice question {self.id!r} has {correct} correct options; use "
                "type: multiple, or keep one"
            )
        if self.type is QuestionType.TRUE_FALSE and len(self.options) != 2:
            raise ValueError(f"true/false question {self.id!r} needs exactly two options")
        return self

    def option(self, option_id: str) -> Option | None:
        """Return the option with this id, if the question has it."""
        return next((option for option in self.options if option.id == option_id), None)

    @property
    def correct_option(self) -> Option:
        """The first correct option (the only one, but for multiple choice)."""
        return next(option for option in self.options if option.correct)

    @property
    def correct_ids(self) -> frozenset[str]:
        """Ids of every correct option."""
        return frozenset(option.id for option in self.options if option.correct)


class Source(_Strict):
    """Where the lesson's facts come from."""

    title: str = Field(min_length=1)
    url: HttpUrl


class Link(_Strict):
    """An optional "read more" link shown under the lesson."""

    url: HttpUrl
    label: Localized


class Lesson(_Strict):
    """A bite-sized lesson: a short text (Telegram HTML), a practical task and a quiz."""

    id: Id
    title: Localized
    text: Localized
    task: Localized
    link: Link | None = None
    image: HttpUrl | None = None
    quiz: list[Question] = Field(min_length=1, max_length=4)
    sources: list[Source] = Field(min_length=1)


class Module(_Strict):
    """One competence of the course, as an ordered list of lessons."""

    id: Id
    competence: int = Field(ge=1, le=4)
    title: Localized
    summary: Localized
    lessons: list[Lesson] = Field(min_length=1)
    reflection: Localized | None = None
    """A closing prompt after the module's last lesson, answered in free text and stored."""


class CourseFile(_Strict):
    """content/course.yaml: the course's title and its modules' ids, in order."""

    id: Id
    title: Localized
    modules: list[Id] = Field(min_length=1)


class Course(_Strict):
    """The whole course, assembled by the loader from course.yaml and modules/<id>.yaml."""

    id: Id
    title: Localized
    modules: list[Module]
