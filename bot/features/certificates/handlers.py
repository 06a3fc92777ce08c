"""Certificates of completion: /certificate, /verify, trainers' /issue_certificate and
/revoke_certificate, coordinators' /certificates (a group's PDFs as a ZIP, and the register).

What a certificate means is course data (course.yaml's certificate); the register lives in
the certificates table; the PDF is drawn in a tracked task, outside the turn."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from sqlalchemy import func, select

from bot.content.models import CertificateRules
from bot.db.models import Certificate, Cohort, Participant
from bot.delivery import outbox
from bot.domain.certificates import Missing, normal_code
from bot.domain.profile import Command
from bot.features.certificates import bundle, records
from bot.features.certificates.pdf import Holder, filename, hours_text, render
from bot.features.certificates.texts import missing_text
from bot.kernel.context import Context, escape, fill, menu_buttons, rows
from bot.kernel.i18n import N_, Translator
from bot.kernel.labels import municipality_name
from bot.kernel.messages import Button, Document, EditSource, Message, Outbound
from bot.kernel.registry import COORDINATOR, TRAINER, Registry
from bot.kernel.tasks import TaskJob, tasks_of
from bot.kernel.widgets import number, record, stale

PDF_TASK, BUNDLE_TASK = "certificate", "certificates"
BUTTON = "cert"
REASON_MIN, REASON_MAX = 5, 500
NO_GROUP = "none"


def _rules(ctx: Context) -> CertificateRules | None:
    return ctx.index.course.certificate


def _no_certificate(ctx: Context) -> list[Outbound]:
    return [Message(ctx._("This course does not issue certificates."))]


def _missing_line(ctx: Context, item: Missing) -> str:
    line = "• " + escape(missing_text(ctx.tr, ctx.index.course, item))
    return line + " (/ideas)" if item.kind == "ideas" else line


def _holder(tr: Translator, person: Participant | None) -> Holder:
    if person is None:
        return Holder()
    municipality = (
        municipality_name(tr, person.municipality)
        if person.municipality and person.municipality != "other"
        else ""
    )
    return Holder(person.institution or "", municipality)


def _verdict(ctx: Context, certificate: Certificate) -> str:
    """What /verify and the verification page say: status, name, course, hours, date."""
    course = records.course_title(certificate, ctx.tr.language)
    values = {
        "number": certificate.number or "",
        "name": certificate.holder_name,
        "course": course,
        "hours": hours_text(ctx.tr, certificate.hours),
        "date": certificate.issued_at.astimezone(ctx.zone).date().isoformat(),
    }
    if certificate.revoked_at is not None:
        head = fill(
            ctx._("❌ <b>Certificate {number} was revoked</b> on {revoked}."),
            number=values["number"],
            revoked=certificate.revoked_at.astimezone(ctx.zone).date().isoformat(),
        )
    else:
        head = fill(ctx._("✅ <b>Certificate {number} is valid.</b>"), number=values["number"])
    body = fill(
        ctx._("Holder: {name}\nCourse: {course}\nHours: {hours}\nIssued on: {date}"), **values
    )
    return f"{head}\n\n{body}"


def _unknown_code(ctx: Context, code: str) -> list[Outbound]:
    text = ctx._("No certificate has the code {code}. Please check the letters and digits.")
    return [Message(fill(text, code=code))]


def _reason_please(ctx: Context, usage: str) -> list[Outbound]:
    ask = ctx._("Please add the reason (a few words): it goes into the audit log.")
    return [Message(f"{ask}\n\n{usage}")]


async def request_certificate(ctx: Context, command: Command) -> list[Outbound]:
    """Send the participant their certificate, or say exactly what is still missing."""
    rules = _rules(ctx)
    if rules is None:
        return _no_certificate(ctx)
    course_id = ctx.index.course.id
    held = await records.current(ctx.session, ctx.participant.id, course_id)
    if held is not None:
        await tasks_of(ctx.deps).submit(ctx, PDF_TASK, {"certificate": held.id})
        return [Message(ctx._("⏳ Preparing your certificate… It will arrive here."))]
    today = ctx.now.astimezone(ctx.zone).date()
    progress = await records.progress_of(
        ctx.session, ctx.participant.id, ctx.index, rules, today, ctx.zone
    )
    if progress.missing:
        lines = [ctx._("🎓 The certificate is close! Still to do:")]
        lines += [_missing_line(ctx, item) for item in progress.missing]
        lines += ["", ctx._("Once it is all done, send /certificate again.")]
        return [Message("\n".join(lines), menu_buttons(ctx))]
    certificate = await records.issue(
        ctx.session, ctx.participant, ctx.index, rules, progress, ctx.now
    )
    await tasks_of(ctx.deps).submit(ctx, PDF_TASK, {"certificate": certificate.id})
    text = fill(
        ctx._(
            "🎉 Congratulations, you have completed the course! Certificate {number} "
            "is being drawn up, it will arrive here in a moment."
        ),
        number=certificate.number or "",
    )
    return [Message(text)]


async def send_pdf(job: TaskJob) -> list[Outbound]:
    """Draw one certificate; a certificate issued by a trainer goes to its holder too."""
    async with job.context() as ctx:
        certificate = await ctx.session.get(Certificate, int(job.params["certificate"]))
        if certificate is None:
            return [Message(ctx._("That certificate is no longer in the register."))]
        holder_tr = ctx.translations.get(certificate.language)
        person = (
            await ctx.session.get(Participant, certificate.participant_id)
            if certificate.participant_id
            else None
        )
        holder, base_url = _holder(holder_tr, person), ctx.deps.public_base_url
        for_holder = ctx.participant.id == certificate.participant_id
        data = await asyncio.to_thread(render, certificate, holder, holder_tr, base_url)
        name = filename(holder_tr, certificate)
        if not for_holder and job.params.get("deliver") and certificate.participant_id:
            caption = holder_tr.gettext("🎓 Your certificate {number}.").format(
                number=certificate.number or ""
            )
            await outbox.enqueue(
                ctx.session,
                participant_id=certificate.participant_id,
                dedupe_key=f"certificate:{certificate.id}",
                replies=[Document(data, name, caption)],
                now=ctx.now,
                purpose="certificate",
            )
        tr = ctx.tr
        number_ = certificate.number or ""
    if for_holder:
        caption = tr.gettext(
            "🎓 Your certificate {number}. Anyone can check it with the QR code or /verify."
        )
        return [Document(data, name, fill(caption, number=number_))]
    if not job.params.get("deliver"):
        return [Document(data, name)]
    sent = tr.gettext("✅ Certificate {number}: sent to its holder; a copy is here.")
    return [Document(data, name), Message(fill(sent, number=number_))]


async def verify(ctx: Context, command: Command) -> list[Outbound]:
    """Check a certificate by the code printed under its QR code."""
    typed = command.args.strip()
    if not typed:
        return [
            Message(
                ctx._(
                    "Send /verify and the code printed under the certificate's QR "
                    "code, for example: /verify 7KQ4-M2XD-9TRA"
                )
            )
        ]
    code = normal_code(typed)
    if code is None:
        return [
            Message(
                ctx._(
                    "That does not look like a certificate code: it has 12 letters and digits, "
                    "for example 7KQ4-M2XD-9TRA."
                )
            )
        ]
    certificate = await records.by_code(ctx.session, code)
    if certificate is None:
        return _unknown_code(ctx, code)
    return [Message(_verdict(ctx, certificate))]


async def issue_by_hand(ctx: Context, command: Command) -> list[Outbound]:
    """A trainer issues a certificate to a participant, with a reason for the audit log."""
    rules = _rules(ctx)
    if rules is None:
        return _no_certificate(ctx)
    wanted, _, reason = command.args.strip().partition(" ")
    usage = ctx._(
        "Send /issue_certificate, the participant's number and the reason, for example:\n"
        "/issue_certificate #12 attended every workshop in person"
    )
    person_id = number(wanted) if wanted else None
    if person_id is None:
        return [Message(usage)]
    person = await ctx.session.get(Participant, person_id)
    if person is None or person.onboarded_at is None:
        return [Message(fill(ctx._("I found no participant {id}."), id=wanted) + "\n\n" + usage)]
    reason = reason.strip()[:REASON_MAX]
    if len(reason) < REASON_MIN:
        return _reason_please(ctx, usage)
    held = await records.current(ctx.session, person.id, ctx.index.course.id)
    if held is not None:
        text = fill(
            ctx._(
                "#{id} already holds certificate {number}. To issue a new one, revoke it "
                "first: /revoke_certificate {code} reason"
            ),
            id=person.id,
            number=held.number or "",
            code=held.code,
        )
        return [Message(text)]
    today = ctx.now.astimezone(ctx.zone).date()
    progress = await records.progress_of(ctx.session, person.id, ctx.index, rules, today, ctx.zone)
    certificate = await records.issue(
        ctx.session,
        person,
        ctx.index,
        rules,
        progress,
        ctx.now,
        issued_by=ctx.participant.id,
        reason=reason,
    )
    await record(
        ctx,
        "certificate.issue",
        f"participant:{person.id}",
        number=certificate.number,
        reason=reason,
        missing=[asdict(item) for item in progress.missing],
    )
    await tasks_of(ctx.deps).submit(ctx, PDF_TASK, {"certificate": certificate.id, "deliver": True})
    text = fill(
        ctx._("✅ Certificate {number} issued to #{id} {name}. I am sending it to them."),
        number=certificate.number or "",
        id=person.id,
        name=person.name or "",
    )
    return [Message(text)]


async def revoke(ctx: Context, command: Command) -> list[Outbound]:
    """A trainer revokes a certificate by its code, with a reason for the audit log."""
    typed, _, reason = command.args.strip().partition(" ")
    usage = ctx._(
        "Send /revoke_certificate, the certificate's code and the reason, for example:\n"
        "/revoke_certificate 7KQ4-M2XD-9TRA issued by mistake"
    )
    code = normal_code(typed) if typed else None
    if code is None:
        return [Message(usage)]
    certificate = await records.by_code(ctx.session, code)
    if certificate is None:
        return _unknown_code(ctx, code)
    if certificate.revoked_at is not None:
        return [Message(_verdict(ctx, certificate))]
    reason = reason.strip()[:REASON_MAX]
    if len(reason) < REASON_MIN:
        return _reason_please(ctx, usage)
    certificate.revoked_at = ctx.now
    certificate.revoked_by = ctx.participant.id
    certificate.revoke_reason = reason
    await ctx.session.flush()
    await record(
        ctx,
        "certificate.revoke",
        f"certificate:{certificate.id}",
        number=certificate.number,
        reason=reason,
    )
    text = fill(
        ctx._("✅ Certificate {number} ({name}) is revoked. The verification page now says so."),
        number=certificate.number or "",
        name=certificate.holder_name,
    )
    return [Message(text)]


async def _groups(ctx: Context) -> list[tuple[str, str, int]]:
    """(payload value, label, certificates) for each group that has certificates."""
    counted = await ctx.session.execute(
        select(Certificate.cohort_id, func.count())
        .where(Certificate.course_id == ctx.index.course.id)
        .group_by(Certificate.cohort_id)
    )
    counts = {cohort_id: count for cohort_id, count in counted}
    names = {
        cohort.id: cohort.name
        for cohort in await ctx.session.scalars(
            select(Cohort).where(Cohort.id.in_([c for c in counts if c is not None]))
        )
    }
    groups = [
        (str(cohort_id), names.get(cohort_id, f"#{cohort_id}"), count)
        for cohort_id, count in counts.items()
        if cohort_id is not None
    ]
    groups.sort(key=lambda group: group[1])
    if None in counts:
        groups.append((NO_GROUP, ctx._("Not in a group"), counts[None]))
    return groups


async def list_groups(ctx: Context, command: Command) -> list[Outbound]:
    """Offer each group's certificates as a ZIP with the register."""
    groups = await _groups(ctx)
    if not groups:
        return [Message(ctx._("No certificates have been issued yet."))]
    buttons = rows(
        *(Button(f"{label} ({count})", f"{BUTTON}:g:{value}") for value, label, count in groups),
        Button(ctx._("✖️ Cancel"), f"{BUTTON}:x"),
    )
    text = ctx._(
        "Whose certificates? You will get them as one ZIP of PDFs, with the register of "
        "numbers issued (XLSX)."
    )
    return [Message(text, buttons)]


async def pressed(ctx: Context, payload: str) -> list[Outbound]:
    """A group chosen: build its ZIP and register in a task."""
    _, _, rest = payload.partition(":")
    step, _, value = rest.partition(":")
    if step == "x":
        return [EditSource(ctx._("Cancelled. Nothing was changed."))]
    if step != "g" or not (value == NO_GROUP or value.isdigit()):
        return stale(ctx)
    await tasks_of(ctx.deps).submit(ctx, BUNDLE_TASK, {"cohort": value})
    return [
        EditSource(ctx._("⏳ Preparing the certificates and the register… They will arrive here."))
    ]


async def send_bundle(job: TaskJob) -> list[Outbound]:
    """One group's certificates as a ZIP of PDFs, and the register as XLSX."""
    value = str(job.params["cohort"])
    cohort_id = None if value == NO_GROUP else int(value)
    async with job.context() as ctx:
        found = await records.of_cohort(ctx.session, cohort_id, ctx.index.course.id)
        people = await records.holders(
            ctx.session, {c.participant_id for c in found if c.participant_id}
        )
        cohort = await ctx.session.get(Cohort, cohort_id) if cohort_id else None
        group = cohort.name if cohort else ctx._("Not in a group")
        await record(ctx, "certificates.export", f"cohort:{value}", count=len(found))
        tr, translations, zone = ctx.tr, ctx.translations, ctx.zone
        base_url, now = ctx.deps.public_base_url, ctx.now
    items = []
    for certificate in found:
        holder_tr = translations.get(certificate.language)
        person = people.get(certificate.participant_id or 0)
        items.append(bundle.Item(certificate, _holder(holder_tr, person), holder_tr))
    archive, sheet = await asyncio.to_thread(bundle.build, items, tr, zone, base_url)
    day = now.astimezone(zone).date().isoformat()
    stem = bundle.slug(group)
    valid = sum(c.revoked_at is None for c in found)
    caption = fill(
        tr.ngettext("{group}: {n} valid certificate.", "{group}: {n} valid certificates.", valid),
        group=group,
        n=valid,
    )
    return [
        Document(archive, f"{stem}-{day}.zip", caption),
        Document(sheet, f"{stem}-register-{day}.xlsx", tr.gettext("The register of numbers.")),
    ]


def register(registry: Registry) -> None:
    """Add the certificate commands, the group buttons and the tasks that draw the PDFs."""
    registry.command("certificate", N_("get your certificate of completion"))(request_certificate)
    registry.command("verify", N_("check a certificate by its code"), before_onboarding=True)(
        verify
    )
    registry.command("issue_certificate", N_("issue a certificate by hand"), roles={TRAINER})(
        issue_by_hand
    )
    registry.command("revoke_certificate", N_("revoke a certificate"), roles={TRAINER})(revoke)
    registry.command(
        "certificates", N_("a group's certificates (ZIP) and the register"), roles={COORDINATOR}
    )(list_groups)
    registry.button(BUTTON, roles={COORDINATOR})(pressed)
    registry.task(PDF_TASK)(send_pdf)
    registry.task(BUNDLE_TASK)(send_bundle)
