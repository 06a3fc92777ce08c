"""Where one quiz answer's milliseconds go: statements, time inside SQLite, calls to
aiosqlite's thread and CPU, for N onboarded people answering a true/false question one after
another through the terminal channel with the outbox on (docs/performance.md).

Run: python bench/turn_profile.py [--people N] [--profile]"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiosqlite.core  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.channels.console.adapter import ConsoleChannel  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.helpers import answer_payloads  # noqa: E402

ONBOARDING = ["/start", "1", "1", "Jonas Petraitis", "1", "Muziejus", "1", "1"]


def press(chat: ConsoleChannel, payload: str) -> str:
    return str([b.payload for b in chat.buttons].index(payload) + 1)


async def run(people: int, profile: bool) -> None:
    hops = [0]
    original = aiosqlite.core.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        hops[0] += 1
        return await original(self, fn, *args, **kwargs)

    aiosqlite.core.Connection._execute = counted  # type: ignore[method-assign]
    directory = tempfile.mkdtemp()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{directory}/profile.db",
        content_dir=ROOT / "content",
        flood_limit=100_000,
    )
    app = await build_app(settings)
    statements, inside, started = [0], [0.0], [0.0]

    def before(*_: object) -> None:
        started[0] = time.perf_counter()

    def after(*_: object) -> None:
        statements[0] += 1
        inside[0] += time.perf_counter() - started[0]

    event.listen(app.engine.sync_engine, "before_cursor_execute", before)
    event.listen(app.engine.sync_engine, "after_cursor_execute", after)
    lesson = app.content.index.lessons[0].lesson
    chats: list[ConsoleChannel] = []
    for n in range(people):
        chat = ConsoleChannel(app.dialogue, user_id=f"p{n}", outbox=app.outbox)
        for line in ONBOARDING:
            await chat.send(line)
        for payload in answer_payloads(lesson.quiz[0]):
            await chat.send(press(chat, payload))
        chats.append(chat)
    (payload,) = answer_payloads(lesson.quiz[1])
    presses: Sequence[str] = [press(chat, payload) for chat in chats]
    statements[0], inside[0], hops[0] = 0, 0.0, 0
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for chat, number in zip(chats, presses, strict=True):
        await chat.send(number)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"one quiz answer (a true/false press), {people} people one after another:")
    print(f"  CPU per answer:              {cpu / people * 1000:.2f} ms")
    print(f"  wall per answer:             {wall / people * 1000:.2f} ms")
    print(f"  statements per answer:       {statements[0] / people:.1f}")
    print(f"  time inside statements:      {inside[0] / people * 1000:.2f} ms")
    print(f"  calls to aiosqlite's thread: {hops[0] / people:.1f}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    await app.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=60)
    parser.add_argument("--profile", action="store_true", help="print a cProfile listing")
    args = parser.parse_args()
    asyncio.run(run(args.people, args.profile))


if __name__ == "__main__":
    main()
