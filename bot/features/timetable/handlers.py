"""/settings (lesson time, language), /pause [until DATE], /resume and the trainers' /paused."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.db import participants
from bot.db.models import DialogueState, Enrollment
from bot.domain.profile import Command, InvalidAnswer, format_time, parse_time
from bot.domain.timetable import ScheduleRules
from bot.features.lessons import learning
from bot.features.lessons import queries as lessons
from bot.features.onboarding import steps as onboarding
from bot.features.timetable import settings as service
from bot.kernel.context import Context, escape, fill, grid, menu_buttons, rows
from bot.kernel.i18n import N_
from bot.kernel.labels import LANGUAGE_LABELS
from bot.kernel.messages import Button, EditSource, Message, Notice, Outbound
from bot.kernel.registry import TRAINER, Registry

TIME_FLOW = "settings_time"
PRESETS = ("08:00", "09:00", "10:00", "12:00", "15:00", "17:00", "18:00", "19:00", "20:00")
PAUSE_CHOICES = (7, 14)
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_UNTIL_WORDS = ("until", "iki")


async def _enrollment(ctx: Context) -> Enrollment:
    return await participants.ensure_enrollment(
        ctx.session, ctx.participant.id, ctx.index.course.id, ctx.now
    )


async def _rules(ctx: Context) -> ScheduleRules:
    return await service.rules_of(ctx.session, ctx.participant, ctx.zone)


def _days(ctx: Context, rules: ScheduleRules) -> str:
    if rules.lesson_days == frozenset(range(1, 6)):
        return ctx._("Monday to Friday")
    return ", ".join(ctx._(WEEKDAYS[day - 1]) for day in sorted(rules.lesson_days))


def _date(value: date) -> str:
    return value.isoformat()


async def show_settings(ctx: Context, command: Command | None = None) -> list[Outbound]:
    """/settings: the lesson time, days and window, the language, and buttons to change them."""
    rules, enrollment = await _rules(ctx), await _enrollment(ctx)
    lesson_time = format_time(rules.lesson_time(ctx.participant.preferred_time))
    lines = [
        ctx._("⚙️ <b>Your settings</b>"),
        fill(ctx._("🕗 Lesson time: {time}"), time=lesson_time),
        fill(
            ctx._("📅 Lessons come on {days}, between {start} and {end}."),
            days=_days(ctx, rules),
            start=format_time(rules.window_start),
            end=format_time(rules.window_end),
        ),
        fill(
            ctx._("🌐 Language: {language}"),
            language=LANGUAGE_LABELS.get(ctx.participant.language, ctx.participant.language),
        ),
    ]
    if enrollment.paused_at is not None:
        if enrollment.paused_until is not None:
            lines.append(fill(ctx._("⏸ Paused until {date}."), date=_date(enrollment.paused_until)))
        else:
            lines.append(ctx._("⏸ Lessons are paused."))
        toggle = Button(ctx._("▶️ Resume lessons"), "st:resume")
    else:
        toggle = Button(ctx._("⏸ Pause lessons"), "st:pause")
    buttons = rows(
        Button(ctx._("🕗 Change lesson time"), "st:time"),
        Button(ctx._("🌐 Change language"), "st:lang"),
        toggle,
    )
    return [Message("\n\n".join(lines), buttons)]


def _time_question(ctx: Context, rules: ScheduleRules) -> Message:
    choices = [
        Button(label, f"st:t:{label}")
        for label in PRESETS
        if rules.window_start <= parse_time(label) <= rules.window_end
    ]
    text = fill(
        ctx._(
            "When would you like to get lessons? Choose a time or type your own as HH:MM, "
            "between {start} and {end}."
        ),
        start=format_time(rules.window_start),
        end=format_time(rules.window_end),
    )
    return Message(text, grid(choices, 3) + rows(Button(ctx._("✖️ Cancel"), "st:cancel")))


async def _set_time(ctx: Context, typed: str) -> list[Outbound]:
    rules = await _rules(ctx)
    try:
        value = rules.check_time(parse_time(typed))
    except InvalidAnswer as error:
        reasons = {
            "time_format": ctx._("Please type the time as HH:MM, for example 09:00 or 18:30."),
            "time_range": ctx._(
                "There is no such time of day: hours go from 00 to 23 and minutes from 00 to 59."
            ),
            "outside_window": fill(
                ctx._(
                    "Lessons are sent between {start} and {end}: please choose a time in between."
                ),
                start=format_time(rules.window_start),
                end=format_time(rules.window_end),
            ),
        }
        return [Message(reasons[error.reason]), _time_question(ctx, rules)]
    service.set_lesson_time(ctx.participant, await _enrollment(ctx), value)
    await participants.clear_state(ctx.session, ctx.participant.id)
    done = fill(ctx._("Done: your lessons will come at {time}. 🕗"), time=format_time(value))
    return [Message(done, menu_buttons(ctx))]


async def on_time_text(ctx: Context, state: DialogueState) -> list[Outbound]:
    """Text typed while the lesson time is asked."""
    return await _set_time(ctx, ctx.inbound.text)


async def on_settings_button(ctx: Context, payload: str) -> list[Outbound]:
    """The buttons of /settings and of the lesson time question."""
    action = payload.split(":", 2)
    if len(action) < 2:
        return [Notice(ctx._("This button is no longer active.")), EditSource()]
    if action[1] == "time":
        await participants.set_state(ctx.session, ctx.participant.id, TIME_FLOW, "time", ctx.now)
        return [EditSource(), _time_question(ctx, await _rules(ctx))]
    if action[1] == "t" and len(action) == 3:
        state = await participants.get_state(ctx.session, ctx.participant.id)
        if state is None or state.flow != TIME_FLOW:
            return [Notice(ctx._("This button is no longer active.")), EditSource()]
        return [EditSource(), *await _set_time(ctx, action[2])]
    if action[1] == "cancel":
        await participants.clear_state(ctx.session, ctx.participant.id)
        return [EditSource(), Message(ctx._("Nothing was changed."), menu_buttons(ctx))]
    if action[1] == "lang":
        return [EditSource(), *onboarding.ask(ctx, "language")]
    if action[1] == "pause":
        return [EditSource(), _pause_question(ctx)]
    if action[1] == "resume":
        return [EditSource(), *await resume_lessons(ctx)]
    return [Notice(ctx._("This button is no longer active.")), EditSource()]


def _pause_question(ctx: Context) -> Message:
    choices = [
        Button(
            ctx.tr.ngettext("{count} week", "{count} weeks", days // 7).format(count=days // 7),
            f"pz:{days}",
        )
        for days in PAUSE_CHOICES
    ]
    choices.append(Button(ctx._("Until I resume"), "pz:0"))
    text = ctx._(
        "⏸ For how long shall I pause the lessons? "
        "You can also type /pause with a date, e.g. /pause until 2026-12-31."
    )
    return Message(text, (*rows(*choices), (Button(ctx._("✖️ Cancel"), "pz:x"),)))


def _parse_date(text: str) -> date | None:
    words = text.strip().split()
    if words and words[0].lower() in _UNTIL_WORDS:
        words = words[1:]
    if len(words) != 1:
        return None
    iso, dotted = _ISO_DATE.match(words[0]), _DOTTED_DATE.match(words[0])
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if dotted:
            return date(int(dotted[3]), int(dotted[2]), int(dotted[1]))
    except ValueError:
        return None
    return None


async def pause_command(ctx: Context, command: Command) -> list[Outbound]:
    """/pause: choose how long; /pause until 2026-12-31: pause until that day."""
    if not command.args:
        return [_pause_question(ctx)]
    until = _parse_date(command.args)
    if until is None:
        return [
            Message(
                ctx._(
                    "I could not read that date. Please write it like this: /pause until 2026-12-31"
                )
            ),
            _pause_question(ctx),
        ]
    return await _pause(ctx, until)


async def _pause(ctx: Context, until: date | None) -> list[Outbound]:
    rules = await _rules(ctx)
    today = rules.local(ctx.now).date()
    if until is not None:
        problem = service.check_pause_date(until, today)
        if problem == "past":
            return [Message(ctx._("Please choose a date after today."))]
        if problem == "far":
            return [Message(ctx._("Please choose a date within a year from today."))]
    service.pause_until(await _enrollment(ctx), ctx.participant, rules, ctx.now, until)
    if until is None:
        text = ctx._("⏸ Lessons are paused. Send /resume whenever you want to go on.")
    else:
        text = fill(
            ctx._("⏸ Lessons are paused until {date}. Send /resume to go on sooner."),
            date=_date(until),
        )
    return [Message(text)]


async def on_pause_button(ctx: Context, payload: str) -> list[Outbound]:
    """The buttons of the pause question."""
    choice = payload.removeprefix("pz:")
    if choice == "x":
        return [EditSource(), Message(ctx._("Nothing was changed."), menu_buttons(ctx))]
    if not choice.isdigit():
        return [Notice(ctx._("This button is no longer active.")), EditSource()]
    days = int(choice)
    today = (await _rules(ctx)).local(ctx.now).date()
    return [EditSource(), *await _pause(ctx, today + timedelta(days=days) if days else None)]


async def resume_lessons(ctx: Context, command: Command | None = None) -> list[Outbound]:
    """/resume: lessons go on; an open question is shown again."""
    enrollment = await _enrollment(ctx)
    if not service.resume_now(enrollment, ctx.now):
        return [Message(ctx._("Your lessons are not paused. 🙂"), menu_buttons(ctx))]
    welcome = ctx._("▶️ Welcome back! Lessons are on again.")
    pending = await lessons.open_question(ctx.session, enrollment, ctx.index)
    if pending is not None:
        return [Message(welcome), *await learning.resume(ctx, pending)]
    return [Message(welcome, menu_buttons(ctx))]


async def list_paused(ctx: Context, command: Command) -> list[Outbound]:
    """/paused (trainers): who has paused lessons, since when, and why."""
    paused = await service.paused_participants(ctx.session)
    if not paused:
        return [Message(ctx._("No one has paused their lessons."))]
    lines = [ctx._("⏸ <b>Paused participants</b>")]
    for item in paused:
        since = item.paused_at.astimezone(ctx.zone).date()
        who = escape(item.name or f"#{item.participant_id}")
        if item.institution:
            who += f" ({escape(item.institution)})"
        if item.reason == "reminders":
            why = ctx._("after unanswered reminders")
        else:
            why = ctx._("by themselves")
        line = fill(ctx._("since {date}, {why}"), date=_date(since), why=why)
        if item.paused_until is not None:
            line += ", " + fill(ctx._("until {date}"), date=_date(item.paused_until))
        lines.append(f"• {who} — {line}")
    return [Message("\n".join(lines))]


def register(registry: Registry) -> None:
    """Plug the schedule's commands, buttons and flows into the dialogue."""
    registry.command("settings", N_("change your lesson time and language"))(show_settings)
    registry.command("pause", N_("pause the lessons"))(pause_command)
    registry.command("resume", N_("resume the lessons"))(resume_lessons)
    registry.command("paused", N_("participants who paused"), roles={TRAINER})(list_paused)
    registry.button("st")(on_settings_button)
    registry.button("pz")(on_pause_button)
    registry.flow(TIME_FLOW)(on_time_text)
