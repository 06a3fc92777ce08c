"""The core's vocabulary with every channel: Inbound events in, Outbound messages out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class InboundKind(StrEnum):
    """What the person did."""

    TEXT = "text"
    BUTTON = "button"
    OTHER = "other"  # a sticker, voice, photo or location where text was expected


@dataclass(frozen=True)
class Inbound:
    """One event from a person, whatever the platform."""

    channel: str
    user_id: str
    kind: InboundKind
    text: str = ""
    payload: str = ""
    update_id: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class Button:
    """A button: its label (plain text) and the payload sent back when pressed."""

    label: str
    payload: str


@dataclass(frozen=True)
class Message:
    """A new message: text in Telegram-style HTML, and rows of buttons."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class Image:
    """A picture by URL, with an optional short caption (HTML)."""

    url: str
    caption: str = ""


@dataclass(frozen=True)
class EditSource:
    """Change the message whose button was pressed: its text (if given) and its buttons
    (none given: the buttons are removed)."""

    text: str | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class Notice:
    """A short acknowledgement of a button press (a toast on Telegram)."""

    text: str


Outbound = Message | Image | EditSource | Notice


@dataclass
class Turn:
    """What handling one Inbound produced: the replies, and whether it succeeded."""

    replies: list[Outbound] = field(default_factory=list)
    ok: bool = True
    duplicate: bool = False


class Handler(Protocol):
    """The core as a channel sees it."""

    async def handle(self, inbound: Inbound) -> Turn: ...
