"""An in-process fake of the Telegram Bot API HTTP server, for tests.

python-telegram-bot talks to it as to Telegram (``base_url=f"{root}/bot"``) and de-jsons every
result into its real objects. Tests play users through :meth:`FakeBotAPI.user` and read what the
bot sent through :class:`FakeUser`. Everything listens on 127.0.0.1 only.

Example::

    async with FakeBotAPI() as api:
        bot = telegram.Bot(api.token, base_url=api.base_url)
        ana = api.user(42, "Ana")
        ana.send("/start")
        ...
        (welcome,) = await ana.wait_for_messages(1)
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from tests.fakes.bot_api_limits import FloodLimits
from tests.fakes.bot_api_messages import Files, MessageMethods, Params
from tests.fakes.bot_api_params import (
    ApiError,
    Call,
    CallbackAnswer,
    Described,
    UploadedFile,
    bad_request,
    read_params,
)
from tests.fakes.bot_api_updates import UpdateMethods
from tests.fakes.bot_api_user import FakeUser

__all__ = ["ApiError", "Call", "CallbackAnswer", "FakeBotAPI", "FakeUser", "UploadedFile"]

_LOGGER = logging.getLogger(__name__)
GATEWAY_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
Handler = Callable[[Params, Files], Awaitable[Any]]


class FakeBotAPI(UpdateMethods, MessageMethods):
    """The fake server. Public state is plain data tests may read (and tweak)."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_id: int = 123456,
        username: str = "culture_coach_test_bot",
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.username = username
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Culture Coach",
            "username": username,
        }
        self.calls: list[Call] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.uploads: list[UploadedFile] = []
        self.users: dict[int, FakeUser] = {}
        self.open_callback_queries: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook_url = ""
        self.webhook_secret_token: str | None = None
        self.allowed_updates: list[str] = []
        self._updates: list[dict[str, Any]] = []
        self._last_update_id = 0
        self._confirmed_offset = 0
        self._query_count = 0
        self._poll_generation = 0
        self._failures: dict[str, list[ApiError]] = {}
        self._refusals: dict[str, ApiError] = {}
        self._drops: dict[str, int] = {}
        self.delay = 0.0  # seconds every message call takes (a slow server)
        self.limits: FloodLimits | None = None  # opt-in: enforce_limits()
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._root = ""
        self._handlers: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self.send_message,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "sendchataction": self.send_chat_action,
            "answercallbackquery": self.answer_callback_query,
            "sendphoto": self.send_photo,
            "senddocument": self.send_document,
        }

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1; returns the root URL ``http://127.0.0.1:PORT``."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._closing = False
        self._changed = asyncio.Event()  # of this event loop
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self._root = f"http://127.0.0.1:{port}"
        return self._root

    async def stop(self) -> None:
        """Answer waiting long polls and stop listening."""
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        return self._root

    @property
    def base_url(self) -> str:
        """What python-telegram-bot's ``base_url`` should be: ``{root}/bot``."""
        return f"{self._root}/bot"

    # --- test-side API -----------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "lt",
        username: str | None = None,
    ) -> FakeUser:
        """The user ``user_id`` (created once; its private chat has the same id)."""
        if user_id not in self.users:
            self.users[user_id] = FakeUser(self, user_id, first_name, language_code, username)
        return self.users[user_id]

    def new_callback_query_id(self) -> str:
        self._query_count += 1
        return str(4_200_000_000_000_000_000 + self.bot_id * 1000 + self._query_count)

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` fail (429 gets ``retry_after``, default 1;
        502/503/504 answer with a gateway's HTML page, as Telegram's nginx does)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        error = ApiError(status, description, retry_after)
        self._failures.setdefault(self._known(method), []).extend([error] * times)

    def drop_next(self, method: str, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` lose their connection before any answer
        (nothing is sent to the chat), as a network cut would."""
        key = self._known(method)
        self._drops[key] = self._drops.get(key, 0) + times

    def refuse(self, method: str, status: int, description: str) -> None:
        """Every call of ``method`` fails until :meth:`allow`."""
        self._refusals[self._known(method)] = ApiError(status, description)

    def allow(self, method: str) -> None:
        """Undo :meth:`refuse` and pending :meth:`fail_next` errors of ``method``."""
        self._refusals.pop(self._known(method), None)
        self._failures.pop(self._known(method), None)

    def enforce_limits(self, limits: FloodLimits | None = None) -> FloodLimits:
        """From now on answer messages beyond Telegram's flood limits with 429 (opt-in)."""
        self.limits = limits or FloodLimits()
        return self.limits

    def calls_of(self, method: str) -> list[Call]:
        """The recorded calls of one method (any spelling of its name)."""
        return [call for call in self.calls if call.method == method.lower()]

    def my_commands(
        self, language_code: str = "", scope: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The commands set for a scope (default scope if None) and language code."""
        return copy.deepcopy(self.commands.get(self._commands_key(scope, language_code), []))

    def file_bytes(self, file_id: str) -> bytes | None:
        """The uploaded bytes behind a file_id the fake handed out (None if sent by URL)."""
        upload = self.files[file_id]["upload"]
        return None if upload is None else upload.data

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10,  # noqa: ASYNC109
        describe: str | Callable[[], str] | None = None,
    ) -> None:
        """Wait until ``predicate()`` holds; AssertionError after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                text = describe() if callable(describe) else describe
                raise AssertionError(text or f"condition not met within {timeout}s")
            changed = self._changed
            try:  # woken by any change of the fake; polled too, for outside state
                await asyncio.wait_for(changed.wait(), min(remaining, 0.05))
            except TimeoutError:
                pass

    # --- HTTP --------------------------------------------------------------------------------

    def _known(self, method: str) -> str:
        if method.lower() not in self._handlers:
            raise ValueError(f"the fake Bot API has no method {method!r}")
        return method.lower()

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._error(ApiError(404, "Not Found"))

    @staticmethod
    def _error(error: ApiError) -> web.Response:
        if error.status in (502, 503, 504):
            reason = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Time-out"}
            page = GATEWAY_PAGE.format(status=error.status, reason=reason[error.status])
            return web.Response(status=error.status, text=page, content_type="text/html")
        body: dict[str, Any] = {
            "ok": False,
            "error_code": error.status,
            "description": error.description,
        }
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.status)

    async def _handle(self, request: web.Request) -> web.Response:
        call = Call(method=request.match_info["method"].lower(), params={})
        self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._handlers.get(call.method)
            if handler is None:
                raise ApiError(404, "Not Found")
            call.params, call.files = await read_params(request)
            if self._drops.get(call.method):
                self._drops[call.method] -= 1
                call.status, call.description = 0, "connection dropped"
                if request.transport is not None:
                    request.transport.abort()
                self._notify()
                return web.Response(status=500)
            if self.delay and call.method.startswith(("send", "edit")):
                await asyncio.sleep(self.delay)
            failures = self._failures.get(call.method)
            if failures:
                raise failures.pop(0)
            if call.method in self._refusals:
                raise self._refusals[call.method]
            if self.limits is not None and self.limits.counts(call.method):
                self.limits.check(call.params.get("chat_id"))
            answer = await handler(call.params, call.files)
        except ApiError as error:
            call.status, call.description = error.status, error.description
            self._notify()
            return self._error(error)
        except Exception as error:  # a bug of the fake: say so loudly
            _LOGGER.exception("the fake Bot API failed on %s", call.method)
            call.status, call.description = 500, f"Internal Server Error: {error!r}"
            self._notify()
            return web.json_response(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"},
                status=500,
            )
        body: dict[str, Any] = {"ok": True}
        if isinstance(answer, Described):
            answer, body["description"] = answer
        body["result"] = answer
        call.status, call.result = 200, answer
        self._notify()
        return web.json_response(body)

    # --- bot, updates, webhook, commands -----------------------------------------------------

    async def _get_me(self, p: Params, files: Files) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        described = ",".join(f"{key}={scope[key]}" for key in sorted(scope))
        return described, str(language_code or "")

    async def _set_my_commands(self, p: Params, files: Files) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request('parameter "commands" is required')
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("BotCommand must be an Object")
            if not _COMMAND_NAME.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(p.get("scope"), p.get("language_code"))
        listed = [{"command": c["command"], "description": c["description"]} for c in commands]
        if listed:
            self.commands[key] = listed
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, p: Params, files: Files) -> list[dict[str, Any]]:
        return self.my_commands(str(p.get("language_code") or ""), p.get("scope"))

    async def _delete_my_commands(self, p: Params, files: Files) -> bool:
        self.commands.pop(self._commands_key(p.get("scope"), p.get("language_code")), None)
        return True
