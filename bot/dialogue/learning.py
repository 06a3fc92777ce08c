"""Lessons, quiz questions, feedback, scores and progress, as the participant sees them."""

from __future__ import annotations

from bot.channels.base import Button, EditSource, Message, Notice, Outbound
from bot.content.loader import LessonRef
from bot.content.models import Question
from bot.db.models import Enrollment
from bot.dialogue.render import Context, escape, fill, rows
from bot.domain.progress import progress_bar
from bot.services import lessons, progress
from bot.services.lessons import AnswerStatus, OpenQuestion

BUTTON_LABEL_MAX = 20
LETTERS = "ABCDEF"
ANSWER_PREFIX = "q"


def answer_payload(question_id: str, option_id: str) -> str:
    """The payload of an answer button, e.g. 'q:m1-speed-q1:b' (well under 64 bytes)."""
    return f"{ANSWER_PREFIX}:{question_id}:{option_id}"


def parse_answer_payload(payload: str) -> tuple[str, str] | None:
    """Question id and option id from an answer button's payload."""
    parts = payload.split(":")
    if len(parts) != 3 or parts[0] != ANSWER_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def menu_buttons(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    """The way on from anywhere: next lesson and progress."""
    return rows(
        Button(ctx._("▶️ Next lesson"), "cmd:next"), Button(ctx._("📊 My progress"), "cmd:progress")
    )


def lesson_message(ctx: Context, ref: LessonRef) -> Message:
    """The lesson itself: module, position, title, text and an optional link."""
    lesson = ref.lesson
    header = fill(
        ctx._("📘 {module} · lesson {number} of {total}"),
        module=ctx.local(ref.module.title),
        number=ref.index + 1,
        total=len(ref.module.lessons),
    )
    parts = [header, f"<b>{escape(ctx.local(lesson.title))}</b>", ctx.local(lesson.text)]
    if lesson.link is not None:
        url, label = escape(str(lesson.link.url)), escape(ctx.local(lesson.link.label))
        parts.append(f'🔗 <a href="{url}">{label}</a>')
    return Message("\n\n".join(parts))


def _question_text(ctx: Context, open_q: OpenQuestion, *, list_options: bool) -> str:
    question = open_q.question
    head = fill(
        ctx._("❓ Question {number} of {total}"),
        number=open_q.number,
        total=len(open_q.ref.lesson.quiz),
    )
    text = f"{head}\n\n{escape(ctx.local(question.prompt))}"
    if list_options:
        lines = [
            f"{LETTERS[i]} — {escape(ctx.local(o.text))}" for i, o in enumerate(question.options)
        ]
        text += "\n\n" + "\n".join(lines)
    return text


def _long_options(ctx: Context, question: Question) -> bool:
    return any(len(ctx.local(option.text)) > BUTTON_LABEL_MAX for option in question.options)


def question_message(ctx: Context, open_q: OpenQuestion) -> Message:
    """A quiz question with one button per option (letters when options are long)."""
    question = open_q.question
    long = _long_options(ctx, question)
    buttons = [
        Button(
            LETTERS[i] if long else ctx.local(option.text), answer_payload(question.id, option.id)
        )
        for i, option in enumerate(question.options)
    ]
    return Message(_question_text(ctx, open_q, list_options=long), rows(*buttons))


async def next_lesson(ctx: Context, enrollment: Enrollment) -> list[Outbound]:
    """/next: the open question first, else the next lesson and its first question."""
    pending = await lessons.open_question(ctx.session, enrollment, ctx.index)
    if pending is not None:
        return [
            Message(ctx._("First, please answer this question:")),
            question_message(ctx, pending),
        ]
    ref = await lessons.start_next_lesson(ctx.session, enrollment, ctx.index, ctx.now)
    if ref is None:
        return [
            Message(
                ctx._("🎓 You have completed every lesson of the course. Well done!"),
                rows(Button(ctx._("📊 My progress"), "cmd:progress")),
            )
        ]
    first = OpenQuestion(ref, ref.lesson.quiz[0], 1)
    return [lesson_message(ctx, ref), question_message(ctx, first)]


async def answer(
    ctx: Context, enrollment: Enrollment, question_id: str, option_id: str
) -> list[Outbound]:
    """An answer button: record it once, show right/wrong with the explanation, then go on."""
    outcome = await lessons.record_answer(
        ctx.session, enrollment, ctx.index, question_id, option_id, ctx.now
    )
    if outcome.status is AnswerStatus.ALREADY_ANSWERED:
        return [Notice(ctx._("You have already answered this question.")), EditSource()]
    if outcome.status is AnswerStatus.NOT_ACTIVE:
        return [Notice(ctx._("This button is no longer active.")), EditSource()]
    assert outcome.ref and outcome.question and outcome.option
    question, option = outcome.question, outcome.option
    number = outcome.ref.lesson.quiz.index(question) + 1
    asked = _question_text(
        ctx, OpenQuestion(outcome.ref, question, number), list_options=_long_options(ctx, question)
    )
    chosen = fill(ctx._("Your answer: {answer}"), answer=ctx.local(option.text))
    verdict = ctx._("✅ Correct!") if option.correct else ctx._("❌ Not quite.")
    feedback = [verdict]
    if option.feedback:
        feedback.append(escape(ctx.local(option.feedback)))
    if not option.correct:
        feedback.append(
            fill(
                ctx._("The right answer: {answer}"), answer=ctx.local(question.correct_option.text)
            )
        )
    feedback.append(f"<i>{escape(ctx.local(question.explanation))}</i>")
    replies: list[Outbound] = [
        EditSource(f"{asked}\n\n👉 {chosen}"),
        Message("\n\n".join(feedback)),
    ]
    if outcome.next_question is not None:
        replies.append(question_message(ctx, outcome.next_question))
    else:
        replies.append(_lesson_done(ctx, outcome))
    return replies


def _lesson_done(ctx: Context, outcome: lessons.AnswerOutcome) -> Message:
    assert outcome.ref is not None
    score = fill(
        ctx._("🏁 Lesson complete: {correct} of {total} correct."),
        correct=outcome.correct,
        total=outcome.total,
    )
    task = ctx._("📝 <b>Try it at your institution</b>")
    return Message(
        f"{score}\n\n{task}\n{escape(ctx.local(outcome.ref.lesson.task))}", menu_buttons(ctx)
    )


async def show_progress(ctx: Context, enrollment: Enrollment) -> list[Outbound]:
    """/progress: each module with a bar, the average quiz score and the streak."""
    today = ctx.now.astimezone(ctx.zone).date()
    report = await progress.progress_report(ctx.session, enrollment, ctx.index, today, ctx.zone)
    lines = [ctx._("📊 <b>Your progress</b>")]
    for item in report.modules:
        lines.append(
            f"{escape(ctx.local(item.module.title))}\n{progress_bar(item.done, item.total)}"
        )
    if report.score is None:
        lines.append(ctx._("Average quiz score: no answers yet"))
    else:
        lines.append(fill(ctx._("Average quiz score: {score}%"), score=report.score))
    days = ctx.tr.ngettext(
        "Streak: {count} day in a row", "Streak: {count} days in a row", report.streak_days
    )
    lines.append("🔥 " + fill(days, count=report.streak_days))
    return [Message("\n\n".join(lines), rows(Button(ctx._("▶️ Next lesson"), "cmd:next")))]
