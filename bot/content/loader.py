"""Load the course from YAML into validated models; errors name file, line, column and field.

Loading runs the whole checker (bot.content.checks): content the checker refuses never goes
into service, whether at start or on /reload_content."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.content.models import Course, CourseFile, Lesson, Module, Question

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 5x faster
COURSE_FILE = "course.yaml"
MODULES_DIR = "modules"


@dataclass(frozen=True)
class ContentIssue:
    """One problem in the content, located as precisely as the YAML allows."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """The issue for machines (`content check --json`)."""
        return asdict(self)


class ContentError(Exception):
    """The content could not be loaded; `issues` lists every problem found."""

    def __init__(self, issues: Sequence[ContentIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


@dataclass
class ParsedFile:
    """One YAML file: its node tree (for positions) and, when valid, its model."""

    rel: str
    source: str
    root: yaml.Node | None = None
    model: Any = None
    issues: list[ContentIssue] = field(default_factory=list)

    def issue(self, node: yaml.Node | None, path: str, message: str) -> ContentIssue:
        """An issue at a node of this file (the file's start when there is none)."""
        if node is None:
            return ContentIssue(self.rel, 1, 1, path, message)
        return ContentIssue(
            self.rel, node.start_mark.line + 1, node.start_mark.column + 1, path, message
        )


def _child(node: yaml.Node, part: int | str) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of a mapping key, or (item, item) of a sequence index."""
    if isinstance(node, yaml.MappingNode):
        return next(((k, v) for k, v in node.value if k.value == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return node.value[part], node.value[part]
    return None


def node_at(
    root: yaml.Node | None, loc: Sequence[int | str], *, key: bool = False
) -> yaml.Node | None:
    """The deepest YAML node along a location (the key node of the last part if `key`)."""
    node = root
    if node is None:
        return None
    for number, part in enumerate(loc):
        found = _child(node, part)
        if found is None:
            break
        node = found[0] if key and number == len(loc) - 1 else found[1]
    return node


def dotted(loc: Sequence[int | str]) -> str:
    """A location as a YAML path: lessons[0].quiz[1].prompt."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else type(value).__name__


def _fields_of(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """Field names of the model that a location's parent points into (for suggestions)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return []
        annotation = info.annotation
        args = getattr(annotation, "__args__", ()) or (annotation,)
        current = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _friendly(model: type[BaseModel], item: Any, loc: Sequence[int | str]) -> str:
    kind, value = item["type"], item.get("input")
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        message = f"unknown field {loc[-1]!r}"
        close = difflib.get_close_matches(str(loc[-1]), _fields_of(model, loc), n=1)
        return message + (f"; did you mean {close[0]!r}?" if close else "")
    if kind == "string_type" and isinstance(value, bool | int | float):
        return f"expected text, got {_kind(value)}: put it in quotes"
    if kind in ("url_parsing", "url_scheme", "url_type"):
        return f"expected a full web address (https://...), got {value!r}"
    context = item.get("ctx") or {}
    if kind == "too_long" and "max_length" in context:
        found = context.get("actual_length")
        return f"expected at most {context['max_length']} items, found {found}"
    if kind == "too_short" and "min_length" in context:
        found = context.get("actual_length") or "none"
        return f"expected at least {context['min_length']} item(s), found {found}"
    if kind in ("less_than_equal", "greater_than_equal"):
        return f"expected a number {item['msg'].removeprefix('Input should be ')}, got {value!r}"
    if kind in ("string_type", "dict_type", "list_type", "model_type"):
        wanted = {
            "string_type": "text",
            "dict_type": "a mapping (key: value lines), e.g. {lt: ..., en: ...}",
            "list_type": "a list ('- ' items)",
            "model_type": "a mapping of fields",
        }[kind]
        return f"expected {wanted}, got {_kind(value)}"
    if kind in ("int_parsing", "int_type"):
        return f"expected a whole number, got {value!r}"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false, got {value!r}"
    return str(item["msg"]).removeprefix("Value error, ")


def _located(parsed: ParsedFile, loc: list[int | str], item: Any, message: str) -> ContentIssue:
    kind, value = item["type"], item.get("input")
    node = node_at(parsed.root, loc, key=kind == "extra_forbidden")
    if kind == "string_type" and isinstance(value, bool | int | float):
        if isinstance(node, yaml.ScalarNode) and node.value:
            raw = node.value
            message = f'expected text, but YAML reads {raw} as {_kind(value)}: write "{raw}"'
    # Point at the very language key or text a translation problem is about.
    if isinstance(node, yaml.MappingNode) and ":" in message:
        head, _, names = message.partition(": ")
        first = names.split(";")[0].split(" ")[0].split(",")[0]
        found = _child(node, first)
        if found is not None and head in ("unknown language", "empty text"):
            node = found[0] if head == "unknown language" else found[1]
    return parsed.issue(node, dotted(loc), message)


def _compose(source: str) -> tuple[yaml.Node | None, Any]:
    """(node tree, data) of a YAML text; a broken text raises the pure-Python parser's error,
    whose wording and position are the clearest."""
    try:
        root = yaml.compose(source, Loader=_LOADER)
    except yaml.YAMLError:
        yaml.compose(source, Loader=yaml.SafeLoader)
        raise
    return root, (_LOADER("").construct_document(root) if root is not None else None)


def read_file(path: Path, rel: str, model: type[BaseModel]) -> ParsedFile:
    """Parse a YAML file and validate it; every problem is in `issues`."""
    parsed = ParsedFile(rel, "")
    try:
        parsed.source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        parsed.issues.append(ContentIssue(rel, 1, 1, "", f"cannot read file: {error}"))
        return parsed
    try:
        parsed.root, data = _compose(parsed.source)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or "cannot be read"
        if error.context and error.context_mark and error.context_mark is not mark:
            problem = f"{problem} ({error.context} at line {error.context_mark.line + 1})"
        elif error.context:
            problem = f"{problem} ({error.context})"
        parsed.issues.append(ContentIssue(rel, line, column, "", f"broken YAML: {problem}"))
        return parsed
    if parsed.root is None:
        parsed.issues.append(ContentIssue(rel, 1, 1, "", "the file is empty"))
        return parsed
    try:
        parsed.model = model.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            loc = [part for part in item["loc"] if not str(part).startswith("function-")]
            message = _friendly(model, item, loc)
            parsed.issues.append(_located(parsed, loc, item, message))
    return parsed


def _read(path: Path, rel: str, model: type[BaseModel]) -> tuple[Any, list[ContentIssue]]:
    """(model or None, issues) of one YAML file, with the checks beyond the model too."""
    from bot.content import checks

    parsed = read_file(path, rel, model)
    found = parsed.issues + (checks.duplicate_keys(parsed) if parsed.root is not None else [])
    return (parsed.model if not found else None), found


@dataclass
class ContentReport:
    """What the checker found: the course (None if it cannot be built) and every issue."""

    course: Course | None
    issues: list[ContentIssue]
    files: list[ParsedFile] = field(default_factory=list)


def check_content(directory: Path) -> ContentReport:
    """Read and check the whole course; never raises for a content problem."""
    from bot.content import checks

    parsed_course = read_file(directory / COURSE_FILE, COURSE_FILE, CourseFile)
    files = [parsed_course]
    course_file: CourseFile | None = parsed_course.model
    listed: list[tuple[str, yaml.Node | None]] = []
    if course_file is not None and parsed_course.root is not None:
        items = node_at(parsed_course.root, ["modules"])
        for number, module_id in enumerate(course_file.modules):
            listed.append((module_id, node_at(items, [number])))
    modules: list[tuple[ParsedFile, Module]] = []
    extra: list[ContentIssue] = []
    seen_listed: set[str] = set()
    for number, (module_id, node) in enumerate(listed):
        rel = f"{MODULES_DIR}/{module_id}.yaml"
        if module_id in seen_listed:
            message = f"module {module_id!r} is listed twice"
            extra.append(parsed_course.issue(node, f"modules[{number}]", message))
            continue
        seen_listed.add(module_id)
        if not (directory / rel).is_file():
            message = f"missing file {rel}: no module has the id {module_id!r}"
            extra.append(parsed_course.issue(node, f"modules[{number}]", message))
            continue
        parsed = read_file(directory / rel, rel, Module)
        files.append(parsed)
        module = parsed.model
        if module is not None:
            if module.id != module_id:
                message = f"module id {module.id!r} differs from its file name {module_id!r}"
                parsed.issues.append(parsed.issue(node_at(parsed.root, ["id"]), "id", message))
            modules.append((parsed, module))
    if course_file is not None and (directory / MODULES_DIR).is_dir():
        for path in sorted((directory / MODULES_DIR).glob("*.y*ml")):
            if path.stem not in seen_listed:
                rel = f"{MODULES_DIR}/{path.name}"
                message = f"{rel} is not listed in course.yaml: add {path.stem!r} to modules"
                node = node_at(parsed_course.root, ["modules"], key=True)
                extra.append(parsed_course.issue(node, "modules", message))
    for parsed in files:
        if parsed.root is not None:
            parsed.issues.extend(checks.check_file(parsed))
    extra.extend(checks.duplicate_ids(files))
    issues = [issue for parsed in files for issue in parsed.issues] + extra
    order = {parsed.rel: number for number, parsed in enumerate(files)}
    issues.sort(key=lambda i: (order.get(i.file, -1), i.line, i.column))
    course = None
    if not issues and course_file is not None:
        course = Course(id=course_file.id, title=course_file.title, modules=[m for _, m in modules])
    return ContentReport(course, _unique(issues), files)


def _unique(issues: list[ContentIssue]) -> list[ContentIssue]:
    return list(dict.fromkeys(issues))


def load_course(directory: Path) -> Course:
    """Read and check course.yaml and modules/<id>.yaml; raise ContentError listing every
    problem."""
    report = check_content(directory)
    if report.course is None:
        raise ContentError(report.issues)
    return report.course


@dataclass(frozen=True)
class LessonRef:
    """Where a lesson sits in the course: its module and position, for headers and progress."""

    module: Module
    lesson: Lesson
    index: int


class CourseIndex:
    """Fast look-ups over a loaded course: lesson order and lesson/question by id."""

    def __init__(self, course: Course) -> None:
        self.course = course
        self.lessons: list[LessonRef] = [
            LessonRef(module, lesson, index)
            for module in course.modules
            for index, lesson in enumerate(module.lessons)
        ]
        self._lessons = {ref.lesson.id: ref for ref in self.lessons}
        self._questions: dict[str, tuple[Lesson, Question]] = {
            question.id: (ref.lesson, question)
            for ref in self.lessons
            for question in ref.lesson.quiz
        }

    def lesson(self, lesson_id: str) -> LessonRef | None:
        """The lesson with this id, if the course still has it."""
        return self._lessons.get(lesson_id)

    def question(self, question_id: str) -> tuple[Lesson, Question] | None:
        """The question with this id and its lesson, if the course still has it."""
        return self._questions.get(question_id)

    def next_lesson(self, delivered: set[str]) -> LessonRef | None:
        """The first lesson, in course order, not yet delivered."""
        return next((ref for ref in self.lessons if ref.lesson.id not in delivered), None)


class ContentStore:
    """The course in service; reloading swaps it whole, or not at all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.index = CourseIndex(load_course(directory))

    def reload(self) -> CourseIndex:
        """Load and check the course again and put it in service; on error (ContentError,
        listing every issue) the old course stays in service. Safe to run in a thread: the
        swap is one assignment, and an update already running keeps the index it started with."""
        index = CourseIndex(load_course(self.directory))
        self.index = index
        return index
