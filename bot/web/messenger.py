"""GET and POST /messenger/webhook: the verification handshake and signed page events."""

from __future__ import annotations

import hmac
import json
import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.channels.messenger.adapter import MessengerChannel, signature_valid
from bot.web.body import BodyTooLarge, read_limited

PATH = "/messenger/webhook"
SIGNATURE_HEADER = "X-Hub-Signature-256"
log = logging.getLogger("bot.web")


class MessengerWebhook:
    """Verifies Meta's handshake and signatures, then hands the events to the channel."""

    def __init__(
        self,
        channel: MessengerChannel,
        *,
        app_secret: str,
        verify_token: str,
        max_body_bytes: int,
    ) -> None:
        self.channel = channel
        self._app_secret = app_secret
        self._verify_token = verify_token
        self._max_body = max_body_bytes

    async def verify(self, request: Request) -> Response:
        """Answer the subscription handshake with the challenge when the verify token matches."""
        params = request.query_params
        token = params.get("hub.verify_token", "")
        if params.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), self._verify_token.encode()
        ):
            return PlainTextResponse(params.get("hub.challenge", ""))
        return PlainTextResponse("forbidden", status_code=403)

    async def receive(self, request: Request) -> Response:
        """Check size and signature of the raw body, then handle every event in it."""
        try:
            body = await read_limited(request, self._max_body)
        except BodyTooLarge:
            return PlainTextResponse("too large", status_code=413)
        if not signature_valid(body, request.headers.get(SIGNATURE_HEADER), self._app_secret):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            data = json.loads(body)
        except ValueError:
            return PlainTextResponse("bad body", status_code=400)
        if not isinstance(data, dict) or data.get("object") != "page":
            return PlainTextResponse("not a page event", status_code=404)
        if not await self.channel.handle_body(data):
            return PlainTextResponse("failed", status_code=500)  # Messenger delivers again
        return PlainTextResponse("EVENT_RECEIVED")
