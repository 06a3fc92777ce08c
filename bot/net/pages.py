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
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import httpcore
import httpx

from bot.domain.findings import Probe

MAX_BYTES = 3 * 1024 * 1024
MAX_REDIRECTS = 5
DEADLINE = 20.0
HTML_TYPES = ("text/html", "application/xhtml+xml")
USER_AGENT = "CultureCoachAudit/1.0 (+course self-check of a public page)"
DEFAULT_PORTS = {"http": 80, "https": 443}

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
    """How carefully pages are fetched; tests allow loopback and lower the timeouts.

    `timeout` bounds each network step (connect, each read); `deadline` bounds a whole audit
    (the page, its redirects and every probe), whatever the server does."""

    allow_private: bool = False
    timeout: float = 10.0
    max_bytes: int = MAX_BYTES
    max_redirects: int = MAX_REDIRECTS
    resolver: Resolver = system_resolve
    deadline: float = DEADLINE


@dataclass
class Page:
    """A fetched HTML page."""

    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    body: bytes
    redirects: list[str] = field(default_factory=list)


def normalise_url(raw: str) -> str:
    """The URL a participant typed, with https:// assumed when no scheme is given."""
    text = raw.strip()
    if "://" not in text:
        text = "https://" + text
    return text


def origin_of(url: httpx.URL) -> tuple[str, int]:
    """The (host, port) a connection for this URL is made for, as httpcore names them."""
    return url.raw_host.decode("ascii").lower(), url.port or DEFAULT_PORTS[url.scheme]


class PinnedNetwork(httpcore.AsyncNetworkBackend):
    """A network that only connects to pinned addresses: for a (host, port) the guard
    checked, it connects to the checked addresses, never resolving the name itself; anything
    not pinned is refused. One per client, so concurrent audits keep their own pins."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner
        self._pins: dict[tuple[str, int], tuple[str, ...]] = {}

    def pin(self, origin: tuple[str, int], addresses: Sequence[str]) -> None:
        """Connections for this origin go to these (checked) addresses."""
        self._pins[origin] = tuple(addresses)

    def pinned(self, origin: tuple[str, int]) -> tuple[str, ...] | None:
        """The addresses already checked for an origin, if any."""
        return self._pins.get(origin)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = self._pins.get((host.lower(), port))
        if not addresses:
            raise httpcore.ConnectError(f"{host}:{port} was not checked")
        error: Exception = httpcore.ConnectError(f"{host}:{port}: no address")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as failed:
                error = failed
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("no unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request and error mapping unchanged) over a connection pool
    whose network is a PinnedNetwork. httpx does not take a network backend as a parameter,
    so the pool it builds is replaced by an equivalent one on the pinned network."""

    def __init__(self, network: PinnedNetwork, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("this httpx version builds its transport differently")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=100,  # httpx's default limits
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=network,
        )


class Browsing:
    """One client and its pins, for one fetch, one set of probes or one https check."""

    def __init__(self, fetcher: WebFetcher) -> None:
        self._fetcher = fetcher
        self.network = PinnedNetwork(fetcher.network)
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(fetcher.policy.timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"},
            transport=PinnedTransport(self.network, fetcher.ssl_context),
        )

    async def open(self, url: str) -> httpx.URL:
        """Guard a URL and pin the addresses it was checked at (once per host and port)."""
        parsed = self._fetcher.parse(url)
        origin = origin_of(parsed)
        if self.network.pinned(origin) is None:
            self.network.pin(origin, await self._fetcher.addresses(parsed))
        return parsed

    async def __aenter__(self) -> Browsing:
        await self.client.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.client.aclose()


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
        return Browsing(self)

    def parse(self, url: str) -> httpx.URL:
        """Refuse anything but an http/https URL with a host."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError) as error:
            raise AuditRefused("bad_url") from error
        if parsed.scheme not in DEFAULT_PORTS:
            raise AuditRefused("scheme", parsed.scheme)
        if not parsed.host:
            raise AuditRefused("bad_url")
        return parsed

    async def addresses(self, url: httpx.URL) -> list[str]:
        """The addresses to connect to for a URL, each public (unless the policy allows)."""
        host, port = origin_of(url)
        try:
            addresses = [host] if _is_ip(host) else list(await self.policy.resolver(host, port))
        except (OSError, UnicodeError) as error:
            raise AuditRefused("unresolvable", url.host) from error
        if not addresses:
            raise AuditRefused("unresolvable", url.host)
        if not self.policy.allow_private and not all(map(is_public_address, addresses)):
            raise AuditRefused("private", url.host)
        return addresses

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

    async def probe(self, browsing: Browsing, url: str) -> Probe | None:
        """Look at a linked resource (HEAD, or GET when HEAD is refused); None if guarded."""
        try:
            current = await browsing.open(url)
        except AuditRefused:
            return None
        client = browsing.client
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
                    current = await browsing.open(str(current.join(response.headers["location"])))
                except AuditRefused:
                    return None
                continue
            length = response.headers.get("content-length", "")
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            return Probe(response.status_code, int(length) if length.isdigit() else None, kind)
        return Probe(0)

    async def probe_all(
        self, urls: Sequence[str], *, concurrency: int = 5, until: float | None = None
    ) -> dict[str, Probe]:
        """Probe several resources at once; what has not answered by `until` (event loop
        time; by default the policy's deadline from now) is left out."""
        limit = asyncio.Semaphore(concurrency)
        results: dict[str, Probe] = {}

        async def one(browsing: Browsing, url: str) -> None:
            async with limit:
                found = await self.probe(browsing, url)
            if found is not None:
                results[url] = found

        try:
            async with asyncio.timeout_at(self._until(until)), self.browsing() as browsing:
                await asyncio.gather(*(one(browsing, url) for url in urls))
        except TimeoutError:
            pass
        return results

    async def redirects_to_https(self, page: Page, *, until: float | None = None) -> bool | None:
        """Whether the http:// version of an https page redirects to https (None: no answer,
        also when there is none by `until`)."""
        url = httpx.URL(page.final_url)
        if url.scheme != "https":
            return False
        plain = url.copy_with(scheme="http", port=None)
        try:
            async with asyncio.timeout_at(self._until(until)), self.browsing() as browsing:
                await browsing.open(str(plain))
                response = await browsing.client.get(plain)
        except (AuditRefused, httpx.HTTPError, TimeoutError):
            return None
        location = response.headers.get("location", "")
        return response.is_redirect and str(plain.join(location)).startswith("https://")

    def _until(self, until: float | None) -> float:
        if until is not None:
            return until
        return asyncio.get_running_loop().time() + self.policy.deadline


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
