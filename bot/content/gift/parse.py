"""Moodle's GIFT format read into items with line numbers, as Moodle's own importer reads it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

ESCAPED = "~=#{}:"
_PLACEHOLDER = {char: chr(0xE000 + n) for n, char in enumerate(ESCAPED)}
_NEWLINE = chr(0xE010)
_RESTORE = {v: k for k, v in _PLACEHOLDER.items()} | {_NEWLINE: "\n"}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:[.,]\d+)?)%")
TRUE_WORDS = ("T", "TRUE")
FALSE_WORDS = ("F", "FALSE")


class Kind(StrEnum):
    """The GIFT question types the course can carry."""

    SINGLE = "single"  # ~ answers with at least one =
    MULTIPLE = "multiple"  # ~ answers only, with % weights
    TRUE_FALSE = "true_false"  # {T} {TRUE} {F} {FALSE}
    SHORT = "short"  # {=a =b}
    ESSAY = "essay"  # {}


@dataclass(frozen=True)
class Text:
    """A text as written, escapes resolved, with its format (html, moodle, plain, markdown)."""

    raw: str
    format: str


@dataclass(frozen=True)
class Answer:
    """One answer of an answer block: = or ~, its weight in percent, its feedback."""

    text: Text
    marker: str
    weight: float | None
    feedback: Text | None
    line: int

    @property
    def percent(self) -> float:
        """Moodle's grade for choosing it: = is 100 %, ~ is 0 %, unless a %n% says otherwise."""
        if self.weight is not None:
            return self.weight
        return 100.0 if self.marker == "=" else 0.0


@dataclass
class Item:
    """One question of a GIFT file."""

    line: int
    kind: Kind
    title: str | None
    text: Text
    category: str | None
    answers: list[Answer] = field(default_factory=list)
    truth: bool | None = None
    wrong_feedback: Text | None = None
    """True/false: shown for the wrong choice ({T#wrong#right})."""
    right_feedback: Text | None = None
    general: Text | None = None
    """General feedback (####): shown after any answer."""


@dataclass(frozen=True)
class Problem:
    """Something in the file the course cannot carry, or a mistake, at its line."""

    line: int
    message: str
    title: str | None = None


@dataclass
class GiftFile:
    """Every question of a file, every problem, and the categories named."""

    items: list[Item] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def _protect(text: str) -> str:
    """Escapes to placeholders, so that structure is found in what is left (as Moodle does)."""

    def one(match: re.Match[str]) -> str:
        char = match.group(1)
        if char in _PLACEHOLDER:
            return _PLACEHOLDER[char]
        if char == "n":
            return _NEWLINE
        return "\\" if char == "\\" else match.group(0)

    return _ESCAPE.sub(one, text)


def _restore(text: str) -> str:
    return "".join(_RESTORE.get(char, char) for char in text)


def _text(value: str, default: str) -> Text:
    match = _FORMAT.match(value)
    if match:
        return Text(_restore(value[match.end() :]).strip(), match.group(1).lower())
    return Text(_restore(value).strip(), default)


def _blocks(source: str) -> list[tuple[int, str]]:
    """(first line, text) of each question: lines between blank lines, comments left out."""
    blocks: list[tuple[int, str]] = []
    lines: list[str] = []
    first = 0
    for number, line in enumerate([*source.split("\n"), ""], start=1):
        if not line.strip():
            if any(text.strip() for text in lines):
                blocks.append((first, "\n".join(lines)))
            lines = []
            continue
        if not lines:
            first = number
        lines.append("" if line.strip().startswith("//") else line)
    return blocks


def decode(data: bytes) -> str:
    """The file's text: UTF-8 with or without a BOM, any line ends; ValueError if not UTF-8."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ValueError(f"line {line} is not UTF-8 text: save the file as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse(source: str) -> GiftFile:
    """Read a GIFT file (already decoded); never raises for a mistake in it."""
    result = GiftFile()
    category: str | None = None
    for first, raw in _blocks(source):
        text = _protect(raw)
        start = len(text) - len(text.lstrip())
        line = first + text[:start].count("\n")
        body = text.strip()
        if body.startswith("$CATEGORY:"):
            head, _, body = body.partition("\n")
            category = _restore(head[len("$CATEGORY:") :]).strip()
            result.categories.append(category)
            if not body.strip():
                continue
            line += 1 + body[: len(body) - len(body.lstrip())].count("\n")
            body = body.strip()
        item = _question(body, line, category, result.problems)
        if item is not None:
            result.items.append(item)
    return result


def _question(body: str, line: int, category: str | None, problems: list[Problem]) -> Item | None:
    title = None
    if body.startswith("::"):
        end = body.find("::", 2)
        if end < 0:
            problems.append(Problem(line, "the title has no closing '::'"))
            return None
        title = _restore(body[2:end]).strip() or None
        body = body[end + 2 :]
    opening = body.find("{")

    def problem(message: str) -> None:
        problems.append(Problem(line, message, title))

    closing = body.find("}", opening) if opening >= 0 else -1
    if opening < 0:
        problem("no answer block {…}: a description without a question is not carried")
    elif closing < 0:
        problem("the answer block has no closing '}' (write \\} for a literal brace)")
    elif body[closing + 1 :].strip():
        problem("text after the answer block (a missing-word question) is not carried")
    if opening < 0 or closing < 0 or body[closing + 1 :].strip():
        return None
    before = body[:opening]
    match = _FORMAT.match(before)
    fmt = match.group(1).lower() if match else "moodle"
    question = _text(before, "moodle")
    if not question.raw:
        problem("the question has no text before its answer block")
        return None
    block_line = line + body[:opening].count("\n")
    block = body[opening + 1 : closing]
    general = None
    if "####" in block:
        block, rest = block.split("####", 1)
        general = _text(rest, fmt)
    item = Item(line, Kind.ESSAY, title, question, category, general=general)
    answers = block.strip()
    if not answers:
        return item
    if answers.startswith("#"):
        problem("a numerical question ({#…}) is not carried")
        return None
    if "~" in answers:
        return _choice(item, block, block_line, fmt, problems)
    if "=" in answers and "->" in answers:
        problem("a matching question (=… -> …) is not carried")
        return None
    word, *feedback = answers.split("#", 2)
    if word.strip().upper() in TRUE_WORDS + FALSE_WORDS:
        item.kind = Kind.TRUE_FALSE
        item.truth = word.strip().upper() in TRUE_WORDS
        item.wrong_feedback = _text(feedback[0], fmt) if feedback else None
        item.right_feedback = _text(feedback[1], fmt) if len(feedback) > 1 else None
        return item
    item.kind = Kind.SHORT
    item.answers = _answers(block, block_line, fmt)
    if not item.answers or any(a.marker != "=" for a in item.answers):
        problem("a short-answer question lists its answers as =answer =other")
        return None
    return item


def _answers(block: str, line: int, fmt: str) -> list[Answer]:
    """The answers of a block, each starting at an unescaped = or ~."""
    answers: list[Answer] = []
    parts = re.split(r"([=~])", block)
    offset = len(parts[0])
    if parts[0].strip():
        answers.append(Answer(_text(parts[0], fmt), "", None, None, line))
    for marker, value in zip(parts[1::2], parts[2::2], strict=True):
        here = line + block[:offset].count("\n")
        offset += 1 + len(value)
        weight = None
        match = _WEIGHT.match(value)
        if match:
            weight = float(match.group(1).replace(",", "."))
            value = value[match.end() :]
        text, _, feedback = value.partition("#")
        answers.append(
            Answer(_text(text, fmt), marker, weight, _text(feedback, fmt) if _ else None, here)
        )
    return answers


def _choice(item: Item, block: str, line: int, fmt: str, problems: list[Problem]) -> Item | None:
    answers = _answers(block, line, fmt)
    stray = next((a for a in answers if not a.marker), None)
    if stray is not None:
        message = f"text before the first answer ({stray.text.raw!r}): start each with = or ~"
        problems.append(Problem(stray.line, message, item.title))
        return None
    empty = next((a for a in answers if not a.text.raw), None)
    if empty is not None:
        problems.append(Problem(empty.line, "an answer without text", item.title))
        return None
    item.kind = Kind.SINGLE if any(a.marker == "=" for a in answers) else Kind.MULTIPLE
    item.answers = answers
    return item
