"""Where features plug into the dialogue: commands, button payload prefixes and text flows.

The core (onboarding, lessons, quizzes, /help) lives in the router; every other feature
(schedule settings, trainer tools, the idea coach, privacy, ...) registers its handlers here
from its own module, so no feature edits another's code. The router checks roles before a
handler runs: a user without the role gets the same reply as for an unknown command, and a
privileged button pressed without the role is treated as stale.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.db.models import DialogueState
    from bot.domain.profile import Command
    from bot.kernel.context import Context
    from bot.kernel.messages import Outbound
    from bot.kernel.tasks import TaskJob

PARTICIPANT = "participant"
TRAINER = "trainer"
COORDINATOR = "coordinator"
ADMIN = "admin"
ROLES = (PARTICIPANT, TRAINER, COORDINATOR, ADMIN)

Replies = list["Outbound"]
CommandHandler = Callable[["Context", "Command"], Awaitable[Replies]]
ButtonHandler = Callable[["Context", str], Awaitable[Replies]]
FlowHandler = Callable[["Context", "DialogueState"], Awaitable[Replies]]
TaskHandler = Callable[["TaskJob"], Awaitable[Replies]]


def allowed(required: frozenset[str], roles: frozenset[str]) -> bool:
    """Whether someone holding `roles` may use a handler that requires one of `required`.

    No requirement means every onboarded participant; an admin may use everything."""
    return not required or ADMIN in roles or bool(required & roles)


@dataclass(frozen=True)
class CommandSpec:
    """A /command: its name, its one-line description (marked with N_), who may use it."""

    name: str
    description: str
    handler: CommandHandler
    roles: frozenset[str] = frozenset()
    menu: bool = True  # listed in /help (and, without roles, in the platform's menu)
    # Also answered before onboarding is finished (e.g. /link from a brand-new account).
    before_onboarding: bool = False


@dataclass(frozen=True)
class ButtonSpec:
    """Buttons whose payload starts with `prefix` followed by ':' (or is exactly `prefix`)."""

    prefix: str
    handler: ButtonHandler
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FlowSpec:
    """Free text (and stickers, photos, ...) while the participant's dialogue state is `name`."""

    name: str
    handler: FlowHandler


@dataclass
class Registry:
    """Every feature's commands, buttons and flows."""

    commands: dict[str, CommandSpec] = field(default_factory=dict)
    buttons: dict[str, ButtonSpec] = field(default_factory=dict)
    flows: dict[str, FlowSpec] = field(default_factory=dict)
    # Slow work a feature runs outside the turn (bot/conversation/tasks.py), by kind.
    tasks: dict[str, TaskHandler] = field(default_factory=dict)

    def command(
        self,
        name: str,
        description: str,
        *,
        roles: Iterable[str] = (),
        menu: bool = True,
        before_onboarding: bool = False,
    ) -> Callable[[CommandHandler], CommandHandler]:
        """Register a /command handler (decorator)."""

        def register(handler: CommandHandler) -> CommandHandler:
            if name in self.commands:
                raise ValueError(f"command /{name} is registered twice")
            self.commands[name] = CommandSpec(
                name, description, handler, frozenset(roles), menu, before_onboarding
            )
            return handler

        return register

    def button(
        self, prefix: str, *, roles: Iterable[str] = ()
    ) -> Callable[[ButtonHandler], ButtonHandler]:
        """Register a handler for button payloads `prefix` or `prefix:...` (decorator)."""

        def register(handler: ButtonHandler) -> ButtonHandler:
            if prefix in self.buttons or ":" in prefix:
                raise ValueError(f"button prefix {prefix!r} is taken or contains ':'")
            self.buttons[prefix] = ButtonSpec(prefix, handler, frozenset(roles))
            return handler

        return register

    def flow(self, name: str) -> Callable[[FlowHandler], FlowHandler]:
        """Register the handler of text typed while the dialogue state's flow is `name`."""

        def register(handler: FlowHandler) -> FlowHandler:
            if name in self.flows:
                raise ValueError(f"flow {name!r} is registered twice")
            self.flows[name] = FlowSpec(name, handler)
            return handler

        return register

    def task(self, kind: str) -> Callable[[TaskHandler], TaskHandler]:
        """Register the handler of tracked tasks of `kind` (decorator)."""

        def register(handler: TaskHandler) -> TaskHandler:
            if kind in self.tasks:
                raise ValueError(f"task kind {kind!r} is registered twice")
            self.tasks[kind] = handler
            return handler

        return register

    def find_button(self, payload: str) -> ButtonSpec | None:
        """The handler of a payload, by its prefix."""
        return self.buttons.get(payload.split(":", 1)[0])

    def menu(self, roles: frozenset[str]) -> list[CommandSpec]:
        """Commands listed in /help for someone holding `roles`."""
        return [spec for spec in self.commands.values() if spec.menu and allowed(spec.roles, roles)]
