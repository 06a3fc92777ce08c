"""POST /telegram/webhook: Telegram's updates, answered 200 only once processed and committed."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.updates import RawUpdate
from bot.web.body import BodyTooLarge, read_limited

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
log = logging.getLogger("bot.web")


def derive_secret(token: str) -> str:
    """A webhook secret derived from the bot token when WEBHOOK_SECRET is not set: the same in
    every process, and not the token itself."""
    return hashlib.sha256(f"culture-coach-webhook:{token}".encode()).hexdigest()


class TelegramWebhook:
    """Receives updates for one bot; registers the webhook when the web app starts."""

    def __init__(
        self, channel: TelegramChannel, *, url: str, secret: str, max_body_bytes: int
    ) -> None:
        self.channel = channel
        self.url = url
        self._secret = secret
        self._max_body = max_body_bytes

    async def start(self) -> None:
        """Initialise PTB (no Updater), publish the commands and register the webhook."""
        app = self.channel.application
        await app.initialize()
        await app.start()
        await self.channel.set_commands()
        await app.bot.set_webhook(
            url=self.url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES
        )
        log.info("telegram webhook set bot=%s", app.bot.id)

    async def stop(self) -> None:
        """Stop PTB; the webhook stays set (other processes may still serve it)."""
        app = self.channel.application
        if app.running:
            await app.stop()
        await app.shutdown()

    async def endpoint(self, request: Request) -> Response:
        """Check the secret, process the update, and answer 200 only when it was committed."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            body = await read_limited(request, self._max_body)
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("an update is a JSON object")
            update = RawUpdate(data)  # kept as JSON, as from getUpdates
        except BodyTooLarge:
            return PlainTextResponse("too large", status_code=413)
        except ValueError:
            return PlainTextResponse("bad update", status_code=400)
        processed: list[bool] = []

        async def process() -> None:
            processed.append(await self.channel.handle_update(update))

        try:  # through PTB's processor: one user's updates stay in order
            await self.channel.application.update_processor.process_update(update, process())
        except Exception:
            log.exception("telegram webhook update failed update=%s", update.update_id)
            return PlainTextResponse("failed", status_code=500)
        if not processed or not processed[0]:
            return PlainTextResponse("failed", status_code=500)
        return PlainTextResponse("ok")
