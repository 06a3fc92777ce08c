"""Fetch a public web page safely: http/https only, an address guard against private,
loopback and link-local addresses (names resolving to them too), timeouts, at most five
redirects and a size cap, read as a stream. Probes check images and links the same way."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx

MAX_BYTES = 3 * 1024 * 1024
MAX_REDIRECTS = 5
HTML_TYPES = ("text/html", "application/xhtml+xml")
USER_AGENT = "CultureCoachAudit/1.0 (+course self-check of a public page)"

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


class AuditRefused(Exception):
    """The page cannot be checked; `reason` is a stable code the dialogue explains."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address a host name resolves to (through the operating system)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet (not private, loopback, link-local,
    shared, reserved, multicast or unspecified), IPv4-mapped IPv6 included."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class FetchPolicy:
    """How carefully pages are fetched; tests allow loopback and lower the timeout."""

    allow_private: bool = False
    timeout: float = 10.0
    max_bytes: int = MAX_BYTES
    max_redirects: int = MAX_REDIRECTS
    resolver: Resolver = system_resolve


@dataclass
class Page:
    """A fetched HTML page."""

    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    body: bytes
    redirects: list[str] = field(default_factory=list)


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


def normalise_url(raw: str) -> str:
    """The URL a participant typed, with https:// assumed when no scheme is given."""
    text = raw.strip()
    if "://" not in text:
        text = "https://" + text
    return text


class WebFetcher:
    """Fetches pages and probes resources under one FetchPolicy."""

    def __init__(
        self, policy: FetchPolicy, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.policy = policy
        self._transport = transport

    def client(self) -> httpx.AsyncClient:
        """A client that never follows redirects by itself and ignores proxy settings."""
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self.policy.timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"},
            transport=self._transport,
        )

    async def guard(self, url: str) -> httpx.URL:
        """Refuse anything but http/https to a public address (unless the policy allows)."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError) as error:
            raise AuditRefused("bad_url") from error
        if parsed.scheme not in ("http", "https"):
            raise AuditRefused("scheme", parsed.scheme)
        host = parsed.host
        if not host:
            raise AuditRefused("bad_url")
        if self.policy.allow_private:
            return parsed
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            addresses = [host] if _is_ip(host) else list(await self.policy.resolver(host, port))
        except (OSError, UnicodeError) as error:
            raise AuditRefused("unresolvable", host) from error
        if not addresses:
            raise AuditRefused("unresolvable", host)
        if not all(is_public_address(address) for address in addresses):
            raise AuditRefused("private", host)
        return parsed

    async def fetch_page(self, url: str) -> Page:
        """Fetch an HTML page, following at most max_redirects guarded redirects."""
        try:
            async with asyncio.timeout(self.policy.timeout * 3), self.client() as client:
                return await self._fetch(client, url)
        except TimeoutError as error:
            raise AuditRefused("timeout") from error

    async def _fetch(self, client: httpx.AsyncClient, url: str) -> Page:
        current = await self.guard(url)
        redirects: list[str] = []
        while True:
            try:
                request = client.build_request("GET", current)
                response = await client.send(request, stream=True)
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
                    current = await self.guard(str(target))
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

    async def probe(self, client: httpx.AsyncClient, url: str) -> Probe | None:
        """Look at a linked resource (HEAD, or GET when HEAD is refused); None if guarded."""
        try:
            current = await self.guard(url)
        except AuditRefused:
            return None
        for _ in range(self.policy.max_redirects + 1):
            try:
                response = await client.head(current)
                if response.status_code in (405, 501):
                    async with client.stream("GET", current) as streamed:
                        response = streamed
            except httpx.HTTPError:
                return Probe(0)
            if response.is_redirect and "location" in response.headers:
                try:
                    current = await self.guard(str(current.join(response.headers["location"])))
                except AuditRefused:
                    return None
                continue
            length = response.headers.get("content-length", "")
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            return Probe(response.status_code, int(length) if length.isdigit() else None, kind)
        return Probe(0)

    async def probe_all(self, urls: Sequence[str], *, concurrency: int = 5) -> dict[str, Probe]:
        """Probe several resources at once, within an overall time limit."""
        limit = asyncio.Semaphore(concurrency)
        results: dict[str, Probe] = {}

        async def one(client: httpx.AsyncClient, url: str) -> None:
            async with limit:
                found = await self.probe(client, url)
            if found is not None:
                results[url] = found

        try:
            async with asyncio.timeout(self.policy.timeout * 3), self.client() as client:
                await asyncio.gather(*(one(client, url) for url in urls))
        except TimeoutError:
            pass
        return results

    async def redirects_to_https(self, page: Page) -> bool | None:
        """Whether the http:// version of an https page redirects to https (None: no answer)."""
        url = httpx.URL(page.final_url)
        if url.scheme != "https":
            return False
        plain = url.copy_with(scheme="http", port=None)
        try:
            await self.guard(str(plain))
            async with self.client() as client:
                response = await client.get(plain)
        except (AuditRefused, httpx.HTTPError):
            return None
        location = response.headers.get("location", "")
        return response.is_redirect and str(plain.join(location)).startswith("https://")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
