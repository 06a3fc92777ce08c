"""GIFT items to the course's questions: stable ids, options, feedback, what could not come."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from bot.content.gift.parse import Answer, Item, Kind, Problem, Text
from bot.content.gift.text import localized, plain
from bot.content.models import ID_MAX, Question

OPTION_IDS = "abcdef"
TRUE_TEXT = {"lt": "Tiesa", "en": "True"}
FALSE_TEXT = {"lt": "Netiesa", "en": "False"}
RIGHT = {"lt": "Teisingai.", "en": "Correct."}
WRONG = {"lt": "Neteisingai.", "en": "Not quite."}
THANKS = {"lt": "Ačiū už atsakymą!", "en": "Thank you for your answer!"}
RIGHT_ANSWER = {"lt": "Teisingas atsakymas: {answer}.", "en": "The right answer: {answer}."}
EXPECTED = {"lt": "Tikėtinas atsakymas: {answer}.", "en": "The expected answer: {answer}."}
MAX_OPTIONS = 6
HASH = 6


def slug(value: str) -> str:
    """Lowercase latin letters, digits and '-': 'Kas yra „alt“?' -> 'kas-yra-alt'."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def question_id(item: Item, known: Collection[str]) -> str:
    """The question's id: its title when that is already a question id of the course (a file
    the bot exported), else a slug of the title (or the text) and a short hash of it."""
    if item.title and item.title in known:
        return item.title
    base = item.title or plain(item.text.raw, item.text.format)
    digest = hashlib.sha1(base.strip().encode("utf-8")).hexdigest()[:HASH]
    head = slug(base)[: ID_MAX - HASH - 1].strip("-")
    return f"{head}-{digest}" if head else f"q-{digest}"


@dataclass
class Converted:
    """What a file's items became: the questions (each with its item), notes and problems."""

    questions: list[tuple[Item, Question]] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    copied: int = 0
    """Texts that had one language only, copied into the other to be translated."""


class _Builder:
    def __init__(self, item: Item, language: str, result: Converted) -> None:
        self.item = item
        self.language = language
        self.result = result

    def text(self, text: Text | None, default: dict[str, str] | None = None) -> dict[str, str]:
        if text is None or not text.raw:
            if default is None:
                return {}
            return dict(default)
        texts, copied = localized(text, self.language)
        if not any(texts.values()) and default is not None:
            return dict(default)
        self.result.copied += 1 if copied else 0
        return texts

    def note(self, message: str, line: int | None = None) -> None:
        self.result.notes.append(Problem(line or self.item.line, message, self.item.title))

    def option(self, option_id: str, answer: Answer, correct: bool) -> dict[str, Any]:
        feedback = self.text(answer.feedback, RIGHT if correct else WRONG)
        return {
            "id": option_id,
            "text": self.text(answer.text),
            "correct": correct,
            "feedback": feedback,
        }

    def explanation(self, answers: list[dict[str, str]], template: dict[str, str]) -> Any:
        if self.item.general is not None and self.item.general.raw:
            return self.text(self.item.general)
        self.note("no general feedback (####): the explanation names the right answer")
        return {
            lang: template[lang].format(answer=", ".join(a[lang] for a in answers))
            for lang in template
        }


def convert(items: list[Item], language: str, known: Collection[str]) -> Converted:
    """The items as course questions; `known` are the course's question ids."""
    result = Converted()
    seen: dict[str, Item] = {}
    for item in items:
        qid = question_id(item, known)
        if qid in seen:
            first = seen[qid].line
            message = (
                f"the same title or text as the question at line {first}: their ids would "
                f"clash ({qid!r}); give each its own ::title::"
            )
            result.problems.append(Problem(item.line, message, item.title))
            continue
        seen[qid] = item
        data = _data(_Builder(item, language, result), qid)
        if isinstance(data, str):
            result.problems.append(Problem(item.line, data, item.title))
            continue
        try:
            result.questions.append((item, Question.model_validate(data)))
        except ValidationError as error:
            for detail in error.errors():
                message = str(detail["msg"]).removeprefix("Value error, ")
                where = ".".join(str(part) for part in detail["loc"])
                message = f"{where}: {message}" if where else message
                result.problems.append(Problem(item.line, message, item.title))
    return result


def _data(build: _Builder, question_id: str) -> dict[str, Any] | str:
    item = build.item
    data: dict[str, Any] = {"id": question_id, "prompt": build.text(item.text)}
    if item.kind is Kind.ESSAY:
        return data | {"type": "open", "explanation": build.text(item.general, THANKS)}
    if item.kind is Kind.SHORT:
        build.note("a short answer becomes an open question: its answers are shown, not scored")
        answers = [build.text(answer.text) for answer in item.answers]
        return data | {"type": "open", "explanation": build.explanation(answers, EXPECTED)}
    if item.kind is Kind.TRUE_FALSE:
        if not (item.right_feedback and item.right_feedback.raw) or not (
            item.wrong_feedback and item.wrong_feedback.raw
        ):
            build.note("true/false without both feedbacks (#wrong#right): a default was written")
        praise = build.text(item.right_feedback, RIGHT)
        blame = build.text(item.wrong_feedback, WRONG)
        pair: list[dict[str, Any]] = [
            {"id": "true", "text": TRUE_TEXT, "correct": item.truth, "feedback": praise},
            {"id": "false", "text": FALSE_TEXT, "correct": not item.truth, "feedback": blame},
        ]
        if not item.truth:
            pair[0]["feedback"], pair[1]["feedback"] = blame, praise
        shown = [TRUE_TEXT if item.truth else FALSE_TEXT]
        return data | {
            "type": "true_false",
            "options": pair,
            "explanation": build.explanation(shown, RIGHT_ANSWER),
        }
    if len(item.answers) > MAX_OPTIONS:
        return f"{len(item.answers)} answers; a course question has at most {MAX_OPTIONS}"
    if item.kind is Kind.SINGLE:
        right = [answer.percent >= 100 for answer in item.answers]
        if sum(right) != 1:
            return (
                f"{sum(right)} answers are fully right (= or %100%); a single-choice question "
                "has one: keep one =, or weight the right ones ~%50% for several answers"
            )
        for answer in item.answers:
            if 0 < answer.percent < 100:
                build.note(f"partial credit ({answer.percent:g}%) is not carried: counted wrong")
    else:
        right = [answer.percent > 0 for answer in item.answers]
        if not any(right):
            return "no answer is right: mark it with = or give it a positive weight ~%50%"
    options = [
        build.option(OPTION_IDS[n], answer, correct)
        for n, (answer, correct) in enumerate(zip(item.answers, right, strict=True))
    ]
    missing = sum(
        1 for answer in item.answers if answer.feedback is None or not answer.feedback.raw
    )
    if missing:
        build.note(f"{missing} answers without feedback (#): a short default was written")
    shown = [o["text"] for o in options if o["correct"]]
    return data | {
        "type": item.kind.value,
        "options": options,
        "explanation": build.explanation(shown, RIGHT_ANSWER),
    }
