"""Telegram's HTML parse mode as a content author meets it: what it would refuse, and why.

Telegram refuses a message whose HTML has an unknown tag, a bare ``<``, or tags that do not
nest; it shows an unknown entity such as ``&nbsp;`` as typed, which is never what the author
meant, so that is reported too. Problems carry the character offset in the text, so the
checker can point at the exact line of a YAML block.
"""

from __future__ import annotations

import html
import html.entities
import re
from dataclasses import dataclass

TAGS: tuple[str, ...] = (
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "a", "code", "pre", "blockquote", "tg-emoji",
)  # fmt: skip
"""The tags Telegram's HTML parse mode accepts."""

TELEGRAM_ENTITIES = ("lt", "gt", "amp", "quot")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>")
_ATTRIBUTE = re.compile(r"""\s*([A-Za-z-]+)\s*(?:=\s*("[^"]*"|'[^']*'|[A-Za-z0-9.-]+))?""")
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);?")
_LISTED = ", ".join(TAGS)


@dataclass(frozen=True)
class HtmlProblem:
    """Something Telegram would refuse (or show wrongly), at a character offset."""

    offset: int
    message: str


def _attributes(text: str) -> dict[str, str] | None:
    found: dict[str, str] = {}
    position = 0
    while position < len(text) and text[position:].strip():
        match = _ATTRIBUTE.match(text, position)
        if match is None or match.end() == position:
            return None
        value = match.group(2) or ""
        found[match.group(1).lower()] = html.unescape(value.strip("\"'"))
        position = match.end()
    return found


def _start_tag_problem(name: str, raw: str) -> str | None:
    attributes = _attributes(raw)
    if attributes is None:
        return f'cannot read the attributes of <{name}>: quote each value, e.g. href="..."'
    if name == "a" and not attributes.get("href"):
        return '<a> needs an address: <a href="https://...">'
    if name == "span" and attributes.get("class") != "tg-spoiler":
        return '<span> is only allowed as <span class="tg-spoiler">'
    if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
        return '<tg-emoji> needs a numeric emoji-id="..."'
    return None


def _entity_problem(match: re.Match[str]) -> str | None:
    body = match.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return f"invalid character reference {match.group(0)}"
        return None
    if body in TELEGRAM_ENTITIES:
        return None
    if not match.group(0).endswith(";") and f"{body};" not in html.entities.html5:
        return None  # "AT&T": an ampersand Telegram keeps as typed, as the author meant
    return (
        f"unknown entity {match.group(0)}: Telegram shows it as typed; "
        "write the character itself (or &amp; for &)"
    )


def html_problems(text: str) -> list[HtmlProblem]:
    """Every problem Telegram would have with this HTML, in order of appearance."""
    problems: list[HtmlProblem] = []
    opened: list[tuple[str, int]] = []
    unsupported: set[str] = set()
    position = 0
    while True:
        lt = text.find("<", position)
        segment_end = len(text) if lt < 0 else lt
        for entity in _ENTITY.finditer(text, position, segment_end):
            message = _entity_problem(entity)
            if message is not None:
                problems.append(HtmlProblem(entity.start(), message))
        if lt < 0:
            break
        match = _TAG.match(text, lt)
        if match is None:
            problems.append(
                HtmlProblem(lt, "a bare '<' is read as a tag by Telegram: write &lt; instead")
            )
            position = lt + 1
            continue
        closing, name, raw = match.group(1) == "/", match.group(2).lower(), match.group(3)
        position = match.end()
        if name not in TAGS:
            if not closing or name not in unsupported:
                problems.append(
                    HtmlProblem(lt, f"Telegram does not support the tag <{name}>; use {_LISTED}")
                )
            unsupported.add(name)
            continue
        if not closing:
            problem = _start_tag_problem(name, raw)
            if problem is not None:
                problems.append(HtmlProblem(lt, problem))
            opened.append((name, lt))
        elif not opened:
            problems.append(HtmlProblem(lt, f"</{name}> closes a tag that was never opened"))
        elif opened[-1][0] != name:
            problems.append(
                HtmlProblem(
                    lt, f"</{name}> does not match the open <{opened[-1][0]}>: tags must nest"
                )
            )
            if any(tag == name for tag, _ in opened):
                while opened and opened.pop()[0] != name:
                    pass
            else:
                opened.pop()  # taken as a mistyped end of the innermost tag
        else:
            opened.pop()
    problems.extend(HtmlProblem(start, f"<{name}> is never closed") for name, start in opened)
    return problems


def visible_text(text: str) -> str:
    """The text a reader sees: tags removed, Telegram's entities decoded."""
    stripped = _TAG.sub("", text)
    return _ENTITY.sub(
        lambda m: html.unescape(m.group(0)) if _entity_problem(m) is None else m.group(0),
        stripped,
    )


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits."""
    return len(text.encode("utf-16-le")) // 2


def has_markup(text: str) -> bool:
    """Whether plain text holds something that looks like a Telegram tag."""
    return any(m.group(2).lower() in TAGS for m in _TAG.finditer(text))
