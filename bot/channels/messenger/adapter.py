"""Facebook Messenger adapter: webhook events in as Inbound, replies out through the Send API.

Text messages, quick replies and postbacks become the same Inbound events as on Telegram, so
the dialogue is written once. The outbox reaches Messenger through MessengerSender, which keeps
the 24-hour rule: outside the window messages wait, and one tagged message says so."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.messenger.api import RATE_LIMIT_CODES, MessengerAPI, MessengerError
from bot.channels.messenger.render import render
from bot.db.models import ChannelIdentity
from bot.delivery import window
from bot.delivery.channel import DeliveryError, DeliveryKind
from bot.delivery.limiter import RateLimiter
from bot.delivery.sender import OutboxSender
from bot.kernel.i18n import N_, Translations
from bot.kernel.messages import Handler, Inbound, InboundKind, Message, Outbound

CHANNEL = "messenger"
GET_STARTED = "GET_STARTED"  # the payload of the page's "Get Started" button
WINDOW = timedelta(hours=24)
WINDOW_MARGIN = timedelta(minutes=10)  # never start a send in the window's last minutes
RECHECK = timedelta(hours=6)  # a held message is looked at again (a new message frees it now)
RATE_LIMIT_WAIT = 60.0  # Meta's rate limits say no retry time: Messenger waits a minute
NOTICE_TEXT = N_("📚 A new lesson is waiting for you. Write me anything and I will send it.")
log = logging.getLogger("bot.messenger")


def signature_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether X-Hub-Signature-256 is the HMAC-SHA256 of the raw body (constant time)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def _event_key(event: dict[str, Any], item: dict[str, Any], sender: str) -> str:
    """A short, stable key per event (Messenger message ids are longer than the column)."""
    raw = item.get("mid") or f"{sender}:{event.get('timestamp')}:{item.get('payload', '')}"
    return "m" + hashlib.sha256(str(raw).encode()).hexdigest()[:40]


def to_inbound(event: dict[str, Any]) -> Inbound | None:
    """One `messaging` event as an Inbound; None for echoes, receipts and the like."""
    sender = str((event.get("sender") or {}).get("id") or "")
    if not sender:
        return None
    message, postback = event.get("message"), event.get("postback")
    if isinstance(message, dict):
        if message.get("is_echo"):
            return None
        key = _event_key(event, message, sender)
        quick = message.get("quick_reply")
        if isinstance(quick, dict) and quick.get("payload"):
            payload = str(quick["payload"])
            return Inbound(CHANNEL, sender, InboundKind.BUTTON, payload=payload, update_id=key)
        if isinstance(message.get("text"), str):
            text = message["text"]
            return Inbound(CHANNEL, sender, InboundKind.TEXT, text=text, update_id=key)
        return Inbound(CHANNEL, sender, InboundKind.OTHER, update_id=key)
    if isinstance(postback, dict):
        key = _event_key(event, postback, sender)
        payload = str(postback.get("payload") or "")
        if payload == GET_STARTED:
            return Inbound(CHANNEL, sender, InboundKind.TEXT, text="/start", update_id=key)
        return Inbound(CHANNEL, sender, InboundKind.BUTTON, payload=payload, update_id=key)
    return None


def inbound_events(body: dict[str, Any]) -> list[Inbound]:
    """Every person's event in a (possibly batched) webhook body, in order."""
    found: list[Inbound] = []
    for entry in body.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for event in entry.get("messaging") or []:
            inbound = to_inbound(event) if isinstance(event, dict) else None
            if inbound is not None:
                found.append(inbound)
    return found


class MessengerChannel:
    """Handles webhook bodies: each event through the dialogue, in the person's order; the
    replies leave through the outbox and its MessengerSender."""

    def __init__(
        self,
        handler: Handler,
        api: MessengerAPI,
        *,
        outbox: OutboxSender | None = None,
        sender: MessengerSender | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._handler = handler
        self.api = api
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        outbox = outbox if outbox is not None else getattr(handler, "outbox", None)
        if outbox is not None and outbox.sender_for(CHANNEL) is None:
            outbox.register(sender or MessengerSender(api), limiter)

    async def handle_body(self, body: dict[str, Any]) -> bool:
        """Handle a webhook body; False if an event failed (the platform should re-deliver)."""
        ok = True
        for inbound in inbound_events(body):
            ok = await self.handle_event(inbound) and ok
        return ok

    async def handle_event(self, inbound: Inbound) -> bool:
        """One event in the person's order; True once committed with its replies."""
        key = inbound.user_id
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                turn = await self._handler.handle(inbound)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]
        return turn.ok


class MessengerSender:
    """The outbox's road to Messenger, keeping the 24-hour rule (ChannelSender protocol)."""

    channel = CHANNEL

    def __init__(
        self,
        api: MessengerAPI,
        sessions: async_sessionmaker[AsyncSession] | None = None,
        translations: Translations | None = None,
        *,
        tag: str = "CONFIRMED_EVENT_UPDATE",
    ) -> None:
        self.api = api
        self._sessions = sessions
        self._translations = translations
        self.tag = tag

    def defer_until(self, last_inbound_at: datetime | None, now: datetime) -> datetime | None:
        """None inside the person's 24-hour window; else when to look again."""
        if last_inbound_at is not None and now + WINDOW_MARGIN < last_inbound_at + WINDOW:
            return None
        return now + RECHECK

    async def send(
        self,
        external_id: str,
        replies: Sequence[Outbound],
        source: dict[str, Any] | None = None,
    ) -> None:
        """Send the replies inside the window (edits and notices have no Messenger form);
        DeliveryError if refused. The outbox retries: one attempt here. A reply (`source`
        given) is a RESPONSE; lessons and the like are UPDATEs."""
        kind = "RESPONSE" if source is not None else "UPDATE"
        for part in render(list(replies)):
            try:
                await self.api.send(external_id, part, messaging_type=kind, attempts=1)
            except MessengerError as error:
                raise _delivery_error(error) from error

    async def send_waiting_notices(self, now: datetime) -> int:
        """Tell each person whose messages wait for the window, once per closed window and with
        the message tag, that a lesson is waiting; the notice is an outbox row of its own."""
        if self._sessions is None:
            return 0
        waiting = await window.waiting_people(self._sessions, CHANNEL)
        sent = 0
        for identity, language in waiting:
            if self.defer_until(identity.last_inbound_at, now) is None:
                continue  # the window is open again: the outbox sends by itself
            sent += await self._notice(identity, language, now)
        if waiting:
            log.info("messenger waiting notices people=%d sent=%d", len(waiting), sent)
        return sent

    async def _notice(self, identity: ChannelIdentity, language: str, now: datetime) -> int:
        assert self._sessions is not None
        tr = self._translations.get(language) if self._translations else None
        message = Message(tr.gettext(NOTICE_TEXT) if tr else NOTICE_TEXT)
        notice_id = await window.claim_notice(self._sessions, identity, message, self.tag, now)
        if notice_id is None:
            return 0  # this window's notice exists already
        error: str | None = None
        sent_at: datetime | None = now
        try:
            for part in render([message]):
                await self.api.send(identity.external_id, part, tag=self.tag)
        except MessengerError as failure:
            error, sent_at = str(failure)[:300], None
        await window.settle_notice(self._sessions, notice_id, sent_at, error)
        return 1 if sent_at else 0


def _delivery_error(error: MessengerError) -> DeliveryError:
    if error.blocked:
        return DeliveryError(DeliveryKind.BLOCKED, str(error)[:200])
    if error.retryable:
        limited = error.status == 429 or error.code in RATE_LIMIT_CODES
        retry = error.retry_after or (RATE_LIMIT_WAIT if limited else None)
        return DeliveryError(DeliveryKind.RETRY, str(error)[:200], retry_after=retry)
    if error.outside_window:  # this person only: wait for them to write again
        return DeliveryError(DeliveryKind.HELD, str(error)[:200])
    return DeliveryError(DeliveryKind.FAILED, str(error)[:200])
