"""What the trainer and coordinator tools share: paging, labels, stale buttons, the audit."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from bot.db import audit_log as audit
from bot.domain.profile import Municipality
from bot.kernel.context import Context
from bot.kernel.i18n import N_
from bot.kernel.labels import MUNICIPALITY_NAMES
from bot.kernel.messages import Button, EditSource, Notice, Outbound
from bot.kernel.registry import ADMIN, COORDINATOR, PARTICIPANT, TRAINER

T = TypeVar("T")
PAGE_SIZE = 8

ROLE_LABELS = {
    PARTICIPANT: N_("participant"),
    TRAINER: N_("trainer"),
    COORDINATOR: N_("coordinator"),
    ADMIN: N_("admin"),
}


def page_of(items: Sequence[T], page: int, size: int = PAGE_SIZE) -> tuple[list[T], int, int]:
    """The items of page `page` (clamped), the page number and the number of pages."""
    pages = max(1, -(-len(items) // size))
    page = max(0, min(page, pages - 1))
    return list(items[page * size : (page + 1) * size]), page, pages


def pager(ctx: Context, prefix: str, page: int, pages: int) -> tuple[Button, ...]:
    """◀️ and ▶️ buttons around the page number; empty when everything fits on one page."""
    if pages <= 1:
        return ()
    buttons = []
    if page > 0:
        buttons.append(Button("◀️", f"{prefix}:{page - 1}"))
    buttons.append(Button(f"{page + 1}/{pages}", f"{prefix}:{page}"))
    if page < pages - 1:
        buttons.append(Button("▶️", f"{prefix}:{page + 1}"))
    return tuple(buttons)


def stale(ctx: Context) -> list[Outbound]:
    """The reply to a button that no longer means anything (the router's own wording)."""
    return [Notice(ctx._("This button is no longer active.")), EditSource()]


def number(text: str) -> int | None:
    """A participant's short id typed as 12 or #12."""
    text = text.strip().removeprefix("#")
    return int(text) if text.isdigit() and len(text) < 10 else None


def role_label(ctx: Context, role: str) -> str:
    """An access role's name in the reader's language."""
    return ctx._(ROLE_LABELS.get(role, role))


def municipality_label(ctx: Context, code: str | None) -> str:
    """A municipality's name in the reader's language."""
    return ctx._(MUNICIPALITY_NAMES.get(code or "", MUNICIPALITY_NAMES[Municipality.OTHER]))


def fold(text: str) -> str:
    """Lower case without diacritics: "Molėtų" -> "moletu"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def find_municipality(ctx: Context, text: str) -> str | None:
    """A municipality by its name in any language, with or without diacritics, any case;
    a unique beginning of at least three letters will do ("Mol", "ANYKSČ"), and so will
    another case of the name ("Zarasų", "Utenos": the stem without its ending)."""
    typed = fold(text)
    if not typed:
        return None
    names: dict[str, set[str]] = {}
    for code, label in MUNICIPALITY_NAMES.items():
        names[code] = {fold(code), fold(label), *(fold(tr) for tr in _all_languages(ctx, label))}
    exact = [code for code, forms in names.items() if typed in forms]
    if exact:
        return exact[0]
    if len(typed) < 3:
        return None
    prefix = {
        code
        for code, forms in names.items()
        for form in forms
        if form.startswith(typed) or (len(form) > 4 and typed.startswith(form[:-2]))
    }
    return prefix.pop() if len(prefix) == 1 else None


def _all_languages(ctx: Context, label: str) -> list[str]:
    return [
        ctx.translations.get(language).gettext(label) for language in ctx.translations.languages
    ]


def ago(ctx: Context, moment: datetime) -> str:
    """ "today", "yesterday" or "N days ago", by the course's calendar."""
    days = (ctx.now.astimezone(ctx.zone).date() - moment.astimezone(ctx.zone).date()).days
    if days <= 0:
        return ctx._("today")
    if days == 1:
        return ctx._("yesterday")
    return ctx.tr.ngettext("{n} day ago", "{n} days ago", days).format(n=days)


async def record(ctx: Context, action: str, target: str | None = None, **details: Any) -> None:
    """Record a privileged action by the person of this update in the audit log."""
    await audit.record(
        ctx.session, ctx.participant.id, action, ctx.now, target=target, details=details
    )
