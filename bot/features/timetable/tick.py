"""The scheduler's periodic job: hand due enrollments to the dispatcher, batch by batch,
each batch in its own short transaction."""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content.loader import ContentStore
from bot.domain.timetable import is_public_holiday
from bot.features.timetable.dispatch import Dispatcher, ScheduleConfig
from bot.kernel.clock import Clock
from bot.kernel.context import Deps
from bot.kernel.i18n import Translations

log = logging.getLogger("bot.schedule")
MAX_BATCHES = 40


class ScheduleTick:
    """`await tick()` dispatches everything due now (the job added as "schedule")."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        content: ContentStore,
        translations: Translations,
        clock: Clock,
        config: ScheduleConfig,
        deps: Deps | None = None,
    ) -> None:
        self._sessions = sessions
        self._content = content
        self._translations = translations
        self._clock = clock
        self._config = config
        self._deps = deps or Deps(content=content, clock=clock, sessions=sessions)
        year = clock.now().year
        for known in (year, year + 1):  # build the holiday tables now, not in the first tick
            is_public_holiday(date(known, 1, 1))

    async def __call__(self) -> Counter[str]:
        """Dispatch what is due; logs one line with the counts (ids only, no content)."""
        started = time.perf_counter()
        now = self._clock.now()
        dispatcher = Dispatcher(self._content.index, self._translations, self._deps, self._config)
        totals: Counter[str] = Counter()
        for _ in range(MAX_BATCHES):
            async with self._sessions() as session, session.begin():
                counts = await dispatcher.dispatch_due(session, now)
            totals.update(counts)
            if sum(counts.values()) < self._config.batch_size:
                break
        if totals:
            log.info(
                "schedule tick %s ms=%.1f",
                " ".join(f"{k}={v}" for k, v in sorted(totals.items())),
                (time.perf_counter() - started) * 1000,
            )
        return totals
