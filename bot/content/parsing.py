"""Read one YAML file into a validated model; problems name file, line, column and field."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 5x faster


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
