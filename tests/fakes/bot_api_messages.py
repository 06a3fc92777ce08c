"""The message methods of the fake Bot API: send, edit, delete, answer callback queries.

Checks come in the order the Bot API server makes them: reply markup, text and its entities,
then the chat, then what Telegram's servers check (length, button data, a block by the user).
"""

from __future__ import annotations

import copy
import mimetypes
import struct
import time
from typing import Any
from urllib.parse import urlparse

from tests.fakes.bot_api_params import (
    ApiError,
    CallbackAnswer,
    UploadedFile,
    bad_request,
)
from tests.fakes.bot_api_user import FakeUser
from tests.fakes.telegram_html import HtmlParseError, parse_html, trim_formatted, utf16_len

Params = dict[str, Any]
Files = dict[str, UploadedFile]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return None


class MessageMethods:
    """Mixed into FakeBotAPI, which sets these attributes."""

    bot_user: dict[str, Any]
    users: dict[int, FakeUser]
    uploads: list[UploadedFile]
    callback_answers: list[CallbackAnswer]
    open_callback_queries: dict[str, dict[str, Any]]
    files: dict[str, dict[str, Any]]

    # --- shared checks -----------------------------------------------------------------------

    def _chat(self, p: Params) -> FakeUser:
        chat_id = p.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        user = self.users.get(chat_id) if isinstance(chat_id, int) else None
        if user is None:
            raise bad_request("chat not found")
        return user

    @staticmethod
    def _reachable(user: FakeUser) -> None:
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    @staticmethod
    def _formatted(p: Params, key: str, entities_key: str) -> tuple[str, list[dict[str, Any]]]:
        raw = str(p.get(key) or "")
        mode = str(p.get("parse_mode") or "").lower()
        if mode == "html":
            try:
                text, entities = parse_html(raw)
            except HtmlParseError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        elif mode in ("", "markdown", "markdownv2"):  # Markdown is not checked by this fake
            text, entities = raw, list(p.get(entities_key) or [])
        else:
            raise bad_request("unsupported parse_mode")
        return trim_formatted(text, entities)

    @staticmethod
    def _inline_markup(p: Params) -> dict[str, Any] | None:
        """The reply_markup as a Message shows it: only inline keyboards are echoed."""
        markup = p.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("object expected as reply markup")
        if "inline_keyboard" not in markup:
            return None  # reply keyboards, remove_keyboard, force_reply are not echoed
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for button in (button for row in rows for button in row):
            prefix = "can't parse inline keyboard button: "
            if not isinstance(button, dict):
                raise bad_request(prefix + "InlineKeyboardButton must be an Object")
            if "text" not in button:
                raise bad_request(prefix + 'Can\'t find field "text"')
            if not isinstance(button["text"], str):
                raise bad_request(prefix + 'Field "text" must be of type String')
            actions = [name for name in BUTTON_ACTIONS if button.get(name) not in (None, "")]
            if not actions:
                raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:  # the fake's own wording: one action per button
                raise bad_request(prefix + f"exactly one action field must be used, got {actions}")
        return {"inline_keyboard": copy.deepcopy(rows)}

    @staticmethod
    def _server_checks(markup: dict[str, Any] | None) -> None:
        """What Telegram's servers refuse after the Bot API server has accepted the request."""
        buttons = [b for row in (markup or {}).get("inline_keyboard", []) for b in row]
        if len(buttons) > 100:
            raise bad_request("REPLY_MARKUP_TOO_LONG")
        for button in buttons:
            if not button["text"].strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is not None and len(str(data).encode("utf-8")) > CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and urlparse(str(url)).scheme not in ("http", "https", "tg"):
                raise bad_request("BUTTON_URL_INVALID")

    @staticmethod
    def _check_text(text: str) -> None:
        if not text:
            raise bad_request("message must be non-empty")
        if utf16_len(text) > TEXT_LIMIT:
            raise bad_request("message is too long")

    @staticmethod
    def _reply_to(user: FakeUser, p: Params) -> dict[str, Any]:
        target = (p.get("reply_parameters") or {}).get("message_id", p.get("reply_to_message_id"))
        if target is None:
            return {}
        replied = user._find(target)
        if replied is None:
            allow = (p.get("reply_parameters") or {}).get("allow_sending_without_reply")
            if allow or p.get("allow_sending_without_reply"):
                return {}
            raise bad_request("message to be replied not found")
        quoted = copy.deepcopy(replied)
        quoted.pop("reply_to_message", None)
        return {"reply_to_message": quoted}

    def _deliver(self, user: FakeUser, p: Params, content: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": user._next_message_id(),
            "from": dict(self.bot_user),
            "chat": user.chat,
            "date": int(time.time()),
            **self._reply_to(user, p),
            **{key: value for key, value in content.items() if value},
        }
        return copy.deepcopy(user._add_bot_message(message))

    def _editable(self, p: Params) -> tuple[FakeUser, dict[str, Any]]:
        if p.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # the fake sends no inline messages
        user = self._chat(p)
        if p.get("message_id") in (None, ""):
            raise bad_request("message identifier is not specified")
        stored = user._find(p["message_id"])
        if stored is None:
            raise bad_request("message to edit not found")
        if not user._is_bot_message(stored["message_id"]):
            raise bad_request("message can't be edited")
        return user, stored

    @staticmethod
    def _apply_edit(stored: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        if all(stored.get(key) == (value or None) for key, value in new.items()):
            raise bad_request(NOT_MODIFIED)
        for key, value in new.items():
            if value:
                stored[key] = value
            else:
                stored.pop(key, None)
        stored["edit_date"] = int(time.time())
        return copy.deepcopy(stored)

    # --- methods -----------------------------------------------------------------------------

    async def send_message(self, p: Params, files: Files) -> dict[str, Any]:
        markup = self._inline_markup(p)
        if not p.get("text"):
            raise bad_request("message text is empty")
        text, entities = self._formatted(p, "text", "entities")
        user = self._chat(p)
        self._check_text(text)
        self._server_checks(markup)
        self._reachable(user)
        content = {"text": text, "entities": entities, "reply_markup": markup}
        return self._deliver(user, p, content)

    async def edit_message_text(self, p: Params, files: Files) -> dict[str, Any]:
        markup = self._inline_markup(p)
        if not p.get("text"):
            raise bad_request("message text is empty")
        text, entities = self._formatted(p, "text", "entities")
        _, stored = self._editable(p)
        if "text" not in stored:
            raise bad_request("there is no text in the message to edit")
        self._check_text(text)
        self._server_checks(markup)
        new = {"text": text, "entities": entities, "reply_markup": markup}
        return self._apply_edit(stored, new)

    async def edit_message_caption(self, p: Params, files: Files) -> dict[str, Any]:
        markup = self._inline_markup(p)
        caption, entities = self._formatted(p, "caption", "caption_entities")
        _, stored = self._editable(p)
        if "photo" not in stored and "document" not in stored:
            raise bad_request("there is no caption in the message to edit")
        if utf16_len(caption) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        self._server_checks(markup)
        new = {"caption": caption, "caption_entities": entities, "reply_markup": markup}
        return self._apply_edit(stored, new)

    async def edit_message_reply_markup(self, p: Params, files: Files) -> dict[str, Any]:
        markup = self._inline_markup(p)
        _, stored = self._editable(p)
        self._server_checks(markup)
        return self._apply_edit(stored, {"reply_markup": markup})

    async def delete_message(self, p: Params, files: Files) -> bool:
        user = self._chat(p)
        if p.get("message_id") in (None, ""):
            raise bad_request("message identifier is not specified")
        if user._find(p["message_id"]) is None:
            raise bad_request("message to delete not found")
        user._delete(p["message_id"])
        return True

    async def send_chat_action(self, p: Params, files: Files) -> bool:
        user = self._chat(p)
        if p.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._reachable(user)
        return True

    async def answer_callback_query(self, p: Params, files: Files) -> bool:
        query_id = str(p.get("callback_query_id") or "")
        if query_id not in self.open_callback_queries:
            raise bad_request(QUERY_INVALID)
        text = p.get("text")
        if text is not None and utf16_len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        del self.open_callback_queries[query_id]
        answer = CallbackAnswer(
            callback_query_id=query_id,
            text=text,
            show_alert=bool(p.get("show_alert", False)),
            url=p.get("url"),
            cache_time=p.get("cache_time"),
        )
        self.callback_answers.append(answer)
        return True

    async def send_photo(self, p: Params, files: Files) -> dict[str, Any]:
        return await self._send_media(p, files, "photo")

    async def send_document(self, p: Params, files: Files) -> dict[str, Any]:
        return await self._send_media(p, files, "document")

    async def _send_media(self, p: Params, files: Files, kind: str) -> dict[str, Any]:
        markup = self._inline_markup(p)
        caption, entities = self._formatted(p, "caption", "caption_entities")
        user = self._chat(p)
        media = self._media(p, files, kind)
        if utf16_len(caption) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        self._server_checks(markup)
        self._reachable(user)
        content = {kind: media, "caption": caption, "caption_entities": entities}
        return self._deliver(user, p, {**content, "reply_markup": markup})

    def _media(self, p: Params, files: Files, kind: str) -> Any:
        value = p.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        elif value is None or value == "":
            upload = files.get(kind)
        else:
            known = self.files.get(str(value))
            if known is not None:
                if known["kind"] != kind:
                    raise bad_request("type of file mismatch")
                return copy.deepcopy(known["object"])
            if urlparse(str(value)).scheme not in ("http", "https"):
                raise bad_request("wrong file identifier/HTTP URL specified")
            name = urlparse(str(value)).path.rsplit("/", 1)[-1] or "file"
            return self._store_file(kind, None, name, mimetypes.guess_type(name)[0], 0, None)
        if upload is None:
            raise bad_request(f"there is no {kind} in the request")
        if not upload.data:
            raise bad_request("file must be non-empty")
        self.uploads.append(upload)
        name = upload.filename or "file"
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(name)[0] or mime
        size = _image_size(upload.data)
        return self._store_file(kind, upload, name, mime, len(upload.data), size)

    def _store_file(
        self,
        kind: str,
        upload: UploadedFile | None,
        name: str,
        mime: str | None,
        file_size: int,
        dimensions: tuple[int, int] | None,
    ) -> Any:
        number = len(self.files) + 1
        record: dict[str, Any] = {"kind": kind, "upload": upload}
        if kind == "document":
            record["object"] = {
                "file_id": f"BQACAgIAAxkBAAI{number:06d}fake",
                "file_unique_id": f"AgAD{number:06d}",
                "file_name": name,
                "file_size": file_size,
            }
            if mime:
                record["object"]["mime_type"] = mime
            self.files[record["object"]["file_id"]] = record
            return copy.deepcopy(record["object"])
        width, height = dimensions or (800, 600)
        sizes: list[dict[str, Any]] = []
        for limit in (90, 320, 800, 1280):
            scale = min(1.0, limit / max(width, height, 1))
            size: dict[str, Any] = {
                "file_id": f"AgACAgIAAxkBAAI{number:06d}{len(sizes)}fake",
                "file_unique_id": f"AQAD{number:06d}{len(sizes)}",
                "file_size": max(1, int(file_size * scale * scale)),
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
            }
            sizes.append(size)
            if scale == 1.0:
                break
        record["object"] = sizes
        for size in sizes:
            self.files[size["file_id"]] = record
        return copy.deepcopy(sizes)
