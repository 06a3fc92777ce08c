"""Shared pieces of the out-of-process benchmarks: the fake Bot API with arrival times, a bot
process started as an operator would start it, a fresh database for it, and /proc readings.

Only 127.0.0.1 is ever contacted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.bot_api import Call, FakeBotAPI  # noqa: E402

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_SOCKET_DIR = "/var/run/postgresql"
POSTGRES_HAS_SOCKET = Path(POSTGRES_SOCKET_DIR).is_dir()
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# What a child process inherits; everything else is left out, so the bot runs on its defaults.
# PYTHONPATH too: `PYTHONPATH=/path/to/other/checkout python -m bench.interactive` times that code.
INHERITED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "SYSTEMROOT", "PYTHONPATH")

Observer = Callable[[Call, float], None]


class TimedFakeBotAPI(FakeBotAPI):
    """The fake Bot API, telling observers of every answered call with the perf_counter()
    time its request arrived, and counting getUpdates requests as they arrive."""

    def __init__(self) -> None:
        super().__init__()
        self.polls = 0
        self.observers: list[Observer] = []

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        if request.match_info.get("method", "").lower() == "getupdates":
            self.polls += 1
        index = len(self.calls)  # FakeBotAPI._handle appends its Call before its first await
        try:
            return await super()._handle(request)
        finally:
            if index < len(self.calls):
                call = self.calls[index]
                for observe in self.observers:
                    observe(call, arrived)

    def drop_pending(self) -> None:
        """Forget updates nobody took, so the next process does not inherit them."""
        self._drop_pending()


# --- /proc -------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (None once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set size (VmHWM) in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# --- databases ---------------------------------------------------------------------------------


@dataclass
class Database:
    """A fresh database for one bot process: a SQLite file or a PostgreSQL database."""

    kind: str  # "sqlite" | "postgres"
    directory: Path
    url: str = ""
    _name: str = ""

    async def create(self) -> str:
        if self.kind == "sqlite":
            path = self.directory / f"bench-{uuid.uuid4().hex[:8]}.db"
            self.url = f"sqlite+aiosqlite:///{path}"
        else:
            import asyncpg

            self._name = f"bench_interactive_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=10)
            try:
                await connection.execute(f'CREATE DATABASE "{self._name}"', timeout=30)
            finally:
                await connection.close()
            # The local server's Unix socket where there is one (as a bot on the database's
            # own machine would use it: a third less CPU per statement than TCP), else TCP.
            if POSTGRES_HAS_SOCKET:
                where = f"?host={POSTGRES_SOCKET_DIR}"
                self.url = f"postgresql+asyncpg://postgres@/{self._name}{where}"
            else:
                self.url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self._name}"
        return self.url

    async def drop(self) -> None:
        if self.kind != "postgres" or not self._name:
            return
        import asyncpg

        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=10)
        try:
            await connection.execute(
                f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)', timeout=30
            )
        finally:
            await connection.close()
        self._name = ""


# --- processes ---------------------------------------------------------------------------------


@dataclass
class Process:
    """A bot as its own OS process, its stdout and stderr in one file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    ready_seconds: float | None = None
    exit_code: int | None = None
    _log: object = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, api: TimedFakeBotAPI, timeout: float) -> bool:  # noqa: ASYNC109
        """Start the process; True once it polls getUpdates within `timeout` seconds."""
        env = {key: os.environ[key] for key in INHERITED_ENV if key in os.environ}
        env.update(self.env)
        self._log = self.log_path.open("wb")
        polls = api.polls
        started = time.perf_counter()
        self.process = await asyncio.create_subprocess_exec(
            *self.argv,
            cwd=self.cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if api.polls > polls:
                self.ready_seconds = time.perf_counter() - started
                return True
            if self.process.returncode is not None:
                return False
            await asyncio.sleep(0.02)
        return False

    async def stop(self, timeout: float = 20) -> None:  # noqa: ASYNC109
        """SIGTERM, then SIGKILL after `timeout` seconds."""
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await asyncio.wait_for(process.wait(), 10)
        if process is not None:
            self.exit_code = process.returncode
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]
            self._log = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""
