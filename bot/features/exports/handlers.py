"""/export (coordinators): the course's data as an XLSX workbook, a zip of CSVs, or xAPI
statements for a learning record store, sent as a file."""

from __future__ import annotations

import asyncio

from bot.domain.profile import Command
from bot.features.exports import files as export_files
from bot.features.exports import tables as exports
from bot.kernel.context import Context, fill, rows
from bot.kernel.i18n import N_
from bot.kernel.messages import Button, Document, EditSource, Message, Outbound
from bot.kernel.registry import COORDINATOR, Registry
from bot.kernel.snapshot import load_snapshot
from bot.kernel.tasks import TaskJob, tasks_of
from bot.kernel.widgets import record, stale

BUTTON = "export"
FORMATS = {
    "xlsx": N_("📊 Excel workbook (XLSX)"),
    "csv": N_("📄 CSV files (zip)"),
    "xapi": N_("🎓 xAPI statements (JSON)"),
}


def _menu(ctx: Context) -> Message:
    buttons = rows(
        *(Button(ctx._(label), f"{BUTTON}:{kind}") for kind, label in FORMATS.items()),
        Button(ctx._("✖️ Cancel"), f"{BUTTON}:x"),
    )
    text = ctx._(
        "What shall I export? The workbook has a sheet per view: participants, lessons, "
        "quiz answers and ideas; the CSV zip holds the same views as files."
    )
    return Message(text, buttons)


async def build_export(job: TaskJob) -> list[Outbound]:
    """The export task: read the data in a short session, build the file outside it."""
    kind = str(job.params["format"])
    async with job.context() as ctx:
        snapshot = await load_snapshot(ctx.session, ctx.index, ctx.now, ctx.zone)
        tr, label = ctx.tr, ctx._(FORMATS[kind])
        await record(ctx, f"export.{kind}", None)
    day = snapshot.today.isoformat()
    if kind == "xapi":
        events = exports.xapi_events(snapshot)
        course = snapshot.index.course
        data = await asyncio.to_thread(export_files.xapi_json, events, course.id, course.title)
        caption = tr.ngettext("{n} xAPI statement", "{n} xAPI statements", len(events))
        document = Document(data, f"culture-coach-xapi-{day}.json", caption.format(n=len(events)))
    else:
        tables = exports.tables(snapshot, tr)
        if kind == "xlsx":
            data = await asyncio.to_thread(export_files.xlsx, tables)
            filename = f"culture-coach-{day}.xlsx"
        else:
            data = await asyncio.to_thread(export_files.csv_zip, tables)
            filename = f"culture-coach-csv-{day}.zip"
        caption = fill(
            tr.gettext(
                "Participants: {people}, lessons: {lessons}, answers: {answers}, ideas: {ideas}."
            ),
            people=len(tables[0].rows),
            lessons=len(tables[1].rows),
            answers=len(tables[2].rows),
            ideas=len(tables[3].rows),
        )
        document = Document(data, filename, caption)
    done = fill(tr.gettext("✅ {format}: sent."), format=label)
    return [document, Message(done)]


def register(registry: Registry) -> None:
    """Add /export and its format buttons."""

    @registry.command("export", N_("download the course data"), roles={COORDINATOR})
    async def export(ctx: Context, command: Command) -> list[Outbound]:
        """Offer the export formats."""
        return [_menu(ctx)]

    @registry.button(BUTTON, roles={COORDINATOR})
    async def pressed(ctx: Context, payload: str) -> list[Outbound]:
        """Build the chosen file and send it."""
        kind = payload.partition(":")[2]
        if kind == "x":
            return [EditSource(ctx._("Cancelled. Nothing was changed."))]
        if kind not in FORMATS:
            return stale(ctx)
        await tasks_of(ctx.deps).submit(ctx, "export", {"format": kind})
        label = ctx._(FORMATS[kind])
        preparing = fill(ctx._("⏳ Preparing {format}… It will arrive here."), format=label)
        return [EditSource(preparing)]

    registry.task("export")(build_export)
