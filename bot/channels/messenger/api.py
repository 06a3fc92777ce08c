"""The Messenger Send API over an injected httpx.AsyncClient, retrying 5xx and 429 with backoff."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bot.channels.messenger.render import Part, Upload

log = logging.getLogger("bot.messenger")

# Graph API error codes (https://developers.facebook.com/docs/messenger-platform/error-codes)
USER_UNAVAILABLE = 551  # the person blocked the page or deleted their account
OUTSIDE_WINDOW_SUBCODE = 2018278  # message sent outside the 24-hour window
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
BLOCKED_SUBCODES = frozenset({1545041, 2018108, 2018109})  # not reachable any more


class MessengerError(Exception):
    """The Send API refused or failed; `retryable` tells whether trying later may succeed."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} code={code} subcode={subcode}: {message}")
        self.status, self.code, self.subcode = status, code, subcode
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """A server error or a rate limit: the same call may succeed later."""
        return self.status >= 500 or self.status == 429 or self.code in RATE_LIMIT_CODES

    @property
    def blocked(self) -> bool:
        """The person cannot be reached any more."""
        return self.code == USER_UNAVAILABLE or self.subcode in BLOCKED_SUBCODES

    @property
    def outside_window(self) -> bool:
        """Refused by the 24-hour rule."""
        return self.subcode == OUTSIDE_WINDOW_SUBCODE


def _error(response: httpx.Response) -> MessengerError:
    try:
        body = response.json().get("error", {})
    except (json.JSONDecodeError, AttributeError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    retry_after: float | None = None
    header = response.headers.get("Retry-After")
    if header is not None:
        try:
            retry_after = float(header)
        except ValueError:
            retry_after = None
    return MessengerError(
        response.status_code,
        str(body.get("message") or response.reason_phrase)[:200],
        code=body.get("code") if isinstance(body.get("code"), int) else None,
        subcode=body.get("error_subcode") if isinstance(body.get("error_subcode"), int) else None,
        retry_after=retry_after,
    )


class MessengerAPI:
    """Sends messages to a page-scoped id (PSID) with the page access token."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        page_access_token: str,
        attempts: int = 4,
        backoff: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._url = f"{base_url.rstrip('/')}/me/messages"
        self._token = page_access_token
        self._attempts = attempts
        self._backoff = backoff
        self._sleep = sleep

    async def send(
        self,
        psid: str,
        part: Part,
        *,
        messaging_type: str = "RESPONSE",
        tag: str | None = None,
        attempts: int | None = None,
    ) -> str:
        """Send one message (or file); returns its message id. MessengerError when refused.
        `attempts`: how many tries for 5xx and rate limits (default: the client's)."""
        fields: dict[str, Any] = {
            "recipient": {"id": psid},
            "messaging_type": "MESSAGE_TAG" if tag else messaging_type,
        }
        if tag:
            fields["tag"] = tag
        tries = attempts or self._attempts
        for attempt in range(1, tries + 1):
            try:
                response = await self._post(fields, part)
            except httpx.TransportError as error:
                failure = MessengerError(599, f"network: {type(error).__name__}")
            else:
                if response.is_success:
                    return str(response.json().get("message_id", ""))
                failure = _error(response)
            if not failure.retryable or attempt == tries:
                raise failure
            delay = failure.retry_after or self._backoff * 2 ** (attempt - 1)
            log.warning("messenger send retry attempt=%d status=%s", attempt, failure.status)
            await self._sleep(delay)
        raise AssertionError("unreachable")

    async def _post(self, fields: dict[str, Any], part: Part) -> httpx.Response:
        params = {"access_token": self._token}
        if isinstance(part, Upload):
            message = {"attachment": {"type": part.kind, "payload": {"is_reusable": False}}}
            data = {
                key: value if isinstance(value, str) else json.dumps(value)
                for key, value in fields.items()
            }
            data["message"] = json.dumps(message)
            files = {"filedata": (part.filename, part.data)}
            return await self._client.post(self._url, params=params, data=data, files=files)
        return await self._client.post(self._url, params=params, json={**fields, "message": part})
