"""An in-process fake of Messenger's Send API (Graph API) on 127.0.0.1, and a person who writes
to the page through signed webhook bodies.

It records every Send API call, checks it against Messenger's limits like the real one (text at
most 2,000 characters, at most 13 quick replies with titles at most 20 characters, button
templates of 1-3 buttons, a tag whenever messaging_type is MESSAGE_TAG) and can fail the next
calls with a status of the test's choosing."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

PAGE_ID = "1000000000000001"


@dataclass
class SendCall:
    """One call of POST /me/messages as the fake saw it."""

    recipient: str
    messaging_type: str
    message: dict[str, Any]
    tag: str | None = None
    status: int = 200
    error: str = ""
    upload: tuple[str, bytes] | None = None

    @property
    def text(self) -> str:
        """The message text (empty for attachments)."""
        return str(self.message.get("text", ""))

    @property
    def quick_replies(self) -> list[dict[str, Any]]:
        return list(self.message.get("quick_replies") or [])


@dataclass
class _Failure:
    status: int
    code: int
    subcode: int | None = None
    retry_after: int | None = None


class FakeGraphAPI:
    """The fake server: ``base_url`` goes into MESSENGER_API_BASE_URL."""

    def __init__(self, page_access_token: str = "PAGE-TOKEN-test") -> None:
        self.page_access_token = page_access_token
        self.calls: list[SendCall] = []
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.root_url = ""

    async def __aenter__(self) -> FakeGraphAPI:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post("/v21.0/me/messages", self._messages)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.root_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v21.0"

    def fail_next(
        self,
        status: int,
        *,
        code: int = 2,
        subcode: int | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls fail with this HTTP status and Graph error code."""
        self._failures.extend([_Failure(status, code, subcode, retry_after)] * times)

    def delivered(self, recipient: str | None = None) -> list[SendCall]:
        """Calls that succeeded, to one recipient if given."""
        return [
            c
            for c in self.calls
            if c.status == 200 and (recipient is None or c.recipient == recipient)
        ]

    async def _messages(self, request: web.Request) -> web.Response:
        if request.query.get("access_token") != self.page_access_token:
            return _error(401, 190, "Invalid OAuth access token.")
        call = await _read_call(request)
        self.calls.append(call)
        if self._failures:
            failure = self._failures.pop(0)
            call.status, call.error = failure.status, f"code {failure.code}"
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return _error(failure.status, failure.code, "failed", failure.subcode, headers)
        problem = _invalid(call)
        if problem:
            call.status, call.error = 400, problem
            return _error(400, 100, problem)
        message_id = f"m_fake{next(self._ids)}"
        return web.json_response({"recipient_id": call.recipient, "message_id": message_id})


async def _read_call(request: web.Request) -> SendCall:
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        upload = form.get("filedata")
        data = None
        if isinstance(upload, web.FileField):
            data = (upload.filename, upload.file.read())
        recipient = json.loads(str(form.get("recipient", "{}")))
        message = json.loads(str(form.get("message", "{}")))
        tag = str(form["tag"]) if "tag" in form else None
        kind = str(form.get("messaging_type", ""))
        return SendCall(str(recipient.get("id", "")), kind, message, tag, upload=data)
    body = await request.json()
    return SendCall(
        str((body.get("recipient") or {}).get("id", "")),
        str(body.get("messaging_type", "")),
        dict(body.get("message") or {}),
        body.get("tag"),
    )


def _invalid(call: SendCall) -> str:
    """What the real Send API would refuse in this call, or ''."""
    if not call.recipient:
        return "recipient is required"
    if call.messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
        return "invalid messaging_type"
    if (call.messaging_type == "MESSAGE_TAG") != (call.tag is not None):
        return "a tag goes with messaging_type MESSAGE_TAG"
    message = call.message
    if ("text" in message) == ("attachment" in message):
        return "exactly one of text and attachment"
    if "text" in message and not 1 <= len(message["text"]) <= 2000:
        return "text must be 1-2000 characters"
    replies = message.get("quick_replies") or []
    if len(replies) > 13:
        return "at most 13 quick replies"
    for reply in replies:
        if not 1 <= len(reply.get("title", "")) <= 20 or not reply.get("payload"):
            return "quick reply title must be 1-20 characters, with a payload"
    template = (message.get("attachment") or {}).get("payload") or {}
    if template.get("template_type") == "button":
        buttons = template.get("buttons") or []
        if not 1 <= len(buttons) <= 3:
            return "a button template has 1-3 buttons"
        if not 1 <= len(template.get("text", "")) <= 640:
            return "button template text must be 1-640 characters"
        if any(not 1 <= len(b.get("title", "")) <= 20 for b in buttons):
            return "button titles must be 1-20 characters"
    return ""


def _error(
    status: int,
    code: int,
    message: str,
    subcode: int | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "AfakeTrace"
    return web.json_response({"error": error}, status=status, headers=headers)


def sign(body: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 header Meta sends with a body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class FakeMessengerUser:
    """A person writing to the page: builds webhook events with fresh message ids."""

    psid: str
    _count: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _base(self) -> tuple[dict[str, Any], int]:
        n = next(self._count)
        event = {
            "sender": {"id": self.psid},
            "recipient": {"id": PAGE_ID},
            "timestamp": 1_790_000_000_000 + n,
        }
        return event, n

    def text(self, text: str) -> dict[str, Any]:
        event, n = self._base()
        event["message"] = {"mid": f"m_{self.psid}_{n}_{'x' * 80}", "text": text}
        return event

    def quick_reply(self, title: str, payload: str) -> dict[str, Any]:
        event, n = self._base()
        event["message"] = {
            "mid": f"m_{self.psid}_{n}",
            "text": title,
            "quick_reply": {"payload": payload},
        }
        return event

    def postback(self, title: str, payload: str) -> dict[str, Any]:
        event, n = self._base()
        event["postback"] = {"mid": f"m_{self.psid}_{n}", "title": title, "payload": payload}
        return event


def page_body(*events: dict[str, Any]) -> dict[str, Any]:
    """A webhook body with each event in an entry of its own (as Meta batches them)."""
    return {
        "object": "page",
        "entry": [
            {"id": PAGE_ID, "time": event["timestamp"], "messaging": [event]} for event in events
        ],
    }
