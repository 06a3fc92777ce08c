"""Where imported questions land: replaced where their id lives, else the bank or a lesson.

Files are edited with ruamel.yaml's round trip, so the rest of a module file (comments,
quotes, order) stays as the author wrote it."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from bot.content.gift.convert import OPTION_IDS
from bot.content.loader import BANKS_DIR, MODULES_DIR
from bot.content.models import Course, Option, Question, QuestionType

BANK_HEADER = "# yaml-language-server: $schema=../schema.json\n"


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _texts(value: dict[str, str], *, flow: bool) -> CommentedMap:
    node = CommentedMap((lang, DoubleQuotedScalarString(text)) for lang, text in value.items())
    if flow:
        node.fa.set_flow_style()
    return node


def question_node(question: Question) -> CommentedMap:
    """A question as the YAML of the course files writes it."""
    node = CommentedMap()
    node["id"] = question.id
    node["type"] = question.type.value
    node["prompt"] = _texts(question.prompt, flow=False)
    if question.options:
        options = CommentedSeq()
        for option in question.options:
            item = CommentedMap()
            item["id"] = (
                DoubleQuotedScalarString(option.id) if option.id in ("true", "false") else option.id
            )
            item["text"] = _texts(option.text, flow=True)
            if option.correct:
                item["correct"] = True
            item["feedback"] = _texts(option.feedback, flow=True)
            options.append(item)
        node["options"] = options
    node["explanation"] = _texts(question.explanation, flow=False)
    return node


def keep_option_ids(new: Question, old: Question) -> Question:
    """The new question with the old one's option ids where an option's text is the same
    (answers are stored against option ids); other options take the first free letter."""
    if new.type is QuestionType.TRUE_FALSE or not new.options:
        return new
    taken: set[str] = set()
    ids: list[str | None] = []
    for option in new.options:
        match = next(
            (
                o.id
                for key in ("lt", "en")
                for o in old.options
                if o.id not in taken and o.text[key] == option.text[key]
            ),
            None,
        )
        if match is not None:
            taken.add(match)
        ids.append(match)
    free = iter(letter for letter in OPTION_IDS if letter not in taken)
    options: list[Option] = [
        option.model_copy(update={"id": given or next(free)})
        for option, given in zip(new.options, ids, strict=True)
    ]
    return new.model_copy(update={"options": options})


@dataclass
class Placement:
    """The edited files (path relative to the content directory -> new text) and a tally."""

    texts: dict[str, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    replaced: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    lists: dict[str, list[Any]] = field(default_factory=dict)
    """Each edited file's question lists, by question id, to find an issue's question."""


class Placer:
    """Puts questions into the content files of `directory`."""

    def __init__(self, directory: Path, course: Course) -> None:
        self.directory = directory
        self.course = course
        self.yaml = _yaml()
        self.docs: dict[str, Any] = {}
        self.where: dict[str, tuple[str, Question]] = {}
        for module in course.modules:
            for lesson in module.lessons:
                for question in lesson.quiz:
                    self.where[question.id] = (f"{MODULES_DIR}/{module.id}.yaml", question)
            for question in course.bank(module.id):
                self.where[question.id] = (self.bank_file(module.id), question)

    @staticmethod
    def bank_file(module_id: str) -> str:
        """The bank's file, relative to the content directory."""
        return f"{BANKS_DIR}/{module_id}.yaml"

    def _doc(self, rel: str) -> Any:
        if rel not in self.docs:
            path = self.directory / rel
            if path.exists():
                self.docs[rel] = self.yaml.load(path.read_text(encoding="utf-8"))
            else:
                doc = CommentedMap()
                doc["module"] = Path(rel).stem
                doc["questions"] = CommentedSeq()
                self.docs[rel] = doc
        return self.docs[rel]

    def _lists(self, rel: str) -> list[Any]:
        doc = self._doc(rel)
        if rel.startswith(f"{BANKS_DIR}/"):
            return [doc["questions"]]
        return [lesson["quiz"] for lesson in doc["lessons"]]

    def _target(self, module_id: str, lesson_id: str | None) -> tuple[str, Any]:
        if lesson_id is None:
            rel = self.bank_file(module_id)
            return rel, self._doc(rel)["questions"]
        rel = f"{MODULES_DIR}/{module_id}.yaml"
        lesson = next(item for item in self._doc(rel)["lessons"] if item["id"] == lesson_id)
        return rel, lesson["quiz"]

    def place(self, questions: list[Question], module_id: str, lesson_id: str | None) -> Placement:
        """Replace each question whose id the course has where it is, add the others."""
        result = Placement()
        target_rel, target = self._target(module_id, lesson_id)
        for question in questions:
            found = self.where.get(question.id)
            if found is None:
                target.append(question_node(question))
                result.added.append(question.id)
                self.docs.setdefault(target_rel, self._doc(target_rel))
                continue
            rel, old = found
            new = keep_option_ids(question, old)
            if new == old:
                result.unchanged.append(question.id)
                continue
            for items in self._lists(rel):
                for number, item in enumerate(items):
                    if item["id"] == question.id:
                        items[number] = question_node(new)
            result.replaced.append((question.id, rel))
        changed = {target_rel} if result.added else set()
        changed |= {rel for _, rel in result.replaced}
        for rel in sorted(changed):
            out = io.StringIO()
            self.yaml.dump(self.docs[rel], out)
            text = out.getvalue()
            if not (self.directory / rel).exists():
                text = BANK_HEADER + text
            result.texts[rel] = text
            result.lists[rel] = self._lists(rel)
        return result
