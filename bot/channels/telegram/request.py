"""python-telegram-bot's network layer on aiohttp: the same Bot API calls for a tenth of the CPU.

PTB sends through httpx by default. Measured against the fake Bot API (bench/interactive.py and
a bare client loop), one sendMessage through httpx costs 1.2-3 ms of CPU in the calling process,
through aiohttp about 0.15 ms; a quiz answer makes three such calls. PTB documents
`BaseRequest` as the place to plug in another HTTP library, and its contrib repository keeps an
aiohttp one; this is ours, small enough to own, with PTB's error contract: timeouts raise
`TimedOut`, anything else on the wire raises `NetworkError`, and the status with the body goes
back to PTB, which turns Telegram's answer (429, 403, 400, 5xx) into its own errors."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import aiohttp
import orjson
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's own defaults for HTTPXRequest: 5 s each, 20 s to write a file.
DEFAULT_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0


JSON_HEADERS = {"User-Agent": BaseRequest.USER_AGENT, "Content-Type": "application/json"}


# The JSON body of the call `AiohttpRequest.post_json` is making, for its `do_request`: PTB's
# RequestData is final, so the body rides along in the task's context instead.
_JSON_BODY: ContextVar[bytes | None] = ContextVar("bot_api_json_body", default=None)


class AiohttpRequest(BaseRequest):
    """A Bot API connection pool on aiohttp, opened in `initialize` and closed in `shutdown`."""

    __slots__ = ("_pool_size", "_read_timeout", "_session")

    def __init__(self, pool_size: int = 256, read_timeout: float = DEFAULT_TIMEOUT) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        """The default time to wait for an answer (PTB adds a long poll's timeout to it)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the pool (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            # No total deadline: a long poll waits as long as PTB asks; each call's
            # connect and read timeouts bound it instead.
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=None)
            )

    async def shutdown(self) -> None:
        """Close the pool and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def post_json(
        self,
        url: str,
        parameters: dict[str, Any],
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> Any:
        """One call with its parameters as one JSON body; Telegram's answer as JSON.

        PTB's own path turns each parameter into a RequestParameter and serialises each on its
        own, then the form is URL-encoded: for the texts, edits and press answers the outbox
        sends, that was a quarter of a call's CPU (bench/telegram_calls.py). The answer is
        read by PTB's `BaseRequest.post` as always, so its errors are PTB's: 429 RetryAfter,
        403 Forbidden, 400 BadRequest, timeouts TimedOut."""
        body = orjson.dumps(parameters)  # compact, UTF-8 as it is (like ensure_ascii=False)
        token = _JSON_BODY.set(body)
        try:
            return await self.post(url, read_timeout=read_timeout)  # type: ignore[arg-type]
        finally:
            _JSON_BODY.reset(token)

    @staticmethod
    def parse_json_payload(payload: bytes) -> Any:
        """Telegram's answer parsed by orjson (PTB's documented hook for another JSON library):
        about a fifth of json's time for an answer of sendMessage or a batch of updates.
        Anything orjson refuses (say, invalid UTF-8) goes to PTB's own parser, which replaces
        bad bytes and raises TelegramError("Invalid server response") for what is not JSON."""
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError:
            return BaseRequest.parse_json_payload(payload)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one call; its status and body go back to PTB, which reads Telegram's answer."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        has_files = bool(request_data and request_data.contains_files)
        read = _seconds(read_timeout, self._read_timeout)
        write = _seconds(write_timeout, MEDIA_WRITE_TIMEOUT if has_files else DEFAULT_TIMEOUT)
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=_seconds(pool_timeout, DEFAULT_TIMEOUT),  # includes waiting for the pool
            sock_connect=_seconds(connect_timeout, DEFAULT_TIMEOUT),
            # aiohttp has no write timeout: the socket read timeout covers the upload too
            sock_read=None if read is None else read + (write or 0.0) * has_files,
        )
        json_body = _JSON_BODY.get() if request_data is None else None
        if json_body is not None:
            data: Any = json_body
            headers = JSON_HEADERS
        else:
            data, headers = _body(request_data), {"User-Agent": self.USER_AGENT}
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # asyncio.TimeoutError is TimeoutError on 3.11
            raise TimedOut(f"aiohttp timed out: {error}") from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _seconds(value: float | object | None, default: float | None) -> float | None:
    """A timeout PTB passed, or the default when it passed none."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    return value if value is None or isinstance(value, int | float) else default


def _body(request_data: RequestData | None) -> dict[str, str] | aiohttp.FormData | None:
    """Form fields as PTB serialised them; multipart when files go with them."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    files = request_data.multipart_data
    if not files:
        return fields or None
    # quote_fields off: a file name goes as UTF-8 ("pažanga.xlsx"), as httpx sends it, not
    # percent-encoded, which Telegram would show as it is
    form = aiohttp.FormData(fields, quote_fields=False)
    for name, (filename, content, mime) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
