"""Pydantic models of the course YAML: ids are stable keys, every text is translated."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    WithJsonSchema,
    model_validator,
)

LANGUAGES: tuple[str, ...] = ("lt", "en")
"""Languages every text must have; Lithuanian is the source language."""

ID_MAX = 24
QUIZ_MAX = 4
"""Questions in one lesson's quiz at most."""
_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,23}$"
_ID = re.compile(_ID_PATTERN)


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(
            "an id uses lowercase latin letters, digits, '-' or '_', at most 24 characters "
            "(it travels in button data, which must fit Telegram's 64 bytes)"
        )
    return value


Id = Annotated[
    str,
    AfterValidator(_check_id),
    WithJsonSchema({"type": "string", "pattern": _ID_PATTERN, "description": "A stable id."}),
]


def _check_localized(value: dict[str, str]) -> dict[str, str]:
    missing = [lang for lang in LANGUAGES if lang not in value]
    extra = [lang for lang in value if lang not in LANGUAGES]
    problems = []
    if missing:
        problems.append(f"missing translation: {', '.join(missing)}")
    if extra:
        problems.append(
            f"unknown language: {', '.join(extra)} (the languages are {', '.join(LANGUAGES)})"
        )
    empty = [lang for lang, text in value.items() if not text.strip()]
    if empty:
        problems.append(f"empty text: {', '.join(empty)}")
    if problems:
        raise ValueError("; ".join(problems))
    return {lang: text.strip() for lang, text in value.items()}


_LOCALIZED_SCHEMA = {
    "type": "object",
    "description": "The same text in every language: lt (the source) and en.",
    "properties": {
        lang: {"type": "string", "minLength": 1, "pattern": r"\S"} for lang in LANGUAGES
    },
    "required": list(LANGUAGES),
    "additionalProperties": False,
}

Localized = Annotated[
    dict[str, str], AfterValidator(_check_localized), WithJsonSchema(_LOCALIZED_SCHEMA)
]
"""A text in every language of LANGUAGES, e.g. {lt: "Sveiki", en: "Hello"}."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


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
    """Up to 20 characters it is a button; if any option is longer, buttons show letters."""
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
        twice = sorted({option_id for option_id in ids if ids.count(option_id) > 1})
        if twice:
            raise ValueError(f"question {self.id!r} uses the option id {twice[0]!r} twice")
        correct = sum(option.correct for option in self.options)
        if correct == 0:
            raise ValueError(
                f"question {self.id!r} has no correct answer: mark one option with correct: true"
            )
        if self.type is QuestionType.SINGLE and correct > 1:
            raise ValueError(
                f"single-choice question {self.id!r} has {correct} correct options; use "
                "type: multiple, or keep one"
            )
        if self.type is QuestionType.TRUE_FALSE and correct > 1:
            raise ValueError(f"true/false question {self.id!r} has {correct} correct options")
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
    """Stable: progress is stored against it. Never rename the id of a published lesson."""
    title: Localized
    text: Localized
    """Telegram HTML (b, i, u, s, a href, code, pre, blockquote, ...), at most 1,200 characters."""
    task: Localized
    """A practical task to try at the participant's own institution (plain text)."""
    link: Link | None = None
    """An optional "read more" link; its label becomes a button on Messenger (≤ 20 characters)."""
    image: HttpUrl | None = None
    """An optional picture, sent before the lesson."""
    quiz: list[Question] = Field(min_length=1, max_length=QUIZ_MAX)
    sources: list[Source] = Field(min_length=1)
    """Where the lesson's facts come from: title and URL."""


class Module(_Strict):
    """One competence of the course, as an ordered list of lessons."""

    id: Id
    competence: int = Field(ge=1, le=4)
    title: Localized
    summary: Localized
    lessons: list[Lesson] = Field(min_length=1)
    reflection: Localized | None = None
    """A closing prompt after the module's last lesson, answered in free text and stored."""


class Signatory(_Strict):
    """Who signs the certificates for the issuing institution."""

    name: str = Field(min_length=1, max_length=100, pattern=r"\S")
    """Their full name, as it is printed under the signature line."""
    title: Localized
    """Their position, e.g. {lt: "Direktorė", en: "Director"}."""


class CertificateCriteria(_Strict):
    """What a participant must have done to receive the certificate."""

    all_lessons: bool = True
    """Every lesson of every module completed (its quiz answered)."""
    min_average_score: int = Field(default=0, ge=0, le=100)
    """The average quiz score, in per cent, at least this (0: any score)."""
    ideas_with_step_done: int = Field(default=0, ge=0, le=20)
    """At least this many improvement ideas with one step or more carried out."""


class CertificateRules(_Strict):
    """course.yaml's certificate: what the certificate of completion says and who earns it."""

    institution: Localized
    """The issuing institution, as printed on the certificate."""
    signatory: Signatory
    hours: int | dict[Id, int] = Field(union_mode="left_to_right")
    """Academic hours credited: one number for the whole course, or per module
    ({m1: 8, m2: 6, ...}, every module of the course named once)."""
    criteria: CertificateCriteria = Field(default_factory=CertificateCriteria)
    number_prefix: str = Field(default="CC", pattern=r"^[A-Z]{1,6}$")
    """The register number's prefix: numbers read CC-2026-0001."""

    @model_validator(mode="after")
    def _positive_hours(self) -> CertificateRules:
        values = [self.hours] if isinstance(self.hours, int) else list(self.hours.values())
        if not values or any(value < 1 or value > 1000 for value in values):
            raise ValueError("hours are whole numbers from 1 to 1000")
        return self

    def hours_of(self, module_ids: list[str]) -> dict[str, int] | None:
        """Hours per module (None when the course credits one total)."""
        if isinstance(self.hours, int):
            return None
        return {module_id: self.hours.get(module_id, 0) for module_id in module_ids}

    @property
    def total_hours(self) -> int:
        """The hours the whole course credits."""
        return self.hours if isinstance(self.hours, int) else sum(self.hours.values())


class CourseFile(_Strict):
    """content/course.yaml: the course's title and its modules' ids, in order."""

    id: Id
    title: Localized
    modules: list[Id] = Field(min_length=1)
    certificate: CertificateRules | None = None
    """The certificate of completion (/certificate); none: the course issues none."""


class Bank(_Strict):
    """banks/<module id>.yaml: a module's question bank, drawn on by spaced review beside the
    lessons' own questions (e.g. imported from Moodle with `content import-gift`)."""

    module: Id
    """The module whose material the questions test; the file is named after it."""
    questions: list[Question] = Field(min_length=1)


class Course(_Strict):
    """The whole course, assembled by the loader from course.yaml, modules/<id>.yaml and
    banks/<module id>.yaml."""

    id: Id
    title: Localized
    modules: list[Module]
    banks: list[Bank] = Field(default_factory=list)
    certificate: CertificateRules | None = None

    def bank(self, module_id: str) -> list[Question]:
        """The questions of a module's bank (none if it has no bank)."""
        return next((b.questions for b in self.banks if b.module == module_id), [])
