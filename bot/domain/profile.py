"""Rules for what a participant may answer during onboarding: pure, no I/O."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import time
from enum import StrEnum


class Municipality(StrEnum):
    """The six municipalities of the Utena region taking part, and "other"."""

    ANYKSCIAI = "anyksciai"
    IGNALINA = "ignalina"
    MOLETAI = "moletai"
    UTENA = "utena"
    VISAGINAS = "visaginas"
    ZARASAI = "zarasai"
    OTHER = "other"


def N_(message: str) -> str:
    """Mark a label for translation (translated where it is shown; see bot.kernel.i18n)."""
    return message


MUNICIPALITY_LABELS: dict[Municipality, str] = {
    Municipality.ANYKSCIAI: N_("Anykščiai"),
    Municipality.IGNALINA: N_("Ignalina"),
    Municipality.MOLETAI: N_("Molėtai"),
    Municipality.UTENA: N_("Utena"),
    Municipality.VISAGINAS: N_("Visaginas"),
    Municipality.ZARASAI: N_("Zarasai"),
    Municipality.OTHER: N_("Other"),
}


class Role(StrEnum):
    """The four kinds of participant the course invites."""

    ORGANISER = "organiser"
    PR = "pr"
    WEB = "web"
    HEAD = "head"


NAME_MAX = 100
INSTITUTION_MAX = 150
PRESET_TIMES = (time(8, 0), time(12, 0), time(17, 0))


class InvalidAnswer(ValueError):
    """An onboarding answer that cannot be accepted; `reason` says why, as a stable code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_INVISIBLE = {"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"}


def clean_text(raw: str) -> str:
    """Drop control and invisible format characters and fold runs of white space."""
    kept = "".join(ch for ch in raw if unicodedata.category(ch) not in _INVISIBLE or ch == " ")
    return " ".join(kept.split())


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_multiline(raw: str) -> str:
    """Free text (answers, reflections, ideas) as typed, minus what must never be stored.

    Keeps line breaks and emoji joiners; drops NUL and other control characters, lone
    surrogates and bidirectional overrides (which can disguise text), then trims."""
    kept = []
    for ch in raw:
        category = unicodedata.category(ch)
        if ch in "\n\t" or (category not in ("Cc", "Cs", "Co", "Cn") and ch not in _BIDI_CONTROLS):
            kept.append(ch)
    lines = "".join(kept).replace("\t", " ").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def validate_name(raw: str) -> str:
    """Accept a person's name: 2–100 characters with at least two letters, not a command."""
    return _validate_words(raw, maximum=NAME_MAX)


def validate_institution(raw: str) -> str:
    """Accept an institution's name: 2–150 characters with at least two letters."""
    return _validate_words(raw, maximum=INSTITUTION_MAX)


def _validate_words(raw: str, *, maximum: int) -> str:
    text = clean_text(raw)
    if text.startswith("/"):
        raise InvalidAnswer("command")
    if sum(ch.isalpha() for ch in text) < 2:
        raise InvalidAnswer("too_short")
    if len(text) > maximum:
        raise InvalidAnswer("too_long")
    return text


_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


def parse_time(raw: str) -> time:
    """Parse a preferred lesson time typed as HH:MM (or H:MM, or with a dot), 24-hour clock."""
    match = _TIME.match(clean_text(raw))
    if not match:
        raise InvalidAnswer("time_format")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise InvalidAnswer("time_range")
    return time(hours, minutes)


def format_time(value: time) -> str:
    """Show a time as HH:MM."""
    return f"{value.hour:02d}:{value.minute:02d}"


@dataclass(frozen=True)
class Command:
    """A slash command with its argument text, e.g. /start CODE."""

    name: str
    args: str


def parse_command(text: str) -> Command | None:
    """Recognise '/name args' (also '/name@botname args'); None for anything else."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, args = stripped.partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
        return None
    return Command(name=name, args=args.strip())
