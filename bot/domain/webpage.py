"""Reading a web page for its audit: the parts the checks look at, and what to probe."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser as HTMLParser

LINKS_CHECKED = 20
IMAGES_CHECKED = 10
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
# Heavy formats for photos: PNG, GIF, BMP and TIFF. JPEG is a photo's right format (as the
# lesson m1-images teaches), WebP and AVIF lighter still; SVG for logos and icons.
_HEAVY_FORMATS = (".png", ".gif", ".bmp", ".tif", ".tiff")


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
        modern = modern_source or not urlsplit(absolute).path.lower().endswith(_HEAVY_FORMATS)
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
    urls = (url for url, _ in page.links if host(url) not in SOCIAL_HOSTS)
    return list(dict.fromkeys(urls))[:LINKS_CHECKED]


def images_to_check(page: ParsedPage) -> list[str]:
    """The first IMAGES_CHECKED distinct images, in page order."""
    return list(dict.fromkeys(url for url, _, _ in page.images))[:IMAGES_CHECKED]


def host(url: str) -> str:
    """A URL's host name without "www." or "m.", to tell social networks by."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.").removeprefix("m.")
