"""Every user-visible string has a Lithuanian translation with the same placeholders."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from bot.kernel.i18n import LOCALES_DIR, Translations, catalogue_files

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _extract(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "_",
            "-k",
            "gettext",
            "-k",
            "ngettext:1,2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def _lithuanian() -> list:
    messages = []
    for path in catalogue_files(LOCALES_DIR, "lt"):
        with path.open("rb") as handle:
            messages.extend(read_po(handle))
    return messages


def test_every_message_in_the_code_is_translated_to_lithuanian(tmp_path: Path) -> None:
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in _lithuanian()
        if m.id
        and m.string
        and all(m.string if isinstance(m.string, tuple) else [m.string])
        and not m.fuzzy
    }
    missing = _extract(tmp_path) - translated
    assert not missing, f"untranslated in lt: {sorted(missing)}"


def test_translations_use_only_placeholders_of_the_original() -> None:
    for message in _lithuanian():
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        allowed = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) <= allowed, message.id


def test_lithuanian_plurals_follow_the_three_forms() -> None:
    lt = Translations("lt").get("lt")
    forms = [
        lt.ngettext("Streak: {count} day in a row", "Streak: {count} days in a row", n)
        for n in (1, 3, 10, 21)
    ]
    assert [f.split()[-3] for f in forms] == ["dieną", "dienas", "dienų", "dieną"]


def test_unknown_language_falls_back_to_lithuanian() -> None:
    translations = Translations("lt")
    assert translations.get("de").language == "lt"
    assert translations.get("en").gettext("⬅️ Back") == "⬅️ Back"
    assert translations.get("lt").gettext("⬅️ Back") == "⬅️ Atgal"


def test_no_translation_hides_inside_an_f_string() -> None:
    hidden = re.compile(r"""f["'][^"']*\{\s*(ctx\.)?_\(\s*["']""")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "bot").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if hidden.search(line)
    ]
    assert not offenders, f"the extractor cannot see these: {offenders}"
