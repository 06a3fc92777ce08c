"""Benchmark of the bot as people use it, measured from outside, beside a baseline.

The fake Bot API runs in this process; the real bot (`python -m bot run`, a fresh database,
LOG_LEVEL=WARNING, every other setting at its default) and then a bare python-telegram-bot echo
bot (bench/echo_bot.py) each run as their own OS process against it, one after the other, and
are driven the same way by fake people, each waiting for the reply before the next step:

  start     N new people (default 100) each send /start 5 times
  quiz      N people, onboarded first through the real dialogue (untimed), answer the first
            lesson's questions rightly, button by button, all at once (the echo bot gets the
            same number of button presses / messages)
  commands  20 onboarded people each send /progress and /help, 5 times over
  burst     500 new people send /start at the same moment
  all       the four, one after another (the default)

Reply latency: from the update being queued in the fake to the first message (send or edit)
the bot makes in that chat. A turn fails on the bot's "something went wrong" text, on no
reply within the timeout, or when it is never taken because an earlier turn of that person
timed out or the scenario ran out of time.

Every wait has a timeout (--timeout per reply, --deadline per phase); the default run (all four,
one run each) takes under a minute on 2 cores. --verbose prints the chat of anyone who got
stuck; --keep DIR keeps each process's log and SQLite file.

Run: python -m bench.interactive [--scenario NAME] [--people N] [--runs K]
                                 [--limits on|off] [--database sqlite|postgres]"""

from __future__ import annotations

import argparse
import asyncio
import html
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    Database,
    Process,
    TimedFakeBotAPI,
    cpu_seconds,
    peak_rss_mb,
)
from tests.fakes.bot_api import Call, FakeUser  # noqa: E402
from tests.fakes.bot_api_limits import FloodLimits  # noqa: E402

ERROR_MSGID = "Sorry, something went wrong on my side. Please try again."
ERROR_FALLBACK = "Atsiprašau, įvyko klaida. Pabandykite dar kartą."
REPLY_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
    }
)
OPEN_ANSWER = "Pirmame puslapyje parodysime darbo laiką, adresą ir artimiausius renginius."
# What tests/e2e/test_polling.py does: (send text | press the button labelled, what the bot's
# next message says once the step is taken).
ONBOARDING = (
    ("send", "/start", "Kuria kalba"),
    ("press", "Lietuviškai", "Jūsų duomenys"),
    ("press", "Sutinku", "vardą ir pavardę"),
    ("send", "Ona Petraitė", "savivaldybėje"),
    ("press", "Anykščiai", "įstaigoje"),
    ("send", "Anykščių kultūros centras", "veiklos sritis"),
    ("press", "Organizuoju", "Kada"),
    ("press", "08:00", "Klausimas 1 iš"),
)
WELCOME = "Kuria kalba"  # the language question, the last message of a reply to /start
TARGETS = ("bot", "echo")


def error_text() -> str:
    """The Lithuanian "Sorry, something went wrong" the bot sends, from its catalogue."""
    for po in sorted((ROOT / "bot/locales/lt/LC_MESSAGES").glob("*.po")):
        lines = po.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if line == f'msgid "{ERROR_MSGID}"' and i + 1 < len(lines):
                found = re.match(r'msgstr "(.*)"$', lines[i + 1])
                if found and found.group(1):
                    return found.group(1)
    return ERROR_FALLBACK


# --- the course's questions (content data, to know the right answers) ------------------------


@dataclass
class Question:
    id: str
    type: str  # single | multiple | true_false | open
    prompt: str
    correct: frozenset[str]  # Lithuanian texts of the correct options


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def load_questions() -> tuple[list[Question], list[Question]]:
    """Every question of the course, and the first lesson's questions in order."""
    content = ROOT / "content"
    course = yaml.safe_load((content / "course.yaml").read_text(encoding="utf-8"))
    every: list[Question] = []
    first: list[Question] = []
    for number, module in enumerate(course["modules"]):
        data = yaml.safe_load((content / "modules" / f"{module}.yaml").read_text("utf-8"))
        for lesson_number, lesson in enumerate(data["lessons"]):
            for q in lesson.get("quiz") or []:
                question = Question(
                    id=q["id"],
                    type=q["type"],
                    prompt=_plain(q["prompt"]["lt"]),
                    correct=frozenset(
                        _plain(o["text"]["lt"]) for o in q.get("options") or [] if o.get("correct")
                    ),
                )
                every.append(question)
                if number == 0 and lesson_number == 0:
                    first.append(question)
    every.sort(key=lambda q: -len(q.prompt))  # the longest prompt that fits wins
    return every, first


def planned_steps(lesson: list[Question]) -> list[str]:
    """The updates that answer a lesson rightly: 'press' per button, 'send' per open answer."""
    steps: list[str] = []
    for question in lesson:
        if question.type == "open":
            steps.append("send")
        elif question.type == "multiple":
            steps.extend(["press"] * (len(question.correct) + 1))  # tick each, then submit
        else:
            steps.append("press")
    return steps


# --- what counts as a reply, and when a turn is over ---------------------------------------


Settle = Callable[[Call], bool]


def _text(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


def has_keyboard(call: Call) -> bool:
    markup = call.params.get("reply_markup")
    return isinstance(markup, dict) and any(markup.get("inline_keyboard") or [])


def first_reply(call: Call) -> bool:
    return True


def message_with(text: str) -> Settle:
    """A new message saying `text`."""

    def settle(call: Call) -> bool:
        return call.method == "sendmessage" and text in _text(call)

    return settle


def keyboard_edited(message_id: int) -> Settle:
    """An edit of that message, keeping a keyboard (an option ticked)."""

    def settle(call: Call) -> bool:
        edit = call.method.startswith("edit") and call.params.get("message_id") == message_id
        return edit and has_keyboard(call)

    return settle


def question_or_end(call: Call) -> bool:
    """The next question, or the end of the lesson."""
    text = _text(call)
    return call.method == "sendmessage" and (text.startswith("❓") or "🏁" in text)


@dataclass
class Turn:
    settle: Settle
    future: asyncio.Future[None]
    t0: float = 0.0
    first: float | None = None
    done_at: float | None = None
    outcome: str = "timeout"  # ok | error | timeout


@dataclass
class Person:
    user: FakeUser
    planned: int = 0
    attempted: int = 0
    stopped: bool = False
    turn: Turn | None = None
    last_message_id: int | None = None  # the bot's latest message here
    question_id: int | None = None  # the latest quiz question the bot sent here
    lesson_done: bool = False
    events: list[tuple[float, str]] = field(default_factory=list)  # for --verbose traces
    last_text: str | None = None  # of the bot's latest new message here
    spoke_since: bool = True  # whether the person sent an update after that message


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)  # ms, of answered turns
    ok: int = 0
    errors: int = 0
    timeouts: int = 0
    last_done: float = 0.0


class Driver:
    """Fake people on the fake Bot API; observes every call the bot makes."""

    def __init__(self, api: TimedFakeBotAPI, error: str) -> None:
        self.api = api
        self.error = error
        self.people: dict[int, Person] = {}
        self.stats = Stats()
        self.duplicates = 0
        self._next_id = 10_000_000
        api.observers.append(self._observe)

    def new_person(self) -> Person:
        self._next_id += 1
        person = Person(self.api.user(self._next_id, f"P{self._next_id}"))
        self.people[self._next_id] = person
        return person

    def _observe(self, call: Call, arrived: float) -> None:
        if call.status != 200 or call.method not in REPLY_METHODS:
            return
        person = self.people.get(call.params.get("chat_id"))  # type: ignore[arg-type]
        if person is None:
            return
        text = _text(call)
        keyboard = " +keyboard" if has_keyboard(call) else ""
        person.events.append((arrived, f"bot {call.method} {text[:48]!r}{keyboard}"))
        if call.method == "sendmessage" and isinstance(call.result, dict):
            if text == person.last_text and not person.spoke_since:
                self.duplicates += 1  # the same message again, nothing asked in between
            person.last_text, person.spoke_since = text, False
            person.last_message_id = call.result.get("message_id")
            if text.startswith("❓"):
                person.question_id = person.last_message_id
            if "🏁" in text:
                person.lesson_done = True
        turn = person.turn
        if turn is None or turn.future.done():
            return
        if turn.first is None:
            turn.first = arrived
        if self.error in text:
            turn.outcome, turn.done_at = "error", arrived
            turn.future.set_result(None)
        elif turn.settle(call):
            turn.outcome, turn.done_at = "ok", arrived
            turn.future.set_result(None)

    async def turn(
        self,
        person: Person,
        action: Callable[[], object],
        settle: Settle,
        timeout: float,  # noqa: ASYNC109
        *,
        timed: bool = True,
    ) -> Turn:
        """One update and the wait for the bot's reply to it."""
        turn = Turn(settle, asyncio.get_running_loop().create_future())
        person.turn = turn
        turn.t0 = time.perf_counter()
        update = action()
        person.spoke_since = True
        if isinstance(update, dict):
            message = update.get("message") or {}
            query = update.get("callback_query") or {}
            what = message.get("text") or f"press {query.get('data')}"
            person.events.append((turn.t0, f"person {what!r}"))
        try:
            await asyncio.wait_for(asyncio.shield(turn.future), timeout)
        except TimeoutError:
            turn.outcome = "timeout"
            person.events.append((time.perf_counter(), f"no reply within {timeout:g} s"))
        person.turn = None
        if turn.outcome != "ok":
            person.stopped = turn.outcome == "timeout"  # its chat is in an unknown state
        if timed:
            person.attempted += 1
            stats = self.stats
            if turn.outcome == "ok":
                assert turn.first is not None and turn.done_at is not None
                stats.ok += 1
                stats.latencies.append((turn.first - turn.t0) * 1000)
                stats.last_done = max(stats.last_done, turn.done_at)
            elif turn.outcome == "error":
                stats.errors += 1
            else:
                stats.timeouts += 1
        return turn


def press_label(person: Person, label: str) -> Callable[[], object] | None:
    """Pressing the newest button whose text contains `label`, if the chat has one."""
    user = person.user
    for message in reversed(user.messages):
        for text, data in user.buttons(message):
            if label in text:
                return partial(user.press, message, data)
    return None


# --- scenarios -------------------------------------------------------------------------------


@dataclass
class Context:
    driver: Driver
    target: str  # bot | echo
    timeout: float
    deadline: float  # perf_counter() after which no new turn starts
    questions: list[Question]
    lesson: list[Question]
    notes: list[str] = field(default_factory=list)
    verbose: bool = False

    def over(self) -> bool:
        return time.perf_counter() > self.deadline

    def trace(self, person: Person) -> None:
        """With --verbose: print what happened in the person's chat, in order."""
        if not self.verbose:
            return
        print(f"  trace of chat {person.user.user_id}:")
        start = person.events[0][0] if person.events else 0.0
        for at, what in person.events:
            print(f"    {1000 * (at - start):9.1f} ms  {what}")


async def onboard(ctx: Context, person: Person) -> bool:
    """Walk the bot's onboarding as a person would (untimed); True once a question is shown."""
    for kind, value, expect in ONBOARDING:
        if ctx.over():
            return False
        if kind == "send":
            action: Callable[[], object] | None = partial(person.user.send, value)
        else:
            action = press_label(person, value)
        if action is None:
            shown = person.user.messages
            last = repr((shown[-1]["text"] or "")[:70]) if shown else "nothing"
            ctx.notes.append(f"onboarding: no button {value!r}; the bot's last message: {last}")
            ctx.trace(person)
            return False
        turn = await ctx.driver.turn(person, action, message_with(expect), ctx.timeout, timed=False)
        if turn.outcome != "ok":
            ctx.notes.append(f"onboarding step {value!r}: {turn.outcome}")
            ctx.trace(person)
            return False
    return person.question_id is not None


async def echo_warm_up(ctx: Context, person: Person) -> bool:
    """A first message, so the echo bot has sent one to press buttons under (untimed)."""
    turn = await ctx.driver.turn(
        person, lambda: person.user.send("Labas"), first_reply, ctx.timeout, timed=False
    )
    return turn.outcome == "ok" and person.last_message_id is not None


async def prepare_onboarded(ctx: Context, person: Person) -> bool:
    return await (onboard(ctx, person) if ctx.target == "bot" else echo_warm_up(ctx, person))


async def drive_texts(ctx: Context, person: Person, texts: list[str], settle: Settle) -> None:
    for text in texts:
        if person.stopped or ctx.over():
            return
        await ctx.driver.turn(person, partial(person.user.send, text), settle, ctx.timeout)


def next_answer(ctx: Context, person: Person) -> tuple[Callable[[], object], Settle] | None:
    """The update answering the current question rightly, or None when the lesson is done."""
    user = person.user
    if person.lesson_done or person.question_id is None:
        return None
    message = user.message(person.question_id)
    text = message["text"] or ""
    question = next((q for q in ctx.questions if q.prompt and q.prompt in text), None)
    if question is None:
        ctx.notes.append(f"quiz: unknown question {text[:60]!r}")
        return None
    if question.type == "open":
        return (lambda: user.send(OPEN_ANSWER)), question_or_end
    buttons = user.buttons(message)
    if not buttons:
        ctx.notes.append(f"quiz: question {question.id} has no buttons left")
        return None
    letters = dict(re.findall(r"^([A-Z]) — (.*)$", text, re.M))
    qid = person.question_id

    def option(label: str) -> str:
        key = label.lstrip("☐☑").strip()
        return letters.get(key, key)

    if question.type == "multiple":
        for label, data in buttons:
            if label.startswith("☐") and option(label) in question.correct:
                return (lambda data=data: user.press(qid, data)), keyboard_edited(qid)
        submit = [data for label, data in buttons if not label.startswith(("☐", "☑"))]
        if submit:
            return (lambda: user.press(qid, submit[0])), question_or_end
    else:
        for label, data in buttons:
            if option(label) in question.correct:
                return (lambda data=data: user.press(qid, data)), question_or_end
    ctx.notes.append(f"quiz: no right button for {question.id} among {buttons}")
    return None


async def drive_quiz(ctx: Context, person: Person) -> None:
    if ctx.target == "echo":  # the same presses and messages, on the echo's own message
        user = person.user
        message_id = person.last_message_id
        assert message_id is not None  # echo_warm_up saw to it
        for step in planned_steps(ctx.lesson):
            if person.stopped or ctx.over():
                return
            if step == "press":
                action: Callable[[], object] = partial(
                    user.press, message_id, "answer", strict=False
                )
            else:
                action = partial(user.send, OPEN_ANSWER)
            await ctx.driver.turn(person, action, first_reply, ctx.timeout)
        return
    for _ in range(4 * person.planned + 4):  # a bound, should the bot loop
        if person.stopped or ctx.over():
            return
        answer = next_answer(ctx, person)
        if answer is None:
            break
        await ctx.driver.turn(person, answer[0], answer[1], ctx.timeout)
    if person.attempted != person.planned:
        ctx.notes.append(f"quiz: {person.attempted} updates to answer, {person.planned} planned")
        ctx.trace(person)


@dataclass
class Scenario:
    name: str
    people: int
    timeout: float
    describe: str
    planned: Callable[[Context], int]
    drive: Callable[[Context, Person], Awaitable[None]]
    prepare: Callable[[Context, Person], Awaitable[bool]] | None = None


def _starts(times: int) -> Callable[[Context, Person], Awaitable[None]]:
    async def drive(ctx: Context, person: Person) -> None:
        settle = message_with(WELCOME) if ctx.target == "bot" else first_reply
        await drive_texts(ctx, person, ["/start"] * times, settle)

    return drive


async def _commands(ctx: Context, person: Person) -> None:
    await drive_texts(ctx, person, ["/progress", "/help"] * 5, first_reply)


SCENARIOS = {
    "start": Scenario(
        "start", 100, 30, "new people each send /start 5 times", lambda c: 5, _starts(5)
    ),
    "quiz": Scenario(
        "quiz",
        100,
        30,
        "onboarded people answer the first lesson's questions, all at once",
        lambda c: len(planned_steps(c.lesson)),
        drive_quiz,
        prepare_onboarded,
    ),
    "commands": Scenario(
        "commands",
        20,
        30,
        "onboarded people each send /progress and /help, 5 times over",
        lambda c: 10,
        _commands,
        prepare_onboarded,
    ),
    "burst": Scenario(
        "burst", 500, 60, "new people send /start at the same moment", lambda c: 1, _starts(1)
    ),
}


# --- one measured phase: one scenario against one process ----------------------------------


@dataclass
class Figures:
    updates: float | None = None  # answered turns
    ups: float | None = None
    p50: float | None = None
    p95: float | None = None
    max: float | None = None
    cpu_ms: float | None = None  # CPU per answered update
    rss_mb: float | None = None
    failed: float | None = None
    refused: float | None = None  # 429s the fake answered
    locked: float | None = None  # "database is locked" lines in the process's log
    log_errors: float | None = None
    driver_cpu: float | None = None  # % of one core used by this process (fake + people)
    ready_s: float | None = None
    unprepared: float | None = None  # people the untimed preparation (onboarding) failed for
    duplicates: float | None = None  # a message sent twice in a row, unasked (whole process)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def _argv_env(
    target: str, api: TimedFakeBotAPI, database_url: str, limits: str = "off"
) -> tuple[list[str], dict]:
    env = {
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.root_url,
        "LOG_LEVEL": "WARNING",
    }
    if target == "bot":
        env.update({"DATABASE_URL": database_url, "CONTENT_DIR": str(ROOT / "content")})
        if limits == "off":  # the server enforces nothing: the bot's own pacing is off too,
            # so only its handling is timed (with limits on it keeps Telegram's pace)
            env.update({"OUTBOX_CHAT_INTERVAL_SECONDS": "0", "OUTBOX_RATE_PER_SECOND": "100000"})
        profile = os.environ.get("BENCH_PROFILE")  # a file: the bot runs under cProfile
        if profile:
            return [sys.executable, "-m", "cProfile", "-o", profile, "-m", "bot", "run"], env
        spy = os.environ.get("BENCH_PYSPY")  # a file: py-spy samples the bot (collapsed stacks)
        if spy:
            # py-spy writes its file on SIGINT; the bench stops the bot with SIGTERM
            record = f"py-spy record --format raw -r 250 -o {spy} -- {sys.executable} -m bot run"
            wrapper = f'{record} & trap "kill -INT $!; wait $!" TERM; wait $!'
            return ["sh", "-c", wrapper], env
        return [sys.executable, "-m", "bot", "run"], env
    return [sys.executable, str(ROOT / "bench" / "echo_bot.py")], env


async def measure(
    scenario: Scenario,
    target: str,
    people: int,
    args: argparse.Namespace,
    api: TimedFakeBotAPI,
    driver: Driver,
    workdir: Path,
    questions: tuple[list[Question], list[Question]],
    tag: str,
) -> tuple[Figures, list[str]]:
    """Start the process, prepare people (untimed), drive them (timed), stop the process."""
    figures = Figures()
    directory = workdir / tag
    directory.mkdir(parents=True, exist_ok=True)
    database = Database(args.database, directory)
    url = await database.create() if target == "bot" else ""
    argv, env = _argv_env(target, api, url, args.limits)
    process = Process(target, argv, env, directory, directory / "process.log")
    timeout = args.timeout or scenario.timeout
    ctx = Context(driver, target, timeout, 0.0, *questions, verbose=args.verbose)
    api.drop_pending()
    duplicates = driver.duplicates
    try:
        if not await process.start(api, args.ready_timeout):
            tail = process.log_text().strip().splitlines()[-5:]
            ctx.notes.append(f"{target} did not start polling: {' | '.join(tail)}")
            figures.failed = people * scenario.planned(ctx)
            return figures, ctx.notes
        figures.ready_s = process.ready_seconds
        crowd = [driver.new_person() for _ in range(people)]
        for person in crowd:
            person.planned = scenario.planned(ctx)
        if scenario.prepare is not None:
            ctx.deadline = time.perf_counter() + args.deadline
            prepare = scenario.prepare
            ready = await _bounded(
                asyncio.gather(*(prepare(ctx, p) for p in crowd)),
                args.deadline + timeout + 10,
            )
            for person, fine in zip(crowd, ready or [False] * len(crowd), strict=True):
                person.stopped = not fine
            figures.unprepared = sum(1 for p in crowd if p.stopped)
        driver.stats = Stats()
        cpu_before = cpu_seconds(process.pid)
        calls_before = len(api.calls)
        own_before, started = time.process_time(), time.perf_counter()
        ctx.deadline = started + args.deadline
        await _bounded(
            asyncio.gather(*(scenario.drive(ctx, p) for p in crowd if not p.stopped)),
            args.deadline + timeout + 10,
        )
        wall = time.perf_counter() - started
        own = time.process_time() - own_before
        cpu_after = cpu_seconds(process.pid)
        figures.rss_mb = peak_rss_mb(process.pid)
        stats = driver.stats
        never = sum(max(0, p.planned - p.attempted) for p in crowd)
        figures.updates = stats.ok
        figures.failed = stats.errors + stats.timeouts + never
        if stats.ok:
            figures.ups = stats.ok / max(stats.last_done - started, 1e-9)
            figures.p50 = percentile(stats.latencies, 0.50)
            figures.p95 = percentile(stats.latencies, 0.95)
            figures.max = max(stats.latencies)
            if cpu_before is not None and cpu_after is not None:
                figures.cpu_ms = (cpu_after - cpu_before) / stats.ok * 1000
        figures.refused = sum(1 for call in api.calls[calls_before:] if call.status == 429)
        figures.driver_cpu = 100 * own / wall if wall > 0 else None
        if stats.errors:
            ctx.notes.append(f"{stats.errors} turns got the error text")
        if stats.timeouts:
            ctx.notes.append(f"{stats.timeouts} turns had no reply within {timeout:g} s")
        if never:
            ctx.notes.append(
                f"{never} turns never taken (preparation failed, a timeout before, out of time)"
            )
    finally:
        await process.stop()
        await database.drop()
        figures.duplicates = driver.duplicates - duplicates
        records = log_records(process.log_text())
        figures.locked = sum(1 for record in records if "database is locked" in record)
        figures.log_errors = sum(1 for record in records if _ERROR_RECORD.match(record))
        if process.exit_code not in (0, None):
            ctx.notes.append(f"{target} exited with {process.exit_code}")
    return figures, ctx.notes


_RECORD_START = re.compile(r"(?m)^(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|[A-Z]+:[\w.]+:)")
_ERROR_RECORD = re.compile(r"^(?:\S+ \S+ )?(?:ERROR|CRITICAL)\b")


def log_records(log: str) -> list[str]:
    """A log split into records (a record's traceback stays with it): the bot's format
    starts each with a timestamp, logging.basicConfig's with LEVEL:name:."""
    return [record for record in _RECORD_START.split(log) if record.strip()]


async def _bounded(awaitable: Awaitable[Any], seconds: float) -> Any:
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except TimeoutError:
        return None


# --- report ----------------------------------------------------------------------------------


ROWS = (  # label, field, format, ratio?
    ("answered updates", "updates", "{:.0f}", False),
    ("updates/s", "ups", "{:.1f}", True),
    ("reply latency p50 (ms)", "p50", "{:.1f}", True),
    ("reply latency p95 (ms)", "p95", "{:.1f}", True),
    ("reply latency max (ms)", "max", "{:.1f}", True),
    ("CPU per reply (ms)", "cpu_ms", "{:.2f}", True),
    ("peak RSS (MB)", "rss_mb", "{:.0f}", True),
    ("failed turns", "failed", "{:.0f}", False),
    ("people not onboarded (all failed)", "unprepared", "{:.0f}", False),
    ("429s answered by the fake", "refused", "{:.0f}", False),
    ('"database is locked" (log records)*', "locked", "{:.0f}", False),
    ("ERROR records in log*", "log_errors", "{:.0f}", False),
    ("duplicate messages*", "duplicates", "{:.0f}", False),
    ("start until polling (s)", "ready_s", "{:.1f}", False),
    ("fake + people CPU (% core)", "driver_cpu", "{:.0f}", False),
)


def revision() -> str:
    """The checkout measured (git describe), or "unknown"."""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


def median_figures(runs: list[Figures]) -> Figures:
    merged = Figures()
    for name in Figures.__dataclass_fields__:
        values = [getattr(f, name) for f in runs if getattr(f, name) is not None]
        setattr(merged, name, statistics.median(values) if values else None)
    return merged


def table(title: str, bot: Figures, echo: Figures) -> str:
    def cell(value: float | None, fmt: str) -> str:
        return "—" if value is None else fmt.format(value)

    lines = [title, f"  {'':36} {'bot':>10} {'echo':>10} {'bot/echo':>9}"]
    for label, name, fmt, ratio in ROWS:
        b, e = getattr(bot, name), getattr(echo, name)
        r = f"{b / e:.2f}" if ratio and b is not None and e else ""
        lines.append(f"  {label:36} {cell(b, fmt):>10} {cell(e, fmt):>10} {r:>9}")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> None:
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    questions = load_questions()
    api = TimedFakeBotAPI()
    await api.start()
    if args.limits == "on":
        api.enforce_limits(FloodLimits())
    driver = Driver(api, error_text())
    began = time.perf_counter()
    print(
        f"bench.interactive at {revision()}: limits {args.limits}, database {args.database}, "
        f"runs {args.runs} (median shown), fake Bot API at {api.root_url}\n"
        "  latency: update queued -> the bot's first message (send or edit) in that chat; "
        "timed part only,\n  onboarding untimed; * = the whole process's life, onboarding "
        "included; CPU per reply = process CPU / answered updates",
        flush=True,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="bench-interactive-") as temp:
            workdir = Path(args.keep) if args.keep else Path(temp)
            workdir.mkdir(parents=True, exist_ok=True)
            for name in names:
                scenario = SCENARIOS[name]
                people = args.people or scenario.people
                results: dict[str, list[Figures]] = {t: [] for t in TARGETS}
                notes: dict[str, list[str]] = {t: [] for t in TARGETS}
                for k in range(args.runs):
                    for target in TARGETS:
                        figures, said = await measure(
                            scenario,
                            target,
                            people,
                            args,
                            api,
                            driver,
                            workdir,
                            questions,
                            f"{name}-{k}-{target}",
                        )
                        results[target].append(figures)
                        notes[target].extend(f"run {k + 1}: {n}" for n in dict.fromkeys(said))
                title = f"\n[{name}] {people} {scenario.describe}"
                print(table(title, *(median_figures(results[t]) for t in TARGETS)))
                for target in TARGETS:
                    for note in notes[target][:8]:
                        print(f"  note ({target}): {note}")
                print(flush=True)
    finally:
        await api.stop()
    print(f"total {time.perf_counter() - began:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--people", type=int, default=None, help="default: per scenario")
    parser.add_argument("--runs", type=int, default=1, help="repeat and report the median")
    parser.add_argument("--limits", choices=("on", "off"), default="off")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds to wait for a reply (default 30, burst 60)",
    )
    parser.add_argument(
        "--deadline", type=float, default=90, help="seconds after which no new turn starts"
    )
    parser.add_argument("--ready-timeout", type=float, default=60)
    parser.add_argument(
        "--verbose", action="store_true", help="print the chat of each person who got stuck"
    )
    parser.add_argument(
        "--keep", metavar="DIR", help="keep each process's log (and SQLite file) under DIR"
    )
    args = parser.parse_args()
    if args.runs < 1 or (args.people is not None and args.people < 1):
        parser.error("--runs and --people must be at least 1")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
