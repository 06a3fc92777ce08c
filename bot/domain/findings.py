"""What an automatic page check finds: each check's verdict on a page (pure: probes passed in)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from urllib.parse import urlsplit

from bot.domain.webpage import SOCIAL_HOSTS, ParsedPage, Probe, fold, host, links_to_check
from bot.domain.webpage import images_to_check as images_to_check  # the report reads it here
from bot.domain.webpage import parse_html as parse_html  # the audit's report reads it here

CODES = (
    "https",
    "http_redirect",
    "hsts",
    "viewport",
    "title",
    "description",
    "lang",
    "social_preview",
    "favicon",
    "alt_text",
    "headings",
    "page_weight",
    "large_images",
    "image_formats",
    "render_blocking",
    "social_links",
    "privacy",
    "accessibility_statement",
    "event_markup",
    "broken_links",
)
SEVERITIES = ("high", "medium", "low")
LARGE_IMAGE = 300 * 1024
HEAVY_PAGE = 2 * 1024 * 1024
PREVIEW_TAGS = ("og:title", "og:description", "og:image", "twitter:card")
_PRIVACY = re.compile(r"privat|cookie|slapuk|duomenu apsaug|bdar|gdpr")
_ACCESSIBILITY = re.compile(r"prieinamum|accessibilit")
_EVENT_PAGE = re.compile(r"rengin|event")


@dataclass(frozen=True)
class Finding:
    """One check's verdict: ok, a problem of some severity, or not applicable (ok=None)."""

    code: str
    ok: bool | None
    severity: str = "low"
    params: dict[str, str] = field(default_factory=dict)


def size_text(size: int) -> str:
    """A byte count as KB or MB, for people."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB"


@dataclass(frozen=True)
class PageFacts:
    """What the fetch itself told: addresses, headers, size and the http->https answer."""

    final_url: str
    html_bytes: int
    hsts: bool
    http_redirects: bool | None


def evaluate(
    page: ParsedPage,
    facts: PageFacts,
    image_probes: Mapping[str, Probe],
    link_probes: Mapping[str, Probe],
    favicon_probe: Probe | None = None,
) -> list[Finding]:
    """Every check's verdict, in the order of CODES."""
    secure = facts.final_url.startswith("https://")
    found: list[Finding] = [
        Finding("https", secure, "high"),
        Finding("http_redirect", None if not secure else facts.http_redirects, "medium"),
        Finding("hsts", facts.hsts if secure else None, "low"),
        Finding("viewport", page.has_viewport, "high"),
        Finding(
            "title",
            10 <= len(page.title) <= 65,
            "medium" if page.title else "high",
            {"length": str(len(page.title))},
        ),
    ]
    described = page.description or ""
    found.append(
        Finding(
            "description", 50 <= len(described) <= 160, "medium", {"length": str(len(described))}
        )
    )
    found.append(Finding("lang", bool(page.lang), "low"))
    missing_tags = [tag for tag in PREVIEW_TAGS if not page.meta.get(tag)]
    found.append(
        Finding("social_preview", not missing_tags, "low", {"missing": ", ".join(missing_tags)})
    )
    icon = page.has_icon or (favicon_probe is not None and not favicon_probe.broken)
    found.append(Finding("favicon", icon, "low"))
    total = len(page.images)
    no_alt = sum(1 for _, has_alt, _ in page.images if not has_alt)
    found.append(
        Finding(
            "alt_text",
            None if total == 0 else no_alt == 0,
            "high" if no_alt * 2 > total else "medium",
            {"missing": str(no_alt), "total": str(total)},
        )
    )
    found.append(_headings(page.headings))
    found.extend(_weight(page, facts, image_probes))
    found.append(
        Finding(
            "render_blocking",
            page.blocking_scripts == 0 and page.blocking_styles <= 2,
            "medium" if page.blocking_scripts > 2 else "low",
            {"scripts": str(page.blocking_scripts), "styles": str(page.blocking_styles)},
        )
    )
    networks = sorted(
        {SOCIAL_HOSTS[h] for url, _ in page.links if (h := host(url)) in SOCIAL_HOSTS}
    )
    found.append(
        Finding("social_links", bool(networks), "medium", {"networks": ", ".join(networks)})
    )
    found.append(Finding("privacy", any(_PRIVACY.search(t) for _, t in page.links), "medium"))
    found.append(
        Finding(
            "accessibility_statement",
            any(_ACCESSIBILITY.search(t) for _, t in page.links),
            "medium",
        )
    )
    has_event = any(kind.endswith("Event") for kind in page.schema_types)
    event_page = bool(_EVENT_PAGE.search(fold(urlsplit(facts.final_url).path)))
    event_page = event_page or page.meta.get("og:type", "").lower() == "event"
    found.append(Finding("event_markup", True if has_event else (False if event_page else None)))
    found.append(_broken(page, link_probes))
    return found


def _headings(levels: list[int]) -> Finding:
    problems: list[str] = []
    ones = levels.count(1)
    if ones != 1:
        problems.append(f"H1 × {ones}")
    for before, after in pairwise(levels):
        if after > before + 1:
            problems.append(f"H{before} → H{after}")
            break
    return Finding("headings", not problems, "low", {"detail": ", ".join(problems)})


def _weight(page: ParsedPage, facts: PageFacts, probes: Mapping[str, Probe]) -> list[Finding]:
    sizes = {url: probe.size for url, probe in probes.items() if probe.size is not None}
    weight = facts.html_bytes + sum(sizes.values())
    large = sorted(
        ((size, url) for url, size in sizes.items() if size > LARGE_IMAGE), reverse=True
    )[:3]
    listed = ", ".join(
        f"{urlsplit(url).path.rsplit('/', 1)[-1] or url} ({size_text(size)})" for size, url in large
    )
    total = len(page.images)
    old = sum(1 for _, _, modern in page.images if not modern)
    return [
        Finding(
            "page_weight",
            weight <= HEAVY_PAGE,
            "high" if weight > 2 * HEAVY_PAGE else "medium",
            {"size": size_text(weight)},
        ),
        Finding("large_images", None if not sizes else not large, "medium", {"images": listed}),
        Finding(
            "image_formats",
            None if total == 0 else old * 2 <= total,
            "low",
            {"old": str(old), "total": str(total)},
        ),
    ]


def _broken(page: ParsedPage, probes: Mapping[str, Probe]) -> Finding:
    checked = [url for url in links_to_check(page) if url in probes]
    broken = [url for url in checked if probes[url].broken]
    shown = ", ".join(urlsplit(url).path or url for url in broken[:3])
    return Finding(
        "broken_links",
        None if not checked else not broken,
        "high",
        {"checked": str(len(checked)), "count": str(len(broken)), "links": shown},
    )
