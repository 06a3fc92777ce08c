"""Broadcasts against the fake Bot API: the trainer's flow with preview, 429/403/502 answers,
one live progress message and the final report, a crash in the middle and a restart."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram import Bot

from bot.channels.console.adapter import ConsoleChannel
from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.updates import RawUpdate
from bot.content.loader import ContentStore
from bot.conversation.features import build_registry
from bot.conversation.router import Dialogue
from bot.db.models import (
    AuditLogEntry,
    Broadcast,
    ChannelIdentity,
    OutboxMessage,
    Participant,
    RoleGrant,
)
from bot.delivery.limiter import RateLimiter
from bot.delivery.sender import OutboxSender
from bot.features.broadcasts import service
from bot.features.broadcasts.monitor import BroadcastMonitor
from bot.kernel.clock import FakeClock
from bot.kernel.context import Deps
from bot.kernel.i18n import Translations
from bot.kernel.messages import Inbound, InboundKind, Outbound
from bot.kernel.registry import TRAINER
from tests.conftest import VILNIUS
from tests.fakes.bot_api import FakeBotAPI, FakeUser
from tests.helpers import telegram_channel
from tests.integration.admin_data import Sessions, add_person, everything, seed

__all__ = ["everything"]
TRAINER_ID = 900
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def channel(
    api: FakeBotAPI,
    sessions: Sessions,
    content: ContentStore,
    translations: Translations,
    clock: FakeClock,
) -> AsyncIterator[TelegramChannel]:
    deps = Deps(content=content, clock=clock, sessions=sessions)
    dialogue = Dialogue(
        sessions, content, translations, clock, VILNIUS, registry=build_registry(), deps=deps
    )
    telegram = telegram_channel(
        api,
        dialogue,
        translations,
        error_text="Klaida",
    )
    async with telegram.application:
        yield telegram


def make_sender(sessions: Sessions, clock: FakeClock, bot: Bot, **options: Any) -> OutboxSender:
    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    sender = OutboxSender(sessions, clock, limiter=RateLimiter(clock, sleep=sleep), **options)
    sender.register(TelegramSender(bot))
    return sender


def make_monitor(
    sessions: Sessions,
    clock: FakeClock,
    content: ContentStore,
    translations: Translations,
    outbox: OutboxSender | None,
) -> BroadcastMonitor:
    return BroadcastMonitor(sessions, clock, translations, VILNIUS, lambda: content.index, outbox)


async def add_telegram_person(
    sessions: Sessions,
    user_id: int,
    now: datetime,
    *,
    municipality: str = "utena",
    grants: tuple[str, ...] = (),
) -> int:
    """An onboarded participant reached on Telegram as `user_id`."""
    async with sessions() as session, session.begin():
        person = await add_person(
            session, f"c{user_id}", now, name=f"Dalyvė {user_id}", municipality=municipality
        )
        identity = person.identities[0]
        identity.channel, identity.external_id = "telegram", str(user_id)
        for role in grants:
            session.add(RoleGrant(participant_id=person.id, role=role, granted_at=now))
        return person.id


async def feed(channel: TelegramChannel, update: dict[str, Any]) -> None:
    await channel.application.process_update(RawUpdate(update))


async def tap(channel: TelegramChannel, user: FakeUser, data: str) -> None:
    message = next(m for m in reversed(user.messages) if any(d == data for _, d in user.buttons(m)))
    await feed(channel, user.callback_update(message, data))


def photo_update(user: FakeUser, file_ids: Sequence[str], caption: str) -> dict[str, Any]:
    update = user.message_update("x")
    message = update["message"]
    del message["text"]
    message["photo"] = [
        {"file_id": fid, "file_unique_id": f"u{n}", "width": 90, "height": 90}
        for n, fid in enumerate(file_ids)
    ]
    message["caption"] = caption
    return update


def bot_texts(user: FakeUser) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in user.sent]


async def run_until_done(
    sender: OutboxSender, monitor: BroadcastMonitor, clock: FakeClock, rounds: int = 15
) -> None:
    """The outbox and broadcast jobs as the scheduler runs them, the clock moving between."""
    for _ in range(rounds):
        await sender.send_due()
        await monitor.run()
        clock.advance(timedelta(seconds=10))


async def test_a_trainer_broadcasts_a_photo_with_preview_live_progress_and_report(
    api: FakeBotAPI,
    channel: TelegramChannel,
    sessions: Sessions,
    clock: FakeClock,
    content: ContentStore,
    translations: Translations,
) -> None:
    await add_telegram_person(
        sessions, TRAINER_ID, clock.now(), municipality="other", grants=(TRAINER,)
    )
    for uid in (101, 102, 103, 104):
        await add_telegram_person(sessions, uid, clock.now())
        api.user(uid)
    await add_telegram_person(sessions, 201, clock.now(), municipality="moletai")
    trainer = api.user(TRAINER_ID, "Lektorė")
    sent = await channel.application.bot.send_photo(TRAINER_ID, io.BytesIO(PNG))
    file_ids = [size.file_id for size in sent.photo]

    await feed(channel, trainer.message_update("/broadcast"))
    assert "Parašykite žinutę dalyviams" in bot_texts(trainer)[-1]
    typed = "Sveiki! <b>Ne paryškinta</b> & 5 < 6 — Ąžuolų ūkis"
    await feed(channel, photo_update(trainer, file_ids, typed))
    assert "Kam ją išsiųsti?" in bot_texts(trainer)[-1]
    await tap(channel, trainer, "bc:m:municipality")
    await tap(channel, trainer, "bc:a:municipality:utena")
    preview, question = trainer.sent[-2], trainer.sent[-1]
    assert preview["caption"] == typed and not preview.get("caption_entities")  # as typed
    assert preview["photo"][-1]["file_id"] == file_ids[-1]
    assert "„Utena“ (4 gavėjai)" in question["text"]

    api.user(103).blocked = True
    api.fail_next("sendPhoto", status=429, description="Too Many Requests", retry_after=4)
    api.fail_next("sendPhoto", status=502, description="Bad Gateway")
    await tap(channel, trainer, "bc:send")
    assert "Siunčiu: 4 gavėjai" in bot_texts(trainer)[-1]

    bot = channel.application.bot
    sender = make_sender(sessions, clock, bot)
    monitor = make_monitor(sessions, clock, content, translations, sender)
    await monitor.run()  # the progress message appears before anything is sent
    progress = trainer.sent[-1]
    assert "Pranešimas #1: pristatyta 0 iš 4" in progress["text"]
    await run_until_done(sender, monitor, clock)

    for uid in (101, 102, 104):
        photos = [m for m in api.user(uid).sent if "photo" in m]
        assert [m["caption"] for m in photos] == [typed]
    assert api.user(103).sent == [] and api.user(201).sent == []
    to_recipients = [c for c in api.calls_of("sendPhoto") if c.params["chat_id"] != TRAINER_ID]
    statuses = Counter(call.status for call in to_recipients)
    assert statuses == {200: 3, 429: 1, 502: 1, 403: 1}
    progress_messages = [t for t in bot_texts(trainer) if "Pranešimas #1: pristatyta" in t]
    assert len(progress_messages) == 1  # one message, edited, never repeated
    shown = trainer.message(progress["message_id"])
    assert "pristatyta 3 iš 4" in shown["text"] and "užblokavo: 1" in shown["text"]
    assert len([c for c in api.calls_of("editMessageText") if c.status == 200]) >= 1
    report = bot_texts(trainer)[-1]
    assert "Pranešimas #1 išsiųstas." in report
    assert "Pristatyta: 3" in report and "Užblokavo botą: 1" in report and "Nepavyko: 0" in report
    assert "403" in report
    async with sessions() as session:
        broadcast = await session.scalar(select(Broadcast))
        assert broadcast is not None and broadcast.state == "done"
        assert broadcast.report["sent"] == 3 and broadcast.report["blocked"] == 1
        assert broadcast.finished_at is not None and broadcast.recipients == 4
        actions = list(await session.scalars(select(AuditLogEntry.action)))
        assert actions == ["broadcast.send"]
    await run_until_done(sender, monitor, clock, 2)  # nothing more to say
    assert len([t for t in bot_texts(trainer) if "išsiųstas" in t]) == 1

    await feed(channel, trainer.message_update("/broadcasts"))
    listing = bot_texts(trainer)[-1]
    assert "#1" in listing and "Utena" in listing and "baigtas" in listing
    assert "Pristatyta: 3" in listing


class FreezingSender(TelegramSender):
    """Delivers `limit` messages, then delivers one more and freezes before the outbox can
    record it, as a process killed at that instant; later sends freeze before going out."""

    def __init__(self, bot: Bot, limit: int) -> None:
        super().__init__(bot)
        self.limit = limit
        self.count = 0
        self.frozen = asyncio.Event()

    async def send(self, external_id: str, replies: Sequence[Outbound]) -> None:
        self.count += 1
        number = self.count
        if number > self.limit + 1:
            await asyncio.Event().wait()
        await super().send(external_id, replies)
        if number == self.limit + 1:
            self.frozen.set()
            await asyncio.Event().wait()


async def sent_rows(sessions: Sessions) -> int:
    async with sessions() as session:
        found = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "sent")
        )
        return int(found or 0)


async def test_a_broadcast_interrupted_by_a_crash_resumes_without_loss_or_repeats(
    api: FakeBotAPI,
    sessions: Sessions,
    clock: FakeClock,
    content: ContentStore,
    translations: Translations,
) -> None:
    trainer = await add_telegram_person(sessions, TRAINER_ID, clock.now(), grants=(TRAINER,))
    people = list(range(301, 341))
    api.user(TRAINER_ID)
    for uid in people:
        await add_telegram_person(sessions, uid, clock.now(), municipality="zarasai")
        api.user(uid)
    async with sessions() as session, session.begin():
        broadcast = Broadcast(
            author_id=trainer,
            text="Rytoj – susitikimas Zarasuose",
            attachment="",
            audience="municipality:zarasai",
            state=service.SCHEDULED,
            report={},
            created_at=clock.now(),
        )
        session.add(broadcast)
        await session.flush()
        assert await service.start(session, broadcast, content.index, clock.now(), VILNIUS) == 40
    bot = Bot(api.token, base_url=api.base_url)

    first = make_sender(sessions, clock, bot, batch_size=10)
    freezing = FreezingSender(bot, limit=13)
    first.register(freezing)
    task = asyncio.create_task(first.send_due())
    await asyncio.wait_for(freezing.frozen.wait(), 10)
    for _ in range(500):  # the 13 before it finish recording; the 14th never will
        if await sent_rows(sessions) == 13:
            break
        await asyncio.sleep(0.01)
    assert await sent_rows(sessions) == 13
    task.cancel()  # the crash: the process is gone, its leases still held
    with pytest.raises(asyncio.CancelledError):
        await task
    received = Counter(call.params["chat_id"] for call in api.calls_of("sendMessage"))
    assert sum(received.values()) == 14

    clock.advance(timedelta(minutes=3))  # the dead process's leases run out
    second = make_sender(sessions, clock, bot)
    await run_until_done(
        second, make_monitor(sessions, clock, content, translations, second), clock, 4
    )

    received = Counter(
        int(call.params["chat_id"])
        for call in api.calls_of("sendMessage")
        if call.status == 200 and int(call.params["chat_id"]) != TRAINER_ID
    )
    assert set(received) == set(people)  # nobody missed
    twice = [uid for uid, n in received.items() if n > 1]
    assert twice == [314] and received[314] == 2  # only the one in flight
    async with sessions() as session:
        states = Counter(
            await session.scalars(
                select(OutboxMessage.state).where(OutboxMessage.broadcast_id == broadcast.id)
            )
        )
        assert states == {"sent": 40}
        done = await session.get(Broadcast, broadcast.id)
        assert done is not None and done.state == "done" and done.report["sent"] == 40
    report = bot_texts(api.user(TRAINER_ID))[-1]
    assert "Pristatyta: 40" in report


async def test_the_flow_escapes_validates_schedules_and_cancels(
    everything: Dialogue,
    sessions: Sessions,
    clock: FakeClock,
    content: ContentStore,
    translations: Translations,
) -> None:
    ids = await seed(sessions, clock, content)
    async with sessions() as session, session.begin():
        await add_person(session, "tom", clock.now(), name="Tomas", grants=(TRAINER,))
    chat = ConsoleChannel(everything, user_id="tom")
    await chat.send("/broadcast")
    assert "Žinutė tuščia" in await chat.send("   ")
    assert "Kam ją išsiųsti?" in await chat.send("<b>Sveiki</b>, Rūta & Jonai")
    assert "Atsiliekantiems nuo grafiko" in " ".join(chat.options)
    turn = await everything.handle(
        Inbound("console", "tom", InboundKind.BUTTON, payload="bc:a:behind")
    )
    texts = [getattr(r, "text", "") for r in turn.replies]
    assert "&lt;b&gt;Sveiki&lt;/b&gt;, Rūta &amp; Jonai" in texts  # the preview, escaped once
    assert any("(1 gavėjas)" in (t or "") for t in texts)
    chat.render(turn.replies)
    await chat.send(str(chat.options.index("🕒 Pasirinkti laiką") + 1))
    assert "Parašykite datą ir laiką taip" in await chat.send("rytoj")
    assert "Tokios dienos ar valandos nėra" in await chat.send("2026-02-30 10:00")
    assert "jau praėjo" in await chat.send("08:00")  # 09:00 in Vilnius now
    assert "daugiau nei po 90 dienų" in await chat.send("2027-06-01 10:00")
    assert "Suplanuota 2026-11-24 12:30" in await chat.send("2026-11-24 12:30")

    await chat.send("/broadcast")
    await chat.send("Antra žinutė")
    assert "Atšaukta" in await chat.send("/cancel")
    await chat.send("/broadcast")
    await chat.send("Trečia žinutė")
    shown = await chat.send(str(chat.options.index("👥 Visiems") + 1))
    assert "Trečia žinutė" in shown and "Siųsti: „visi dalyviai“ (4 gavėjai)?" in shown
    await chat.send(str(chat.options.index("✖️ Atšaukti") + 1))

    listing = await chat.send("/broadcasts")
    assert "#1" in listing and "suplanuotas" in listing and "atsiliekantys" in listing
    monitor = make_monitor(sessions, clock, content, translations, None)
    await monitor.run()
    async with sessions() as session:
        bulk = select(func.count()).where(OutboxMessage.purpose != "reply")
        assert await session.scalar(bulk) == 0
    clock.advance(timedelta(hours=4))
    await monitor.run()
    async with sessions() as session:
        rows = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.purpose != "reply"))
        )
        assert [(r.participant_id, r.purpose) for r in rows] == [(ids["ruta"], "broadcast")]
        assert rows[0].payload[0]["text"] == "&lt;b&gt;Sveiki&lt;/b&gt;, Rūta &amp; Jonai"
        broadcasts = list(await session.scalars(select(Broadcast.state)))
        assert broadcasts == ["sending"]
        assert await session.scalar(select(func.count()).select_from(Participant)) == 5


async def test_a_scheduled_broadcast_can_be_cancelled_from_the_list(
    everything: Dialogue, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    await seed(sessions, clock, content)
    async with sessions() as session, session.begin():
        await add_person(session, "tom", clock.now(), name="Tomas", grants=(TRAINER,))
    chat = ConsoleChannel(everything, user_id="tom")
    await chat.send("/broadcast")
    await chat.send("Susitikimas")
    await chat.send(str(chat.options.index("Savivaldybei") + 1))
    await chat.send(str(chat.options.index("Zarasai") + 1))
    await chat.send(str(chat.options.index("🕒 Pasirinkti laiką") + 1))
    await chat.send("1.12.2026 9:30")
    listing = await chat.send("/broadcasts")
    assert "Zarasai" in listing and "suplanuotas" in listing
    assert "Pranešimas #1 atšauktas." in await chat.send("1")
    async with sessions() as session:
        assert list(await session.scalars(select(Broadcast.state))) == ["cancelled"]
        actions = list(await session.scalars(select(AuditLogEntry.action)))
        assert actions == ["broadcast.schedule", "broadcast.cancel"]
        assert await session.scalar(select(func.count()).select_from(ChannelIdentity)) == 5
