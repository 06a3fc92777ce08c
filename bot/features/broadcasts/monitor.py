"""The broadcasts' periodic job: starts scheduled broadcasts when their time comes, keeps each
author's one progress message up to date (edited, never repeated), and, when every copy has
settled, writes the final report and sends it to the author through the outbox.

Holds no state that matters: everything it needs is on the broadcast row, so a restart
carries on where the last run stopped."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import CourseIndex
from bot.db.models import Broadcast, Participant
from bot.delivery.outbox import enqueue
from bot.delivery.sender import DeliveryError, OutboxSender
from bot.features.broadcasts import service
from bot.features.broadcasts.labels import final_text, progress_text
from bot.kernel.clock import Clock
from bot.kernel.i18n import Translations, Translator
from bot.kernel.messages import Message

log = logging.getLogger("bot.broadcasts")
PROGRESS_SECONDS = 3.0  # how often the progress message may change


class BroadcastMonitor:
    """`run` is the periodic job (bot/jobs.py); tests call it with a FakeClock."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        translations: Translations,
        zone: ZoneInfo,
        index: Callable[[], CourseIndex],
        outbox: OutboxSender | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._translations = translations
        self._zone = zone
        self._index = index
        self._outbox = outbox
        self._shown: dict[int, str] = {}  # the text each progress message shows now

    async def run(self) -> int:
        """One tick; returns how many broadcasts were looked at."""
        started = await self._start_due()
        async with self._sessions() as session:
            ids = list(
                await session.scalars(
                    select(Broadcast.id).where(Broadcast.state == service.SENDING)
                )
            )
        for broadcast_id in ids:
            await self._follow(broadcast_id)
        if started or ids:
            log.info("broadcasts tick started=%d following=%d", started, len(ids))
        return started + len(ids)

    async def _start_due(self) -> int:
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            due = list(
                await session.scalars(
                    select(Broadcast)
                    .where(Broadcast.state == service.SCHEDULED, Broadcast.scheduled_at <= now)
                    .order_by(Broadcast.id)
                    .with_for_update(skip_locked=True)
                )
            )
            for broadcast in due:
                count = await service.start(session, broadcast, self._index(), now, self._zone)
                log.info("broadcast started id=%d recipients=%d", broadcast.id, count)
        return len(due)

    async def _author_tr(self, session: AsyncSession, broadcast: Broadcast) -> Translator:
        author = (
            await session.get(Participant, broadcast.author_id) if broadcast.author_id else None
        )
        return self._translations.get(author.language if author is not None else None)

    async def _follow(self, broadcast_id: int) -> None:
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
            if broadcast is None or broadcast.state != service.SENDING:
                return
            tr = await self._author_tr(session, broadcast)
            counts, settled = await service.progress(session, broadcast.id)
            if settled:
                report = await service.finish(session, broadcast, now)
                text = progress_text(tr, broadcast, counts)
                if broadcast.author_id is not None:
                    await enqueue(
                        session,
                        participant_id=broadcast.author_id,
                        dedupe_key=f"broadcast:{broadcast.id}",
                        replies=[Message(final_text(tr, broadcast, report))],
                        now=now,
                        purpose=service.REPORT_PURPOSE,
                    )
                log.info(
                    "broadcast finished id=%d sent=%s blocked=%s failed=%s",
                    broadcast.id,
                    report["sent"],
                    report["blocked"],
                    report["failed"],
                )
            else:
                text = progress_text(tr, broadcast, counts)
            target = (
                broadcast.progress_channel,
                broadcast.progress_chat_id,
                broadcast.progress_message_id,
            )
        await self._show(broadcast_id, target, text)
        if settled:
            self._shown.pop(broadcast_id, None)

    async def _show(
        self, broadcast_id: int, target: tuple[str | None, str | None, str | None], text: str
    ) -> None:
        """Post the progress message once, then edit it whenever its text changes."""
        channel, chat_id, message_id = target
        sender = self._outbox.sender_for(channel) if self._outbox and channel else None
        post, edit = getattr(sender, "post", None), getattr(sender, "edit", None)
        if chat_id is None or post is None or edit is None or self._outbox is None:
            return
        if message_id is not None and self._shown.get(broadcast_id) == text:
            return
        assert channel is not None
        limiter = self._outbox.limiter_for(channel)  # the platform's own pace, as a reply
        try:
            if not await limiter.wait(f"{channel}:{chat_id}", urgent=True, max_wait=5):
                return  # shown at the next round
            if message_id is None:
                posted = await post(chat_id, text)
                async with self._sessions() as session, session.begin():
                    broadcast = await session.get(Broadcast, broadcast_id)
                    if broadcast is not None:
                        broadcast.progress_message_id = str(posted)
            else:
                await edit(chat_id, message_id, text)
        except DeliveryError as error:
            if error.retry_after is not None:
                limiter.hold(self._clock.now() + timedelta(seconds=error.retry_after))
            log.warning("broadcast progress not shown id=%d: %s", broadcast_id, error.kind)
            return
        self._shown[broadcast_id] = text
