"""Export files from tables: an XLSX workbook, a zip of CSVs, xAPI statements. No I/O but
memory: callers run these in a thread (asyncio.to_thread), since big courses take a while.

CSV: one zip holding one CSV per view (participants.csv, lessons.csv, answers.csv, ideas.csv),
each UTF-8 with a byte order mark, so Excel opens Lithuanian letters correctly with a
double click; one file to send is easier to receive on a phone than four."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Cell = str | int | datetime | None


@dataclass(frozen=True)
class Table:
    """One view: a stable file name, a translated title (the sheet's), column titles, rows."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]


DATE_FORMAT = "yyyy-mm-dd hh:mm"
SHEET_TITLE_MAX = 31  # Excel's limit


def xlsx(tables: list[Table]) -> bytes:
    """A workbook with one sheet per table: bold frozen header row, dates as dates."""
    book = Workbook()
    for sheet in book.worksheets:
        book.remove(sheet)
    for table in tables:
        sheet = book.create_sheet(table.title[:SHEET_TITLE_MAX])
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        widths = [len(header) for header in table.headers]
        for row in table.rows:
            sheet.append(row)
            for column, value in enumerate(row):
                widths[column] = max(widths[column], min(len(_plain(value)), 60))
        for column, width in enumerate(widths, start=1):
            letter = get_column_letter(column)
            sheet.column_dimensions[letter].width = width + 2
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                if isinstance(cell.value, datetime):
                    cell.number_format = DATE_FORMAT
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _plain(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def csv_text(table: Table) -> bytes:
    """One table as CSV: UTF-8 with a byte order mark, comma-separated, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    writer.writerows([_plain(value) for value in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def csv_zip(tables: list[Table]) -> bytes:
    """A zip of CSV files, one per table, named after the table (participants.csv, ...)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            archive.writestr(f"{table.name}.csv", csv_text(table))
    return buffer.getvalue()


# --- xAPI ------------------------------------------------------------------------------------

XAPI_VERSION = "1.0.3"
VERB_EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
VERB_ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ACTIVITY_LESSON = "http://adlnet.gov/expapi/activities/lesson"
ACTIVITY_QUESTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
ACTIVITY_COURSE = "http://adlnet.gov/expapi/activities/course"
_VERB_NAMES = {
    VERB_EXPERIENCED: {"en-US": "experienced", "lt-LT": "susipažino"},
    VERB_ANSWERED: {"en-US": "answered", "lt-LT": "atsakė"},
    VERB_COMPLETED: {"en-US": "completed", "lt-LT": "baigė"},
}
# An account's homePage is the home of the system the account lives in.
HOME_PAGES = {
    "telegram": "https://telegram.org",
    "messenger": "https://www.facebook.com",
    "console": "http://localhost",
}
_NAMESPACE = uuid.UUID("6f1d3a52-3c1e-4f7e-9a43-5b6f0f7c2d10")


@dataclass(frozen=True)
class XapiEvent:
    """One learning event: who (channel and channel id), what (verb), on which activity."""

    channel: str
    external_id: str
    verb: str
    activity_id: str
    activity_type: str
    activity_name: dict[str, str]
    timestamp: datetime
    parent_id: str | None = None
    success: bool | None = None
    response: str | None = None


def _language_map(text: dict[str, str]) -> dict[str, str]:
    tags = {"lt": "lt-LT", "en": "en-US"}
    return {tags.get(language, language): value for language, value in text.items()}


def statement(event: XapiEvent, course_id: str, course_name: dict[str, str]) -> dict[str, Any]:
    """One xAPI statement; its id is derived from the event, so exporting twice to the same
    learning record store does not record the same event twice."""
    key = f"{event.channel}|{event.external_id}|{event.verb}|{event.activity_id}"
    stamp = event.timestamp.astimezone(UTC).isoformat(timespec="milliseconds")
    context: dict[str, Any] = {
        "platform": event.channel,
        "contextActivities": {
            "grouping": [
                {
                    "id": course_id,
                    "objectType": "Activity",
                    "definition": {"type": ACTIVITY_COURSE, "name": _language_map(course_name)},
                }
            ]
        },
    }
    if event.parent_id is not None:
        context["contextActivities"]["parent"] = [{"id": event.parent_id, "objectType": "Activity"}]
    result: dict[str, Any] = {}
    if event.success is not None:
        result["success"] = event.success
    if event.response is not None:
        result["response"] = event.response
    if event.verb == VERB_COMPLETED:
        result["completion"] = True
    body: dict[str, Any] = {
        "id": str(uuid.uuid5(_NAMESPACE, key)),
        "actor": {
            "objectType": "Agent",
            "account": {
                "homePage": HOME_PAGES.get(event.channel, "http://localhost"),
                "name": event.external_id,
            },
        },
        "verb": {"id": event.verb, "display": _VERB_NAMES[event.verb]},
        "object": {
            "id": event.activity_id,
            "objectType": "Activity",
            "definition": {
                "type": event.activity_type,
                "name": _language_map(event.activity_name),
            },
        },
        "timestamp": stamp.replace("+00:00", "Z"),
        "context": context,
        "version": XAPI_VERSION,
    }
    if result:
        body["result"] = result
    return body


def xapi_json(events: list[XapiEvent], course_id: str, course_name: dict[str, str]) -> bytes:
    """A JSON array of statements, ready to POST to a learning record store's /statements."""
    statements = [statement(event, course_id, course_name) for event in events]
    return json.dumps(statements, ensure_ascii=False, indent=1).encode("utf-8")
