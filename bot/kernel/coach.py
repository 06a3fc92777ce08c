"""The idea coach's long-lived parts, shared by the ideas and the audit: its content and the
page fetcher."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.content.catalogue import Catalogue, load_catalogue
from bot.content.loader import ContentStore
from bot.domain.findings import CODES
from bot.net.pages import FetchPolicy, WebFetcher

log = logging.getLogger("bot.ideas")


@dataclass
class IdeaCoach:
    """The coach's catalogue and page fetcher; page checks run as tracked tasks."""

    catalogue: Catalogue
    fetcher: WebFetcher


def build_coach(content: ContentStore, policy: FetchPolicy | None = None) -> IdeaCoach:
    """Load the coach's content (checked against the course) and make its fetcher."""
    catalogue = load_catalogue(content.directory, content.index, frozenset(CODES))
    return IdeaCoach(catalogue, WebFetcher(policy or FetchPolicy()))
