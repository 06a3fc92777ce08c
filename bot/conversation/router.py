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
from bot.conversation.tasks import TaskRunner
from bot.db import participants
from bot.db.models import DialogueState, Enrollment, Participant
from bot.delivery.claims import Claimed
from bot.delivery.sender import OutboxSender
from bot.domain.profile import Command, parse_command
from bot.features.lessons import learning, quiz
from bot.features.lessons import queries as lessons
from bot.features.linking import codes as identities
from bot.features.onboarding import steps as onboarding
from bot.features.progress import handlers as progress
from bot.kernel import roles
from bot.kernel.clock import Clock
from bot.kernel.context import Context, Deps, fill, menu_buttons, rows
from bot.kernel.i18n import N_, Translations
from bot.kernel.messages import (
    Button,
    EditSource,
    Inbound,
    InboundKind,
    Message,
    Notice,
    Outbound,
    Turn,
)
from bot.kernel.registry import Registry, allowed

log = logging.getLogger("bot.dialogue")

# The core's commands; features add theirs through the Registry (bot/conversation/features.py).
# /help lists the head, then the features' commands, then the tail.
COMMANDS_HEAD: tuple[tuple[str, str], ...] = (
    ("next", N_("get the next lesson now")),
    ("progress", N_("see your progress")),
    ("language", N_("change the language")),
)
COMMANDS_TAIL: tuple[tuple[str, str], ...] = (
    ("cancel", N_("stop what you are doing now")),
    ("help", N_("what I can do")),
    ("start", N_("start or continue")),
)
COMMANDS = COMMANDS_HEAD + COMMANDS_TAIL


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

    # --- routing: onboarding, commands, buttons, text flows -----------------------------------

    async def _route(
        self, session: AsyncSession, inbound: Inbound, trace: _Trace
    ) -> list[Outbound]:
        now = self._clock.now()
        command = parse_command(inbound.text) if inbound.kind is InboundKind.TEXT else None
        person = await participants.find_for_turn(
            session, inbound.channel, inbound.user_id, self.deps.content.index.course.id
        )
        if person is None:
            language = self._translations.default_language
            person = await participants.register(
                session, inbound.channel, inbound.user_id, language, now
            )
        trace.participant_id, trace.language, trace.person = person.id, person.language, person
        person.last_seen_at = now
        released = await identities.note_inbound(
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
        if person.onboarded_at is None:
            replies = await self._onboarding(ctx, command)
        elif command is not None:
            replies = await self._command(ctx, command)
        else:
            replies = await self._event(ctx)
        trace.language = person.language
        return replies

    async def _onboarding(self, ctx: Context, command: Command | None) -> list[Outbound]:
        spec = self.registry.commands.get(command.name) if command is not None else None
        if (
            command is not None
            and spec is not None
            and spec.before_onboarding
            and allowed(spec.roles, ctx.roles)
        ):
            return await spec.handler(ctx, command)
        state = await participants.get_state(ctx.session, ctx.participant.id)
        if command is None and state is not None and state.flow in self.registry.flows:
            # A feature's flow begun before onboarding ended (e.g. /deleteme's confirmation).
            return await self._feature_event(ctx, state)
        if state is None or state.flow != onboarding.FLOW:
            state = await participants.set_state(
                ctx.session, ctx.participant.id, onboarding.FLOW, onboarding.STEPS[0], ctx.now
            )
            prefix = await self._join_cohort(ctx, command)
            return prefix + onboarding.ask(ctx, state.step)
        if command is not None:
            if command.name == "start":
                prefix = await self._join_cohort(ctx, command)
                return [*prefix, onboarding.resume_text(ctx), *onboarding.ask(ctx, state.step)]
            if command.name == "help":
                return [self._help(ctx, menu=False), *onboarding.ask(ctx, state.step)]
            note = ctx._("Let's finish getting to know each other first.")
            return [Message(note), *onboarding.ask(ctx, state.step)]
        replies = await onboarding.answer(ctx, state.step)
        if ctx.participant.onboarded_at is None:
            return replies
        enrollment = await self._enrollment(ctx)
        first = await learning.next_lesson(ctx, enrollment)
        return [*replies, onboarding.done_text(ctx), *first]

    async def _join_cohort(self, ctx: Context, command: Command | None) -> list[Outbound]:
        if command is None or command.name != "start" or not command.args:
            return []
        cohort = await participants.find_cohort(ctx.session, command.args.split()[0])
        if cohort is None:
            return [
                Message(
                    ctx._(
                        "I could not find this invitation code, but no worries: "
                        "let's start anyway. The trainer can add you to your group later."
                    )
                )
            ]
        if ctx.participant.cohort_id not in (None, cohort.id):
            return []
        ctx.participant.cohort_id = cohort.id
        return [Message(fill(ctx._("You have joined the group “{cohort}”."), cohort=cohort.name))]

    async def _enrollment(self, ctx: Context) -> Enrollment:
        return await participants.ensure_enrollment(
            ctx.session, ctx.participant.id, ctx.index.course.id, ctx.now
        )

    async def _command(self, ctx: Context, command: Command) -> list[Outbound]:
        enrollment = await self._enrollment(ctx)
        if command.name == "start":
            prefix = await self._join_cohort(ctx, command)
            greeting = fill(ctx._("Welcome back, {name}! 👋"), name=ctx.participant.name or "")
            pending = await lessons.open_question(ctx.session, enrollment, ctx.index)
            if pending is not None:
                return [*prefix, Message(greeting), *await learning.resume(ctx, pending)]
            return [*prefix, Message(greeting, menu_buttons(ctx))]
        if command.name == "next":
            return await learning.next_lesson(ctx, enrollment)
        if command.name == "progress":
            return await progress.show_progress(ctx, enrollment)
        if command.name == "help":
            return [self._help(ctx)]
        if command.name == "language":
            return onboarding.ask(ctx, "language")
        if command.name == "cancel":
            return await self._cancel(ctx)
        spec = self.registry.commands.get(command.name)
        if spec is not None and allowed(spec.roles, ctx.roles):
            return await spec.handler(ctx, command)
        unknown = fill(ctx._("I don't know the command /{command}."), command=command.name)
        return [Message(unknown), self._help(ctx)]

    async def _feature_event(self, ctx: Context, state: DialogueState) -> list[Outbound]:
        """A button or text while a feature's flow is under way, before onboarding ended."""
        if ctx.inbound.kind is InboundKind.BUTTON:
            button = self.registry.find_button(ctx.inbound.payload)
            if button is not None and allowed(button.roles, ctx.roles):
                return await button.handler(ctx, ctx.inbound.payload)
            return [Notice(ctx._("This button is no longer active.")), EditSource()]
        return await self.registry.flows[state.flow].handler(ctx, state)

    async def _cancel(self, ctx: Context) -> list[Outbound]:
        state = await participants.get_state(ctx.session, ctx.participant.id)
        if state is None or state.flow not in self.registry.flows:
            return [Message(ctx._("There is nothing to cancel."), menu_buttons(ctx))]
        await participants.clear_state(ctx.session, ctx.participant.id)
        return [Message(ctx._("Cancelled. Nothing was changed."), menu_buttons(ctx))]

    async def _event(self, ctx: Context) -> list[Outbound]:
        inbound = ctx.inbound
        enrollment = await self._enrollment(ctx)
        if inbound.kind is InboundKind.BUTTON:
            return await self._button(ctx, enrollment, inbound.payload)
        state = await participants.get_state(ctx.session, ctx.participant.id)
        flow = self.registry.flows.get(state.flow) if state is not None else None
        if flow is not None and state is not None:
            return await flow.handler(ctx, state)
        if inbound.kind is InboundKind.TEXT:
            replies = await learning.on_text(ctx, enrollment, inbound.text)
            if replies is not None:
                return replies
        pending = await lessons.open_question(ctx.session, enrollment, ctx.index)
        if inbound.kind is InboundKind.OTHER:
            reason = ctx._("I can only read text messages and button presses. 🙂")
        elif pending is not None:
            reason = ctx._("Please choose your answer with one of the buttons.")
        else:
            reason = ctx._(
                "I am a course assistant: I understand commands and buttons. "
                "Here is what you can do now:"
            )
        if pending is not None:
            return [Message(reason), await quiz.show(ctx, pending)]
        return [Message(reason, menu_buttons(ctx))]

    async def _button(self, ctx: Context, enrollment: Enrollment, payload: str) -> list[Outbound]:
        parsed = quiz.parse_payload(payload)
        if parsed is not None:
            return await learning.on_quiz_button(ctx, enrollment, *parsed)
        if payload == "cmd:next":
            return [EditSource(), *await learning.next_lesson(ctx, enrollment)]
        if payload == "cmd:progress":
            return [EditSource(), *await progress.show_progress(ctx, enrollment)]
        if payload == learning.SKIP_REFLECTION:
            return await learning.skip_reflection(ctx)
        if payload.startswith("lang:") and payload[5:] in ctx.translations.languages:
            ctx.participant.language = payload[5:]
            changed = ctx._("Done: I will speak English with you.")
            return [EditSource(), Message(changed, menu_buttons(ctx))]
        spec = self.registry.find_button(payload)
        if spec is not None and allowed(spec.roles, ctx.roles):
            return await spec.handler(ctx, payload)
        return [Notice(ctx._("This button is no longer active.")), EditSource()]

    def _help(self, ctx: Context, *, menu: bool = True) -> Message:
        lines = [ctx._("ℹ️ <b>What I can do</b>")]
        extra = [(spec.name, spec.description) for spec in self.registry.menu(ctx.roles)]
        names = [*COMMANDS_HEAD, *extra, *COMMANDS_TAIL]
        lines += [f"/{name} — {ctx._(description)}" for name, description in names]
        buttons = rows(Button(ctx._("▶️ Next lesson"), "cmd:next")) if menu else ()
        return Message("\n".join(lines), buttons)


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
