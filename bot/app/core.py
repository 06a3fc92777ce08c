"""The app: settings -> engine -> content -> features -> dialogue -> outbox -> jobs."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.content.loader import ContentStore
from bot.conversation.features import build_registry
from bot.conversation.flood import FloodGuard
from bot.conversation.router import Dialogue
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade_async
from bot.delivery.limiter import RateLimiter
from bot.delivery.sender import OutboxSender
from bot.features.broadcasts.monitor import PROGRESS_SECONDS, BroadcastMonitor
from bot.features.ideas.prompts import prompt_due_steps
from bot.features.privacy import retention
from bot.features.privacy.retention import RetentionReport
from bot.features.timetable.dispatch import ScheduleConfig
from bot.features.timetable.tick import ScheduleTick
from bot.jobs import Jobs
from bot.kernel.clock import Clock, SystemClock
from bot.kernel.coach import build_coach
from bot.kernel.context import Deps
from bot.kernel.i18n import Translations
from bot.net.pages import FetchPolicy

log = logging.getLogger("bot")
SAFETY = 1.02  # the platforms' limits, kept 2 % under
ERROR_TEXT = "Sorry, something went wrong on my side. Please try again."


def keep_startup_objects() -> None:
    """What start-up built (the course, catalogues, templates, SQLAlchemy's mappers, the
    libraries' modules) lives as long as the process: move it to the collector's permanent
    generation (gc.freeze), so the full collections that tens of thousands of rows set off
    (a snapshot of the course, a burst of turns) do not walk through it each time."""
    gc.collect()
    gc.freeze()


@dataclass
class App:
    """Everything one bot process holds, built once at start."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    content: ContentStore
    translations: Translations
    clock: Clock
    dialogue: Dialogue
    # Periodic jobs (bot/jobs.py: add_periodic), started by `python -m bot run` (issue 4).
    jobs: Jobs = field(default_factory=Jobs)
    # The one road out: channel adapters register their senders here; replies, lessons,
    # reminders and broadcasts all leave through it.
    outbox: OutboxSender | None = None
    # Each platform's pace, shared by its replies, lessons and broadcasts (replies first).
    limiters: dict[str, RateLimiter] = field(default_factory=dict)

    async def start(self) -> None:
        """Start the periodic jobs; on SQLite (one process) first resend what a crash left
        half-sent."""
        keep_startup_objects()
        one_process = self.engine.dialect.name == "sqlite"
        if self.outbox is not None and one_process:
            recovered = await self.outbox.recover_orphans()
            if recovered:
                log.info("outbox rows recovered after a stop rows=%d", recovered)
        # Slow work a stop cut off: run again once, or report it.
        await self.dialogue.tasks.resume(all_running=one_process)
        self.jobs.start()

    async def aclose(self) -> None:
        """Stop the jobs, let running tasks finish (up to TASK_SHUTDOWN_SECONDS; the rest are
        resumed at the next start) and release the database connections."""
        await self.jobs.stop()
        left = await self.dialogue.tasks.drain(self.settings.task_shutdown_seconds)
        if left:
            log.warning("tasks still running at shutdown tasks=%d: resumed at next start", left)
        if self.outbox is not None:
            await self.outbox.aclose()
        await self.engine.dispose()


async def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    console_admins: Iterable[str] = (),
) -> App:
    """Load content (ContentError if invalid), migrate the database and wire the core."""
    content = ContentStore(settings.content_dir)
    translations = Translations(settings.default_language)
    if migrate:
        await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    sessions = create_session_factory(engine)
    clock = clock or SystemClock()
    limiters = channel_limiters(settings, clock)
    outbox = OutboxSender(
        sessions,
        clock,
        limiter=RateLimiter(clock, unlimited=True),  # the terminal: limits off
        lease=timedelta(seconds=settings.outbox_lease_seconds),
    )
    deps = Deps(
        content=content,
        clock=clock,
        sessions=sessions,
        admin_telegram_ids=settings.admin_telegram_ids,
        console_admins=frozenset(console_admins),
        bot_username=settings.bot_username or "",
        link_code_ttl=timedelta(minutes=settings.link_code_minutes),
        public_base_url=settings.verify_base_url,
        dashboard_url=settings.dashboard_url,
        dashboard_link_ttl=timedelta(minutes=settings.dashboard_link_minutes),
        ideas=build_coach(
            content,
            FetchPolicy(
                allow_private=settings.audit_allow_private,
                timeout=settings.audit_timeout_seconds,
            ),
        ),
    )
    dialogue = Dialogue(
        sessions,
        content,
        translations,
        clock,
        settings.zone,
        registry=build_registry(),
        deps=deps,
        flood=FloodGuard(
            settings.flood_limit,
            timedelta(seconds=settings.flood_window_seconds),
            timedelta(seconds=settings.flood_pause_seconds),
        ),
        outbox=outbox,
    )
    app = App(settings, engine, sessions, content, translations, clock, dialogue)
    app.outbox, app.limiters = outbox, limiters
    _add_schedule_jobs(app, deps)
    _add_idea_jobs(app)
    _add_retention_job(app, deps)
    return app


def _add_retention_job(app: App, deps: Deps) -> None:
    """Erase participants of cohorts past their storage period; warn trainers first."""

    async def sweep_expired() -> RetentionReport:
        settings = app.settings
        return await retention.sweep(
            app.sessions,
            deps,
            app.translations,
            app.clock.now(),
            settings.zone,
            settings.retention_days,
        )

    app.jobs.add_periodic("retention", sweep_expired, app.settings.retention_check_hours * 3600)


def _add_idea_jobs(app: App) -> None:
    """The idea coach's step prompts at each participant's preferred time (issue 6)."""

    async def prompt_steps() -> int:
        return await prompt_due_steps(
            app.sessions, app.clock.now(), app.translations, app.settings.zone
        )

    app.jobs.add_periodic("idea_steps", prompt_steps, app.settings.idea_prompt_tick_seconds)


def _add_schedule_jobs(app: App, deps: Deps) -> None:
    """The schedule tick and the outbox sender (issue 4); channels register their senders."""
    settings = app.settings
    config = ScheduleConfig(
        zone=settings.zone,
        reminder_delay=timedelta(hours=settings.reminder_delay_hours),
        reminder_max=settings.reminder_max,
    )
    tick = ScheduleTick(app.sessions, app.content, app.translations, app.clock, config, deps)
    app.jobs.add_periodic("schedule", tick, settings.schedule_tick_seconds)
    assert app.outbox is not None
    app.jobs.add_periodic("outbox", app.outbox.send_due, settings.outbox_interval_seconds)
    monitor = BroadcastMonitor(
        app.sessions,
        app.clock,
        app.translations,
        settings.zone,
        lambda: app.content.index,
        app.outbox,
    )
    app.jobs.add_periodic("broadcasts", monitor.run, PROGRESS_SECONDS)


def channel_limiters(settings: Settings, clock: Clock) -> dict[str, RateLimiter]:
    """One limiter per platform with that platform's limits."""
    telegram = RateLimiter(
        clock,
        per_second=settings.outbox_rate_per_second,
        # A little under the limits (2 %): a message reaches the platform a few milliseconds
        # after its slot, and requests overtake one another on the way (bench/interactive.py
        # --limits on drew 429s at exactly 1/s and 30/s).
        per_chat_seconds=settings.outbox_chat_interval_seconds * SAFETY,
        chat_burst=settings.outbox_chat_burst,
        # Evenly spaced, not in bursts of a second's worth: a burst drifts over Telegram's
        # window with the smallest network delay and draws 429s (bench/broadcast.py).
        min_gap=SAFETY / settings.outbox_rate_per_second,
    )
    messenger = RateLimiter(
        clock,
        per_second=settings.messenger_rate_per_second,
        per_chat_seconds=settings.outbox_chat_interval_seconds,
        chat_burst=settings.outbox_chat_burst,
    )
    return {"telegram": telegram, "messenger": messenger}
