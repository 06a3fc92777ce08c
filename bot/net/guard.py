"""The address guard (SSRF policy): which URLs and addresses a page check may reach, and limits."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

MAX_BYTES = 3 * 1024 * 1024
MAX_REDIRECTS = 5
DEADLINE = 20.0
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


def normalise_url(raw: str) -> str:
    """The URL a participant typed, with https:// assumed when no scheme is given."""
    text = raw.strip()
    if "://" not in text:
        text = "https://" + text
    return text


def origin_of(url: httpx.URL) -> tuple[str, int]:
    """The (host, port) a connection for this URL is made for, as httpcore names them."""
    return url.raw_host.decode("ascii").lower(), url.port or DEFAULT_PORTS[url.scheme]


def parse_url(url: str) -> httpx.URL:
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


async def checked_addresses(policy: FetchPolicy, url: httpx.URL) -> list[str]:
    """The addresses to connect to for a URL, each public (unless the policy allows)."""
    host, port = origin_of(url)
    try:
        addresses = [host] if _is_ip(host) else list(await policy.resolver(host, port))
    except (OSError, UnicodeError) as error:
        raise AuditRefused("unresolvable", url.host) from error
    if not addresses:
        raise AuditRefused("unresolvable", url.host)
    if not policy.allow_private and not all(map(is_public_address, addresses)):
        raise AuditRefused("private", url.host)
    return addresses


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
