"""What the models cannot see: duplicate keys and ids, Telegram HTML, platform limits.

These checks walk the YAML node tree rather than the models, so they run (and locate each
problem at its line and column) even in a file the models refuse for another reason: the
checker reports every problem at once, not just the first.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from bot.content.models import ID_MAX
from bot.content.nodes import get as _get
from bot.content.nodes import items as _items
from bot.content.nodes import scalar as _scalar
from bot.content.parsing import ContentIssue, ParsedFile, dotted
from bot.content.telegram_html import has_markup, html_problems, utf16_len, visible_text

TELEGRAM_MESSAGE_MAX = 4096  # UTF-16 code units of visible text
MESSENGER_MESSAGE_MAX = 2000  # characters of a Messenger text message
BUTTON_LABEL_MAX = 20  # Messenger's quick-reply and button title limit
CALLBACK_DATA_MAX = 64  # bytes of Telegram's callback_data
LESSON_TEXT_MAX = 1200  # characters: a 2–3 minute read on a phone
FRAME = 120
"""Characters the bot puts around content in one message (headers, hints, verdicts)."""

_PLAIN = "HTML is not formatted here, the tags would show as typed: only a lesson's text is HTML"


def _texts(node: yaml.Node | None) -> Iterator[tuple[str, yaml.ScalarNode]]:
    """(language, text node) of a translated text."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(value, yaml.ScalarNode) and isinstance(key.value, str):
                yield key.value, value


def _by_language(node: yaml.Node | None, *, html: bool = False) -> dict[str, str]:
    return {lang: visible_text(v.value) if html else v.value for lang, v in _texts(node)}


def _position(parsed: ParsedFile, node: yaml.ScalarNode, offset: int) -> tuple[int, int]:
    """(line, column) of a character of a scalar's value, as exactly as its style allows."""
    start = node.start_mark
    if node.style == "|":
        before = node.value[:offset].split("\n")
        lines = parsed.source.splitlines()
        first = start.line + 1
        indent = next((len(t) - len(t.lstrip(" ")) for t in lines[first:] if t.strip()), 0)
        return first + len(before), indent + len(before[-1]) + 1
    if start.line == node.end_mark.line:
        quote = 1 if node.style in ("'", '"') else 0
        return start.line + 1, start.column + 1 + quote + offset
    return start.line + 1, start.column + 1


def _too_long(telegram: int, messenger: int) -> str | None:
    if telegram > TELEGRAM_MESSAGE_MAX:
        return f"{telegram:,} characters, over Telegram's limit of {TELEGRAM_MESSAGE_MAX:,}"
    if messenger > MESSENGER_MESSAGE_MAX:
        return f"{messenger:,} characters, over Messenger's limit of {MESSENGER_MESSAGE_MAX:,}"
    return None


class _Checker:
    def __init__(self, parsed: ParsedFile) -> None:
        self.parsed = parsed
        self.issues: list[ContentIssue] = []

    def add(self, node: yaml.Node | None, path: str, message: str) -> None:
        self.issues.append(self.parsed.issue(node, path, message))

    def plain(self, node: yaml.Node | None, path: str) -> None:
        """A text shown escaped: tags in it would appear as typed."""
        for lang, value in _texts(node):
            if has_markup(value.value):
                self.add(value, f"{path}.{lang}", _PLAIN)

    def message(self, field: yaml.Node | None, path: str, what: str, parts: dict[str, str]) -> None:
        """A message made of content (language -> its visible text) and the bot's frame;
        a problem is reported at `field`, the text that contributes most."""
        located = dict(_texts(field))
        for lang, content in parts.items():
            problem = _too_long(utf16_len(content) + FRAME, len(content) + FRAME)
            if problem is not None:
                self.add(located.get(lang, field), f"{path}.{lang}", f"{what} would be {problem}")

    def html(self, node: yaml.Node | None, path: str) -> None:
        for lang, value in _texts(node):
            for problem in html_problems(value.value):
                line, column = _position(self.parsed, value, problem.offset)
                self.issues.append(
                    ContentIssue(self.parsed.rel, line, column, f"{path}.{lang}", problem.message)
                )

    def module(self, root: yaml.Node) -> None:
        for key in ("title", "summary", "reflection"):
            self.plain(_get(root, key), key)
        titles = _by_language(_get(root, "title"))
        reflection = _get(root, "reflection")
        self.message(
            reflection,
            "reflection",
            "the closing reflection message",
            {lang: titles.get(lang, "") + text for lang, text in _texts_of(reflection)},
        )
        for number, lesson in enumerate(_items(_get(root, "lessons"))):
            self.lesson(lesson, f"lessons[{number}]", titles)

    def lesson(self, lesson: yaml.Node, path: str, module_titles: dict[str, str]) -> None:
        title, text, task = (_get(lesson, key) for key in ("title", "text", "task"))
        link_label = _get(_get(lesson, "link"), "label")
        for key, node in (("title", title), ("task", task), ("link.label", link_label)):
            self.plain(node, f"{path}.{key}")
        self.html(text, f"{path}.text")
        for lang, value in _texts(text):
            size = len(visible_text(value.value).strip())
            if size > LESSON_TEXT_MAX:
                self.add(
                    value,
                    f"{path}.text.{lang}",
                    f"the lesson text is {size:,} characters; keep it to {LESSON_TEXT_MAX:,} "
                    "(a 2–3 minute read on a phone)",
                )
        for lang, value in _texts(link_label):
            if len(value.value.strip()) > BUTTON_LABEL_MAX:
                self.add(
                    value,
                    f"{path}.link.label.{lang}",
                    f"the link label is {len(value.value.strip())} characters; a button label "
                    f"may have at most {BUTTON_LABEL_MAX} (Messenger)",
                )
        titles, labels = _by_language(title), _by_language(link_label)
        self.message(
            text,
            f"{path}.text",
            "the lesson message (module, title, text and link)",
            {
                lang: module_titles.get(lang, "")
                + titles.get(lang, "")
                + body
                + labels.get(lang, "")
                for lang, body in _by_language(text, html=True).items()
            },
        )
        self.message(task, f"{path}.task", "the task message", _by_language(task))
        for number, question in enumerate(_items(_get(lesson, "quiz"))):
            self.question(question, f"{path}.quiz[{number}]")

    def question(self, question: yaml.Node, path: str) -> None:
        for key in ("prompt", "explanation"):
            self.plain(_get(question, key), f"{path}.{key}")
        options = _items(_get(question, "options"))
        for number, option in enumerate(options):
            for key in ("text", "feedback"):
                self.plain(_get(option, key), f"{path}.options[{number}].{key}")
        texts = [_by_language(_get(option, "text")) for option in options]
        feedbacks = [_by_language(_get(option, "feedback")) for option in options]
        multiple = _scalar(_get(question, "type")) == "multiple"
        prompts = _by_language(_get(question, "prompt"))
        explanations = _by_language(_get(question, "explanation"))
        self.message(
            _get(question, "prompt"),
            f"{path}.prompt",
            "the question message",
            {
                lang: prompt + "".join(f"X — {t.get(lang, '')}\n" for t in texts)
                for lang, prompt in prompts.items()
            },
        )
        shown: dict[str, str] = {}
        for lang, explanation in explanations.items():
            pairs = [
                f"• {t.get(lang, '')} — {f.get(lang, '')}\n"
                for t, f in zip(texts, feedbacks, strict=False)
            ]
            chosen = "".join(pairs) if multiple else max(pairs, key=len, default="")
            right = ", ".join(t.get(lang, "") for t in texts)
            shown[lang] = chosen + right + explanation
        self.message(
            _get(question, "explanation"), f"{path}.explanation", "the feedback message", shown
        )
        question_id = _scalar(_get(question, "id")) or ""
        for number, option in enumerate(options):
            option_id = _scalar(_get(option, "id")) or ""
            problem = callback_problem(question_id, option_id)
            if problem is not None:
                self.add(_get(option, "id"), f"{path}.options[{number}].id", problem)


def _texts_of(node: yaml.Node | None) -> list[tuple[str, str]]:
    return [(lang, value.value) for lang, value in _texts(node)]


def button_payloads(question_id: str, option_id: str) -> list[str]:
    """The callback data of an option's answer and toggle buttons, and the submit button."""
    return [f"q:{question_id}:{option_id}", f"t:{question_id}:{option_id}", f"s:{question_id}"]


def callback_problem(question_id: str, option_id: str) -> str | None:
    """Why an option's buttons would not fit Telegram's callback data, or None.

    Ids of at most 24 characters always fit; this guards the rule should ids ever grow."""
    if len(question_id) > ID_MAX or len(option_id) > ID_MAX:
        return None  # the id itself is reported as too long
    longest = max(button_payloads(question_id, option_id), key=lambda p: len(p.encode()))
    size = len(longest.encode("utf-8"))
    if size <= CALLBACK_DATA_MAX:
        return None
    return (
        f"the button data {longest!r} is {size} bytes; Telegram allows {CALLBACK_DATA_MAX}: "
        "shorten the question or option id"
    )


def duplicate_keys(parsed: ParsedFile) -> list[ContentIssue]:
    """A key twice in one mapping: YAML would silently keep only the last."""
    issues: list[ContentIssue] = []
    stack: list[tuple[yaml.Node, list[int | str]]] = (
        [(parsed.root, [])] if parsed.root is not None else []
    )
    while stack:
        node, loc = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, yaml.Node] = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                if name is not None and name in seen:
                    first = seen[name].start_mark.line + 1
                    message = (
                        f"duplicate key {name!r} (first at line {first}): "
                        "YAML keeps only the last one"
                    )
                    issues.append(parsed.issue(key, dotted([*loc, name]), message))
                elif name is not None:
                    seen[name] = key
                stack.append((value, [*loc, str(name)]))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, [*loc, number]) for number, item in enumerate(node.value))
    issues.sort(key=lambda issue: (issue.line, issue.column))
    return issues


def check_file(parsed: ParsedFile) -> list[ContentIssue]:
    """Every problem of one parsed file that the models do not catch."""
    if parsed.root is None:
        return []
    checker = _Checker(parsed)
    checker.issues.extend(duplicate_keys(parsed))
    if parsed.rel.startswith("modules/"):
        checker.module(parsed.root)
    elif parsed.rel.startswith("banks/"):
        for number, question in enumerate(_items(_get(parsed.root, "questions"))):
            checker.question(question, f"questions[{number}]")
    else:
        checker.plain(_get(parsed.root, "title"), "title")
    return checker.issues
