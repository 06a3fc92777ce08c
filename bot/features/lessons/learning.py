"""Lessons, the end of a lesson (score, task, module reflection) and progress."""

from __future__ import annotations

from bot.content.loader import LessonRef
from bot.content.models import QuestionType
from bot.db import participants
from bot.db.models import Enrollment
from bot.domain.profile import clean_multiline
from bot.features.lessons import queries as lessons
from bot.features.lessons import quiz
from bot.features.lessons.queries import AnswerOutcome, OpenQuestion
from bot.kernel.context import Context, escape, fill, menu_buttons, rows
from bot.kernel.messages import Button, EditSource, Image, Message, Notice, Outbound

REFLECTION_FLOW = "reflection"
SKIP_REFLECTION = "r:skip"


def lesson_messages(ctx: Context, ref: LessonRef) -> list[Outbound]:
    """The lesson itself: an optional picture, then module, position, title, text and link."""
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
    replies: list[Outbound] = [Image(str(lesson.image))] if lesson.image else []
    return [*replies, Message("\n\n".join(parts))]


async def deliver_lesson(ctx: Context, enrollment: Enrollment, ref: LessonRef) -> list[Outbound]:
    """Show a delivered lesson and its first question."""
    return [
        *lesson_messages(ctx, ref),
        quiz.question_message(ctx, OpenQuestion(ref, ref.lesson.quiz[0], 1)),
    ]


async def resume(ctx: Context, pending: OpenQuestion) -> list[Outbound]:
    """Show the open question again, with its lesson when nothing of it is answered yet
    (the lesson may never have reached the person)."""
    question = await quiz.show(ctx, pending)
    if pending.number == 1:
        return [*lesson_messages(ctx, pending.ref), question]
    return [question]


async def next_lesson(ctx: Context, enrollment: Enrollment) -> list[Outbound]:
    """/next: the open question first, else the next lesson and its first question."""
    pending = await lessons.open_question(ctx.session, enrollment, ctx.index)
    if pending is not None:
        return [Message(ctx._("First, please answer this question:")), *await resume(ctx, pending)]
    await _drop_reflection(ctx)
    ref = await lessons.start_next_lesson(ctx.session, enrollment, ctx.index, ctx.now)
    if ref is None:
        done = ctx._("🎓 You have completed every lesson of the course. Well done!")
        return [Message(done, rows(Button(ctx._("📊 My progress"), "cmd:progress")))]
    return await deliver_lesson(ctx, enrollment, ref)


async def on_quiz_button(
    ctx: Context, enrollment: Enrollment, kind: str, question_id: str, option_id: str
) -> list[Outbound]:
    """An answer, toggle or submit button of a quiz question."""
    if kind == "t":
        return await quiz.toggle(ctx, enrollment, question_id, option_id)
    if kind == "s":
        answered = await quiz.submit(ctx, enrollment, question_id)
    else:
        answered = await quiz.answer(ctx, enrollment, question_id, choice=frozenset({option_id}))
    return answered.replies + await _after(ctx, enrollment, answered.outcome)


async def on_text(ctx: Context, enrollment: Enrollment, typed: str) -> list[Outbound] | None:
    """Free text that answers something (a reflection, an open question); None if nothing."""
    state = await participants.get_state(ctx.session, ctx.participant.id)
    if state is not None and state.flow == REFLECTION_FLOW:
        return await _reflect(ctx, enrollment, state.step, typed)
    pending = await lessons.open_question(ctx.session, enrollment, ctx.index)
    if pending is not None and pending.question.type is QuestionType.OPEN:
        answered = await quiz.open_answer(ctx, enrollment, pending, typed)
        return answered.replies + await _after(ctx, enrollment, answered.outcome)
    return None


async def _after(
    ctx: Context, enrollment: Enrollment, outcome: AnswerOutcome | None
) -> list[Outbound]:
    if outcome is None or not outcome.lesson_finished:
        return []
    assert outcome.ref is not None
    replies: list[Outbound] = []
    task = ctx._("📝 <b>Try it at your institution</b>")
    task += "\n" + escape(ctx.local(outcome.ref.lesson.task))
    if outcome.scored:
        score = fill(
            ctx._("🏁 Lesson complete: {correct} of {total} correct."),
            correct=outcome.correct,
            total=outcome.scored,
        )
    else:
        score = ctx._("🏁 Lesson complete.")
    module = outcome.ref.module
    if module.reflection is None or not await lessons.module_completed(
        ctx.session, enrollment, outcome.ref
    ):
        return [Message(f"{score}\n\n{task}", menu_buttons(ctx))]
    replies.append(Message(f"{score}\n\n{task}"))
    await participants.set_state(
        ctx.session, ctx.participant.id, REFLECTION_FLOW, module.id, ctx.now
    )
    prompt = fill(
        ctx._("🎉 You have finished the module “{module}”!"), module=ctx.local(module.title)
    )
    prompt += "\n\n" + escape(ctx.local(module.reflection))
    prompt += "\n\n" + ctx._("<i>Write your answer in one message.</i>")
    replies.append(Message(prompt, rows(Button(ctx._("Skip for now"), SKIP_REFLECTION))))
    return replies


async def _reflect(
    ctx: Context, enrollment: Enrollment, module_id: str, typed: str
) -> list[Outbound]:
    problem = quiz.check_free_text(ctx, typed)
    if problem is not None:
        return [Message(problem)]
    await lessons.save_reflection(
        ctx.session, enrollment, module_id, clean_multiline(typed), ctx.now
    )
    await participants.clear_state(ctx.session, ctx.participant.id)
    return [Message(ctx._("Thank you! Your reflection is saved. 🌱"), menu_buttons(ctx))]


async def skip_reflection(ctx: Context) -> list[Outbound]:
    """The "skip for now" button of a module reflection."""
    if not await _drop_reflection(ctx):
        return [Notice(ctx._("This button is no longer active.")), EditSource()]
    return [EditSource(), Message(ctx._("All right. Let's go on!"), menu_buttons(ctx))]


async def _drop_reflection(ctx: Context) -> bool:
    state = await participants.get_state(ctx.session, ctx.participant.id)
    if state is None or state.flow != REFLECTION_FLOW:
        return False
    await participants.clear_state(ctx.session, ctx.participant.id)
    return True
