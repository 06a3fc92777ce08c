"""The terminal channel: the same dialogue, buttons shown as numbered options."""

from __future__ import annotations

import asyncio
import html
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from bot.delivery.channel import DeliveryError, DeliveryKind
from bot.delivery.sender import OutboxSender
from bot.kernel.messages import (
    BACK,
    Button,
    Document,
    EditSource,
    Handler,
    Image,
    Inbound,
    InboundKind,
    Media,
    Message,
    Notice,
    Outbound,
    Photo,
)

CHANNEL = "console"
_LINK = re.compile(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(text: str) -> str:
    """Telegram-style HTML as plain terminal text: links shown with their address."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({html.unescape(m.group(1))})", text)
    return html.unescape(_TAG.sub("", text))


BANNER = "Culture Coach — terminal chat. Type a number to press a button, /quit to leave.\n"


class ConsoleChannel:
    """Plays the dialogue in a terminal; typing a number presses that button. What the bot
    sends arrives through the outbox, as on Telegram (limits off): a turn's replies while
    `send` waits, and later messages (reports, reminders, broadcasts) when they are due."""

    def __init__(
        self, handler: Handler, user_id: str = "local", *, outbox: OutboxSender | None = None
    ) -> None:
        self._handler = handler
        self._user_id = user_id
        self._buttons: list[Button] = []
        self._last_text = ""
        self._delivered: list[str] | None = None  # a turn under way collects its replies
        self._write: Callable[[str], object] | None = None  # else they are printed at once
        self._later: list[str] = []  # arrived between turns with nobody printing them
        outbox = outbox if outbox is not None else getattr(handler, "outbox", None)
        if outbox is None:
            raise TypeError("the terminal is delivered to through an outbox: pass one")
        sender = outbox.sender_for(CHANNEL)
        if not isinstance(sender, ConsoleSender):
            sender = ConsoleSender()
            outbox.register(sender)
        sender.attach(self)

    @property
    def options(self) -> list[str]:
        """The labels of the buttons a number would press now."""
        return [button.label for button in self._buttons]

    @property
    def user_id(self) -> str:
        """Who this terminal speaks for."""
        return self._user_id

    @property
    def buttons(self) -> list[Button]:
        """The buttons a number would press now, in order."""
        return list(self._buttons)

    def keys(self) -> list[str]:
        """What to type for each of the buttons, in order: 1, 2, 3, ...; a lone "Back" at a
        step that waits for typed text is 0, so a typed "1" is never taken for it."""
        if len(self._buttons) == 1 and self._buttons[0].payload.startswith(BACK + ":"):
            return ["0"]
        return [str(n) for n in range(1, len(self._buttons) + 1)]

    def _inbound(self, line: str) -> Inbound:
        choice = line.strip()
        keys = self.keys()
        if choice in keys:
            button = self._buttons[keys.index(choice)]
            return Inbound(CHANNEL, self._user_id, InboundKind.BUTTON, payload=button.payload)
        return Inbound(CHANNEL, self._user_id, InboundKind.TEXT, text=line.strip())

    async def send(self, line: str) -> str:
        """Handle one typed line and return what the bot answers, as terminal text."""
        self._delivered = []
        try:
            await self._handler.handle(self._inbound(line))
            return "\n\n".join(block for block in self._delivered if block)
        finally:
            self._delivered = None

    def receive(self, replies: list[Outbound]) -> None:
        """Messages the outbox delivers to this terminal."""
        text = self.render(replies)
        if self._delivered is not None:
            self._delivered.append(text)
        elif text and self._write is not None:
            self._write("\n" + text)
        elif text:
            self._later.append(text)

    def received(self) -> str:
        """What arrived since the last turn (a report, a file), once."""
        later, self._later = self._later, []
        return "\n\n".join(later)

    def render(self, replies: list[Outbound]) -> str:
        """Show replies as text; the newest buttons become the numbered options."""
        blocks: list[str] = []
        for reply in replies:
            if isinstance(reply, Notice):
                if reply.text:
                    blocks.append(f"  · {reply.text}")
            elif isinstance(reply, Image):
                blocks.append(f"[picture: {reply.url}]")
            elif isinstance(reply, Media):
                kind = "picture" if reply.kind == "photo" else "file"
                caption = f"\n{html_to_text(reply.caption)}" if reply.caption else ""
                blocks.append(f"[{kind} from {reply.channel}]{caption}")
            elif isinstance(reply, Photo | Document):
                kind = "picture" if isinstance(reply, Photo) else "file"
                caption = f"\n{html_to_text(reply.caption)}" if reply.caption else ""
                size = f"{len(reply.data):,} bytes"
                blocks.append(f"[{kind}: {reply.filename}, {size}]{caption}")
            elif isinstance(reply, EditSource):
                if reply.text is not None:
                    new = html_to_text(reply.text)
                    extra = new[len(self._last_text) :] if new.startswith(self._last_text) else new
                    if extra.strip():
                        blocks.append("  " + extra.strip())
                if reply.buttons:
                    blocks.append(
                        self._message(Message(reply.text or self._last_text, reply.buttons))
                    )
                else:
                    self._buttons = []
            elif isinstance(reply, Message):
                blocks.append(self._message(reply))
        return "\n\n".join(blocks)

    def _message(self, message: Message) -> str:
        text = html_to_text(message.text)
        pressable = [button for row in message.buttons for button in row if not button.url]
        if not pressable:  # a button that opens an address: the text gives the address
            return text
        self._buttons = pressable
        self._last_text = text
        keys = self.keys()
        options = "\n".join(f"  [{k}] {b.label}" for k, b in zip(keys, self._buttons, strict=True))
        return f"{text}\n{options}"

    async def run(
        self,
        read_line: Callable[[], str] = sys.stdin.readline,
        write: Callable[[str], object] = print,
        *,
        banner: str = BANNER,
        first: str = "/start",
    ) -> None:
        """Say `banner`, send `first`, then chat until /quit or end of input (Ctrl-D)."""
        write(banner)
        self._write = write
        try:
            write(await self.send(first))
            while True:
                write("")
                sys.stdout.write("> ")
                sys.stdout.flush()
                line = await asyncio.to_thread(read_line)
                if not line or line.strip() in ("/quit", "/exit"):
                    write("")
                    return
                if line.strip():
                    write(await self.send(line))
        finally:
            self._write = None


class ConsoleSender:
    """The outbox's road to the terminals of this process (ChannelSender protocol)."""

    channel = CHANNEL

    def __init__(self) -> None:
        self._chats: dict[str, ConsoleChannel] = {}

    def attach(self, chat: ConsoleChannel) -> None:
        """Deliver this terminal's messages to it."""
        self._chats[chat.user_id] = chat

    async def send(
        self,
        external_id: str,
        replies: Sequence[Outbound],
        source: dict[str, Any] | None = None,
    ) -> None:
        """Show the replies in the person's terminal; nobody there: the messages wait until
        that person writes again (as outside Messenger's window)."""
        chat = self._chats.get(external_id)
        if chat is None:
            raise DeliveryError(DeliveryKind.HELD, "no terminal open for this person")
        chat.receive(list(replies))
