"""One road out, tried as Telegram and Meta behave: every reply is written with its turn and
sent once, whatever fails after the commit; each platform keeps its own pace; a turn never
draws a 429; held lessons come out in order. Each test asserts what the person receives."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.messenger.adapter import MessengerChannel, MessengerSender
from bot.channels.messenger.api import OUTSIDE_WINDOW_SUBCODE, MessengerAPI
from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.updates import RawUpdate
from bot.content.loader import ContentStore
from bot.conversation.router import Dialogue
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import OutboxMessage, TrackedTask
from bot.delivery import claims
from bot.delivery.limiter import RateLimiter
from bot.delivery.outbox import Queued, enqueue_many
from bot.delivery.payload import load_replies
from bot.delivery.sender import OutboxSender
from bot.kernel.clock import FakeClock, SystemClock
from bot.kernel.i18n import Translations
from bot.kernel.messages import Message, Outbound
from bot.kernel.tasks import TaskJob
from bot.web.app import create_web_app
from bot.web.messenger import MessengerWebhook
from bot.web.telegram import TelegramWebhook
from tests.conftest import CONTENT_DIR, VILNIUS
from tests.fakes.bot_api import FakeBotAPI, FakeUser
from tests.fakes.bot_api_limits import FloodLimits
from tests.fakes.graph_api import FakeGraphAPI, FakeMessengerUser, page_body, sign
from tests.helpers import answer_payloads, telegram_channel
from tests.integration.test_outbox import add_person, make_sender
from tests.integration.test_schedule import local, make_tick, seed

Sessions = async_sessionmaker[AsyncSession]
SECRET = "webhook-secret"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


async def feed(channel: TelegramChannel, update: dict[str, Any]) -> None:
    """One update exactly as polling would hand it over."""
    await channel.application.process_update(RawUpdate(update))


def texts(user: FakeUser) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in user.sent]


def tap(user: FakeUser, label: str) -> dict[str, Any]:
    for message in reversed(user.messages):
        for text, data in user.buttons(message):
            if label in text:
                return user.callback_update(message, data)
    raise AssertionError(f"no button {label!r}")


ONBOARDING: list[tuple[str, bool]] = [
    ("/start", False),
    ("Lietuviškai", True),
    ("Sutinku", True),
    ("Jonas Petraitis", False),
    ("Zarasai", True),
    ("Zarasų krašto muziejus", False),
    ("svetainę", True),
    ("17:00", True),
]


async def onboard(channel: TelegramChannel, user: FakeUser) -> None:
    for step, press in ONBOARDING:
        await feed(channel, tap(user, step) if press else user.message_update(step))


async def owed(sessions: Sessions) -> list[OutboxMessage]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.state != "sent").order_by(OutboxMessage.id)
        )
        return list(rows)


# --- Telegram: failures after the commit -----------------------------------------------------


async def test_a_502_after_the_commit_is_retried_and_the_reply_arrives_once(
    api: FakeBotAPI, dialogue: Dialogue, translations: Translations, clock: FakeClock
) -> None:
    user = api.user(601)
    channel = telegram_channel(api, dialogue, translations)
    async with channel.application:
        api.fail_next("sendMessage", status=502, description="Bad Gateway")
        await feed(channel, user.message_update("/start"))
        assert texts(user) == []  # the one send failed; the reply is owed, not lost
        clock.advance(timedelta(seconds=6))
        await dialogue.outbox.send_due()
        await dialogue.outbox.send_due()
    assert len(texts(user)) == 1 and "Sveiki!" in texts(user)[0]


async def test_a_dropped_connection_then_the_same_update_again_sends_the_reply_once(
    api: FakeBotAPI, dialogue: Dialogue, translations: Translations
) -> None:
    user = api.user(602)
    channel = telegram_channel(api, dialogue, translations)
    update = user.message_update("/start")
    async with channel.application:
        api.drop_next("sendMessage")
        await feed(channel, update)
        assert texts(user) == []
        await feed(channel, update)  # delivered again: what is still owed goes now
        await feed(channel, update)  # and a third time: nothing more
    assert len(texts(user)) == 1 and "Sveiki!" in texts(user)[0]


async def test_a_webhook_answers_200_once_committed_and_a_redelivery_sends_the_rest(
    api: FakeBotAPI, dialogue: Dialogue, translations: Translations, content: ContentStore
) -> None:
    user = api.user(603)
    channel = telegram_channel(api, dialogue, translations, webhook=True)
    hook = TelegramWebhook(
        channel, url="https://coach.test/telegram/webhook", secret=SECRET, max_body_bytes=100_000
    )
    web = create_web_app(sessions=dialogue.deps.sessions, content=content, telegram=hook)  # type: ignore[arg-type]
    update = user.message_update("/start")
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with web.router.lifespan_context(web):
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api.fail_next("sendMessage", status=502, description="Bad Gateway")
            first = await client.post("/telegram/webhook", json=update, headers=headers)
            assert first.status_code == 200  # the reply is durable: no need to deliver again
            assert texts(user) == []
            again = await client.post("/telegram/webhook", json=update, headers=headers)
            assert again.status_code == 200
    assert len(texts(user)) == 1 and "Sveiki!" in texts(user)[0]


async def test_a_kill_between_commit_and_send_is_delivered_by_the_next_process(
    api: FakeBotAPI,
    sessions: Sessions,
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
) -> None:
    user = api.user(604)
    first = Dialogue(sessions, content, translations, clock, VILNIUS)
    channel = telegram_channel(api, first, translations)
    channel.sender.send = _never  # type: ignore[method-assign]  # the process dies here
    async with channel.application:
        with pytest.raises(_Killed):
            await feed(channel, user.message_update("/start"))
    assert texts(user) == []
    (row,) = await owed(sessions)
    assert row.purpose == "reply" and row.state == "sending"  # leased by the dead process
    restarted = Dialogue(sessions, content, translations, clock, VILNIUS)
    again = telegram_channel(api, restarted, translations)
    async with again.application:
        assert await restarted.outbox.recover_orphans() == 1  # SQLite: one process
        await restarted.outbox.send_due()
    assert len(texts(user)) == 1 and "Sveiki!" in texts(user)[0]


class _Killed(BaseException):
    """Stands for the process ending mid-send (not an error the sender would catch)."""


async def _never(*_args: object, **_kwargs: object) -> None:
    raise _Killed


# --- Telegram's limits: a whole onboarding and lesson without one 429 ------------------------


async def test_onboarding_and_a_whole_lesson_draw_no_429_from_telegrams_limits(
    api: FakeBotAPI,
    dialogue: Dialogue,
    translations: Translations,
    content: ContentStore,
    database_url: str,
) -> None:
    if _postgres(database_url):
        pytest.skip("pacing is the sender's, whatever the database: timed once, on SQLite")
    # Telegram forgives the few milliseconds a request spends on the way; so does the fake.
    limits = api.enforce_limits(
        FloodLimits(per_second=30, per_chat_seconds=1.0, chat_burst=3, tolerance=0.02)
    )
    limiter = RateLimiter(SystemClock(), per_second=30, per_chat_seconds=1.0, chat_burst=3)
    user = api.user(605)
    channel = telegram_channel(api, dialogue, translations, limiter=limiter)
    async with channel.application:
        await onboard(channel, user)
        for question in content.index.lessons[0].lesson.quiz:
            for payload in answer_payloads(question):
                message = next(
                    m
                    for m in reversed(user.messages)
                    if any(d == payload for _, d in user.buttons(m))
                )
                await feed(channel, user.callback_update(message, payload))
    assert limits.refused == 0, [c.description for c in api.calls if c.status == 429]
    assert any("Pamoka baigta" in t or "🏁" in t for t in texts(user))


# --- Messenger: one platform's refusals never slow the other ---------------------------------


async def test_a_messenger_window_refusal_holds_that_person_while_telegram_flows(
    api: FakeBotAPI,
    sessions: Sessions,
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
) -> None:
    telegram_pace = RateLimiter(clock, per_second=30, chat_burst=3)
    messenger_pace = RateLimiter(clock, per_second=30, chat_burst=3)
    dialogue = Dialogue(sessions, content, translations, clock, VILNIUS)
    async with FakeGraphAPI() as graph, httpx.AsyncClient() as http:
        messenger_api = MessengerAPI(
            http, base_url=graph.base_url, page_access_token=graph.page_access_token
        )
        channel = MessengerChannel(
            dialogue, messenger_api, sender=MessengerSender(messenger_api), limiter=messenger_pace
        )
        telegram = telegram_channel(api, dialogue, translations, limiter=telegram_pace)
        ruta, jonas = FakeMessengerUser("psid-ruta"), api.user(606)
        async with telegram.application:
            graph.fail_next(400, code=10, subcode=OUTSIDE_WINDOW_SUBCODE)
            body = page_body(ruta.text("Labas"))
            assert await channel.handle_body(json.loads(json.dumps(body)))
            await feed(telegram, jonas.message_update("/start"))
    assert len(texts(jonas)) == 1  # Telegram went on at once
    assert graph.delivered("psid-ruta") == []
    (held,) = await owed(sessions)
    assert held.state == "held" and held.channel == "messenger"
    assert telegram_pace.ready_at("telegram:1") <= clock.now()  # no hold on Telegram
    assert messenger_pace.ready_at("messenger:someone") <= clock.now()  # nor on Messenger


async def test_a_held_lesson_then_the_notice_then_lesson_and_question_once_each(
    sessions: Sessions, content: ContentStore, translations: Translations, clock: FakeClock
) -> None:
    await seed(sessions, content, 1, local(2026, 11, 20, 9), channel="messenger")
    clock.set(local(2026, 11, 24, 9, 0, 30))  # Tuesday at the lesson time; window long closed
    await make_tick(sessions, content, translations, clock)()
    dialogue = Dialogue(sessions, content, translations, clock, VILNIUS)
    async with FakeGraphAPI() as graph, httpx.AsyncClient() as http:
        messenger_api = MessengerAPI(
            http, base_url=graph.base_url, page_access_token=graph.page_access_token
        )
        sender = MessengerSender(messenger_api, sessions, translations)
        webhook = MessengerWebhook(
            MessengerChannel(dialogue, messenger_api, sender=sender),
            app_secret=SECRET,
            verify_token="v",
            max_body_bytes=100_000,
        )
        await dialogue.outbox.send_due()
        assert await sender.send_waiting_notices(clock.now()) == 1
        web = create_web_app(sessions=sessions, content=content, messenger=webhook)
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            raw = json.dumps(page_body(FakeMessengerUser("1000").text("Labas"))).encode()
            answer = await client.post(
                "/messenger/webhook",
                content=raw,
                headers={"X-Hub-Signature-256": sign(raw, SECRET)},
            )
            assert answer.status_code == 200
        delivered = [c.text for c in graph.delivered("1000")]
    lesson = content.index.lessons[1].lesson
    assert len(delivered) == 3, delivered
    notice, shown, question = delivered
    assert "pamoka" in notice.lower()
    assert lesson.title["lt"] in shown
    assert question.startswith("❓ Klausimas 1 iš")
    assert not any("mygtuk" in text for text in delivered)  # no "choose a button" scolding


# --- Leases: rows of a dead worker go again within seconds -----------------------------------


async def test_a_dead_workers_rows_are_taken_over_within_seconds(
    api: FakeBotAPI, sessions: Sessions, clock: FakeClock
) -> None:
    pid = await add_person(sessions, 607, clock.now())
    api.user(607)
    async with sessions() as session, session.begin():
        await enqueue_many(session, [Queued(pid, "k", [Message("Labas")])], clock.now())
    async with sessions() as session, session.begin():
        claimed = await claims.claim(
            session, claims.due_clause(clock.now()), clock.now(), timedelta(seconds=15), 30
        )
    assert len(claimed) == 1  # claimed by a worker that then died
    heir = make_sender(sessions, clock, api)
    assert not await heir.send_due()
    clock.advance(timedelta(seconds=16))
    await heir.send_due()
    assert texts(api.user(607)) == ["Labas"]


# --- PostgreSQL: two workers, two webhook processes -------------------------------------------


def _postgres(url: str) -> bool:
    return url.startswith("postgresql")


async def test_two_workers_drain_one_outbox_with_slow_sends_each_message_once(
    api: FakeBotAPI, database_url: str, sessions: Sessions
) -> None:
    if not _postgres(database_url):
        pytest.skip("SQLite runs one sending process")
    clock = SystemClock()
    now = datetime.now(UTC)
    people = [await add_person(sessions, 700 + n, now) for n in range(12)]
    for n in range(12):
        api.user(700 + n)
    async with sessions() as session, session.begin():
        await enqueue_many(
            session,
            [Queued(pid, f"m{k}", [Message(f"{pid}-{k}")]) for pid in people for k in range(2)],
            now,
        )
    api.delay = 0.05
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        workers = []
        for engine in engines:
            worker = OutboxSender(create_session_factory(engine), clock, batch_size=5)
            channel = telegram_channel(
                api,
                Dialogue(
                    create_session_factory(engine),
                    ContentStore(CONTENT_DIR),
                    Translations("lt"),
                    clock,
                    VILNIUS,
                    outbox=worker,
                ),
                Translations("lt"),
            )
            workers.append((worker, channel))
        async with workers[0][1].application, workers[1][1].application:
            await asyncio.gather(*(worker.send_due() for worker, _ in workers))
    finally:
        for engine in engines:
            await engine.dispose()
    sent = [c.params.get("text") for c in api.calls_of("sendMessage") if c.status == 200]
    assert sorted(sent) == sorted(f"{pid}-{k}" for pid in people for k in range(2))
    assert len(set(sent)) == len(sent)  # each once, though both workers drained at once


async def test_two_webhook_processes_get_the_same_update_and_reply_once(
    api: FakeBotAPI, database_url: str, sessions: Sessions
) -> None:
    if not _postgres(database_url):
        pytest.skip("one webhook process on SQLite")
    clock = SystemClock()
    engines = [create_engine(database_url) for _ in range(2)]
    user = api.user(608)
    update = user.message_update("/start")
    try:
        channels = []
        for engine in engines:
            dialogue = Dialogue(
                create_session_factory(engine),
                ContentStore(CONTENT_DIR),
                Translations("lt"),
                clock,
                VILNIUS,
            )
            channels.append(telegram_channel(api, dialogue, Translations("lt"), webhook=True))
        async with channels[0].application, channels[1].application:
            results = await asyncio.gather(*(c.handle_update(RawUpdate(update)) for c in channels))
    finally:
        for engine in engines:
            await engine.dispose()
    assert results == [True, True]
    assert len(texts(user)) == 1 and "Sveiki!" in texts(user)[0]


# --- Tracked tasks: cut off by a stop, resumed once, then reported -----------------------------


async def test_a_task_cut_off_by_a_stop_is_resumed_once_then_reported(
    dialogue: Dialogue, sessions: Sessions, clock: FakeClock
) -> None:
    pid = await add_person(sessions, 609, clock.now())
    runner = dialogue.deps.tasks
    assert runner is not None
    ran: list[int] = []

    async def build(job: TaskJob) -> list[Outbound]:
        ran.append(job.id)
        return [Message(f"ready {job.params['n']}")]

    runner.register("demo", build)
    async with sessions() as session, session.begin():
        for n, attempts in ((1, 1), (2, 2)):  # the second was cut off twice already
            session.add(
                TrackedTask(
                    kind="demo",
                    participant_id=pid,
                    params={"n": n, "language": "lt"},
                    state="running",
                    attempts=attempts,
                    lease_until=clock.now(),
                    created_at=clock.now(),
                )
            )
    assert await runner.resume(all_running=True) == 2
    await runner.drain()
    async with sessions() as session:
        states = {row.params["n"]: row.state for row in await session.scalars(select(TrackedTask))}
        sent = [
            reply.text
            for payload in await session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.purpose == "task_demo")
            )
            for reply in load_replies(payload)
            if isinstance(reply, Message)
        ]
    assert states == {1: "done", 2: "failed"} and len(ran) == 1
    assert "ready 1" in sent
    assert any("nepavyko" in text for text in sent)  # told, never left waiting
