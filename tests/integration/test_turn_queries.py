"""A turn issues a bounded number of statements, whatever the data: counted with SQLAlchemy's
cursor events for the turns people make most (issue 14). Content and catalogues are parsed
once at start, so nothing but these statements runs per turn."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from tests.helpers import answer_in_console, answer_payloads
from tests.integration.test_dialogue_console import onboard

# The most statements each turn may take (the turn's transaction and its reply's delivery).
LIMITS = {"/start": 8, "/progress": 7, "quiz answer": 11}  # measured: 8, 7, 10.3 a press


@contextmanager
def counted(sessions: async_sessionmaker[AsyncSession]) -> Iterator[list[str]]:
    """Every statement sent to the database while the block runs."""
    engine = sessions.kw["bind"].sync_engine
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement[:70])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_the_common_turns_issue_a_bounded_number_of_statements(
    dialogue: Dialogue, sessions: async_sessionmaker[AsyncSession], content: ContentStore
) -> None:
    chat = ConsoleChannel(dialogue)
    await onboard(chat)
    question = content.index.lessons[0].lesson.quiz[0]
    with counted(sessions) as answer:
        await answer_in_console(chat, question)
    for _ in range(2):  # the same whether it is the first or a later time
        with counted(sessions) as start:
            assert "Sveiki sugrįžę" in await chat.send("/start")
        with counted(sessions) as progress:
            assert "pažanga" in await chat.send("/progress")
    presses = max(1, len(answer_payloads(question)))  # toggles and submit, or one press
    measured = {"/start": len(start), "/progress": len(progress), "quiz answer": len(answer)}
    per_press = {"quiz answer": len(answer) / presses}
    assert measured["/start"] <= LIMITS["/start"], start
    assert measured["/progress"] <= LIMITS["/progress"], progress
    assert per_press["quiz answer"] <= LIMITS["quiz answer"], answer
