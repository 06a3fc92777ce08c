"""The update queue of the fake Bot API: getUpdates with Telegram's offset semantics, webhooks.

Calling getUpdates with offset N confirms (forgets) every Update with update_id < N; a negative
offset keeps only that many of the newest. A long poll (timeout > 0) waits until an Update is
queued or the timeout passes; a second getUpdates ends the first with 409, as on Telegram.
"""

from __future__ import annotations

import asyncio
import copy
import re
from typing import Any

from tests.fakes.bot_api_params import ApiError, Described, bad_request

Params = dict[str, Any]
LONG_POLL_MAX = 50
DEFAULT_HIDDEN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class UpdateMethods:
    """Mixed into FakeBotAPI, which sets these attributes."""

    webhook_url: str
    webhook_secret_token: str | None
    allowed_updates: list[str]
    _updates: list[dict[str, Any]]
    _last_update_id: int
    _confirmed_offset: int
    _poll_generation: int
    _changed: asyncio.Event
    _closing: bool

    def _notify(self) -> None:
        """Wake everything waiting for a change of the fake."""
        self._changed.set()
        self._changed = asyncio.Event()

    def new_update_id(self) -> int:
        self._last_update_id += 1
        return self._last_update_id

    def enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an Update for getUpdates; given no ``update_id``, it gets the next one.

        An Update may be queued twice (a redelivery) while it is unconfirmed; one whose id was
        already confirmed with getUpdates' offset would never be delivered, so that is an error.
        """
        update = copy.deepcopy(update)
        if "update_id" not in update:
            update["update_id"] = self.new_update_id()
        update_id = update["update_id"]
        if update_id < self._confirmed_offset:
            raise AssertionError(
                f"update {update_id} is below the confirmed offset {self._confirmed_offset}; "
                "Telegram would never deliver it"
            )
        self._last_update_id = max(self._last_update_id, update_id)
        later = [i for i, queued in enumerate(self._updates) if queued["update_id"] > update_id]
        self._updates.insert(later[0] if later else len(self._updates), update)
        self._notify()
        return copy.deepcopy(update)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Queued Updates not yet confirmed by the bot."""
        return copy.deepcopy(self._updates)

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._confirmed_offset = max(self._confirmed_offset, offset)
        elif offset < 0 and len(self._updates) > -offset:
            self._confirmed_offset = self._updates[offset]["update_id"]
        self._updates = [u for u in self._updates if u["update_id"] >= self._confirmed_offset]

    def _pending(self, limit: int) -> list[dict[str, Any]]:
        def wanted(update: dict[str, Any]) -> bool:
            kind = next(key for key in update if key != "update_id")
            if self.allowed_updates:
                return kind in self.allowed_updates
            return kind not in DEFAULT_HIDDEN_UPDATES

        self._updates = [u for u in self._updates if wanted(u)]  # Telegram drops the others
        return copy.deepcopy(self._updates[:limit])

    async def _get_updates(self, p: Params, files: Any) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll still waiting ends with 409
        offset = p.get("offset", 0)
        limit = p.get("limit", 100)
        timeout = p.get("timeout", 0)
        offset = offset if isinstance(offset, int) else 0
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = min(max(timeout, 0), LONG_POLL_MAX) if isinstance(timeout, int) else 0
        if "allowed_updates" in p:
            self.allowed_updates = list(p["allowed_updates"] or [])
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            pending = self._pending(limit)
            remaining = deadline - loop.time()
            if pending or self._closing or remaining <= 0:
                return pending
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                pass

    def _drop_pending(self) -> None:
        self._confirmed_offset = self._last_update_id + 1
        self._updates = []

    async def _set_webhook(self, p: Params, files: Any) -> Described:
        url = str(p.get("url") or "")
        if not url:
            return await self._delete_webhook(p, files)
        if not url.lower().startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not _SECRET.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self._drop_pending()
        if "allowed_updates" in p:
            self.allowed_updates = list(p["allowed_updates"] or [])
        already = url == self.webhook_url
        self.webhook_url, self.webhook_secret_token = url, secret
        return Described(True, "Webhook is already set" if already else "Webhook was set")

    async def _delete_webhook(self, p: Params, files: Any) -> Described:
        if p.get("drop_pending_updates"):
            self._drop_pending()
        had = bool(self.webhook_url)
        self.webhook_url, self.webhook_secret_token = "", None
        return Described(True, "Webhook was deleted" if had else "Webhook is already deleted")

    async def _get_webhook_info(self, p: Params, files: Any) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            info["max_connections"] = 40
            if self.allowed_updates:
                info["allowed_updates"] = list(self.allowed_updates)
        return info
