"""Routing inside a turn: onboarding, the core commands, buttons and free text to their replies."""

from __future__ import annotations

from bot.db import participants
from bot.db.models import DialogueState, Enrollment
from bot.domain.profile import Command
from bot.features.lessons import learning, quiz
from bot.features.lessons import queries as lessons
from bot.features.onboarding import steps as onboarding
from bot.features.progress import handlers as progress
from bot.kernel.context import Context, fill, menu_buttons, rows
from bot.kernel.i18n import N_
from bot.kernel.messages import Button, EditSource, InboundKind, Message, Notice, Outbound
from bot.kernel.registry import Registry, allowed

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


class TurnRouter:
    """Answers one update of a known person: onboarding first, then commands, buttons, flows."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def route(self, ctx: Context, command: Command | None) -> list[Outbound]:
        """The replies to this update, changing the database in the turn's session."""
        if ctx.participant.onboarded_at is None:
            return await self._onboarding(ctx, command)
        if command is not None:
            return await self._command(ctx, command)
        return await self._event(ctx)

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
