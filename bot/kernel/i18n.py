"""Gettext catalogues (Babel .po files) for Lithuanian (default) and English.

Each language directory may hold several catalogues, one per feature (messages.po for the
core, schedule.po, admin.po, ...): they are merged at start, the core's first."""

from __future__ import annotations

import gettext
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent.parent / "locales"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; it is translated where it is shown."""
    return message


class Translator:
    """Translate messages into one language; English message ids are the fallback."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._translations = translations

    def gettext(self, message: str) -> str:
        """Translate one message."""
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """Translate a message whose form depends on a count (Lithuanian has three)."""
        return self._translations.ngettext(singular, plural, count)


def _compile(po_paths: list[Path]) -> gettext.GNUTranslations:
    catalog = None
    for po_path in po_paths:
        with po_path.open("rb") as handle:
            part = read_po(handle)
        if catalog is None:
            catalog = part
            continue
        for message in part:
            if message.id and message.id not in catalog:
                catalog[message.id] = message
    if catalog is None:
        raise FileNotFoundError("no .po catalogue to compile")
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def catalogue_files(directory: Path, language: str) -> list[Path]:
    """A language's .po files, the core catalogue first."""
    files = sorted((directory / language / "LC_MESSAGES").glob("*.po"))
    return sorted(files, key=lambda path: (path.stem != DOMAIN, path.name))


class Translations:
    """Every language's Translator, read once at start from the .po catalogues."""

    def __init__(self, default_language: str, directory: Path = LOCALES_DIR) -> None:
        self.default_language = default_language
        self._by_language: dict[str, Translator] = {}
        for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            language = po_path.parent.parent.name
            files = catalogue_files(directory, language)
            self._by_language[language] = Translator(language, _compile(files))
        if default_language not in self._by_language:
            raise FileNotFoundError(f"no catalogue for the default language {default_language!r}")

    def for_device(self, language_code: str | None) -> str:
        """The language to greet a newcomer in: their device's (Telegram's `language_code`,
        e.g. "en-GB") when there is a catalogue for it, else the default."""
        base = (language_code or "").split("-")[0].split("_")[0].lower()
        return base if base in self._by_language else self.default_language

    @property
    def languages(self) -> list[str]:
        """Languages with a catalogue."""
        return sorted(self._by_language)

    def get(self, language: str | None) -> Translator:
        """The Translator for a language, or the default language's."""
        return self._by_language.get(language or "", self._by_language[self.default_language])
