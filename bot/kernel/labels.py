"""The names of profile values as people read them: languages, roles, municipalities."""

from __future__ import annotations

from bot.domain.profile import MUNICIPALITY_LABELS, Role
from bot.kernel.i18n import N_, Translator

# How a participant says it of themselves (onboarding, /mydata).
ROLE_LABELS: dict[Role, str] = {
    Role.ORGANISER: N_("I organise cultural activities"),
    Role.PR: N_("I do public relations"),
    Role.WEB: N_("I run the website and social media profiles"),
    Role.HEAD: N_("I head an institution or branch"),
}
LANGUAGE_LABELS = {"lt": "🇱🇹 Lietuviškai", "en": "🇬🇧 English"}

# How a report names them (exports, statistics, broadcasts' audiences).
MUNICIPALITY_NAMES: dict[str, str] = {
    str(code): label for code, label in MUNICIPALITY_LABELS.items()
}
ROLE_NAMES: dict[str, str] = {
    Role.ORGANISER: N_("Organiser of cultural activities"),
    Role.PR: N_("Public relations"),
    Role.WEB: N_("Website and social media"),
    Role.HEAD: N_("Head of an institution or branch"),
}


def municipality_name(tr: Translator, code: str | None) -> str:
    """A municipality's name in the reader's language."""
    return tr.gettext(MUNICIPALITY_NAMES.get(code or "", MUNICIPALITY_NAMES["other"]))


def role_name(tr: Translator, code: str | None) -> str:
    """A participant role's name in the reader's language (empty if unknown)."""
    return tr.gettext(ROLE_NAMES[code]) if code in ROLE_NAMES else ""
