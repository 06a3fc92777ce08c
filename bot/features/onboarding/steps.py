"""Onboarding, one question at a time: language, privacy, name, municipality, institution,
role and lesson time. Each answer is stored at once, so /start resumes where they were."""

from __future__ import annotations

import unicodedata

from bot.db import participants
from bot.domain.profile import (
    MUNICIPALITY_LABELS,
    PRESET_TIMES,
    InvalidAnswer,
    Municipality,
    Role,
    format_time,
    parse_time,
    validate_institution,
    validate_name,
)
from bot.kernel.context import Context, escape, fill, grid, rows
from bot.kernel.i18n import N_
from bot.kernel.labels import LANGUAGE_LABELS, ROLE_LABELS
from bot.kernel.messages import BACK, Button, EditSource, InboundKind, Message, Notice, Outbound

FLOW = "onboarding"
STEPS = ("language", "privacy", "name", "municipality", "institution", "role", "time")

INVALID_REASONS = {
    "command": N_("That looks like a command. Please type the answer as plain text."),
    "too_short": N_("That seems too short: please use at least two letters."),
    "too_long": N_("That is too long: please keep it shorter."),
    "time_format": N_("Please type the time as HH:MM, for example 07:30 or 18:00."),
    "time_range": N_("There is no such time of day. Please use 00:00–23:59, e.g. 07:30."),
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


STEP_PAYLOADS = {
    "language": "lang",
    "privacy": "privacy",
    "municipality": "muni",
    "role": "role",
    "time": "time",
}


def _back(ctx: Context, step: str) -> Button:
    return Button(ctx._("⬅️ Back"), f"{BACK}:{step}")


def ask(ctx: Context, step: str) -> list[Outbound]:
    """The question for an onboarding step, with its buttons."""
    _ = ctx._
    if step == "language":
        return [
            Message(
                _(
                    "Hello! 👋 I am Culture Coach, your companion on the course.\n\n"
                    "Which language would you like to learn in?"
                ),
                grid((Button(label, f"lang:{code}") for code, label in LANGUAGE_LABELS.items()), 2),
            )
        ]
    if step == "privacy":
        return [
            Message(
                _(
                    "🔒 <b>Your data</b>\n\n"
                    "I store your first and last name, municipality, institution, role, "
                    "preferred lesson time, your answers and your progress. "
                    "They are used only to run this course; "
                    "the course trainers and coordinators can see them.\n\n"
                    "You can see everything stored about you with /mydata and erase it with "
                    "/deleteme."
                ),
                rows(Button(_("✅ I agree, continue"), "privacy:ok"), _back(ctx, "privacy")),
            )
        ]
    if step == "name":
        return [Message(_("Please type your first and last name."), rows(_back(ctx, "name")))]
    if step == "municipality":
        buttons = [Button(_(label), f"muni:{code}") for code, label in MUNICIPALITY_LABELS.items()]
        return [
            Message(
                _("Which municipality do you work in?"),
                grid(buttons, 2) + rows(_back(ctx, "municipality")),
            )
        ]
    if step == "institution":
        return [
            Message(
                _("Which institution do you work at? For example: Molėtai Public Library."),
                rows(_back(ctx, "institution")),
            )
        ]
    if step == "role":
        buttons = [Button(_(label), f"role:{code}") for code, label in ROLE_LABELS.items()]
        return [Message(_("What is your main area of work?"), rows(*buttons, _back(ctx, "role")))]
    times = [Button(format_time(t), f"time:{format_time(t)}") for t in PRESET_TIMES]
    return [
        Message(
            _("When would you like to get lessons? Choose a time or type your own as HH:MM."),
            grid(times, 3) + rows(_back(ctx, "time")),
        )
    ]


def _choice(ctx: Context, prefix: str) -> str | None:
    inbound = ctx.inbound
    if inbound.kind is InboundKind.BUTTON and inbound.payload.startswith(f"{prefix}:"):
        return inbound.payload.removeprefix(f"{prefix}:")
    return None


def _typed_language(text: str) -> str | None:
    folded = _fold(text)
    for code, words in {"lt": ("lt", "lietuv"), "en": ("en", "engl", "angl")}.items():
        if folded == code or any(folded.startswith(w) for w in words[1:]):
            return code
    return None


def _typed_municipality(ctx: Context, text: str) -> Municipality | None:
    folded = _fold(text)
    if len(folded) < 4:
        return None
    for code, label in MUNICIPALITY_LABELS.items():
        for name in {_fold(label), _fold(ctx._(label))}:
            if folded.startswith(name[:4]):
                return code
    return None


async def _advance(ctx: Context, step: str) -> list[Outbound]:
    if step == STEPS[-1]:
        await participants.clear_state(ctx.session, ctx.participant.id)
        ctx.participant.onboarded_at = ctx.now
        return []
    following = STEPS[STEPS.index(step) + 1]
    await participants.set_state(ctx.session, ctx.participant.id, FLOW, following, ctx.now)
    return ask(ctx, following)


def _chosen(ctx: Context, step: str) -> EditSource | None:
    """The answered question without its buttons, showing what was pressed."""
    if ctx.inbound.kind is not InboundKind.BUTTON:
        return None
    question = ask(ctx, step)[0]
    assert isinstance(question, Message)
    label = next(
        (b.label for row in question.buttons for b in row if b.payload == ctx.inbound.payload),
        None,
    )
    return EditSource(f"{question.text}\n\n👉 {escape(label)}") if label else None


def _retry(ctx: Context, step: str, reason: str) -> list[Outbound]:
    return [Message(ctx._(reason)), *ask(ctx, step)]


async def answer(ctx: Context, step: str) -> list[Outbound]:
    """Store the answer to the current step and ask the next question, or explain what is
    wrong. After the last step the participant's onboarded_at is set."""
    inbound, person = ctx.inbound, ctx.participant
    if inbound.kind is InboundKind.BUTTON:
        if inbound.payload == f"{BACK}:{step}" and step != STEPS[0]:
            previous = STEPS[STEPS.index(step) - 1]
            await participants.set_state(ctx.session, person.id, FLOW, previous, ctx.now)
            return [EditSource(), *ask(ctx, previous)]
        if inbound.payload.split(":", 1)[0] != STEP_PAYLOADS.get(step):
            return [Notice(ctx._("This button is no longer active.")), EditSource()]
    echo = _chosen(ctx, step)
    if inbound.kind is InboundKind.OTHER:
        return _retry(ctx, step, N_("I can only read text and buttons here."))
    text = inbound.text if inbound.kind is InboundKind.TEXT else ""

    if step == "language":
        code = _choice(ctx, "lang") or _typed_language(text)
        if code not in LANGUAGE_LABELS:
            return _retry(ctx, step, N_("Please choose a language with a button."))
        person.language = code
    elif step == "privacy":
        if _choice(ctx, "privacy") != "ok":
            return _retry(ctx, step, N_("To continue, please press “I agree, continue”."))
        person.privacy_accepted_at = ctx.now
    elif step in ("name", "institution"):
        if inbound.kind is not InboundKind.TEXT:
            return _retry(ctx, step, N_("Please type your answer."))
        try:
            if step == "name":
                person.name = validate_name(text)
            else:
                person.institution = validate_institution(text)
        except InvalidAnswer as error:
            return _retry(ctx, step, INVALID_REASONS[error.reason])
    elif step == "municipality":
        chosen = _choice(ctx, "muni")
        municipality = (
            Municipality(chosen) if chosen in set(Municipality) else _typed_municipality(ctx, text)
        )
        if municipality is None:
            return _retry(ctx, step, N_("Please choose your municipality with a button."))
        person.municipality = municipality.value
    elif step == "role":
        chosen = _choice(ctx, "role")
        if chosen not in set(Role):
            return _retry(ctx, step, N_("Please choose your area of work with a button."))
        person.role = chosen
    else:
        try:
            person.preferred_time = parse_time(_choice(ctx, "time") or text)
        except InvalidAnswer as error:
            return _retry(ctx, step, INVALID_REASONS[error.reason])
    await ctx.session.flush()
    following = await _advance(ctx, step)
    return following if echo is None else [echo, *following]


def resume_text(ctx: Context) -> Message:
    """Said when /start comes in the middle of onboarding."""
    return Message(ctx._("Welcome back! Let's continue where we stopped."))


def done_text(ctx: Context) -> Message:
    """Said when onboarding is complete."""
    person = ctx.participant
    time_text = format_time(person.preferred_time) if person.preferred_time else "—"
    return Message(
        fill(
            ctx._(
                "Thank you, {name}! You are all set. 🎉\n\n"
                "Your lesson time: {time}. Here is your first lesson."
            ),
            name=person.name or "",
            time=time_text,
        )
    )
