"""CPU of one Bot API call in the calling process: a text with two buttons sent N times to the
fake Bot API (in its own process, so only the caller is timed) the ways the bot could send it.

- PTB's typed `Bot.send_message`, which also turns Telegram's answer into a Message;
- `Bot.do_api_request`, parameters encoded one by one by PTB, the answer kept as JSON;
- the bot's `sender.call`: one JSON body through the same AiohttpRequest (what the outbox uses);
- a bare aiohttp post of the same JSON, the floor for this HTTP client.

Run: python bench/telegram_calls.py [--calls N]"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup  # noqa: E402

from bot.channels.telegram.request import AiohttpRequest  # noqa: E402
from bot.channels.telegram.sender import call  # noqa: E402

SERVER = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from tests.fakes.bot_api import FakeBotAPI
async def main():
    api = FakeBotAPI()
    for user in range(1, 51):
        api.user(user)
    print(await api.start(), flush=True)
    while True:
        await asyncio.sleep(1)
        api.calls.clear()
asyncio.run(main())
"""
TEXT = "Labas! <b>Klausimas:</b> ar jūsų svetainė patogi telefone?"


async def timed(name: str, calls: int, send: Callable[[int], Awaitable[object]]) -> None:
    for n in range(50):  # warm the pool and the caches
        await send(n)
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(calls):
        await send(n)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"  {name:<44} {cpu / calls * 1000:6.3f} ms CPU   {wall / calls * 1000:6.3f} ms wall")


async def run(calls: int) -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVER, str(ROOT), stdout=asyncio.subprocess.PIPE
    )
    assert server.stdout is not None
    root = (await server.stdout.readline()).decode().strip()
    token = "123456:TEST-token"
    bot = Bot(token, base_url=f"{root}/bot", request=AiohttpRequest())
    await bot.initialize()
    keyboard = [[("Taip", "q:1:a"), ("Ne", "q:1:b")]]
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in keyboard
        ]
    )
    plain = {
        "inline_keyboard": [[{"text": t, "callback_data": d} for t, d in row] for row in keyboard]
    }
    session = aiohttp.ClientSession()
    url = f"{root}/bot{token}/sendMessage"

    async def bare(n: int) -> object:
        body = {"chat_id": n % 50 + 1, "text": TEXT, "parse_mode": "HTML", "reply_markup": plain}
        headers = {"Content-Type": "application/json"}
        async with session.post(url, data=json.dumps(body), headers=headers) as response:
            return json.loads(await response.read())

    print(f"one sendMessage, {calls} calls each, CPU in the calling process:")
    try:
        await timed(
            "PTB Bot.send_message (a Message back)",
            calls,
            lambda n: bot.send_message(n % 50 + 1, TEXT, parse_mode="HTML", reply_markup=markup),
        )
        await timed(
            "PTB Bot.do_api_request (JSON back)",
            calls,
            lambda n: bot.do_api_request(
                "sendMessage",
                api_kwargs={
                    "chat_id": n % 50 + 1,
                    "text": TEXT,
                    "parse_mode": "HTML",
                    "reply_markup": plain,
                },
            ),
        )
        await timed(
            "the bot's sender.call (one JSON body)",
            calls,
            lambda n: call(
                bot,
                "sendMessage",
                chat_id=n % 50 + 1,
                text=TEXT,
                parse_mode="HTML",
                reply_markup=plain,
            ),
        )
        await timed("bare aiohttp post of the same JSON", calls, bare)
    finally:
        await session.close()
        await bot.shutdown()
        server.terminate()
        await server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    asyncio.run(run(parser.parse_args().calls))


if __name__ == "__main__":
    main()
