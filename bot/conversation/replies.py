"""The dialogue's end of the one road out: a turn's replies become an outbox row in the turn's
transaction and are sent right after its commit; a turn that failed says sorry once per
update; a reply the platform refused for good gets a "sorry" instead of silence."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import OutboxMessage, Participant
from bot.delivery import outbox
from bot.delivery.claims import Claimed
from bot.delivery.outbox import OutboxState
from bot.delivery.sender import OutboxSender, Settled
from bot.kernel.i18n import Translations
from bot.kernel.messages import Inbound, InboundKind, Message, Notice, Outbound

SORRY = "Sorry, something went wrong on my side. Please try again."


def source_of(inbound: Inbound) -> dict[str, str] | None:
    """What a reply may refer to: the pressed message and the press itself."""
    source = {"message_id": inbound.message_id, "ack_id": inbound.ack_id}
    return {k: v for k, v in source.items() if v} or None


def acknowledged_first(inbound: Inbound, replies: list[Outbound]) -> list[Outbound]:
    """A button press is acknowledged first (the spinner stops), with the turn's notice."""
    if inbound.kind is not InboundKind.BUTTON:
        return replies
    notices = [r for r in replies if isinstance(r, Notice)]
    rest = [r for r in replies if not isinstance(r, Notice)]
    return [notices[0] if notices else Notice(""), *rest]


class ReplyRoad:
    """Writes, sends and apologises for the replies of turns."""

    def __init__(
        self,
        sender: OutboxSender,
        sessions: async_sessionmaker[AsyncSession],
        translations: Translations,
    ) -> None:
        self.outbox = sender
        self._sessions = sessions
        self._translations = translations
        self._apologised: dict[tuple[str, str], None] = {}
        sender.add_listener(self._on_settled)

    async def write(
        self,
        session: AsyncSession,
        inbound: Inbound,
        participant_id: int,
        replies: list[Outbound],
        now: datetime,
        *,
        released: int = 0,
    ) -> list[Claimed]:
        """The replies as an outbox row; returns the rows to send once committed. Usually
        nothing else is owed to the person: the row is written already leased to this
        process, sent after the commit with no claim query; else everything owed is claimed,
        in order (held lessons first)."""
        sending = self.outbox.sender_for(inbound.channel) is not None
        fast = sending and not released and not self.outbox.may_owe(participant_id)
        source = source_of(inbound)
        row_id = None
        if replies:
            row_id = await outbox.enqueue_reply(
                session,
                participant_id=participant_id,
                channel=inbound.channel,
                external_id=inbound.user_id,
                update_key=inbound.update_id or uuid.uuid4().hex,
                replies=replies,
                now=now,
                source=source,
                leased_until=self.outbox.lease_until() if fast else None,
            )
        if fast and row_id is not None:
            claimed = self.outbox.reply_claimed(
                row_id, participant_id, inbound.channel, inbound.user_id, replies, source
            )
            return [claimed]
        if sending and (replies or released):
            return await self.outbox.claim_owed(session, participant_id)
        return []

    async def owed_again(
        self, session: AsyncSession, inbound: Inbound, participant_id: int
    ) -> list[Claimed]:
        """An update delivered again: whatever of its replies is still unsent."""
        if self.outbox.sender_for(inbound.channel) is None:
            return []
        return await self.outbox.claim_owed(session, participant_id)

    async def send_unstored(self, inbound: Inbound, replies: list[Outbound]) -> None:
        """Replies to someone who is gone after the turn (erased): no row keeps them."""
        await self.outbox.send_once(inbound.channel, inbound.user_id, replies, source_of(inbound))

    async def apologise(self, inbound: Inbound, language: str | None) -> list[Outbound]:
        """Nothing of the turn was kept: say so once per update (a re-delivery that fails
        again stays quiet), straight to the chat, since no row can be written with it."""
        sorry: list[Outbound] = [Message(self._translations.get(language).gettext(SORRY))]
        key = (inbound.channel, inbound.update_id or "")
        if inbound.update_id is not None and key in self._apologised:
            return sorry
        self._apologised[key] = None
        while len(self._apologised) > 1024:
            del self._apologised[next(iter(self._apologised))]
        replies = [Notice(""), *sorry] if inbound.ack_id else sorry
        if self.outbox.sender_for(inbound.channel):
            await self.outbox.send_once(
                inbound.channel, inbound.user_id, replies, source_of(inbound)
            )
        return replies

    async def _on_settled(self, settled: Settled) -> None:
        """A reply the platform refused for good (say, a text it finds too long): the person
        is told something went wrong rather than left without an answer."""
        if settled.purpose != outbox.REPLY_PURPOSE or settled.state is not OutboxState.FAILED:
            return
        async with self._sessions() as session:
            found = await session.execute(
                select(OutboxMessage.channel, OutboxMessage.external_id, Participant.language)
                .join(Participant, Participant.id == OutboxMessage.participant_id)
                .where(OutboxMessage.id == settled.outbox_id)
            )
            row = found.first()
        if row is None or row.channel is None or row.external_id is None:
            return
        sorry = self._translations.get(row.language).gettext(SORRY)
        await self.outbox.send_once(row.channel, row.external_id, [Message(sorry)])
