"""What the schedule says: the reminder and pause texts, and the reviews-waiting mention."""

from __future__ import annotations

from bot.kernel.context import Context, fill
from bot.kernel.messages import Message, Outbound


def mention_reviews(ctx: Context, replies: list[Outbound], count: int) -> list[Outbound]:
    """Add "N reviews are waiting" to the lesson's text instead of sending another message."""
    text = ctx.tr.ngettext(
        "🔁 {count} review is waiting for you: /review",
        "🔁 {count} reviews are waiting for you: /review",
        count,
    )
    mention = fill(text, count=count)
    for number, reply in enumerate(replies):
        if isinstance(reply, Message) and not reply.buttons:
            changed = Message(f"{reply.text}\n\n{mention}", reply.buttons)
            return [*replies[:number], changed, *replies[number + 1 :]]
    return [*replies, Message(mention)]


def reminder_text(ctx: Context, number: int, reminder_max: int) -> str:
    """The reminder about the open quiz; the last one before a pause offers /pause."""
    if number >= reminder_max:
        return ctx._(
            "⏰ Your quiz is still waiting. If now is not a good time, you can /pause the "
            "lessons; otherwise, here is the question:"
        )
    return ctx._("⏰ A gentle reminder: your quiz is waiting for you.")


def paused_text(ctx: Context) -> str:
    """The message that says the lessons are paused after unanswered reminders."""
    return ctx._(
        "⏸ I have paused your lessons for now, as the quiz has waited a while. "
        "Whenever you are ready, send /resume and we will go on. 🌱"
    )
