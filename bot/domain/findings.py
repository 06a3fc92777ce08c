"""What an automatic page check finds: parse the HTML (selectolax) and judge it against the
course's rules. Pure: no I/O; probes of images and links are passed in."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser as HTMLParser


@dataclass(frozen=True)
class Probe:
    """What a quick look at a linked resource found: status (0: unreachable) and size."""

    status: int
    size: int | None = None
    content_type: str = ""

    @property
    def broken(self) -> bool:
        """Whether a visitor following the link would hit an error."""
        return self.status == 0 or self.status >= 400


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
LINKS_CHECKED = 20
IMAGES_CHECKED = 10
LARGE_IMAGE = 300 * 1024
HEAVY_PAGE = 2 * 1024 * 1024
SOCIAL_HOSTS = {
    "facebook.com": "Facebook",
    "fb.com": "Facebook",
    "instagram.com": "Instagram",
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
    "tiktok.com": "TikTok",
    "x.com": "X",
    "twitter.com": "X",
    "linkedin.com": "LinkedIn",
}
PREVIEW_TAGS = ("og:title", "og:description", "og:image", "twitter:card")
_PRIVACY = re.compile(r"privat|cookie|slapuk|duomenu apsaug|bdar|gdpr")
_ACCESSIBILITY = re.compile(r"prieinamum|accessibilit")
_EVENT_PAGE = re.compile(r"rengin|event")
_OLD_FORMATS = (".jpg", ".jpeg", ".png", ".gif", ".bmp")


@dataclass(frozen=True)
class Finding:
    """One check's verdict: ok, a problem of some severity, or not applicable (ok=None)."""

    code: str
    ok: bool | None
    severity: str = "low"
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class ParsedPage:
    """What the checks need from the HTML."""

    title: str = ""
    description: str | None = None
    lang: str = ""
    has_viewport: bool = False
    meta: dict[str, str] = field(default_factory=dict)
    has_icon: bool = False
    images: list[tuple[str, bool, bool]] = field(default_factory=list)  # url, has alt, modern
    headings: list[int] = field(default_factory=list)
    blocking_scripts: int = 0
    blocking_styles: int = 0
    links: list[tuple[str, str]] = field(default_factory=list)  # absolute url, folded text
    schema_types: set[str] = field(default_factory=set)


def fold(text: str) -> str:
    """Lowercase without diacritics, for lenient matching of Lithuanian words."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _json_types(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _json_types(item)
    elif isinstance(value, dict):
        kind = value.get("@type")
        for name in kind if isinstance(kind, list) else [kind]:
            if isinstance(name, str):
                yield name
        for key in ("@graph", "itemListElement", "item"):
            if key in value:
                yield from _json_types(value[key])


def parse_html(body: bytes, base_url: str, charset: str | None = None) -> ParsedPage:
    """Read the parts of a page the checks look at."""
    tree = HTMLParser(body.decode(charset or "utf-8", errors="replace"))
    page = ParsedPage()
    node = tree.css_first("title")
    page.title = " ".join(node.text().split()) if node else ""
    html = tree.css_first("html")
    page.lang = ((html.attributes.get("lang") if html else None) or "").strip()
    for meta in tree.css("meta"):
        key = (meta.attributes.get("name") or meta.attributes.get("property") or "").lower()
        if key:
            page.meta[key] = (meta.attributes.get("content") or "").strip()
    page.description = page.meta.get("description")
    page.has_viewport = "viewport" in page.meta
    for link in tree.css("link[rel]"):
        rel = (link.attributes.get("rel") or "").lower().split()
        if "icon" in rel and link.attributes.get("href"):
            page.has_icon = True
    for img in tree.css("img"):
        src = img.attributes.get("src") or img.attributes.get("data-src") or ""
        if not src or src.startswith("data:"):
            continue
        parent = img.parent
        modern_source = (
            parent is not None
            and parent.tag == "picture"
            and any(
                (s.attributes.get("type") or "") in ("image/webp", "image/avif")
                for s in parent.css("source")
            )
        )
        absolute = urljoin(base_url, src)
        modern = modern_source or not urlsplit(absolute).path.lower().endswith(_OLD_FORMATS)
        page.images.append((absolute, "alt" in img.attributes, modern))
    page.headings = [int((h.tag or "h0")[1]) for h in tree.css("h1, h2, h3, h4, h5, h6")]
    head = tree.head
    if head is not None:
        for script in head.css("script[src]"):
            attrs = script.attributes
            if "async" not in attrs and "defer" not in attrs and attrs.get("type") != "module":
                page.blocking_scripts += 1
        for style in head.css("link[rel]"):
            rel = (style.attributes.get("rel") or "").lower().split()
            if "stylesheet" in rel and (style.attributes.get("media") or "all") != "print":
                page.blocking_styles += 1
    for anchor in tree.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        absolute = urljoin(base_url, href).split("#", 1)[0]
        if absolute.startswith(("http://", "https://")):
            page.links.append((absolute, fold(anchor.text() + " " + href)))
    for script in tree.css('script[type="application/ld+json"]'):
        try:
            page.schema_types.update(_json_types(json.loads(script.text())))
        except ValueError:
            continue
    for item in tree.css("[itemtype]"):
        page.schema_types.add((item.attributes.get("itemtype") or "").rstrip("/").split("/")[-1])
    return page


def links_to_check(page: ParsedPage) -> list[str]:
    """The first LINKS_CHECKED distinct links, in page order; social networks' profiles are
    left out (they refuse robots, so they would look broken when they are not)."""
    urls = (url for url, _ in page.links if _host(url) not in SOCIAL_HOSTS)
    return list(dict.fromkeys(urls))[:LINKS_CHECKED]


def images_to_check(page: ParsedPage) -> list[str]:
    """The first IMAGES_CHECKED distinct images, in page order."""
    return list(dict.fromkeys(url for url, _, _ in page.images))[:IMAGES_CHECKED]


def size_text(size: int) -> str:
    """A byte count as KB or MB, for people."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.").removeprefix("m.")


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
        {SOCIAL_HOSTS[h] for url, _ in page.links if (h := _host(url)) in SOCIAL_HOSTS}
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
