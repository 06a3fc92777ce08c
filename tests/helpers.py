"""Answering quiz questions of any type, whatever the course puts first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import command_texts
from bot.channels.console.adapter import ConsoleChannel
from bot.channels.telegram.adapter import TelegramChannel
from bot.content.models import Question, QuestionType
from bot.conversation.router import Dialogue
from bot.db.models import OutboxMessage
from bot.delivery.payload import load_replies
from bot.kernel.i18n import Translations
from bot.kernel.messages import Outbound
from tests.fakes.bot_api import FakeBotAPI, FakeUser

OPEN_ANSWER = "Pirmame puslapyje parodysime darbo laiką ir artimiausius renginius."


def answer_payloads(question: Question, *, correct: bool = True) -> list[str]:
    """The button presses that answer `question`, rightly or wrongly (none for open ones)."""
    if question.type is QuestionType.OPEN:
        return []
    wrong = next(o for o in question.options if not o.correct) if not correct else None
    if question.type is QuestionType.MULTIPLE:
        ticked = sorted(question.correct_ids) if wrong is None else [wrong.id]
        return [f"t:{question.id}:{option}" for option in ticked] + [f"s:{question.id}"]
    option = question.correct_option if wrong is None else wrong
    return [f"q:{question.id}:{option.id}"]


async def answer_in_console(
    chat: ConsoleChannel, question: Question, *, correct: bool = True
) -> str:
    """Answer through the terminal channel; returns the reply to the final step."""
    if question.type is QuestionType.OPEN:
        return await chat.send(OPEN_ANSWER)
    reply = ""
    for payload in answer_payloads(question, correct=correct):
        numbers = [n for n, b in enumerate(chat.buttons, start=1) if b.payload == payload]
        assert numbers, f"no button {payload!r} among {chat.options}"
        reply = await chat.send(str(numbers[0]))
    return reply


async def answer_on_telegram(
    feed: Callable[[dict[str, Any]], Awaitable[None]],
    user: FakeUser,
    question: Question,
    *,
    correct: bool = True,
) -> None:
    """Answer through the Bot API: press the buttons (or type, for open questions)."""
    if question.type is QuestionType.OPEN:
        await feed(user.message_update(OPEN_ANSWER))
        return
    for payload in answer_payloads(question, correct=correct):
        message = next(
            (m for m in reversed(user.messages) if any(d == payload for _, d in user.buttons(m))),
            None,
        )
        assert message is not None, f"no message holds a button {payload!r}"
        await feed(user.callback_update(message, payload))


def telegram_channel(
    api: FakeBotAPI,
    dialogue: Dialogue,
    translations: Translations,
    *,
    error_text: str = "Klaida",
    **options: Any,
) -> TelegramChannel:
    """The Telegram adapter talking to the fake Bot API (options: webhook, limiter, ...)."""
    return TelegramChannel(
        dialogue,
        token=api.token,
        api_base_url=api.root_url,
        commands=command_texts(translations, dialogue),
        default_language="lt",
        error_text=error_text,
        **options,
    )


async def tasks_done(dialogue: Dialogue) -> None:
    """Wait for the tracked tasks (an export, a chart, a reload, a page check) it started."""
    assert dialogue.tasks is not None
    await dialogue.tasks.drain()


async def task_results(
    dialogue: Dialogue, sessions: async_sessionmaker[AsyncSession], purpose: str
) -> list[Outbound]:
    """What the tracked tasks sent through the outbox under `purpose`, once they are done."""
    await tasks_done(dialogue)
    async with sessions() as session:
        payloads = await session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.purpose == purpose)
            .order_by(OutboxMessage.id)
        )
        return [reply for payload in payloads for reply in load_replies(payload)]
