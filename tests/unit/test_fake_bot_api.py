"""The fake Bot API, driven by python-telegram-bot's real Bot: it must be honest to be useful."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator

import aiohttp
import pytest
import telegram
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.telegram_html import HtmlParseError, parse_html

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 640, 480) + b"\x08\x02rest"


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(api.token, base_url=api.base_url) as real_bot:
        yield real_bot


async def test_get_me_gives_the_bot_user(api: FakeBotAPI, bot: telegram.Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot, me.username) == (123456, True, "culture_coach_test_bot")
    assert me.can_join_groups is True and me.supports_inline_queries is False
    assert api.root_url.startswith("http://127.0.0.1:")


async def test_send_message_with_html_and_a_keyboard(api: FakeBotAPI, bot: telegram.Bot) -> None:
    ana = api.user(42, "Ana")

    sent = await bot.send_message(
        42,
        "<b>Labas</b> &amp; <i>sveiki</i>",
        parse_mode="HTML",
        reply_markup=keyboard(("Toliau", "next")),
    )

    assert isinstance(sent, Message)
    assert (sent.message_id, sent.chat.id, sent.from_user and sent.from_user.id) == (1, 42, 123456)
    assert sent.text == "Labas & sveiki"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        (MessageEntity.BOLD, 0, 5),
        (MessageEntity.ITALIC, 8, 6),
    ]
    assert isinstance(sent.reply_markup, InlineKeyboardMarkup)
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "next"
    assert ana.last["text"] == "Labas & sveiki"
    assert ana.buttons(ana.last) == [("Toliau", "next")]
    assert api.calls_of("sendMessage")[0].params["chat_id"] == 42


async def test_text_length_counts_utf16_after_parsing(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.user(42)
    await bot.send_message(42, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")

    for text in ("a" * 4097, "😀" * 2049):
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(42, text)
    assert api.calls_of("sendmessage")[-1].status == 400


async def test_empty_texts_are_refused(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.user(42)

    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(42, "")
    with pytest.raises(BadRequest, match="Message must be non-empty"):
        await bot.send_message(42, "<b> </b>\n", parse_mode="HTML")
    assert (await bot.send_message(42, "\n  labas  \n")).text == "labas"


async def test_stop_ends_a_waiting_long_poll() -> None:
    api = FakeBotAPI()
    await api.start()
    async with telegram.Bot(api.token, base_url=api.base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.1)
        await asyncio.wait_for(api.stop(), 2)
        assert await asyncio.wait_for(poll, 2) == ()


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<foo>x</foo>", 'unsupported start tag "foo" at byte offset 0'),
        ("a < b", 'unsupported start tag "" at byte offset 2'),
        ("<b>x", 'can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_bad_html_is_refused(
    api: FakeBotAPI, bot: telegram.Bot, html: str, error: str
) -> None:
    api.user(42)

    with pytest.raises(BadRequest) as refused:
        await bot.send_message(42, html, parse_mode="HTML")

    assert str(refused.value).lower() == f"can't parse entities: {error}"


def test_html_parsing_follows_tdlib() -> None:
    assert parse_html("Tom &nbsp; &lt;3 &#65;&#x42;")[0] == "Tom &nbsp; <3 AB"
    assert parse_html("<b>😀</b>")[1] == [{"offset": 0, "length": 2, "type": "bold"}]
    pre = '<pre><code class="language-python">x</code></pre><a href="https://e.lt">l</a>'
    assert parse_html(pre)[1] == [
        {"offset": 0, "length": 1, "type": "pre", "language": "python"},
        {"offset": 1, "length": 1, "type": "text_link", "url": "https://e.lt"},
    ]
    assert parse_html("<blockquote expandable>q</blockquote>")[1][0]["type"] == (
        "expandable_blockquote"
    )
    with pytest.raises(HtmlParseError, match="byte offset 13"):
        parse_html("привет <br>")  # offsets count UTF-8 bytes


async def test_callback_data_over_64_bytes_is_refused(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.user(42)
    await bot.send_message(42, "ok", reply_markup=keyboard(("a", "ą" * 32)))

    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(42, "no", reply_markup=keyboard(("a", "ą" * 32 + "a")))
    with pytest.raises(BadRequest, match="text buttons are unallowed"):
        await bot.send_message(42, "no", reply_markup=keyboard(("a", "")))


async def test_edit_message_text_and_not_modified(api: FakeBotAPI, bot: telegram.Bot) -> None:
    ana = api.user(42)
    sent = await bot.send_message(42, "Klausimas?", reply_markup=keyboard(("Taip", "yes")))

    edited = await bot.edit_message_text("<b>Atsakyta</b>", 42, sent.message_id, parse_mode="HTML")

    assert isinstance(edited, Message)
    assert edited.text == "Atsakyta" and edited.edit_date is not None
    assert edited.reply_markup is None and ana.last["reply_markup"] is None
    with pytest.raises(BadRequest, match="Message is not modified: specified new message content"):
        await bot.edit_message_text("<b>Atsakyta</b>", 42, sent.message_id, parse_mode="HTML")
    await bot.edit_message_text("Atsakyta", 42, sent.message_id)  # the bold is gone: modified
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", 42, 99)
    marked = await bot.edit_message_reply_markup(
        42, sent.message_id, reply_markup=keyboard(("Dar", "more"))
    )
    assert isinstance(marked, Message) and ana.buttons(sent.message_id) == [("Dar", "more")]


async def test_get_updates_follows_the_offset(api: FakeBotAPI, bot: telegram.Bot) -> None:
    ana = api.user(42, "Ana")
    for text in ("/start", "labas", "kaip sekasi?"):
        ana.send(text)

    first = await bot.get_updates()
    again = await bot.get_updates(limit=2)
    confirmed = await bot.get_updates(offset=first[-1].update_id + 1)
    ana.send("dar")
    ana.send("ir dar")
    fresh = await bot.get_updates(offset=first[-1].update_id + 1)

    assert [u.message.text for u in first if u.message] == ["/start", "labas", "kaip sekasi?"]
    command = first[0].message.entities[0] if first[0].message else None
    assert command and (command.type, command.offset, command.length) == ("bot_command", 0, 6)
    assert [u.update_id for u in again] == [u.update_id for u in first[:2]]
    assert confirmed == ()
    assert [u.message.text for u in fresh if u.message] == ["dar", "ir dar"]
    assert [u["update_id"] for u in api.pending_updates] == [u.update_id for u in fresh]


async def test_long_poll_returns_when_an_update_arrives(api: FakeBotAPI, bot: telegram.Bot) -> None:
    ana = api.user(42)
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    ana.send("sveiki")

    updates = await asyncio.wait_for(poll, 2)

    assert [u.message.text for u in updates if u.message] == ["sveiki"]
    assert loop.time() - started < 1


async def test_a_second_poller_ends_the_first_with_conflict(api: FakeBotAPI) -> None:
    async with (
        telegram.Bot(api.token, base_url=api.base_url) as one,
        telegram.Bot(api.token, base_url=api.base_url) as two,
    ):
        first = asyncio.create_task(one.get_updates(timeout=5))
        await asyncio.sleep(0.1)
        assert await two.get_updates() == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, 2)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_errors_surface_as_ptb_errors(api: FakeBotAPI, bot: telegram.Bot) -> None:
    api.user(42)
    api.fail_next(
        "sendMessage", status=429, description="Too Many Requests: retry after 7", retry_after=7
    )
    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(42, "a")
    assert str(limited.value) == "Flood control exceeded. Retry in 7 seconds"

    api.fail_next("sendMessage", status=403, description="Forbidden: bot was blocked by the user")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(42, "a")

    api.fail_next("sendMessage", status=502, description="Bad Gateway", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway") as gateway:
            await bot.send_message(42, "a")
        assert type(gateway.value) is NetworkError

    assert (await bot.send_message(42, "pagaliau")).text == "pagaliau"
    assert [c.status for c in api.calls_of("sendMessage")] == [429, 403, 502, 502, 200]


async def test_refused_method_and_commands(api: FakeBotAPI, bot: telegram.Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Pradėti")], language_code="lt")
    assert api.my_commands("lt") == [{"command": "start", "description": "Pradėti"}]
    assert [c.command for c in await bot.get_my_commands(language_code="lt")] == ["start"]
    assert await bot.get_my_commands() == ()

    api.refuse("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID")
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("help", "Pagalba")])
    api.allow("setMyCommands")
    await bot.set_my_commands([BotCommand("help", "Pagalba")])


async def test_unknown_and_blocked_chats(api: FakeBotAPI, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "kas čia?")

    api.user(42).blocked = True
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(42, "labas")


async def test_callback_queries(api: FakeBotAPI, bot: telegram.Bot) -> None:
    ana = api.user(42)
    sent = await bot.send_message(42, "Ar tęsti?", reply_markup=keyboard(("Taip", "yes")))
    ana.press(sent.message_id, "yes")

    (update,) = await bot.get_updates()
    query = update.callback_query
    assert query is not None and query.data == "yes"
    assert isinstance(query.message, Message) and query.message.reply_markup == sent.reply_markup
    assert await bot.answer_callback_query(query.id, text="Gerai") is True
    assert (api.callback_answers[0].text, api.callback_answers[0].show_alert) == ("Gerai", False)
    for query_id in (query.id, "123"):
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query(query_id)
    with pytest.raises(AssertionError, match="no button with callback_data 'no'"):
        ana.press(sent, "no")


async def test_builders_do_not_enqueue(api: FakeBotAPI, bot: telegram.Bot) -> None:
    ana = api.user(42)
    sent = await bot.send_message(42, "?", reply_markup=keyboard(("Taip", "yes")))

    message = Update.de_json(ana.message_update("/start@culture_coach_test_bot"), bot)
    press = Update.de_json(ana.callback_update(sent.message_id, "yes"), bot)

    assert api.pending_updates == []
    assert message.message and message.message.entities[0].length == 29
    assert press.callback_query and await bot.answer_callback_query(press.callback_query.id)
    duplicate = api.enqueue(ana.message_update("vėl"))
    api.enqueue(duplicate)
    assert [u.update_id for u in await bot.get_updates()] == [duplicate["update_id"]] * 2
    await bot.get_updates(offset=duplicate["update_id"] + 1)
    with pytest.raises(AssertionError, match="below the confirmed offset"):
        api.enqueue(duplicate)


async def test_photos_and_documents(api: FakeBotAPI, bot: telegram.Bot) -> None:
    ana = api.user(42)

    photo = await bot.send_photo(42, PNG, caption="<i>Vaizdas</i>", parse_mode="HTML")
    document = await bot.send_document(42, b"%PDF-1.4", filename="kursas.pdf")
    again = await bot.send_photo(42, photo.photo[-1].file_id)

    assert (photo.photo[-1].width, photo.photo[-1].height, photo.caption) == (640, 480, "Vaizdas")
    assert document.document and document.document.file_name == "kursas.pdf"
    assert document.document.mime_type == "application/pdf"
    assert again.photo == photo.photo
    assert api.uploads[0].data == PNG and api.uploads[1].filename == "kursas.pdf"
    assert api.file_bytes(document.document.file_id) == b"%PDF-1.4"
    assert [m["caption"] for m in ana.messages] == ["Vaizdas", None, None]
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(42, PNG, caption="a" * 1025)
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("x", 42, photo.message_id)
    assert await bot.delete_message(42, photo.message_id) and len(ana.messages) == 2
    assert await bot.send_chat_action(42, "typing")


async def test_wire_format(api: FakeBotAPI) -> None:
    async with aiohttp.ClientSession() as session:
        wrong = await session.get(f"{api.root_url}/bot1:nope/getMe")
        unknown = await session.post(f"{api.base_url}{api.token}/noSuchMethod")
        upper = await session.get(f"{api.base_url}{api.token}/GETME")
        as_json = await session.post(
            f"{api.base_url}{api.token}/getUpdates", json={"offset": 0, "timeout": 0}
        )
        files = await session.get(f"{api.root_url}/file/bot{api.token}/photos/x.jpg")

        assert (wrong.status, await wrong.json()) == (
            401,
            {"ok": False, "error_code": 401, "description": "Unauthorized"},
        )
        assert (unknown.status, await unknown.json()) == (
            404,
            {"ok": False, "error_code": 404, "description": "Not Found"},
        )
        assert (await upper.json())["result"]["username"] == "culture_coach_test_bot"
        assert await as_json.json() == {"ok": True, "result": []}
        assert files.status == 404


async def test_wait_for_messages(api: FakeBotAPI, bot: telegram.Bot) -> None:
    ana = api.user(42)
    waiting = asyncio.create_task(ana.wait_for_messages(2, timeout=2))
    await bot.send_message(42, "vienas")
    await bot.send_message(42, "du")

    assert [m["text"] for m in await waiting] == ["vienas", "du"]
    with pytest.raises(AssertionError, match=r"at least 3 bot messages .* got 2: \['vienas'"):
        await ana.wait_for_messages(3, timeout=0.1)


async def test_a_polling_application_talks_to_users(api: FakeBotAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat
        await context.bot.send_message(
            update.effective_chat.id,
            "<b>Sveiki!</b>",
            "HTML",
            reply_markup=keyboard(("Pirmyn", "go")),
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query
        await query.answer("Einam")
        await query.edit_message_text(f"Pasirinkta: {query.data}")

    app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
    app.add_handlers([CommandHandler("start", start), CallbackQueryHandler(pressed)])
    ana = api.user(42, "Ana")
    async with app:
        await app.start()
        assert app.updater
        await app.updater.start_polling(poll_interval=0, timeout=1)
        ana.send("/start")
        (welcome,) = await ana.wait_for_messages(1, timeout=3)
        ana.press(welcome, "go")
        await api.wait_until(lambda: ana.last["text"] == "Pasirinkta: go", timeout=3)
        await app.updater.stop()
        await app.stop()

    assert welcome["text"] == "Sveiki!" and ana.last["reply_markup"] is None
    assert [a.text for a in api.callback_answers] == ["Einam"]
    assert api.pending_updates == []
