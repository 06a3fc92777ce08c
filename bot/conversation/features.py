"""Every feature's handlers, registered in one registry: one line per feature."""

from __future__ import annotations

from bot.features.audit import handlers as audit
from bot.features.broadcasts import handlers as broadcasts
from bot.features.certificates import handlers as certificates
from bot.features.cohorts import handlers as cohorts
from bot.features.content_admin import handlers as content_admin
from bot.features.dashboard_access import handlers as dashboard_access
from bot.features.exports import handlers as exports
from bot.features.ideas import handlers as ideas
from bot.features.ideas import partners, stuck
from bot.features.linking import handlers as linking
from bot.features.people import handlers as people
from bot.features.privacy import handlers as privacy
from bot.features.review import handlers as review
from bot.features.roles import handlers as roles
from bot.features.stats import handlers as stats
from bot.features.timetable import handlers as timetable
from bot.kernel.registry import Registry

FEATURES = (
    linking,
    privacy,
    timetable,
    review,
    roles,
    cohorts,
    people,
    stats,
    exports,
    certificates,
    content_admin,
    audit,
    ideas,
    stuck,
    partners,
    broadcasts,
    dashboard_access,
)


def build_registry() -> Registry:
    """A registry holding every feature's commands, buttons, flows and tasks."""
    registry = Registry()
    for feature in FEATURES:
        feature.register(registry)
    return registry
