"""The core's vocabulary with every channel: Inbound events in, Outbound messages out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

# The payload prefix of a "⬅️ Back" button at a step that waits for typed text ("back:<step>").
BACK = "back"


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
    # A picture sent instead of text, as "<kind>:<platform file id>" (e.g. "photo:AgAD..."),
    # kept as evidence of an idea's step (issue 6); empty for anything else.
    attachment: str = ""
    # What a button press came from: the message that holds the button (to edit it) and the
    # platform's id of the press (to acknowledge it, e.g. a Telegram callback query).
    message_id: str | None = None
    ack_id: str | None = None


@dataclass(frozen=True)
class Button:
    """A button: its label (plain text) and the payload sent back when pressed.

    With `url` it opens that address instead (no payload comes back); with `web_app` too, on
    Telegram it opens the address as a Mini App (https only). Channels without such buttons
    leave them out: put the address in the text as well."""

    label: str
    payload: str = ""
    url: str = ""
    web_app: bool = False


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
class Photo:
    """A picture made by the bot (a chart): its bytes (PNG or JPEG) and a short caption (HTML)."""

    data: bytes
    filename: str = "image.png"
    caption: str = ""


@dataclass(frozen=True)
class Document:
    """A file made by the bot (an export): its bytes, its file name and a short caption (HTML)."""

    data: bytes
    filename: str
    caption: str = ""


@dataclass(frozen=True)
class Media:
    """A photo or document the platform already holds, re-sent by its file id (a trainer's
    broadcast attachment); `channel` is the platform the id belongs to."""

    kind: str  # "photo" or "document"
    file_id: str
    caption: str = ""  # HTML
    channel: str = "telegram"


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


Outbound = Message | Image | Photo | Document | Media | EditSource | Notice


@dataclass
class Turn:
    """What handling one Inbound produced: the replies, and whether it succeeded."""

    replies: list[Outbound] = field(default_factory=list)
    ok: bool = True
    duplicate: bool = False
    # The person is gone after this turn (erased): the replies are sent without a row.
    unstored: bool = False


class Handler(Protocol):
    """The core as a channel sees it."""

    async def handle(self, inbound: Inbound) -> Turn: ...
