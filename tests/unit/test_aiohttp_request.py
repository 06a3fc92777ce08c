"""The Bot API connection on aiohttp keeps PTB's contract: what is sent, timeouts, wire errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.channels.telegram.request import AiohttpRequest
from bot.channels.telegram.sender import call

TOKEN = "123:abc"
received: list[dict[str, object]] = []


async def _method(request: web.Request) -> web.Response:
    method = request.match_info["method"]
    if method == "slow":
        await asyncio.sleep(2)
    if request.content_type.startswith("multipart/"):
        fields: dict[str, object] = {}
        async for part in await request.multipart():
            body = await part.read()
            fields[part.name or ""] = (part.filename, body) if part.filename else body.decode()
    elif request.content_type == "application/json":
        fields = await request.json()
    else:
        fields = dict(await request.post())
    received.append({"method": method, **fields})
    if method == "sendMessage" and fields.get("text") == "flood":
        return web.json_response(
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 3",
                "parameters": {"retry_after": 3},
            },
            status=429,
        )
    if method == "sendMessage" and fields.get("text") == "bad":
        return web.json_response(
            {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
            status=400,
        )
    message = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}}
    if method == "getMe":
        return web.json_response(
            {"ok": True, "result": {"id": 123, "is_bot": True, "first_name": "Coach"}}
        )
    return web.json_response({"ok": True, "result": message})


@pytest.fixture
async def root() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", _method)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    received.clear()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_message_arrives_as_ptb_sent_it(root: str) -> None:
    bot = Bot(TOKEN, base_url=f"{root}/bot", request=AiohttpRequest())
    async with bot:
        sent = await bot.send_message(42, "Labas, Ūla! ąčęėįšųūž", parse_mode="HTML")
    assert sent.message_id == 7
    call = received[-1]
    assert call["method"] == "sendMessage"
    assert call["chat_id"] == "42" and call["text"] == "Labas, Ūla! ąčęėįšųūž"


async def test_a_file_is_uploaded_with_its_name(root: str) -> None:
    bot = Bot(TOKEN, base_url=f"{root}/bot", request=AiohttpRequest())
    async with bot:
        await bot.send_document(42, InputFile(b"PK\x03\x04 data", filename="pažanga.xlsx"))
    call = received[-1]
    assert call["method"] == "sendDocument"
    assert call["document"] == ("pažanga.xlsx", b"PK\x03\x04 data")


async def test_telegram_errors_keep_their_meaning(root: str) -> None:
    bot = Bot(TOKEN, base_url=f"{root}/bot", request=AiohttpRequest())
    async with bot:
        with pytest.raises(RetryAfter):
            await bot.send_message(42, "flood")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(42, "bad")


async def test_the_outbox_sends_one_json_body_with_the_same_errors(root: str) -> None:
    """Texts, edits and press answers go as one JSON body (sender.call); Telegram's answer
    stays JSON, and a 429 or a 400 is PTB's RetryAfter or BadRequest, as on PTB's own path."""
    bot = Bot(TOKEN, base_url=f"{root}/bot", request=AiohttpRequest())
    markup = {"inline_keyboard": [[{"text": "Taip ✅", "callback_data": "q:1:a"}]]}
    async with bot:
        sent = await call(
            bot, "sendMessage", chat_id=42, text="Ūla, ąčęėįšųūž", reply_markup=markup
        )
        with pytest.raises(RetryAfter):
            await call(bot, "sendMessage", chat_id=42, text="flood")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await call(bot, "sendMessage", chat_id=42, text="bad", parse_mode=None)
    assert sent["message_id"] == 7
    first = received[-3]
    assert first == {
        "method": "sendMessage",
        "chat_id": 42,
        "text": "Ūla, ąčęėįšųūž",
        "reply_markup": markup,
    }
    assert "parse_mode" not in received[-1]  # a None is left out, as PTB leaves it out


async def test_a_slow_answer_is_a_timeout(root: str) -> None:
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"{root}/bot{TOKEN}/slow")
    finally:
        await request.shutdown()


async def test_a_server_that_is_not_there_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_it_opens_again_after_a_shutdown(root: str) -> None:
    request = AiohttpRequest()
    await request.initialize()
    await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps what we raise
        await request.post(f"{root}/bot{TOKEN}/getMe")
    await request.initialize()
    try:
        assert (await request.post(f"{root}/bot{TOKEN}/getMe"))["id"] == 123
    finally:
        await request.shutdown()


def test_answers_are_parsed_as_ptb_would_even_when_broken() -> None:
    """orjson reads Telegram's answers; what it refuses goes to PTB's own parser, which
    replaces invalid bytes and refuses what is not JSON with PTB's error."""
    parse = AiohttpRequest.parse_json_payload
    answer = '{"ok":true,"result":{"text":"Ąžuolas čiūžė į šventę"}}'.encode()
    assert parse(answer) == {"ok": True, "result": {"text": "Ąžuolas čiūžė į šventę"}}
    broken = b'{"ok":true,"result":{"text":"caf\xe9"}}'  # Latin-1, not UTF-8
    assert parse(broken) == {"ok": True, "result": {"text": "caf\ufffd"}}
    with pytest.raises(TelegramError, match="Invalid server response"):
        parse(b"<html>502 Bad Gateway</html>")
