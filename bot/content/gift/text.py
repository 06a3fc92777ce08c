"""GIFT texts to the course's plain text and back: the four formats, Moodle's multilang spans."""

from __future__ import annotations

import html
import re

from bot.content.gift.parse import Text
from bot.content.models import LANGUAGES

_MULTILANG = re.compile(
    r"<span\b(?=[^>]*\bclass=\"multilang\")[^>]*\blang=\"([A-Za-z_-]+)\"[^>]*>(.*?)</span>",
    re.IGNORECASE | re.DOTALL,
)
_LINK = re.compile(r"<a\b[^>]*\bhref=\"([^\"]*)\"[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EM = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_MD_CODE = re.compile(r"`([^`]+)`")
_MD_LIST = re.compile(r"^\s*[-*+]\s+", re.MULTILINE)
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+", re.MULTILINE)


def _link(match: re.Match[str]) -> str:
    url, label = match.group(1), match.group(2)
    return label if label.strip() in ("", url) else f"{label} ({url})"


def _from_html(value: str, *, keep_newlines: bool) -> str:
    if not keep_newlines:
        value = re.sub(r"[ \t]*\n\s*", " ", value)
    value = re.sub(r"<br\s*/?>", "\n", value, flags=re.IGNORECASE)
    value = re.sub(r"</p\s*>\s*", "\n\n", value, flags=re.IGNORECASE)
    value = re.sub(r"<li\b[^>]*>", "\n• ", value, flags=re.IGNORECASE)
    value = re.sub(r"</(?:ul|ol|div|h[1-6])\s*>", "\n", value, flags=re.IGNORECASE)
    value = _TAG.sub("", _LINK.sub(_link, value))
    return html.unescape(value)


def _from_markdown(value: str) -> str:
    value = _MD_LINK.sub(lambda m: _link_md(m.group(1), m.group(2)), value)
    value = _MD_CODE.sub(r"\1", _MD_EM.sub(r"\2", _MD_STRONG.sub(r"\2", value)))
    value = _MD_HEADING.sub("", _MD_LIST.sub("• ", value))
    return _from_html(value, keep_newlines=True) if _TAG.search(value) else value


def _link_md(label: str, url: str) -> str:
    return label if label.strip() == url else f"{label} ({url})"


def plain(value: str, fmt: str) -> str:
    """The text in the course's plain text: tags and Markdown marks become what they show."""
    if fmt == "html":
        value = _from_html(value, keep_newlines=False)
    elif fmt == "moodle":
        value = _from_html(value, keep_newlines=True) if _TAG.search(value) else value
    elif fmt == "markdown":
        value = _from_markdown(value)
    lines = [line.strip() for line in value.replace("\xa0", " ").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def localized(text: Text, language: str) -> tuple[dict[str, str], list[str]]:
    """The text in each course language, and the languages copied from another.

    Moodle's multilang spans (<span lang="lt" class="multilang">) give each language its own
    text; a text without them is in `language`, and copied into the others to be translated."""
    found: dict[str, str] = {}
    for match in _MULTILANG.finditer(text.raw):
        code = match.group(1).lower().replace("-", "_").split("_")[0]
        found.setdefault(code, "")
    texts: dict[str, str] = {}
    if found:
        for code in found:

            def keep(match: re.Match[str], code: str = code) -> str:
                mine = match.group(1).lower().replace("-", "_").split("_")[0] == code
                return match.group(2) if mine else ""

            texts[code] = plain(_MULTILANG.sub(keep, text.raw), text.format)
    else:
        texts[language] = plain(text.raw, text.format)
    given = [lang for lang in LANGUAGES if texts.get(lang)]
    source = texts.get(language) or next((texts[lang] for lang in given), "")
    result = {lang: texts.get(lang) or source for lang in LANGUAGES}
    return result, [lang for lang in LANGUAGES if lang not in given]


def escape(value: str) -> str:
    """A text as GIFT writes it: a backslash before ~ = # { } : and the backslash itself."""
    value = value.replace("\\", "\\\\")
    for char in "~=#{}:":
        value = value.replace(char, "\\" + char)
    return value.replace("\n", "\\n")


def multilang(texts: dict[str, str]) -> str:
    """A translated text as HTML with one multilang span per language, escaped for GIFT."""
    spans = "".join(
        f'<span lang="{lang}" class="multilang">'
        + html.escape(texts[lang], quote=False).replace("\n", "<br>")
        + "</span>"
        for lang in LANGUAGES
    )
    return escape(spans)
