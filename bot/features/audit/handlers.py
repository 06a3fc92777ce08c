"""/audit: the self-audit checklists (yes / no / not sure) and the automatic page check;
both end in ideas from the catalogue."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bot.content.catalogue import Checklist, Effort
from bot.db import participants
from bot.db.models import DialogueState, SelfAuditAnswer
from bot.domain.profile import Command
from bot.features.audit.checks import run_audit
from bot.kernel.context import Context, coach_of, escape, fill, grid, rows
from bot.kernel.i18n import N_
from bot.kernel.messages import Button, EditSource, Message, Notice, Outbound
from bot.kernel.registry import Registry
from bot.kernel.tasks import tasks_of
from bot.net.pages import normalise_url

URL_FLOW = "audit_url"
ANSWERS = {"y": N_("Yes"), "n": N_("No"), "u": N_("Not sure")}
EFFORT_LABELS = {
    Effort.SMALL: N_("small: an hour or two"),
    Effort.MEDIUM: N_("medium: a few days, bit by bit"),
    Effort.LARGE: N_("large: weeks, with colleagues"),
}
COMPETENCES = {
    1: N_("Adapting internet communication to users' needs"),
    2: N_("Inventive ways of communicating with different audiences"),
    3: N_("Social networks, mobile apps and interactive platforms"),
    4: N_("Security and legal aspects of communication online"),
}
IDEAS_AFTER_CHECKLIST = 5


def register(registry: Registry) -> None:
    """Plug /audit, checklist answers and idea cards into the dialogue."""
    registry.command("audit", N_("check your website and social profiles"))(audit)
    registry.task("web_audit")(run_audit)
    registry.button("au")(ask_url)
    registry.button("ck")(open_checklist)
    registry.button("cka")(answer_question)
    registry.button("isg")(show_suggestion)
    registry.flow(URL_FLOW)(typed_url)


async def audit(ctx: Context, command: Command) -> list[Outbound]:
    """/audit URL checks a page; /audit alone offers the checklists and the page check."""
    if command.args:
        return await _start_check(ctx, command.args.split()[0])
    catalogue = coach_of(ctx.deps).catalogue
    buttons = [Button(ctx._("🌐 Check a web page automatically"), "au")]
    buttons += [
        Button("📋 " + ctx.local(c.title), f"ck:{c.id}") for c in catalogue.checklists.values()
    ]
    text = ctx._(
        "🔍 <b>Self-audit</b>\n\nLet's look at your institution online with fresh eyes. "
        "Choose a quick checklist (yes / no / not sure), or let me check a web page."
    )
    return [Message(text, rows(*buttons))]


async def ask_url(ctx: Context, payload: str) -> list[Outbound]:
    """Ask for the address of the page to check."""
    await participants.set_state(ctx.session, ctx.participant.id, URL_FLOW, "url", ctx.now)
    text = ctx._("Send me the address of a page, e.g. https://biblioteka.lt (or /cancel).")
    return [EditSource(), Message(text)]


async def typed_url(ctx: Context, state: DialogueState) -> list[Outbound]:
    """The address typed after "Check a web page"."""
    text = ctx.inbound.text.strip()
    if not text:
        return [Message(ctx._("Please send the address as text, or /cancel."))]
    await participants.clear_state(ctx.session, ctx.participant.id)
    return await _start_check(ctx, text.split()[0])


async def _start_check(ctx: Context, raw: str) -> list[Outbound]:
    url = normalise_url(raw)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        parsed = None
    host = parsed.host if parsed is not None else ""
    if parsed is None or parsed.scheme not in ("http", "https") or "." not in host:
        text = ctx._("That does not look like a web address. Try e.g. /audit https://example.lt")
        return [Message(text)]
    runner = tasks_of(ctx.deps)
    if await runner.busy(ctx.session, ctx.participant.id, "web_audit"):
        return [Message(ctx._("I am still checking your previous page. The results are coming!"))]
    await runner.submit(ctx, "web_audit", {"url": url})
    text = fill(
        ctx._("🔎 Checking {url}… It takes up to 20 seconds; I will send the results here."),
        url=url,
    )
    return [Message(text)]


def _question_message(ctx: Context, checklist: Checklist, number: int) -> Message:
    question = checklist.questions[number]
    head = fill(
        ctx._("📋 <b>{checklist}</b> · question {number} of {total}"),
        checklist=ctx.local(checklist.title),
        number=number + 1,
        total=len(checklist.questions),
    )
    buttons = [Button(ctx._(label), f"cka:{question.id}:{code}") for code, label in ANSWERS.items()]
    return Message(f"{head}\n\n{escape(ctx.local(question.text))}", grid(buttons, 3))


async def open_checklist(ctx: Context, payload: str) -> list[Outbound]:
    """Start a checklist at its first question."""
    checklist = coach_of(ctx.deps).catalogue.checklists.get(payload.partition(":")[2])
    if checklist is None:
        return [Notice(ctx._("This button is no longer active.")), EditSource()]
    return [EditSource(), _question_message(ctx, checklist, 0)]


async def answer_question(ctx: Context, payload: str) -> list[Outbound]:
    """Store a yes / no / not sure answer and ask the next question (or sum up)."""
    _, question_id, code = [*payload.split(":"), "", ""][:3]
    catalogue = coach_of(ctx.deps).catalogue
    found = catalogue.question(question_id)
    if found is None or code not in ANSWERS:
        return [Notice(ctx._("This button is no longer active.")), EditSource()]
    checklist, question = found
    answer = await ctx.session.scalar(
        select(SelfAuditAnswer).where(
            SelfAuditAnswer.participant_id == ctx.participant.id,
            SelfAuditAnswer.question_id == question_id,
        )
    )
    if answer is None:
        answer = SelfAuditAnswer(participant_id=ctx.participant.id, question_id=question_id)
        ctx.session.add(answer)
    answer.checklist_id, answer.answer, answer.answered_at = checklist.id, code, ctx.now
    await ctx.session.flush()
    chosen = f"{escape(ctx.local(question.text))}\n→ <b>{escape(ctx._(ANSWERS[code]))}</b>"
    number = [q.id for q in checklist.questions].index(question_id)
    if number + 1 < len(checklist.questions):
        return [EditSource(chosen), _question_message(ctx, checklist, number + 1)]
    return [EditSource(chosen), await _summary(ctx, checklist)]


async def _summary(ctx: Context, checklist: Checklist) -> Message:
    catalogue = coach_of(ctx.deps).catalogue
    found = await ctx.session.scalars(
        select(SelfAuditAnswer).where(
            SelfAuditAnswer.participant_id == ctx.participant.id,
            SelfAuditAnswer.checklist_id == checklist.id,
        )
    )
    answers = {a.question_id: a.answer for a in found}
    counts = {code: sum(1 for a in answers.values() if a == code) for code in ANSWERS}
    text = fill(
        ctx._("✅ <b>{checklist}</b> done! Yes: {yes} · No: {no} · Not sure: {unsure}."),
        checklist=ctx.local(checklist.title),
        yes=counts["y"],
        no=counts["n"],
        unsure=counts["u"],
    )
    ideas: list[str] = []
    for question in checklist.questions:
        if answers.get(question.id) == "n":
            ideas += [i for i in question.ideas if i not in ideas]
    if not ideas:
        return Message(
            text + "\n\n" + ctx._("Wonderful: no gaps here. Try another checklist with /audit.")
        )
    buttons = [
        Button("💡 " + ctx.local(catalogue.ideas[i].title), f"isg:{i}")
        for i in ideas[:IDEAS_AFTER_CHECKLIST]
    ]
    return Message(text + "\n\n" + ctx._("Ideas for your “no” answers:"), rows(*buttons))


async def show_suggestion(ctx: Context, payload: str) -> list[Outbound]:
    """An idea from the catalogue: why, steps, effort, competence and its lesson."""
    idea = coach_of(ctx.deps).catalogue.ideas.get(payload.partition(":")[2])
    if idea is None:
        return [Notice(ctx._("This button is no longer active.")), EditSource()]
    ref = ctx.index.lesson(idea.lesson)
    steps = "\n".join(f"{n}. {ctx.local(s)}" for n, s in enumerate(idea.steps, start=1))
    text = fill(
        ctx._(
            "💡 <b>{title}</b>\n\n{why}\n\n<b>Steps</b>\n{steps}\n\n"
            "⏱ Effort: {effort}\n🎓 Competence: {competence}\n📘 Lesson: {lesson}"
        ),
        title=ctx.local(idea.title),
        why=ctx.local(idea.why),
        steps=steps,
        effort=ctx._(EFFORT_LABELS[idea.effort]),
        competence=ctx._(COMPETENCES[idea.competence]),
        lesson=ctx.local(ref.lesson.title) if ref else idea.lesson,
    )
    return [Message(text, rows(Button(ctx._("✅ Take this idea"), f"inew:{idea.id}")))]
