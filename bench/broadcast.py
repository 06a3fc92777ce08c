"""Benchmark of a broadcast: 1,000 recipients through the fake Bot API enforcing Telegram's
flood limits (30 messages a second overall, one a second per chat, 429 with retry_after
beyond), with the real outbox sender, limiter and clock, on SQLite.

Prints messages per second against the 30/s ceiling, lost, duplicates and 429s received; a
learner (the trainer's own chat) gets a reply every 2 s meanwhile, through the same outbox and
limiter, and the bench prints how long each took. --outage S makes the server answer 502 to
every send for S seconds a few seconds in, and prints how many sends were tried meanwhile (the
circuit backs the platform off instead of retrying each message).
Goals: >= 95% of the ceiling, no 429, 0 lost, 0 duplicates, every reply within a second.
Run: python bench/broadcast.py [--recipients N] [--tolerance SECONDS] [--outage SECONDS]"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.broadcasts import service  # noqa: E402
from telegram import Bot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bot.channels.telegram.sender import TelegramSender  # noqa: E402
from bot.content.loader import ContentStore  # noqa: E402
from bot.db.engine import create_engine, create_session_factory  # noqa: E402
from bot.db.migrate import upgrade_async  # noqa: E402
from bot.db.models import Broadcast, ChannelIdentity, Participant  # noqa: E402
from bot.delivery.limiter import RateLimiter  # noqa: E402
from bot.delivery.outbox import enqueue_reply  # noqa: E402
from bot.delivery.sender import OutboxSender  # noqa: E402
from bot.features.broadcasts.monitor import PROGRESS_SECONDS, BroadcastMonitor  # noqa: E402
from bot.kernel.clock import SystemClock  # noqa: E402
from bot.kernel.i18n import Translations  # noqa: E402
from bot.kernel.messages import Message  # noqa: E402
from tests.fakes.bot_api import FakeBotAPI  # noqa: E402
from tests.fakes.bot_api_limits import FloodLimits  # noqa: E402

VILNIUS = ZoneInfo("Europe/Vilnius")
TRAINER = 1
CEILING = 30.0


class FakeServer:
    """The fake Bot API on its own thread and event loop, as Telegram is another machine."""

    def __init__(self, limits: FloodLimits) -> None:
        self.api = FakeBotAPI()
        self.limits = limits
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self.api.start())
        self.api.enforce_limits(self.limits)
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> FakeBotAPI:
        self._thread.start()
        self._ready.wait()
        return self.api

    def call(self, action: Callable[[], object]) -> None:
        """Run `action` on the server's loop (switch a failure on or off)."""
        self._loop.call_soon_threadsafe(action)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.api.stop(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()


async def seed(url: str, recipients: int, api: FakeBotAPI) -> tuple[int, int]:
    """The trainer (Telegram id 1) and `recipients` participants (ids 1001...)."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    people = [
        {
            "language": "lt",
            "name": f"P{n}",
            "municipality": "other" if n == 0 else "utena",
            "role": "pr",
            "onboarded_at": now,
            "privacy_accepted_at": now,
            "created_at": now,
            "last_seen_at": now,
        }
        for n in range(recipients + 1)
    ]
    async with engine.begin() as connection:
        await connection.execute(insert(Participant), people)
        ids = list(
            (await connection.execute(select(Participant.id).order_by(Participant.id))).scalars()
        )
        chats = [TRAINER] + [1000 + n for n in range(1, recipients + 1)]
        await connection.execute(
            insert(ChannelIdentity),
            [
                {
                    "participant_id": pid,
                    "channel": "telegram",
                    "external_id": str(chat),
                    "created_at": now,
                }
                for pid, chat in zip(ids, chats, strict=True)
            ],
        )
    for chat in chats:
        api.user(chat)
    await engine.dispose()
    return ids[0], len(ids) - 1


async def learner(
    outbox: OutboxSender,
    sessions: async_sessionmaker[AsyncSession],
    pid: int,
    latencies: list[float],
    stop: asyncio.Event,
) -> None:
    """Someone answering a quiz during the broadcast: a reply every 2 s, the turn's road."""
    clock = SystemClock()
    number = 0
    while not stop.is_set():
        await asyncio.sleep(2.0)
        number += 1
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            await enqueue_reply(
                session,
                participant_id=pid,
                channel="telegram",
                external_id=str(TRAINER),
                update_key=f"learner-{number}",
                replies=[Message(f"✅ Teisingai! ({number})")],
                now=clock.now(),
            )
            owed = await outbox.claim_owed(session, pid)
        counts = await outbox.send_claimed(owed)
        if counts.get("sent"):
            latencies.append(time.perf_counter() - started)


async def outage(server: FakeServer, after: float, seconds: float, window: list[int]) -> None:
    """Every send fails with 502 for `seconds`, starting `after` seconds in."""
    await asyncio.sleep(after)
    api = server.api
    window.append(len(api.calls))
    server.call(lambda: api.refuse("sendMessage", 502, "Bad Gateway"))
    await asyncio.sleep(seconds)
    server.call(lambda: api.allow("sendMessage"))
    window.append(len(api.calls))


async def run(
    recipients: int, tolerance: float, rate_limit: float, outage_seconds: float = 0.0
) -> None:
    limits = FloodLimits(tolerance=tolerance)
    server = FakeServer(limits)
    api = server.start()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/bench.db"
        await upgrade_async(url)
        author, _ = await seed(url, recipients, api)
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        clock = SystemClock()
        content = ContentStore(ROOT / "content")
        async with sessions() as session, session.begin():
            broadcast = Broadcast(
                author_id=author,
                text="Labas! Rytoj 10 val. – susitikimas.",
                attachment="",
                audience="municipality:utena",
                state=service.SCHEDULED,
                progress_channel="telegram",
                progress_chat_id=str(TRAINER),
                report={},
                created_at=clock.now(),
            )
            session.add(broadcast)
            await session.flush()
            queued = await service.start(session, broadcast, content.index, clock.now(), VILNIUS)
            broadcast_id = broadcast.id
        request = HTTPXRequest(connection_pool_size=64, pool_timeout=10)
        bot = Bot(api.token, base_url=api.base_url, request=request)
        await bot.initialize()  # as the running application's bot is, long before a broadcast
        outbox = OutboxSender(
            sessions, clock, limiter=RateLimiter(clock, per_second=30, min_gap=1 / rate_limit)
        )
        outbox.register(TelegramSender(bot))
        monitor = BroadcastMonitor(
            sessions, clock, Translations("lt"), VILNIUS, lambda: content.index, outbox
        )

        async def follow() -> None:
            while True:
                await monitor.run()
                await asyncio.sleep(PROGRESS_SECONDS)

        follower = asyncio.create_task(follow())
        stop, latencies, window = asyncio.Event(), [], []
        answering = asyncio.create_task(learner(outbox, sessions, author, latencies, stop))
        cut = (
            asyncio.create_task(outage(server, 5.0, outage_seconds, window))
            if outage_seconds
            else None
        )
        started = time.perf_counter()
        while True:
            await outbox.send_due()
            async with sessions() as session:
                counts, settled = await service.progress(session, broadcast_id)
            if settled:
                break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        stop.set()
        follower.cancel()
        await answering
        if cut is not None:
            await cut
        await monitor.run()  # the final report
        await outbox.send_due()
        await engine.dispose()
        await bot.shutdown()
    server.stop()

    delivered = Counter(
        int(call.params["chat_id"])
        for call in api.calls
        if call.method == "sendmessage" and call.status == 200 and call.params["chat_id"] != TRAINER
    )
    expected = {1000 + n for n in range(1, recipients + 1)}
    lost = len(expected - set(delivered))
    duplicates = sum(n - 1 for n in delivered.values() if n > 1)
    refused = sum(1 for call in api.calls if call.status == 429)
    edits = sum(1 for call in api.calls if call.method == "editmessagetext" and call.status == 200)
    rate = sum(delivered.values()) / elapsed
    print(f"recipients queued:        {queued}")
    print(f"delivered:                {sum(delivered.values())} in {elapsed:.2f} s")
    print(f"messages per second:      {rate:.2f} ({100 * rate / CEILING:.1f}% of {CEILING:.0f}/s)")
    print(f"lost:                     {lost}")
    print(f"duplicates:               {duplicates}")
    print(f"429s received:            {refused}")
    print(f"progress edits (trainer): {edits}; final report sent: {counts['sent'] == queued}")
    print(f"sender's limiter:         30/s, paced at {rate_limit:g}/s, 1/s per chat")
    print(f"fake's jitter tolerance:  {tolerance * 1000:.0f} ms")
    if latencies:
        worst, middle = max(latencies), statistics.median(latencies)
        within = "all" if worst < 1 else "not all"
        print(
            f"learner's replies:        {len(latencies)}, p50 {middle * 1000:.0f} ms, "
            f"max {worst * 1000:.0f} ms ({within} within 1 s)"
        )
    if len(window) == 2:
        tried = [c for c in api.calls[window[0] : window[1]] if c.method == "sendmessage"]
        print(
            f"outage of {outage_seconds:g} s:          {len(tried)} sends tried meanwhile "
            f"(circuit: probes, then resumes)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument(
        "--tolerance", type=float, default=0.0, help="seconds of network jitter the fake forgives"
    )
    parser.add_argument(
        "--rate", type=float, default=29.5, help="the sender's pace (messages a second)"
    )
    parser.add_argument(
        "--outage", type=float, default=0.0, help="seconds of 502s from the server, 5 s in"
    )
    args = parser.parse_args()
    asyncio.run(run(args.recipients, args.tolerance, args.rate, args.outage))


if __name__ == "__main__":
    main()
