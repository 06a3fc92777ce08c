"""The one place where text for the screen is put together: user values are escaped here."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.loader import CourseIndex
from bot.db.models import Participant
from bot.kernel.deps import Deps
from bot.kernel.i18n import Translations, Translator
from bot.kernel.messages import Button, Inbound


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
