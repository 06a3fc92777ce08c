"""Reading Bot API requests the way the Bot API server does, and the records the fake keeps.

Parameters may come in the query string, a JSON body, an ``application/x-www-form-urlencoded``
body or a ``multipart/form-data`` body. In the last two every value is a string: python-telegram-bot
22 sends strings as they are and JSON-encodes everything else (``5``, ``true``, ``["message"]``,
``{"inline_keyboard": ...}``), so known object fields are JSON-decoded, integer fields made ints and
boolean fields read as ``true``/``1``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

JSON_FIELDS = frozenset(
    {
        "reply_markup", "allowed_updates", "commands", "scope", "link_preview_options",
        "reply_parameters", "entities", "caption_entities", "media", "results", "options",
        "explanation_entities", "question_entities", "menu_button", "rights", "reaction",
    }
)  # fmt: skip
INT_FIELDS = frozenset(
    {
        "chat_id", "from_chat_id", "message_id", "message_thread_id", "offset", "limit",
        "timeout", "user_id", "reply_to_message_id", "cache_time", "max_connections",
        "duration", "width", "height", "until_date",
    }
)  # fmt: skip
BOOL_FIELDS = frozenset(
    {
        "disable_notification", "protect_content", "show_alert", "drop_pending_updates",
        "disable_web_page_preview", "allow_sending_without_reply", "has_spoiler",
        "disable_content_type_detection", "is_big", "show_caption_above_media",
        "allow_paid_broadcast", "is_disabled",
    }
)  # fmt: skip
_INTEGER = re.compile(r"^\s*-?\d+\s*$")


class ApiError(Exception):
    """A refusal: HTTP status = ``error_code``, ``description`` as Telegram words it."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after


class Described(NamedTuple):
    """A result with the ``description`` Telegram adds to some successes (webhook methods)."""

    result: Any
    description: str


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class UploadedFile:
    """One file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Call:
    """One request the fake answered: ``method`` lowercased, ``params`` decoded.

    ``status`` is 0 while the request is still being answered (a long poll), then the HTTP status.
    """

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int = 0
    description: str | None = None
    result: Any = None


@dataclass
class CallbackAnswer:
    """An ``answerCallbackQuery`` that succeeded."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None = None
    cache_time: int | None = None


def _coerce(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            what = "reply keyboard markup" if name == "reply_markup" else name
            raise bad_request(f"can't parse {what} JSON object") from None
    if name in INT_FIELDS:
        return int(value) if _INTEGER.match(value) else value
    if name in BOOL_FIELDS:
        return value.strip().lower() in ("true", "1")
    return value


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """The decoded parameters and uploaded files of a request."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.content_type == "application/json":
        body = await request.text()
        if body.strip():
            try:
                decoded = json.loads(body)
            except ValueError:
                raise bad_request("can't parse JSON encoded request parameters") from None
            if not isinstance(decoded, dict):
                raise bad_request("JSON object expected as request parameters")
            raw.update(decoded)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = UploadedFile(
                    field=name,
                    filename=value.filename,
                    content_type=value.content_type,
                    data=value.file.read(),
                )
            else:
                raw[name] = value
    return {name: _coerce(name, value) for name, value in raw.items()}, files
