"""/review: the answered questions that are due again, one at a time, as flashcards —
the question, then the answer, then how well it was remembered (FSRS's four ratings)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.content.models import QuestionType
from bot.db import participants
from bot.db.models import Answer, Enrollment, ReviewCard
from bot.domain.profile import Command
from bot.features.lessons import quiz
from bot.features.review import cards as review
from bot.kernel.context import Context, escape, fill, grid, rows
from bot.kernel.i18n import N_
from bot.kernel.messages import Button, EditSource, Message, Notice, Outbound
from bot.kernel.registry import Registry

PREFIX = "rv"
GRADES = ((1, N_("😕 Forgot")), (2, N_("😐 Hard")), (3, N_("🙂 Good")), (4, N_("😄 Easy")))


async def _enrollment(ctx: Context) -> Enrollment:
    return await participants.ensure_enrollment(
        ctx.session, ctx.participant.id, ctx.index.course.id, ctx.now
    )


def _card_question(ctx: Context, card: ReviewCard) -> Message | None:
    question = ctx.index.review_question(card.question_id)
    if question is None:
        return None
    text = ctx._("🔁 <b>Review</b>") + "\n\n" + escape(ctx.local(question.prompt))
    if question.options:
        text += "\n\n" + "\n".join(
            f"{quiz.LETTERS[n]} — {escape(ctx.local(o.text))}"
            for n, o in enumerate(quiz.options_for(ctx, question))
        )
    text += "\n\n" + ctx._("<i>Recall the answer, then look.</i>")
    return Message(text, rows(Button(ctx._("👀 Show the answer"), f"{PREFIX}:show:{card.id}")))


async def serve_next(ctx: Context, enrollment: Enrollment) -> list[Outbound]:
    """The next due review, or word that none is waiting."""
    await review.sync_cards(ctx.session, ctx.index, [enrollment.id], ctx.now)
    while True:
        card = await review.next_due(ctx.session, enrollment.id, ctx.now)
        if card is None:
            return [Message(ctx._("🔁 No reviews are waiting. Well done! 🌟"))]
        message = _card_question(ctx, card)
        if message is not None:
            return [message]
        await ctx.session.delete(card)  # the question left the course
        await ctx.session.flush()


async def review_command(ctx: Context, command: Command) -> list[Outbound]:
    """/review: start with the review that has waited longest."""
    return await serve_next(ctx, await _enrollment(ctx))


async def _answer_text(ctx: Context, card: ReviewCard, enrollment: Enrollment) -> str | None:
    question = ctx.index.review_question(card.question_id)
    if question is None:
        return None
    if question.type is QuestionType.OPEN:
        mine = await ctx.session.scalar(
            select(Answer.text).where(
                Answer.enrollment_id == enrollment.id, Answer.question_id == question.id
            )
        )
        body = fill(ctx._("Your answer then: {answer}"), answer=mine or "—")
    else:
        right = ", ".join(ctx.local(o.text) for o in quiz.options_for(ctx, question) if o.correct)
        body = fill(ctx._("The right answer: {answer}"), answer=right)
    explanation = f"<i>{escape(ctx.local(question.explanation))}</i>"
    return f"{body}\n\n{explanation}\n\n" + ctx._("How well did you remember it?")


async def on_review_button(ctx: Context, payload: str) -> list[Outbound]:
    """Show the answer (rv:show:ID) or rate the recall (rv:rate:ID:GRADE)."""
    parts = payload.split(":")
    enrollment = await _enrollment(ctx)
    card = None
    if len(parts) >= 3 and parts[2].isdigit():
        card = await ctx.session.get(ReviewCard, int(parts[2]))
    if card is None or card.enrollment_id != enrollment.id or card.due_at > ctx.now:
        return [Notice(ctx._("This button is no longer active.")), EditSource()]
    if parts[1] == "show" and len(parts) == 3:
        text = await _answer_text(ctx, card, enrollment)
        if text is None:
            return [Notice(ctx._("This button is no longer active.")), EditSource()]
        buttons = grid(
            (Button(ctx._(label), f"{PREFIX}:rate:{card.id}:{grade}") for grade, label in GRADES),
            2,
        )
        return [EditSource(), Message(text, buttons)]
    if parts[1] == "rate" and len(parts) == 4 and parts[3] in {"1", "2", "3", "4"}:
        due = review.rate(card, int(parts[3]), ctx.now)
        await ctx.session.flush()
        days = max(1, round((due - ctx.now) / timedelta(days=1)))
        later = ctx.tr.ngettext(
            "Saved. This one comes back in {count} day.",
            "Saved. This one comes back in {count} days.",
            days,
        )
        return [EditSource(), Message(fill(later, count=days)), *await serve_next(ctx, enrollment)]
    return [Notice(ctx._("This button is no longer active.")), EditSource()]


def register(registry: Registry) -> None:
    """Plug /review and its buttons into the dialogue."""
    registry.command("review", N_("repeat what is due for review"))(review_command)
    registry.button(PREFIX)(on_review_button)
