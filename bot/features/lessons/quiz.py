"""Quiz questions as the participant sees them, and their answers: single choice,
true/false, multiple choice (select several, then submit) and open reflection."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.content.models import Option, Question, QuestionType
from bot.db import participants
from bot.db.models import Enrollment
from bot.domain.profile import clean_multiline, clean_text
from bot.features.lessons import queries as lessons
from bot.features.lessons.queries import AnswerOutcome, AnswerStatus, OpenQuestion
from bot.kernel.context import Context, escape, fill, rows
from bot.kernel.messages import Button, EditSource, Message, Notice, Outbound

BUTTON_LABEL_MAX = 20
LETTERS = "ABCDEF"
OPEN_ANSWER_MAX = 4000
SELECTION_FLOW = "quiz"


@dataclass
class Answered:
    """The replies to an answer, and the outcome when one was recorded."""

    replies: list[Outbound]
    outcome: AnswerOutcome | None = None


def parse_payload(payload: str) -> tuple[str, str, str] | None:
    """('q'|'t'|'s', question id, option id or '') from an answer, toggle or submit payload."""
    parts = payload.split(":")
    if parts[0] in ("q", "t") and len(parts) == 3 and parts[1] and parts[2]:
        return parts[0], parts[1], parts[2]
    if parts[0] == "s" and len(parts) == 2 and parts[1]:
        return "s", parts[1], ""
    return None


def options_for(ctx: Context, question: Question) -> tuple[Option, ...]:
    """The options in this participant's order: shuffled per person and question, the same
    every time it is shown (so a re-shown question keeps its order and feedback follows the
    option). True/false keeps its authored order."""
    if question.type is QuestionType.TRUE_FALSE:
        return tuple(question.options)

    def rank(option: Option) -> bytes:
        key = f"{ctx.participant.id}:{question.id}:{option.id}".encode()
        return hashlib.blake2b(key, digest_size=8).digest()

    return tuple(sorted(question.options, key=rank))


def _long_options(ctx: Context, question: Question) -> bool:
    return any(len(ctx.local(option.text)) > BUTTON_LABEL_MAX for option in question.options)


def question_text(ctx: Context, open_q: OpenQuestion) -> str:
    """The question as text: header, prompt, a lettered list when options are long, a hint."""
    question = open_q.question
    head = fill(
        ctx._("❓ Question {number} of {total}"),
        number=open_q.number,
        total=len(open_q.ref.lesson.quiz),
    )
    text = f"{head}\n\n{escape(ctx.local(question.prompt))}"
    if question.options and _long_options(ctx, question):
        lines = [
            f"{LETTERS[i]} — {escape(ctx.local(o.text))}"
            for i, o in enumerate(options_for(ctx, question))
        ]
        text += "\n\n" + "\n".join(lines)
    if question.type is QuestionType.MULTIPLE:
        text += "\n\n" + ctx._("<i>Select every answer that fits, then press “Submit”.</i>")
    elif question.type is QuestionType.OPEN:
        text += "\n\n" + ctx._("<i>Write your answer in one message.</i>")
    return text


def _buttons(
    ctx: Context, question: Question, selected: frozenset[str]
) -> tuple[tuple[Button, ...], ...]:
    long = _long_options(ctx, question)
    options = options_for(ctx, question)
    labels = [LETTERS[i] if long else ctx.local(o.text) for i, o in enumerate(options)]
    if question.type is QuestionType.MULTIPLE:
        toggles = [
            Button(("☑ " if o.id in selected else "☐ ") + label, f"t:{question.id}:{o.id}")
            for o, label in zip(options, labels, strict=True)
        ]
        return (*rows(*toggles), (Button(ctx._("✅ Submit"), f"s:{question.id}"),))
    return rows(
        *(
            Button(label, f"q:{question.id}:{o.id}")
            for o, label in zip(options, labels, strict=True)
        )
    )


def question_message(
    ctx: Context, open_q: OpenQuestion, selected: frozenset[str] = frozenset()
) -> Message:
    """A quiz question with its buttons (none for an open question)."""
    question = open_q.question
    buttons = () if question.type is QuestionType.OPEN else _buttons(ctx, question, selected)
    return Message(question_text(ctx, open_q), buttons)


async def show(ctx: Context, open_q: OpenQuestion) -> Message:
    """The open question again, with whatever was already ticked."""
    return question_message(ctx, open_q, await _selection(ctx, open_q.question.id))


async def _selection(ctx: Context, question_id: str) -> frozenset[str]:
    state = await participants.get_state(ctx.session, ctx.participant.id)
    if state is None or state.flow != SELECTION_FLOW or state.step != question_id:
        return frozenset()
    return frozenset(state.data.get("selected", []))


async def toggle(
    ctx: Context, enrollment: Enrollment, question_id: str, option_id: str
) -> list[Outbound]:
    """Tick or untick an option of the open multiple-choice question."""
    pending = await lessons.open_question(ctx.session, enrollment, ctx.index)
    question = pending.question if pending else None
    if (
        pending is None
        or question is None
        or question.id != question_id
        or question.option(option_id) is None
    ):
        return await stale(ctx, enrollment, question_id)
    selected = await _selection(ctx, question_id) ^ {option_id}
    await participants.set_state(
        ctx.session,
        ctx.participant.id,
        SELECTION_FLOW,
        question_id,
        ctx.now,
        {"selected": sorted(selected)},
    )
    return [Notice(""), EditSource(question_text(ctx, pending), _buttons(ctx, question, selected))]


async def submit(ctx: Context, enrollment: Enrollment, question_id: str) -> Answered:
    """Submit the ticked options of a multiple-choice question."""
    selected = await _selection(ctx, question_id)
    if not selected:
        pending = await lessons.open_question(ctx.session, enrollment, ctx.index)
        if pending is not None and pending.question.id == question_id:
            return Answered([Notice(ctx._("Select at least one answer first."))])
        return Answered(await stale(ctx, enrollment, question_id))
    return await answer(ctx, enrollment, question_id, choice=selected)


async def stale(ctx: Context, enrollment: Enrollment, question_id: str) -> list[Outbound]:
    """A button of a question that is answered, or not (or no longer) active."""
    outcome = await lessons.record_answer(ctx.session, enrollment, ctx.index, question_id, ctx.now)
    if outcome.status is AnswerStatus.ALREADY_ANSWERED:
        return [Notice(ctx._("You have already answered this question.")), EditSource()]
    return [Notice(ctx._("This button is no longer active.")), EditSource()]


async def answer(
    ctx: Context,
    enrollment: Enrollment,
    question_id: str,
    *,
    choice: frozenset[str] = frozenset(),
    text: str | None = None,
) -> Answered:
    """Record an answer once, show right/wrong with the explanation, then the next question."""
    outcome = await lessons.record_answer(
        ctx.session, enrollment, ctx.index, question_id, ctx.now, choice=choice, text=text
    )
    if outcome.status is not AnswerStatus.RECORDED:
        return Answered(await stale(ctx, enrollment, question_id))
    await participants.clear_state(ctx.session, ctx.participant.id)
    assert outcome.ref is not None and outcome.question is not None
    # One edit and at most one new message per answer, as a phone reads it: the question
    # keeps the answer and its feedback; the next question comes as its own message.
    said = feedback(ctx, outcome)
    following = outcome.next_question
    replies: list[Outbound] = []
    if text is None:
        number = outcome.ref.lesson.quiz.index(outcome.question) + 1
        asked = question_text(ctx, OpenQuestion(outcome.ref, outcome.question, number))
        chosen = ", ".join(
            ctx.local(o.text) for o in _in_order(ctx, outcome.question, outcome.chosen)
        )
        answer_line = "👉 " + fill(ctx._("Your answer: {answer}"), answer=chosen)
        replies.append(EditSource(f"{asked}\n\n{answer_line}\n\n{said}"))
        if following is not None:
            replies.append(question_message(ctx, following))
    elif following is not None:  # a typed answer: its feedback leads the next question
        nxt = question_message(ctx, following)
        replies.append(Message(f"{said}\n\n{nxt.text}", nxt.buttons))
    else:
        replies.append(Message(said))
    return Answered(replies, outcome)


def feedback(ctx: Context, outcome: AnswerOutcome) -> str:
    """Right or wrong, what each chosen option means, the right answer, the explanation."""
    question = outcome.question
    assert question is not None
    explanation = f"<i>{escape(ctx.local(question.explanation))}</i>"
    if question.type is QuestionType.OPEN:
        saved = ctx._("📝 Thank you, your answer is saved.")
        return f"{saved}\n\n{explanation}"
    parts = [ctx._("✅ Correct!") if outcome.is_correct else ctx._("❌ Not quite.")]
    if question.type is QuestionType.MULTIPLE:
        parts += [
            f"• {escape(ctx.local(o.text))} — {escape(ctx.local(o.feedback))}"
            for o in _in_order(ctx, question, outcome.chosen)
        ]
    else:
        parts += [escape(ctx.local(o.feedback)) for o in outcome.chosen]
    if not outcome.is_correct:
        right = ", ".join(ctx.local(o.text) for o in options_for(ctx, question) if o.correct)
        parts.append(fill(ctx._("The right answer: {answer}"), answer=right))
    parts.append(explanation)
    return "\n\n".join(parts)


def _in_order(ctx: Context, question: Question, chosen: tuple[Option, ...]) -> list[Option]:
    """The chosen options in the order the participant saw them."""
    return [o for o in options_for(ctx, question) if o in chosen]


def check_free_text(ctx: Context, typed: str) -> str | None:
    """Why a free-text answer (open question, reflection) cannot be taken, or None."""
    if sum(ch.isalnum() for ch in clean_text(typed)) < 2:
        return ctx._("Please write a few words.")
    if len(typed) > OPEN_ANSWER_MAX:
        template = ctx._("That is too long: please keep it under {limit} characters.")
        return fill(template, limit=OPEN_ANSWER_MAX)
    return None


async def open_answer(
    ctx: Context, enrollment: Enrollment, pending: OpenQuestion, typed: str
) -> Answered:
    """Free text while an open question waits: that is its answer, if it is sensible."""
    problem = check_free_text(ctx, typed)
    if problem is not None:
        return Answered([Message(problem), question_message(ctx, pending)])
    return await answer(ctx, enrollment, pending.question.id, text=clean_multiline(typed))
