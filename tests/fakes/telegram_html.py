"""Telegram's HTML parse mode, read the way TDLib's ``parse_html`` reads it.

:func:`parse_html` turns the HTML a bot sends into the visible text and the ``MessageEntity``
dicts Telegram would store, or raises :class:`HtmlParseError` with the message Telegram puts after
``Bad Request: can't parse entities: ``. Byte offsets count UTF-8 bytes of the sent text, entity
offsets and lengths count UTF-16 code units, as Telegram does.

Like Telegram, only ``&lt;``, ``&gt;``, ``&amp;``, ``&quot;`` and numeric references are decoded
(with or without the ``;``); any other ``&...`` is kept literally, it is not an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_SIMPLE = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler",
}  # fmt: skip

_NAMED = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
# TDLib's is_space also counts NUL: past the end of the text reads as NUL, as in a C string.
_SPACES = frozenset(b" \t\r\n\v\f\0")
_TRIMMED = " \t\r\n\v\f"


class HtmlParseError(ValueError):
    """HTML Telegram refuses; ``str(error)`` is TDLib's message (without the API prefix)."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the visible text
    result_pos: int  # byte position in the visible text


def _is_alpha(c: int) -> bool:
    return 65 <= c <= 90 or 97 <= c <= 122


def _is_digit(c: int) -> bool:
    return 48 <= c <= 57


def _is_hex(c: int) -> bool:
    return _is_digit(c) or 65 <= c <= 70 or 97 <= c <= 102


class _Parser:
    def __init__(self, html: str) -> None:
        self.text = html.encode("utf-8")
        self.result = bytearray()
        self.entities: list[dict[str, Any]] = []
        self.nested: list[_Open] = []
        self.utf16 = 0
        self.surrogate = False

    def at(self, i: int) -> int:
        return self.text[i] if i < len(self.text) else 0

    def decode_entity(self, pos: int) -> tuple[int, int]:
        """(code point or 0, position after the reference) for the '&' at pos."""
        end = pos + 1
        code = 0
        if self.at(pos + 1) == ord("#"):
            end += 1
            if self.at(pos + 2) == ord("x"):
                end += 1
                while _is_hex(self.at(end)):
                    code = code * 16 + int(chr(self.at(end)), 16)
                    end += 1
            else:
                while _is_digit(self.at(end)):
                    code = code * 10 + self.at(end) - 48
                    end += 1
            if code == 0 or code >= 0x10FFFF or end - pos >= 10:
                return 0, pos
        else:
            while _is_alpha(self.at(end)):
                end += 1
            named = _NAMED.get(self.text[pos + 1 : end])
            if named is None:
                return 0, pos
            code = ord(named)
        return code, end + 1 if self.at(end) == ord(";") else end

    def append_code(self, target: bytearray, code: int) -> None:
        if 0xD800 <= code <= 0xDFFF:
            self.surrogate = True
            return
        target += chr(code).encode("utf-8")

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        i = 0
        while i < len(self.text):
            c = self.text[i]
            if c == ord("&"):
                code, after = self.decode_entity(i)
                if code:
                    self.utf16 += 2 if code > 0xFFFF else 1
                    self.append_code(self.result, code)
                    i = after
                    continue
            if c != ord("<"):
                if c & 0xC0 != 0x80:  # the first byte of a character
                    self.utf16 += 2 if c >= 0xF0 else 1
                self.result.append(c)
                i += 1
                continue
            i = self.start_tag(i) if self.at(i + 1) != ord("/") else self.end_tag(i)
        if self.nested:
            tag = self.nested[-1].tag
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        if self.surrogate:
            raise HtmlParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return self.result.decode("utf-8"), self.entities

    def start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        if self.at(i) == 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        tag = self.text[begin + 1 : i].decode("utf-8", "replace").lower()
        if tag not in SUPPORTED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument = ""
        while self.at(i) != ord(">"):
            while self.at(i) != 0 and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == ord(">"):
                break
            name_begin = i
            while self.at(i) not in _SPACES and self.at(i) not in b"=>/\"'":
                i += 1
            name = self.text[name_begin:i].decode("utf-8", "replace")
            if not name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                )
            while self.at(i) != 0 and self.at(i) in _SPACES:
                i += 1
            if self.at(i) != ord("="):
                if self.at(i) == 0:
                    raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                if tag == "blockquote" and name == "expandable":
                    argument = "1"
                continue
            i += 1
            while self.at(i) != 0 and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == 0:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            value, i = self.attribute_value(i)
            if self.at(i) == 0:
                raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
            if (tag, name) in (("a", "href"), ("tg-emoji", "emoji-id")):
                argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                argument = value[9:]
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                argument = value[3:]
            elif tag == "blockquote" and name == "expandable":
                argument = "1"
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        self.nested.append(_Open(tag, argument, self.utf16, len(self.result)))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in (ord("'"), ord('"')):
            token_begin = i
            while (c := self.at(i)) and (_is_alpha(c) or _is_digit(c) or c in b".-"):
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != ord(">"):
                raise HtmlParseError(f"Unexpected end of name token at byte offset {token_begin}")
            return self.text[token_begin:i].decode("utf-8").lower(), i
        i += 1
        value = bytearray()
        while self.at(i) != quote and self.at(i) != 0:
            if self.at(i) == ord("&"):
                code, after = self.decode_entity(i)
                if code:
                    self.append_code(value, code)
                    i = after
                    continue
            value.append(self.at(i))
            i += 1
        if self.at(i) == quote:
            i += 1
        return value.decode("utf-8", "replace"), i

    def end_tag(self, begin: int) -> int:
        if not self.nested:
            raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        end_name = self.text[begin + 2 : i].decode("utf-8", "replace").lower()
        while self.at(i) != 0 and self.at(i) in _SPACES:
            i += 1
        if self.at(i) != ord(">"):
            raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
        opened = self.nested.pop()
        if end_name and end_name != opened.tag:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{opened.tag}>", '
                f'found "</{end_name}>"'
            )
        if self.utf16 > opened.offset:
            self.add_entity(opened, self.utf16 - opened.offset)
        return i + 1

    def add_entity(self, opened: _Open, length: int) -> None:
        entity: dict[str, Any] = {"offset": opened.offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and (last["offset"], last["length"]) == (
            opened.offset,
            length,
        )
        tag, argument = opened.tag, opened.argument
        if tag in _SIMPLE:
            entity["type"] = _SIMPLE[tag]
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) <= 0 or int(argument) >= 2**63:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=argument)
        elif tag == "a":
            url = argument or self.result[opened.result_pos :].decode("utf-8", "replace")
            if not url:
                return
            entity.update(type="text_link", url=url)
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if argument else "blockquote"
        elif tag == "pre" and same_span and last and last["type"] == "code":
            last["type"] = "pre"  # <pre><code>: one pre entity, with the code's language if any
            return
        elif tag == "pre":
            entity["type"] = "pre"
        elif last is not None and same_span and last["type"] == "pre" and argument:
            last["language"] = argument  # <code class="language-x"> right inside <pre>
            return
        else:
            entity["type"] = "code"
            if argument:
                entity["language"] = argument  # dropped below unless a <pre> takes it
        self.entities.append(entity)


def parse_html(html: str) -> tuple[str, list[dict[str, Any]]]:
    """The visible text and entities of ``html``; raises :class:`HtmlParseError`."""
    text, entities = _Parser(html).parse()
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return text, entities


def trim_formatted(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip leading and trailing whitespace as Telegram does, moving and clipping entities."""
    head = utf16_len(text) - utf16_len(text.lstrip(_TRIMMED))
    trimmed = text.strip(_TRIMMED)
    size = utf16_len(trimmed)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - head, 0)
        end = min(entity["offset"] + entity["length"] - head, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return trimmed, kept
