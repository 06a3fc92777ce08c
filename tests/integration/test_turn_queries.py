"""A turn issues a bounded number of statements, whatever the data: counted with SQLAlchemy's
cursor events for the turns people make most (issue 14). Content and catalogues are parsed
once at start, so nothing but these statements runs per turn."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import aiosqlite.core
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.console.adapter import ConsoleChannel
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.models import ChannelIdentity, Participant
from bot.kernel.clock import FakeClock
from tests.helpers import answer_in_console, answer_payloads
from tests.integration.test_dialogue_console import onboard

# The most statements each turn may take (the turn's transaction and its reply's delivery).
LIMITS = {"/start": 6, "/progress": 5, "quiz answer": 8}  # measured: 6, 5, 8.0 a press
FIRST_START = 6  # a newcomer's first /start: measured 6 (10 before registering told the turn)


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
    with counted(sessions) as first:
        assert "Sveiki!" in await chat.send("/start")
    assert len(first) <= FIRST_START, first
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


async def test_when_a_person_last_wrote_is_kept_to_the_minute_with_one_write_a_minute(
    dialogue: Dialogue, sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """Quick answers in a row do not rewrite "last seen" and "last wrote" each time; a
    minute later they are written again, so activity, reminders and Messenger's window see
    the person as they are."""
    chat = ConsoleChannel(dialogue)
    await onboard(chat)
    started = clock.now()

    async def seen() -> tuple[datetime, datetime | None]:
        async with sessions() as session:
            identity = await session.scalar(select(ChannelIdentity))
            assert identity is not None
            person = await session.get(Participant, identity.participant_id)
            assert person is not None
            return person.last_seen_at, identity.last_inbound_at

    clock.advance(timedelta(minutes=5))
    await chat.send("/help")
    assert await seen() == (started + timedelta(minutes=5),) * 2
    clock.advance(timedelta(seconds=20))
    with counted(sessions) as quick:
        await chat.send("/help")
    assert not [s for s in quick if s.startswith("UPDATE participants")], quick
    assert not [s for s in quick if s.startswith("UPDATE channel_identities")], quick
    assert await seen() == (started + timedelta(minutes=5),) * 2
    clock.advance(timedelta(minutes=1))
    await chat.send("/help")
    assert await seen() == (started + timedelta(minutes=6, seconds=20),) * 2


async def test_on_sqlite_a_turn_runs_its_statements_on_the_loops_thread(
    dialogue: Dialogue,
    sessions: async_sessionmaker[AsyncSession],
    content: ContentStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No statement, commit or rollback of a turn waits for aiosqlite's worker thread: under
    load that hand-over was the turn's cost (bot/db/inline.py, docs/performance.md)."""
    engine = sessions.kw["bind"]
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's driver is asynchronous itself")
    chat = ConsoleChannel(dialogue)
    await onboard(chat)
    hops: list[object] = []
    original = aiosqlite.core.Connection._execute

    async def counted_hop(self: object, fn: object, *args: object, **kwargs: object) -> object:
        hops.append(fn)
        return await original(self, fn, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted_hop)
    threads: set[int] = set()

    def where(*_args: object) -> None:
        threads.add(threading.get_ident())

    event.listen(engine.sync_engine, "before_cursor_execute", where)
    try:
        await answer_in_console(chat, content.index.lessons[0].lesson.quiz[0])
        assert "Sveiki sugrįžę" in await chat.send("/start")
        assert "pažanga" in await chat.send("/progress")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", where)
    assert hops == []
    assert threads == {threading.get_ident()}


async def test_rows_written_by_core_statements_are_whole_objects_in_the_session(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """register and set_state write with Core statements and hand the session objects that
    hold every column (nothing left to load lazily, which an async session refuses) and
    have nothing left to flush; what was written is what a fresh session reads."""
    from sqlalchemy import inspect

    from bot.db import participants
    from bot.db.models import DialogueState

    now = clock.now()
    async with sessions() as session, session.begin():
        person = await participants.register(session, "telegram", "5150", "lt", now, writing=True)
        state = await participants.set_state(session, person.id, "onboarding", "name", now)
        moved = await participants.set_state(
            session, person.id, "onboarding", "role", now, data={"name": "Ona Petraitienė"}
        )
        assert moved is state and state.step == "role"
        identity = person.identities[0]
        for written in (person, identity, state):
            assert inspect(written).unloaded == set(), written
            assert inspect(written).persistent and not session.dirty and not session.new
        assert identity.participant is person and identity.last_inbound_at == now
    async with sessions() as fresh:
        stored = await fresh.get(DialogueState, person.id)
        assert stored is not None and (stored.flow, stored.step) == ("onboarding", "role")
        assert stored.data == {"name": "Ona Petraitienė"}
        found = await participants.find_participant(fresh, "telegram", "5150")
        assert found is not None and found.id == person.id and found.language == "lt"
