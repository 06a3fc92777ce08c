"""What /export writes: the reporting Snapshot as tables (one per view) and xAPI statements.

The tables are plain values (str, int, datetime in the course's time zone, None), so the
file writers in bot.features.exports.files can run in a thread without touching the database."""

from __future__ import annotations

from datetime import datetime

from bot.content.models import Question
from bot.features.exports.files import (
    ACTIVITY_LESSON,
    ACTIVITY_QUESTION,
    VERB_ANSWERED,
    VERB_COMPLETED,
    VERB_EXPERIENCED,
    Cell,
    Table,
    XapiEvent,
)
from bot.kernel.i18n import Translator
from bot.kernel.labels import municipality_name, role_name
from bot.kernel.snapshot import Snapshot


def _local(snapshot: Snapshot, moment: datetime | None) -> datetime | None:
    """A moment as wall-clock time in the course's zone, without tzinfo (as spreadsheets want)."""
    if moment is None:
        return None
    return moment.astimezone(snapshot.zone).replace(tzinfo=None, microsecond=0)


def _yes_no(tr: Translator, value: bool | None) -> str:
    if value is None:
        return ""
    return tr.gettext("yes") if value else tr.gettext("no")


def _text(tr: Translator, text: dict[str, str]) -> str:
    return text.get(tr.language) or text["lt"]


def participants_table(snapshot: Snapshot, tr: Translator) -> Table:
    """One row per participant: who they are and how far they got."""
    _ = tr.gettext
    headers = [
        _("ID"), _("Name"), _("Municipality"), _("Institution"), _("Role"), _("Group"),
        _("Language"), _("Channel"), _("Joined"), _("Last active"), _("Lessons completed"),
        _("Quiz score, %"), _("Answers"), _("Behind schedule"),
    ]  # fmt: skip
    rows: list[list[Cell]] = [
        [
            p.id,
            p.participant.name,
            municipality_name(tr, p.participant.municipality),
            p.participant.institution,
            role_name(tr, p.participant.role),
            p.cohort.name if p.cohort else None,
            p.participant.language,
            p.channel,
            _local(snapshot, p.participant.onboarded_at),
            _local(snapshot, p.participant.last_seen_at),
            p.lessons_done,
            p.score,
            len(p.answers),
            _yes_no(tr, p.behind),
        ]
        for p in snapshot.people
    ]
    return Table("participants", _("Participants"), headers, rows)


def lessons_table(snapshot: Snapshot, tr: Translator) -> Table:
    """One row per lesson sent to a participant: when it came and when it was completed."""
    _ = tr.gettext
    headers = [
        _("Participant ID"), _("Name"), _("Module"), _("Lesson ID"), _("Lesson"),
        _("Delivered"), _("Completed"),
    ]  # fmt: skip
    rows: list[list[Cell]] = []
    for p in snapshot.people:
        for delivery in p.deliveries:
            ref = snapshot.index.lesson(delivery.lesson_id)
            rows.append(
                [
                    p.id,
                    p.participant.name,
                    _text(tr, ref.module.title) if ref else None,
                    delivery.lesson_id,
                    _text(tr, ref.lesson.title) if ref else None,
                    _local(snapshot, delivery.delivered_at),
                    _local(snapshot, delivery.completed_at),
                ]
            )
    return Table("lessons", _("Lessons"), headers, rows)


def answer_text(
    question: Question, option_ids: str | None, text: str | None, tr: Translator
) -> str:
    """The answer as the participant gave it: the chosen options' texts, or their own words."""
    if text is not None:
        return text
    chosen = [question.option(option) for option in (option_ids or "").split(",") if option]
    return "; ".join(_text(tr, option.text) for option in chosen if option is not None)


def answers_table(snapshot: Snapshot, tr: Translator) -> Table:
    """One row per quiz answer (the first answer counts), open answers in full."""
    _ = tr.gettext
    headers = [
        _("Participant ID"), _("Name"), _("Lesson ID"), _("Question ID"), _("Question"),
        _("Answer"), _("Correct"), _("Answered"),
    ]  # fmt: skip
    rows: list[list[Cell]] = []
    for p in snapshot.people:
        for answer in p.answers:
            found = snapshot.index.question(answer.question_id)
            if found is None:
                continue
            _lesson, question = found
            rows.append(
                [
                    p.id,
                    p.participant.name,
                    answer.lesson_id,
                    answer.question_id,
                    _text(tr, question.prompt),
                    answer_text(question, answer.option_id, answer.text, tr),
                    _yes_no(tr, answer.is_correct),
                    _local(snapshot, answer.answered_at),
                ]
            )
    return Table("answers", _("Quiz answers"), headers, rows)


def ideas_table(snapshot: Snapshot, tr: Translator) -> Table:
    """One row per improvement idea: its title, status and when it started and was done."""
    _ = tr.gettext
    headers = [
        _("Participant ID"), _("Name"), _("Idea"), _("Status"), _("Created"), _("Started"),
        _("Done"),
    ]  # fmt: skip
    names = {p.id: p.participant.name for p in snapshot.people}
    rows: list[list[Cell]] = [
        [
            idea.participant_id,
            names.get(idea.participant_id),
            idea.title,
            idea.status,
            _local(snapshot, idea.created_at),
            _local(snapshot, idea.started_at),
            _local(snapshot, idea.done_at),
        ]
        for idea in snapshot.ideas
    ]
    return Table("ideas", _("Ideas"), headers, rows)


def tables(snapshot: Snapshot, tr: Translator) -> list[Table]:
    """Every view, in the order of the workbook's sheets."""
    return [
        participants_table(snapshot, tr),
        lessons_table(snapshot, tr),
        answers_table(snapshot, tr),
        ideas_table(snapshot, tr),
    ]


def activity_id(course_id: str, kind: str = "", item: str = "") -> str:
    """A stable activity IRI: urn:culture-coach:<course>[:lesson|question:<id>]."""
    base = f"urn:culture-coach:{course_id}"
    return f"{base}:{kind}:{item}" if kind else base


def xapi_events(snapshot: Snapshot) -> list[XapiEvent]:
    """Lessons experienced and completed, questions answered, in time order."""
    course = snapshot.index.course.id
    events: list[XapiEvent] = []
    for p in snapshot.people:
        if not p.external_id:
            continue
        for delivery in p.deliveries:
            ref = snapshot.index.lesson(delivery.lesson_id)
            if ref is None:
                continue
            lesson = activity_id(course, "lesson", ref.lesson.id)
            moments = [(VERB_EXPERIENCED, delivery.delivered_at)]
            if delivery.completed_at is not None:
                moments.append((VERB_COMPLETED, delivery.completed_at))
            events.extend(
                XapiEvent(
                    p.channel,
                    p.external_id,
                    verb,
                    lesson,
                    ACTIVITY_LESSON,
                    ref.lesson.title,
                    moment,
                )
                for verb, moment in moments
            )
        for answer in p.answers:
            found = snapshot.index.question(answer.question_id)
            if found is None:
                continue
            lesson_of, question = found
            if answer.text is not None:
                response = answer.text
            else:  # xAPI separates the choices of a response with "[,]"
                response = (answer.option_id or "").replace(",", "[,]")
            events.append(
                XapiEvent(
                    p.channel,
                    p.external_id,
                    VERB_ANSWERED,
                    activity_id(course, "question", question.id),
                    ACTIVITY_QUESTION,
                    question.prompt,
                    answer.answered_at,
                    parent_id=activity_id(course, "lesson", lesson_of.id),
                    success=answer.is_correct,
                    response=response,
                )
            )
    events.sort(key=lambda event: event.timestamp)
    return events
