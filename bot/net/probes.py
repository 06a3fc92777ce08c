"""Probes: a quick, guarded look at a page's images and links, and its http->https redirect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import httpx

from bot.domain.webpage import Probe
from bot.net.guard import AuditRefused
from bot.net.pinning import Browsing


async def probe(browsing: Browsing, url: str, max_redirects: int) -> Probe | None:
    """Look at a linked resource (HEAD, or GET when HEAD is refused); None if guarded."""
    try:
        current = await browsing.open(url)
    except AuditRefused:
        return None
    client = browsing.client
    for _ in range(max_redirects + 1):
        try:
            response = await client.head(current)
            if response.status_code in (405, 501):
                async with client.stream("GET", current) as streamed:
                    response = streamed
        except httpx.HTTPError:
            return Probe(0)
        if response.is_redirect and "location" in response.headers:
            try:
                current = await browsing.open(str(current.join(response.headers["location"])))
            except AuditRefused:
                return None
            continue
        length = response.headers.get("content-length", "")
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return Probe(response.status_code, int(length) if length.isdigit() else None, kind)
    return Probe(0)


async def probe_all(
    browse: Callable[[], Browsing],
    urls: Sequence[str],
    max_redirects: int,
    *,
    concurrency: int,
    until: float,
) -> dict[str, Probe]:
    """Probe several resources at once through one new `browse()`; what has not answered
    by `until` (event loop time) is left out."""
    limit = asyncio.Semaphore(concurrency)
    results: dict[str, Probe] = {}

    async def one(browsing: Browsing, url: str) -> None:
        async with limit:
            found = await probe(browsing, url, max_redirects)
        if found is not None:
            results[url] = found

    try:
        async with asyncio.timeout_at(until), browse() as browsing:
            await asyncio.gather(*(one(browsing, url) for url in urls))
    except TimeoutError:
        pass
    return results


async def redirects_to_https(
    browse: Callable[[], Browsing], final_url: str, *, until: float
) -> bool | None:
    """Whether the http:// version of an https page redirects to https (None: no answer,
    also when there is none by `until`, event loop time)."""
    url = httpx.URL(final_url)
    if url.scheme != "https":
        return False
    plain = url.copy_with(scheme="http", port=None)
    try:
        async with asyncio.timeout_at(until), browse() as browsing:
            await browsing.open(str(plain))
            response = await browsing.client.get(plain)
    except (AuditRefused, httpx.HTTPError, TimeoutError):
        return None
    location = response.headers.get("location", "")
    return response.is_redirect and str(plain.join(location)).startswith("https://")
