"""What a handler gets: the Context of one update (person, session, language, course) and the
Deps shared across updates; and the one place where text for the screen is put together
(user values are escaped here)."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import ContentStore, CourseIndex
from bot.db.models import Participant
from bot.kernel.clock import Clock
from bot.kernel.coach import IdeaCoach, build_coach
from bot.kernel.i18n import Translations, Translator
from bot.kernel.messages import Button, Inbound


class Tasks(Protocol):
    """How a turn asks for slow work: record it in the turn; it starts after the commit."""

    async def submit(self, ctx: Context, kind: str, params: dict[str, Any]) -> int: ...

    async def busy(self, session: AsyncSession, participant_id: int, kind: str) -> bool: ...


@dataclass
class Deps:
    """What the dialogue's handlers share across updates."""

    content: ContentStore
    clock: Clock
    sessions: async_sessionmaker[AsyncSession] | None = None
    # Telegram user ids with the admin role (ADMIN_TELEGRAM_IDS).
    admin_telegram_ids: frozenset[int] = frozenset()
    # Terminal users with the admin role (`python -m bot chat --admin`).
    console_admins: frozenset[str] = field(default_factory=frozenset)
    # The Telegram bot's username, for invite links t.me/<username>?start=CODE: BOT_USERNAME,
    # else filled from getMe when the bot starts on Telegram; empty: links show /start CODE.
    bot_username: str = ""
    # How long a /link code works (LINK_CODE_MINUTES).
    link_code_ttl: timedelta = timedelta(minutes=30)
    # The course dashboard's public address (no trailing slash; https:// gives /dashboard a
    # Telegram Mini App button) and how long its one-time sign-in links work (issue 17).
    dashboard_url: str = ""
    dashboard_link_ttl: timedelta = timedelta(minutes=10)
    # The improvement-idea coach (issue 6): its catalogue, page fetcher and background checks;
    # built on first use with the safe default policy when not given.
    ideas: IdeaCoach | None = None
    # Slow work outside the turn (exports, charts, content reload, web audits): set up by the
    # Dialogue with the feature registry's task handlers.
    tasks: Tasks | None = None
    # The web app's public address (PUBLIC_BASE_URL, else WEBHOOK_BASE_URL): certificates'
    # QR codes open <it>/verify/<code>; empty: the PDF shows the code to type into /verify.
    public_base_url: str = ""


def coach_of(deps: Deps) -> IdeaCoach:
    """The coach in service (built on first use with the safe default policy)."""
    if deps.ideas is None:
        deps.ideas = build_coach(deps.content)
    return deps.ideas


def fill(template: str, **values: object) -> str:
    """Put values into a (translated, HTML) template, escaping each value for HTML."""
    return template.format(**{key: html.escape(str(value)) for key, value in values.items()})


def escape(text: str) -> str:
    """Escape plain text (content prompts, option labels) for HTML."""
    return html.escape(text)


def rows(*buttons: Button) -> tuple[tuple[Button, ...], ...]:
    """One button per row: easiest to tap on a phone."""
    return tuple((button,) for button in buttons)


def grid(buttons: Iterable[Button], per_row: int) -> tuple[tuple[Button, ...], ...]:
    """Buttons in rows of `per_row`."""
    items = list(buttons)
    return tuple(tuple(items[i : i + per_row]) for i in range(0, len(items), per_row))


@dataclass
class Context:
    """What a handler needs for one update: the session, the person, their language, now."""

    session: AsyncSession
    participant: Participant
    translations: Translations
    now: datetime
    zone: ZoneInfo
    index: CourseIndex
    inbound: Inbound
    deps: Deps
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        """Whether the person holds one of `roles` (an admin holds every role)."""
        return "admin" in self.roles or any(role in self.roles for role in roles)

    @property
    def tr(self) -> Translator:
        """The participant's language (it may change during the update)."""
        return self.translations.get(self.participant.language)

    def _(self, message: str) -> str:
        """Translate into the participant's language."""
        return self.tr.gettext(message)

    def local(self, text: dict[str, str]) -> str:
        """Pick the participant's language from a content text."""
        return text.get(self.tr.language) or text["lt"]


def menu_buttons(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    """The way on from anywhere: next lesson and progress."""
    return rows(
        Button(ctx._("▶️ Next lesson"), "cmd:next"),
        Button(ctx._("📊 My progress"), "cmd:progress"),
    )
