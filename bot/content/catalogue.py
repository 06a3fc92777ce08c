"""The idea coach's content: self-audit checklists, the idea catalogue and the web-audit
findings, validated by pydantic at load; every idea and finding points to a course lesson."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bot.content.loader import ContentError, ContentIssue, CourseIndex, _read
from bot.content.models import Id, Localized

CHECKLISTS_FILE = "checklists.yaml"
IDEAS_FILE = "ideas.yaml"
FINDINGS_FILE = "web_audit.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Effort(StrEnum):
    """Roughly how much work an idea takes."""

    SMALL = "small"  # an hour or two
    MEDIUM = "medium"  # a few days, now and then
    LARGE = "large"  # weeks, with colleagues


class IdeaTemplate(_Strict):
    """An idea from the catalogue: what to do, why, and the steps to get there."""

    id: Id
    title: Localized
    why: Localized
    steps: list[Localized] = Field(min_length=1, max_length=8)
    effort: Effort
    competence: int = Field(ge=1, le=4)
    lesson: Id


class ChecklistQuestion(_Strict):
    """A yes / no / not sure question; a "no" suggests `ideas`."""

    id: Id
    text: Localized
    ideas: list[Id] = Field(min_length=1)


class Checklist(_Strict):
    """A self-audit of one place the institution lives online."""

    id: Id
    title: Localized
    questions: list[ChecklistQuestion] = Field(min_length=1)


class ChecklistsFile(_Strict):
    """content/checklists.yaml."""

    checklists: list[Checklist] = Field(min_length=1)


class IdeasFile(_Strict):
    """content/ideas.yaml."""

    ideas: list[IdeaTemplate] = Field(min_length=1)


class FindingText(_Strict):
    """What a web-audit finding is called, what it means when the page passes or fails,
    the lesson that teaches it and the idea that fixes it."""

    code: Id
    title: Localized
    problem: Localized
    passed: Localized
    lesson: Id
    idea: Id


class FindingsFile(_Strict):
    """content/web_audit.yaml."""

    findings: list[FindingText] = Field(min_length=1)


@dataclass(frozen=True)
class Catalogue:
    """Checklists, idea templates and finding texts, looked up by id."""

    checklists: dict[str, Checklist]
    ideas: dict[str, IdeaTemplate]
    findings: dict[str, FindingText]

    def question(self, question_id: str) -> tuple[Checklist, ChecklistQuestion] | None:
        """The checklist question with this id, and its checklist."""
        for checklist in self.checklists.values():
            for question in checklist.questions:
                if question.id == question_id:
                    return checklist, question
        return None


def _references(
    catalogue: Catalogue, index: CourseIndex, known_codes: frozenset[str] | None
) -> list[ContentIssue]:
    issues: list[ContentIssue] = []
    for idea in catalogue.ideas.values():
        if index.lesson(idea.lesson) is None:
            issues.append(
                ContentIssue(
                    IDEAS_FILE, 1, 1, f"ideas.{idea.id}.lesson", f"no lesson {idea.lesson!r}"
                )
            )
    seen: set[str] = set()
    for checklist in catalogue.checklists.values():
        for question in checklist.questions:
            where = f"checklists.{checklist.id}.{question.id}"
            if question.id in seen:
                issues.append(ContentIssue(CHECKLISTS_FILE, 1, 1, where, "duplicate question id"))
            seen.add(question.id)
            for idea_id in question.ideas:
                if idea_id not in catalogue.ideas:
                    issues.append(
                        ContentIssue(CHECKLISTS_FILE, 1, 1, where, f"no idea {idea_id!r}")
                    )
    for finding in catalogue.findings.values():
        where = f"findings.{finding.code}"
        if index.lesson(finding.lesson) is None:
            issues.append(ContentIssue(FINDINGS_FILE, 1, 1, where, f"no lesson {finding.lesson!r}"))
        if finding.idea not in catalogue.ideas:
            issues.append(ContentIssue(FINDINGS_FILE, 1, 1, where, f"no idea {finding.idea!r}"))
    if known_codes is not None:
        for code in sorted(known_codes - set(catalogue.findings)):
            issues.append(ContentIssue(FINDINGS_FILE, 1, 1, "findings", f"missing {code!r}"))
        for code in sorted(set(catalogue.findings) - known_codes):
            issues.append(ContentIssue(FINDINGS_FILE, 1, 1, "findings", f"unknown {code!r}"))
    return issues


def load_catalogue(
    directory: Path, index: CourseIndex, known_codes: frozenset[str] | None = None
) -> Catalogue:
    """Read the three files; raise ContentError naming every problem (file, line, field).

    A content folder without any of them (a test course) gets an empty catalogue: the page
    check still works, it just has no lessons or ideas to point to."""
    names = (CHECKLISTS_FILE, IDEAS_FILE, FINDINGS_FILE)
    if not any((directory / name).is_file() for name in names):
        return Catalogue(checklists={}, ideas={}, findings={})
    issues: list[ContentIssue] = []
    parsed = {}
    for name, model in (
        (CHECKLISTS_FILE, ChecklistsFile),
        (IDEAS_FILE, IdeasFile),
        (FINDINGS_FILE, FindingsFile),
    ):
        value, found = _read(directory / name, name, model)
        issues.extend(found)
        parsed[name] = value
    if issues:
        raise ContentError(issues)
    catalogue = Catalogue(
        checklists={c.id: c for c in parsed[CHECKLISTS_FILE].checklists},
        ideas={i.id: i for i in parsed[IDEAS_FILE].ideas},
        findings={f.code: f for f in parsed[FINDINGS_FILE].findings},
    )
    duplicates = len(catalogue.ideas) != len(parsed[IDEAS_FILE].ideas)
    if duplicates:
        issues.append(ContentIssue(IDEAS_FILE, 1, 1, "ideas", "duplicate idea id"))
    issues.extend(_references(catalogue, index, known_codes))
    if issues:
        raise ContentError(issues)
    return catalogue
