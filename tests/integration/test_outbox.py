"""The outbox against the fake Bot API: 429 (retry_after), 403 and 502 answers; every message
is delivered exactly once or marked, none lost; a restart resumes where it stopped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot

from bot.channels.telegram.sender import TelegramSender
from bot.db import participants
from bot.db.models import ChannelIdentity, OutboxMessage
from bot.delivery import claims
from bot.delivery.limiter import RateLimiter
from bot.delivery.outbox import broadcast_counts, enqueue
from bot.delivery.payload import dump_replies, load_replies
from bot.delivery.sender import OutboxSender, Settled
from bot.kernel.clock import FakeClock
from bot.kernel.messages import Button, Document, Image, Message
from tests.fakes.bot_api import FakeBotAPI

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


def make_sender(sessions: Sessions, clock: FakeClock, api: FakeBotAPI) -> OutboxSender:
    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    limiter = RateLimiter(clock, sleep=sleep)
    sender = OutboxSender(sessions, clock, limiter=limiter)
    sender.register(TelegramSender(Bot(api.token, base_url=api.base_url)))
    return sender


async def add_person(sessions: Sessions, user_id: int, now: datetime) -> int:
    async with sessions() as session, session.begin():
        person = await participants.register(session, "telegram", str(user_id), "lt", now)
        return person.id


async def rows(sessions: Sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def texts(api: FakeBotAPI, user_id: int) -> list[str]:
    return [m["text"] or m["caption"] or "" for m in api.user(user_id).sent]


async def drain(sender: OutboxSender, clock: FakeClock, rounds: int = 12) -> None:
    """Run the sender like its job would, moving the clock between runs."""
    for _ in range(rounds):
        await sender.send_due()
        clock.advance(timedelta(seconds=30))


def test_replies_survive_json_round_trip() -> None:
    replies = [
        Message("<b>Hi</b>", ((Button("A", "q:1:a"), Button("B", "q:1:b")),)),
        Image("https://example.org/a.png", "cap"),
        Document(b"\x00\x01bytes", "export.xlsx", "File"),
    ]
    assert load_replies(dump_replies(replies)) == replies


async def test_dedupe_key_adds_one_row_per_recipient_and_purpose(
    sessions: Sessions, clock: FakeClock
) -> None:
    ana = await add_person(sessions, 1, clock.now())
    ben = await add_person(sessions, 2, clock.now())
    async with sessions() as session, session.begin():
        common = {"replies": [Message("x")], "now": clock.now(), "purpose": "lesson"}
        assert await enqueue(session, participant_id=ana, dedupe_key="k", **common)
        assert not await enqueue(session, participant_id=ana, dedupe_key="k", **common)
        assert await enqueue(session, participant_id=ben, dedupe_key="k", **common)
        assert await enqueue(
            session, participant_id=ana, dedupe_key="k", replies=[Message("y")], now=clock.now()
        )
    assert len(await rows(sessions)) == 3


async def test_429_403_502_every_message_delivered_once_or_marked(
    sessions: Sessions, clock: FakeClock, api: FakeBotAPI
) -> None:
    ids = {uid: await add_person(sessions, uid, clock.now()) for uid in (11, 12, 13, 14)}
    for uid in ids:
        api.user(uid)
    api.user(13).blocked = True
    async with sessions() as session, session.begin():
        for uid, pid in ids.items():
            for n in (1, 2):
                await enqueue(
                    session,
                    participant_id=pid,
                    dedupe_key=f"m{n}",
                    replies=[Message(f"{uid}-{n}a"), Message(f"{uid}-{n}b")],
                    now=clock.now(),
                    broadcast_id=7,
                )
    settled: list[Settled] = []

    async def remember(item: Settled) -> None:
        settled.append(item)

    api.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 5")
    api.fail_next("sendMessage", status=502, description="Bad Gateway", times=2)
    sender = make_sender(sessions, clock, api)
    sender.add_listener(remember)
    await drain(sender, clock)

    for uid in (11, 12, 14):
        assert texts(api, uid) == [f"{uid}-1a", f"{uid}-1b", f"{uid}-2a", f"{uid}-2b"]
    assert texts(api, 13) == []
    states = {(row.participant_id, row.dedupe_key): row.state for row in await rows(sessions)}
    assert states[(ids[13], "m1")] == "blocked"
    assert states[(ids[13], "m2")] == "blocked"
    assert [s for k, s in states.items() if k[0] != ids[13]] == ["sent"] * 6
    tried = {(row.participant_id, row.dedupe_key): row.attempts for row in await rows(sessions)}
    assert tried.pop((ids[13], "m2")) == 0  # skipped: the person blocked the bot
    assert all(attempts >= 1 for attempts in tried.values())
    statuses = [call.status for call in api.calls_of("sendMessage")]
    assert statuses.count(200) == 12  # each part exactly once
    assert statuses.count(429) == 1 and statuses.count(502) == 2 and statuses.count(403) == 1
    async with sessions() as session:
        assert await broadcast_counts(session, 7) == {"sent": 6, "blocked": 2}
        blocked = await session.scalar(
            select(ChannelIdentity.blocked_at).where(ChannelIdentity.external_id == "13")
        )
    assert blocked is not None
    assert sorted(s.state for s in settled) == ["blocked"] * 2 + ["sent"] * 6


async def test_a_blocked_person_is_skipped_until_they_write_again(
    sessions: Sessions, clock: FakeClock, api: FakeBotAPI
) -> None:
    pid = await add_person(sessions, 21, clock.now())
    api.user(21).blocked = True
    async with sessions() as session, session.begin():
        await enqueue(
            session, participant_id=pid, dedupe_key="a", replies=[Message("a")], now=clock.now()
        )
    sender = make_sender(sessions, clock, api)
    await drain(sender, clock, 2)
    calls = len(api.calls_of("sendMessage"))
    async with sessions() as session, session.begin():
        await enqueue(
            session, participant_id=pid, dedupe_key="b", replies=[Message("b")], now=clock.now()
        )
    await drain(sender, clock, 2)
    assert len(api.calls_of("sendMessage")) == calls  # not even tried
    api.user(21).blocked = False
    async with sessions() as session, session.begin():
        identity = await session.scalar(select(ChannelIdentity))
        assert identity is not None
        identity.last_inbound_at = clock.now()
        await enqueue(
            session, participant_id=pid, dedupe_key="c", replies=[Message("c")], now=clock.now()
        )
    await drain(sender, clock, 2)
    assert texts(api, 21) == ["c"]


async def test_retries_end_in_failed_and_a_bad_request_fails_at_once(
    sessions: Sessions, clock: FakeClock, api: FakeBotAPI
) -> None:
    pid = await add_person(sessions, 31, clock.now())
    api.user(31)
    async with sessions() as session, session.begin():
        await enqueue(
            session,
            participant_id=pid,
            dedupe_key="bad",
            replies=[Message("<b>x")],
            now=clock.now(),
        )
    api.refuse("sendMessage", 502, "Bad Gateway")
    async with sessions() as session, session.begin():
        await enqueue(
            session, participant_id=pid, dedupe_key="5xx", replies=[Message("ok")], now=clock.now()
        )
    sender = make_sender(sessions, clock, api)
    for _ in range(40):
        await sender.send_due()
        clock.advance(timedelta(minutes=31))
    by_key = {row.dedupe_key: row for row in await rows(sessions)}
    assert by_key["bad"].state == "failed"
    assert by_key["5xx"].state == "failed"
    assert by_key["5xx"].attempts == 8
    assert "502" in (by_key["5xx"].last_error or "") or "Bad Gateway" in (
        by_key["5xx"].last_error or ""
    )


async def test_a_restart_resumes_repeating_nothing_already_sent(
    sessions: Sessions, clock: FakeClock, api: FakeBotAPI
) -> None:
    pid = await add_person(sessions, 41, clock.now())
    api.user(41)
    parts = [Message("one"), Message("two"), Message("three")]
    async with sessions() as session, session.begin():
        await enqueue(session, participant_id=pid, dedupe_key="x", replies=parts, now=clock.now())
    # The first process sends one part, then dies on the second (the server never answers).
    api.fail_next("sendMessage", status=502, description="Bad Gateway")
    first = make_sender(sessions, clock, api)
    async with sessions() as session, session.begin():
        claimed = await claims.claim(
            session, claims.due_clause(clock.now()), clock.now(), timedelta(seconds=15), 30
        )
    assert len(claimed) == 1
    api.allow("sendMessage")
    bot = TelegramSender(Bot(api.token, base_url=api.base_url))
    await bot.send("41", [parts[0]])
    claimed[0].parts_sent = 1
    await first._progress(claimed[0])
    # A new process: the row is leased to the dead one until its short lease ends (the dead
    # one renews it no more), then taken over within seconds, not minutes.
    second = make_sender(sessions, clock, api)
    assert not await second.send_due()
    clock.advance(timedelta(seconds=16))
    await second.send_due()
    assert texts(api, 41) == ["one", "two", "three"]
    (row,) = await rows(sessions)
    assert row.state == "sent" and row.parts_sent == 3


async def test_a_channel_may_hold_messages_with_the_wait_visible(
    sessions: Sessions, clock: FakeClock
) -> None:
    async with sessions() as session, session.begin():
        person = await participants.register(session, "messenger", "m1", "lt", clock.now())
        pid = person.id
        await enqueue(
            session, participant_id=pid, dedupe_key="h", replies=[Message("h")], now=clock.now()
        )
    delivered: list[str] = []

    class Holding:
        channel = "messenger"

        async def send(self, external_id: str, replies: object) -> None:
            delivered.append(external_id)

        def defer_until(self, last_inbound_at: datetime | None, now: datetime) -> datetime | None:
            return None if last_inbound_at else now + timedelta(days=1)

    sender = OutboxSender(sessions, clock, limiter=RateLimiter(clock))
    sender.register(Holding())
    await sender.send_due()
    (row,) = await rows(sessions)
    assert row.state == "held" and "held by messenger" in (row.last_error or "")
    assert row.not_before == clock.now() + timedelta(days=1)
    async with sessions() as session, session.begin():
        identity = await session.scalar(select(ChannelIdentity))
        assert identity is not None
        identity.last_inbound_at = clock.now()
    clock.advance(timedelta(days=1))
    await sender.send_due()
    assert delivered == ["m1"]


async def test_the_limiter_keeps_one_message_a_second_per_chat() -> None:
    clock = FakeClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    limiter = RateLimiter(clock, per_second=30, sleep=sleep)
    for _ in range(3):
        await limiter.wait("chat")
    assert slept == [1.0, 1.0]
    slept.clear()
    for n in range(31):
        await limiter.wait(f"c{n}")
    assert sum(slept) <= 1.0 and len(slept) == 1  # the 31st waits for the window
