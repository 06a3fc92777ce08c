"""The core's Outbound messages in Messenger's form and limits.

Messenger has no HTML: texts become plain text (the console's html_to_text). Buttons become
quick replies when they fit (at most 13, titles at most 20 characters); longer labels are
numbered in the text and the quick replies carry the numbers; more than 13 choices become
button templates of 3 postback buttons each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.channels.console.adapter import html_to_text
from bot.kernel.messages import (
    Button,
    Document,
    EditSource,
    Image,
    Message,
    Notice,
    Outbound,
    Photo,
)

TEXT_LIMIT = 2000
QUICK_REPLIES = 13
TITLE_LIMIT = 20
TEMPLATE_BUTTONS = 3
PAYLOAD_LIMIT = 1000


@dataclass(frozen=True)
class Upload:
    """A file the Send API must receive as multipart form data."""

    kind: str  # "image" or "file"
    data: bytes
    filename: str


Part = dict[str, Any] | Upload  # one Send API call: a message object, or a file


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut text into pieces of at most `limit` characters, at paragraph boundaries if possible,
    else at line ends, else at spaces."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = text.rfind(separator, 0, limit + 1)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def _title(label: str) -> str:
    return label if len(label) <= TITLE_LIMIT else label[: TITLE_LIMIT - 1].rstrip() + "…"


def _quick_replies(buttons: list[Button], titles: list[str]) -> list[dict[str, Any]]:
    return [
        {"content_type": "text", "title": title, "payload": button.payload[:PAYLOAD_LIMIT]}
        for button, title in zip(buttons, titles, strict=True)
    ]


def _with_buttons(text: str, buttons: list[Button]) -> list[Part]:
    """Text followed by its choices, within Messenger's limits."""
    if len(buttons) <= QUICK_REPLIES and all(len(b.label) <= TITLE_LIMIT for b in buttons):
        *head, last = split_text(text) or [" "]
        quick = _quick_replies(buttons, [b.label for b in buttons])
        return [*({"text": t} for t in head), {"text": last, "quick_replies": quick}]
    numbered = "\n".join(f"{n}. {b.label}" for n, b in enumerate(buttons, start=1))
    full = f"{text}\n\n{numbered}" if text.strip() else numbered
    if len(buttons) <= QUICK_REPLIES:
        *head, last = split_text(full)
        quick = _quick_replies(buttons, [str(n) for n in range(1, len(buttons) + 1)])
        return [*({"text": t} for t in head), {"text": last, "quick_replies": quick}]
    parts: list[Part] = [{"text": t} for t in split_text(full)]
    for start in range(0, len(buttons), TEMPLATE_BUTTONS):
        group = buttons[start : start + TEMPLATE_BUTTONS]
        first, end = start + 1, start + len(group)
        template = {
            "template_type": "button",
            "text": f"{first}–{end}" if end > first else str(first),
            "buttons": [
                {
                    "type": "postback",
                    "title": _title(f"{start + n}. {b.label}"),
                    "payload": b.payload[:PAYLOAD_LIMIT],
                }
                for n, b in enumerate(group, start=1)
            ],
        }
        parts.append({"attachment": {"type": "template", "payload": template}})
    return parts


def _caption(caption: str) -> list[Part]:
    return [{"text": piece} for piece in split_text(html_to_text(caption))]


def render(replies: list[Outbound]) -> list[Part]:
    """The replies as Send API calls, in order.

    Messenger cannot edit a sent message: an edit that brings new buttons (a multiple-choice
    tick) is sent as a new message; an edit that only marks the answer is left out, since the
    person's own tap already shows it in the thread. Notices become short texts."""
    parts: list[Part] = []
    for reply in replies:
        if isinstance(reply, Notice):
            parts += [{"text": reply.text}] if reply.text else []
        elif isinstance(reply, EditSource):
            if reply.buttons:
                buttons = [b for row in reply.buttons for b in row if not b.url]
                parts += _with_buttons(html_to_text(reply.text or ""), buttons)
        elif isinstance(reply, Image):
            parts.append(
                {
                    "attachment": {
                        "type": "image",
                        "payload": {"url": reply.url, "is_reusable": True},
                    }
                }
            )
            parts += _caption(reply.caption) if reply.caption else []
        elif isinstance(reply, Photo | Document):
            kind = "image" if isinstance(reply, Photo) else "file"
            parts.append(Upload(kind, reply.data, reply.filename))
            parts += _caption(reply.caption) if reply.caption else []
        elif isinstance(reply, Message):
            text = html_to_text(reply.text)
            # a button that opens an address has no Messenger form here: the text gives it
            buttons = [b for row in reply.buttons for b in row if not b.url]
            if buttons:
                parts += _with_buttons(text, buttons)
            else:
                parts += [{"text": piece} for piece in split_text(text)]
    return parts
