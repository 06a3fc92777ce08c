"""The conversation's front door: one Inbound in, one Turn out, in one database session."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import ContentStore
from bot.conversation.features import build_registry
from bot.conversation.flood import FloodGuard, Verdict
from bot.conversation.replies import ReplyRoad, acknowledged_first
from bot.conversation.routing import COMMANDS, COMMANDS_HEAD, COMMANDS_TAIL, TurnRouter
from bot.conversation.tasks import TaskRunner
from bot.db import participants
from bot.db.models import Participant
from bot.delivery import window
from bot.delivery.claims import Claimed
from bot.delivery.sender import OutboxSender
from bot.domain.profile import parse_command
from bot.kernel import roles
from bot.kernel.clock import Clock
from bot.kernel.context import Context, Deps, fill
from bot.kernel.i18n import Translations
from bot.kernel.messages import Inbound, InboundKind, Message, Outbound, Turn
from bot.kernel.registry import Registry

log = logging.getLogger("bot.dialogue")

__all__ = ["COMMANDS", "COMMANDS_HEAD", "COMMANDS_TAIL", "Dialogue"]


@dataclass
class _Trace:
    """What the log line of an update tells: internal ids and kinds only, never content."""

    participant_id: int | None = None
    event: str = "-"
    language: str | None = None
    person: Participant | None = None
    owed: list[Claimed] = field(default_factory=list)  # rows to send once committed
    released: int = 0  # messages that waited for the person (Messenger's window)


class Dialogue:
    """Routes each Inbound to onboarding, lessons or commands and renders the replies."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        content: ContentStore,
        translations: Translations,
        clock: Clock,
        zone: ZoneInfo,
        *,
        registry: Registry | None = None,
        deps: Deps | None = None,
        flood: FloodGuard | None = None,
        outbox: OutboxSender | None = None,
    ) -> None:
        self._sessions = sessions
        self._content = content
        self._translations = translations
        self._clock = clock
        self._zone = zone
        self.registry = registry if registry is not None else build_registry()
        self._router = TurnRouter(self.registry)
        self.deps = deps or Deps(content=content, clock=clock, sessions=sessions)
        self._flood = flood
        # The one road out: replies are outbox rows, sent by this sender after the commit.
        self.outbox = outbox or OutboxSender(sessions, clock)
        self.replies = ReplyRoad(self.outbox, sessions, translations)
        # Slow work outside the turn: the runner also answers the features' tasks_of(deps).
        self.tasks = TaskRunner(sessions, clock, translations, zone, self.deps, self.outbox)
        for kind, task in self.registry.tasks.items():
            self.tasks.register(kind, task)
        self.deps.tasks = self.tasks

    def menu_commands(self) -> list[tuple[str, str]]:
        """(name, description) of the commands every participant may use, for the platform menu."""
        extra = [
            (spec.name, spec.description)
            for spec in self.registry.commands.values()
            if spec.menu and not spec.roles
        ]
        return [*COMMANDS_HEAD, *extra, *COMMANDS_TAIL]

    # --- the turn: flood check, one transaction with its replies, sending after the commit --

    async def handle(self, inbound: Inbound) -> Turn:
        """Handle one event in one transaction that also writes its replies to the outbox,
        then send them at once. A failure rolls back and still gets a reply."""
        started = time.perf_counter()
        trace = _Trace(event=_event_name(inbound, self.registry))
        flooded = self._flooded(inbound)
        if flooded is not None:
            log.info(
                "update channel=%s update=%s event=%s outcome=flood replies=%d",
                inbound.channel,
                inbound.update_id,
                trace.event,
                len(flooded.replies),
            )
            if flooded.replies:
                await self.outbox.send_once(inbound.channel, inbound.user_id, flooded.replies)
            return flooded
        try:
            turn = await self._transaction(inbound, trace)
            if turn.unstored:
                await self.replies.send_unstored(inbound, turn.replies)
        except Exception:
            log.exception(
                "update failed channel=%s update=%s participant=%s event=%s",
                inbound.channel,
                inbound.update_id,
                trace.participant_id,
                trace.event,
            )
            turn = Turn(await self.replies.apologise(inbound, trace.language), ok=False)
        if trace.owed:
            try:  # sent now; what cannot go now, the outbox's loop sends later
                await self.outbox.send_claimed(trace.owed)
            except Exception:
                log.exception("reply send failed participant=%s", trace.participant_id)
        if self._flood is not None:
            self._flood.remember_language(inbound.channel, inbound.user_id, trace.language)
        log.info(
            "update channel=%s update=%s participant=%s event=%s outcome=%s replies=%d ms=%.1f",
            inbound.channel,
            inbound.update_id,
            trace.participant_id,
            trace.event,
            "duplicate" if turn.duplicate else ("ok" if turn.ok else "error"),
            len(turn.replies),
            (time.perf_counter() - started) * 1000,
        )
        return turn

    async def _transaction(self, inbound: Inbound, trace: _Trace) -> Turn:
        """The turn's one transaction: the update's ledger entry, the changes, the replies."""
        async with self._sessions() as session, session.begin():
            now = self._clock.now()
            if inbound.update_id is not None and not await participants.claim_update(
                session, inbound.channel, inbound.update_id, now
            ):
                # Delivered again: send whatever of its replies is still unsent (flush).
                person = await participants.find_participant(
                    session, inbound.channel, inbound.user_id
                )
                trace.participant_id = person.id if person is not None else None
                if person is not None:
                    trace.owed = await self.replies.owed_again(session, inbound, person.id)
                return Turn(duplicate=True)
            replies = acknowledged_first(inbound, await self._route(session, inbound, trace))
            if trace.person is not None and trace.person not in session:
                # The person became someone else in this turn (/link joined two accounts).
                joined = await participants.find_participant(
                    session, inbound.channel, inbound.user_id
                )
                trace.participant_id = joined.id if joined is not None else None
                if joined is None:  # erased (/deleteme): the goodbye keeps no row of them
                    return Turn(replies, unstored=True)
            if trace.participant_id is not None:
                trace.owed = await self.replies.write(
                    session, inbound, trace.participant_id, replies, now, released=trace.released
                )
            return Turn(replies)

    def _flooded(self, inbound: Inbound) -> Turn | None:
        """A Turn when flood control stops this update, else None."""
        if self._flood is None:
            return None
        verdict = self._flood.check(inbound.channel, inbound.user_id, self._clock.now())
        if verdict is Verdict.HANDLE:
            return None
        if verdict is Verdict.DROP:
            return Turn()
        tr = self._translations.get(self._flood.language(inbound.channel, inbound.user_id))
        minutes = max(1, round(self._flood.pause.total_seconds() / 60))
        text = tr.ngettext(
            "You are writing very fast 🙂 I will take a short break and answer again "
            "in {count} minute.",
            "You are writing very fast 🙂 I will take a short break and answer again "
            "in {count} minutes.",
            minutes,
        )
        return Turn([Message(fill(text, count=minutes))])

    # --- the update's person and context; TurnRouter (routing.py) finds the replies ----------

    async def _route(
        self, session: AsyncSession, inbound: Inbound, trace: _Trace
    ) -> list[Outbound]:
        """Find (or register) who wrote, note that they wrote, build the turn's Context, route."""
        now = self._clock.now()
        command = parse_command(inbound.text) if inbound.kind is InboundKind.TEXT else None
        person = await participants.find_for_turn(
            session, inbound.channel, inbound.user_id, self.deps.content.index.course.id
        )
        if person is None:
            language = self._translations.for_device(inbound.language_code)
            person = await participants.register(
                session, inbound.channel, inbound.user_id, language, now, writing=True
            )
        trace.participant_id, trace.language, trace.person = person.id, person.language, person
        if not window.is_fresh(person.last_seen_at, now):  # a write only when it tells more
            person.last_seen_at = now
        released = await window.note_inbound(
            session, person.id, inbound.channel, inbound.user_id, now
        )
        trace.released = released
        ctx = Context(
            session,
            person,
            self._translations,
            now,
            self._zone,
            self.deps.content.index,  # read per update: /reload_content swaps it
            inbound,
            self.deps,
            await roles.roles_of(session, self.deps, person, inbound.channel, inbound.user_id),
        )

        if released and person.onboarded_at is not None and command is None:
            # Messages waited for this person (Messenger's window): they are the answer, sent
            # now in order; what was written is not taken as an answer to a question the
            # person has not seen yet.
            if inbound.kind is not InboundKind.BUTTON:
                return []
        replies = await self._router.route(ctx, command)
        trace.language = person.language
        return replies


def _event_name(inbound: Inbound, registry: Registry) -> str:
    if inbound.kind is InboundKind.BUTTON:
        return "button:" + inbound.payload.split(":", 1)[0][:12]
    if inbound.kind is InboundKind.TEXT:
        command = parse_command(inbound.text)
        if command is not None:
            known = {name for name, _ in COMMANDS}
            known |= set(registry.commands)
            return "command:" + (command.name if command.name in known else "unknown")
        return "text"
    return "other"
