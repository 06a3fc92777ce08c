"""A button that opens an address (the dashboard's Mini App): Telegram renders it as a
web_app or url button; the terminal and Messenger, which have no such buttons, leave it out
(the text carries the address)."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import InlineKeyboardMarkup

from bot.channels.console.adapter import ConsoleChannel
from bot.channels.messenger.render import render
from bot.channels.telegram.sender import _markup
from bot.delivery.payload import dump_replies, load_replies
from bot.delivery.sender import OutboxSender
from bot.kernel.clock import FakeClock
from bot.kernel.messages import Button, Message, Turn

APP = Button("📋 Atverti skydelį", url="https://coach.example.org/dashboard/app", web_app=True)
LINK = Button("Nuoroda", url="https://coach.example.org/")
NEXT = Button("▶️ Kita pamoka", "cmd:next")
MESSAGE = Message("Nuoroda: https://coach.example.org/dashboard/login/abc", ((APP,), (LINK, NEXT)))


def test_telegram_renders_mini_app_url_and_callback_buttons() -> None:
    raw = _markup(MESSAGE.buttons)
    assert raw == {
        "inline_keyboard": [
            [{"text": APP.label, "web_app": {"url": APP.url}}],
            [
                {"text": LINK.label, "url": LINK.url},
                {"text": NEXT.label, "callback_data": "cmd:next"},
            ],
        ]
    }
    markup = InlineKeyboardMarkup.de_json(raw, None)  # the Bot API's shape, as PTB reads it
    (app,), (link, pressed) = markup.inline_keyboard
    assert app.web_app is not None and app.web_app.url == APP.url and app.callback_data is None
    assert link.url == LINK.url and link.web_app is None
    assert pressed.callback_data == "cmd:next" and pressed.url is None


def test_an_address_button_survives_the_outbox() -> None:
    assert load_replies(dump_replies([MESSAGE])) == [MESSAGE]


def test_messenger_keeps_the_text_and_only_pressable_buttons() -> None:
    (part,) = render([MESSAGE])
    assert isinstance(part, dict)
    assert "dashboard/login/abc" in part["text"]
    assert [reply["payload"] for reply in part["quick_replies"]] == ["cmd:next"]


class _Core:
    async def handle(self, inbound: object) -> Turn:
        return Turn()


def test_the_terminal_numbers_only_pressable_buttons() -> None:
    outbox = OutboxSender(None, FakeClock(datetime(2026, 11, 24, tzinfo=UTC)))  # type: ignore[arg-type]
    chat = ConsoleChannel(_Core(), outbox=outbox)
    shown = chat.render([MESSAGE])
    assert "dashboard/login/abc" in shown
    assert chat.options == ["▶️ Kita pamoka"] and "Atverti skydelį" not in shown
    assert chat.render([Message("Tik nuoroda", ((APP,),))]) == "Tik nuoroda"
