"""Fetch a public web page safely: http/https only, an address guard against private,
loopback and link-local addresses (names resolving to them too), timeouts, at most five
redirects and a size cap, read as a stream. Probes check images and links the same way.

Every connection goes to an address the guard checked: a host name is resolved once, its
addresses are checked and pinned, and the connection is made to them (the request keeps the
host name, so the Host header, the TLS server name and the certificate check stay the
name's). A name that resolves differently the second time (DNS rebinding) cannot lead the
fetch elsewhere, because nothing resolves it a second time."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import httpcore
import httpx

from bot.domain.webpage import Probe
from bot.net import probes
from bot.net.guard import DEFAULT_PORTS as DEFAULT_PORTS  # the audit's report reads it here
from bot.net.guard import AuditRefused, FetchPolicy, checked_addresses, parse_url
from bot.net.guard import normalise_url as normalise_url  # the audit's report reads it here
from bot.net.pinning import Browsing

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class Page:
    """A fetched HTML page."""

    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    body: bytes
    redirects: list[str] = field(default_factory=list)


class WebFetcher:
    """Fetches pages and probes resources under one FetchPolicy. `network` is how
    connections are made to checked addresses (tests put a fake network here)."""

    def __init__(
        self, policy: FetchPolicy, *, network: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.policy = policy
        self.network = network or httpcore.AnyIOBackend()

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """Certificates checked against the system's trusted roots (built once)."""
        return httpx.create_ssl_context(verify=True, trust_env=False)

    def browsing(self) -> Browsing:
        """A client whose connections only go to addresses this fetcher checked."""
        return Browsing(self.policy, self.network, self.ssl_context)

    def parse(self, url: str) -> httpx.URL:
        """Refuse anything but an http/https URL with a host."""
        return parse_url(url)

    async def addresses(self, url: httpx.URL) -> list[str]:
        """The addresses to connect to for a URL, each public (unless the policy allows)."""
        return await checked_addresses(self.policy, url)

    async def guard(self, url: str) -> httpx.URL:
        """Refuse anything but http/https to a public address (unless the policy allows)."""
        parsed = self.parse(url)
        await self.addresses(parsed)
        return parsed

    async def fetch_page(self, url: str) -> Page:
        """Fetch an HTML page, following at most max_redirects guarded redirects."""
        try:
            async with asyncio.timeout(self.policy.deadline), self.browsing() as browsing:
                return await self._fetch(browsing, url)
        except TimeoutError as error:
            raise AuditRefused("timeout") from error

    async def _fetch(self, browsing: Browsing, url: str) -> Page:
        current = await browsing.open(url)
        redirects: list[str] = []
        while True:
            try:
                request = browsing.client.build_request("GET", current)
                response = await browsing.client.send(request, stream=True)
            except httpx.TimeoutException as error:
                raise AuditRefused("timeout") from error
            except httpx.HTTPError as error:
                raise AuditRefused("unreachable", type(error).__name__) from error
            try:
                if response.is_redirect and "location" in response.headers:
                    if len(redirects) >= self.policy.max_redirects:
                        raise AuditRefused("too_many_redirects")
                    target = current.join(response.headers["location"])
                    redirects.append(str(target))
                    current = await browsing.open(str(target))
                    continue
                if response.status_code >= 400:
                    raise AuditRefused("http_error", str(response.status_code))
                kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if kind not in HTML_TYPES:
                    raise AuditRefused("not_html", kind or "?")
                body = await self._read(response)
                return Page(
                    url, str(current), response.status_code, response.headers, body, redirects
                )
            finally:
                await response.aclose()

    async def _read(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.policy.max_bytes:
            raise AuditRefused("too_large")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.policy.max_bytes:
                    raise AuditRefused("too_large")
                chunks.append(chunk)
        except httpx.TimeoutException as error:
            raise AuditRefused("timeout") from error
        except httpx.HTTPError as error:
            raise AuditRefused("unreachable", type(error).__name__) from error
        return b"".join(chunks)

    async def probe_all(
        self, urls: Sequence[str], *, concurrency: int = 5, until: float | None = None
    ) -> dict[str, Probe]:
        """Probe several resources at once; what has not answered by `until` (event loop
        time; by default the policy's deadline from now) is left out."""
        return await probes.probe_all(
            self.browsing,
            urls,
            self.policy.max_redirects,
            concurrency=concurrency,
            until=self._until(until),
        )

    async def redirects_to_https(self, page: Page, *, until: float | None = None) -> bool | None:
        """Whether the http:// version of an https page redirects to https (None: no answer,
        also when there is none by `until`)."""
        return await probes.redirects_to_https(
            self.browsing, page.final_url, until=self._until(until)
        )

    def _until(self, until: float | None) -> float:
        if until is not None:
            return until
        return asyncio.get_running_loop().time() + self.policy.deadline
