"""Connections only to addresses the guard checked: a pinned network, its transport, a client."""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Sequence

import httpcore
import httpx

from bot.net.guard import FetchPolicy, checked_addresses, origin_of, parse_url

USER_AGENT = "CultureCoachAudit/1.0 (+course self-check of a public page)"


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

    def __init__(
        self,
        policy: FetchPolicy,
        network: httpcore.AsyncNetworkBackend,
        ssl_context: ssl.SSLContext,
    ) -> None:
        self._policy = policy
        self.network = PinnedNetwork(network)
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(policy.timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"},
            transport=PinnedTransport(self.network, ssl_context),
        )

    async def open(self, url: str) -> httpx.URL:
        """Guard a URL and pin the addresses it was checked at (once per host and port)."""
        parsed = parse_url(url)
        origin = origin_of(parsed)
        if self.network.pinned(origin) is None:
            self.network.pin(origin, await checked_addresses(self._policy, parsed))
        return parsed

    async def __aenter__(self) -> Browsing:
        await self.client.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.client.aclose()
