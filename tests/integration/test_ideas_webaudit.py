"""/audit's page check against local sites on 127.0.0.1, the address guard and its pinning
(DNS rebinding), the audit's deadline, and which earlier check a check is compared with.

Nothing here leaves the machine: "public" addresses are played by local servers through a
fake network (FakeInternet), and names are answered by resolvers the tests give."""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpcore
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Participant
from bot.domain.findings import Finding
from bot.features.audit.reports import (
    SITE_KEY_LIMIT,
    check_page,
    refusal_text,
    site_key,
    store_report,
)
from bot.kernel.i18n import Translations
from bot.net.guard import Resolver, is_public_address
from bot.net.pages import AuditRefused, FetchPolicy, WebFetcher
from tests.ideas_sites import GOOD, POOR, serve

LOCAL = FetchPolicy(allow_private=True, timeout=2.0)
PUBLIC = "93.184.216.34"  # a public address; in these tests a local server plays it


def _by_code(findings: Sequence[Finding]) -> dict[str, Finding]:
    return {finding.code: finding for finding in findings}


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class FakeInternet(httpcore.AsyncNetworkBackend):
    """The network as the tests see it: each public address in `sites` is played by the local
    server on that port, 127.0.0.1 is this machine, a name is looked up with `resolver` at
    connection time (as a real network stack would), and nothing else can be reached.
    `connects` lists the (host, port) of every connection asked for."""

    def __init__(self, sites: dict[str, int], resolver: Resolver | None = None) -> None:
        self.sites = sites
        self.resolver = resolver
        self.connects: list[tuple[str, int]] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        if self.resolver is not None and not _is_ip(host):
            host = (await self.resolver(host, port))[0]
        if host in self.sites:
            return await self._real.connect_tcp("127.0.0.1", self.sites[host], timeout=timeout)
        if host == "127.0.0.1":
            return await self._real.connect_tcp(host, port, timeout=timeout)
        raise httpcore.ConnectError(f"{host} cannot be reached from the tests")

    async def sleep(self, seconds: float) -> None:
        await self._real.sleep(seconds)


def names(table: dict[str, list[str]]) -> Resolver:
    """A resolver answering from a table (other names do not resolve)."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"{host} does not resolve")
        return table[host]

    return resolve


def rebinding(calls: list[str]) -> Resolver:
    """A name that resolves to a public address the first time, then to loopback."""

    async def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return [PUBLIC] if len(calls) == 1 else ["127.0.0.1"]

    return resolve


async def test_a_good_site_passes_every_check_but_https() -> None:
    async with serve() as sites:
        report = await check_page(WebFetcher(LOCAL), sites.url("/good"))
        port = sites.port
    found = _by_code(report.findings)
    problems = sorted(code for code, f in found.items() if f.ok is False)
    assert problems == ["https"], problems
    assert found["http_redirect"].ok is None and found["hsts"].ok is None
    assert found["social_links"].params["networks"] == "Facebook"
    assert found["broken_links"].ok is True and found["broken_links"].params["checked"] == "3"
    assert found["event_markup"].ok is True
    assert report.site == f"http://127.0.0.1:{port}/good"


async def test_a_poor_site_gets_each_problem_explained_with_its_severity() -> None:
    async with serve() as sites:
        report = await check_page(WebFetcher(LOCAL), sites.url("/poor"))
    found = _by_code(report.findings)
    for code in (
        "viewport",
        "title",
        "description",
        "lang",
        "social_preview",
        "favicon",
        "alt_text",
        "headings",
        "large_images",
        "image_formats",
        "render_blocking",
        "social_links",
        "privacy",
        "accessibility_statement",
    ):
        assert found[code].ok is False, code
    assert found["viewport"].severity == "high"
    assert found["alt_text"].params == {"missing": "2", "total": "3"}
    assert found["alt_text"].severity == "high"
    assert found["headings"].params["detail"] == "H1 × 2"
    assert found["large_images"].params["images"] == "huge.jpg (900 KB), photo.png (400 KB)"
    assert found["render_blocking"].params == {"scripts": "2", "styles": "3"}
    assert found["image_formats"].params == {"old": "2", "total": "3"}  # the PNGs, not the JPEG
    assert found["page_weight"].ok is True  # about 1.3 MB with the images checked
    assert found["event_markup"].ok is None  # not an event page


async def test_an_event_page_without_markup_is_told_so() -> None:
    async with serve() as sites:
        report = await check_page(WebFetcher(LOCAL), sites.url("/renginiai/poezijos-vakaras"))
    assert _by_code(report.findings)["event_markup"].ok is False


async def test_broken_links_among_the_first_twenty_are_listed() -> None:
    async with serve() as sites:
        report = await check_page(WebFetcher(LOCAL), sites.url("/links"))
    broken = _by_code(report.findings)["broken_links"]
    assert broken.ok is False
    assert broken.params == {"checked": "3", "count": "2", "links": "/missing, /gone"}


async def test_redirects_are_followed_up_to_five_and_a_loop_is_refused() -> None:
    async with serve() as sites:
        report = await check_page(WebFetcher(LOCAL), sites.url("/hop"))
        assert report.final_url.endswith("/good")
        with pytest.raises(AuditRefused) as refused:
            await WebFetcher(LOCAL).fetch_page(sites.url("/loop"))
    assert refused.value.reason == "too_many_redirects"


async def test_a_slow_server_times_out() -> None:
    async with serve() as sites:
        with pytest.raises(AuditRefused) as refused:
            await WebFetcher(FetchPolicy(allow_private=True, timeout=0.2)).fetch_page(
                sites.url("/slow")
            )
    assert refused.value.reason == "timeout"


async def test_a_ten_megabyte_page_is_cut_off_at_three() -> None:
    async with serve() as sites:
        with pytest.raises(AuditRefused) as refused:
            await WebFetcher(LOCAL).fetch_page(sites.url("/big"))
    assert refused.value.reason == "too_large"


async def test_a_file_that_is_not_html_is_refused() -> None:
    async with serve() as sites:
        with pytest.raises(AuditRefused) as refused:
            await WebFetcher(LOCAL).fetch_page(sites.url("/file.pdf"))
    assert refused.value.reason == "not_html"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://192.168.1.1/admin",
        "http://172.16.0.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
    ],
)
async def test_the_guard_refuses_private_loopback_and_link_local_addresses(url: str) -> None:
    with pytest.raises(AuditRefused) as refused:
        await WebFetcher(FetchPolicy()).guard(url)
    assert refused.value.reason == "private"


async def test_the_guard_refuses_names_that_resolve_to_private_addresses() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return {
            "intranet.example.lt": ["10.0.0.7"],
            "mixed.example.lt": ["93.184.216.34", "127.0.0.1"],
        }.get(host, ["93.184.216.34"])

    fetcher = WebFetcher(FetchPolicy(resolver=resolver))
    for name in ("intranet.example.lt", "mixed.example.lt"):
        with pytest.raises(AuditRefused) as refused:
            await fetcher.guard(f"https://{name}/")
        assert refused.value.reason == "private"
    assert (
        str(await fetcher.guard("https://biblioteka.example.lt/"))
        == "https://biblioteka.example.lt/"
    )
    with pytest.raises(AuditRefused) as refused:
        await WebFetcher(FetchPolicy()).guard("http://localhost:8080/")  # from /etc/hosts
    assert refused.value.reason == "private"


async def test_the_guard_refuses_other_schemes_and_redirects_into_private_space() -> None:
    fetcher = WebFetcher(FetchPolicy())
    for url, reason in (("ftp://example.lt/", "scheme"), ("file:///etc/passwd", "scheme")):
        with pytest.raises(AuditRefused) as refused:
            await fetcher.guard(url)
        assert refused.value.reason == reason
    async with serve() as sites:
        # Loopback allowed for the first hop only would still be refused without the setting.
        with pytest.raises(AuditRefused) as refused:
            await fetcher.fetch_page(sites.url("/hop"))
    assert refused.value.reason == "private"


def test_public_addresses_are_public() -> None:
    assert is_public_address("93.184.216.34")
    assert is_public_address("2606:4700:4700::1111")
    assert not is_public_address("224.0.0.1")


async def test_a_name_rebinding_to_loopback_after_the_check_is_not_followed() -> None:
    calls: list[str] = []
    async with serve() as internal, serve() as public:
        resolver = rebinding(calls)
        internet = FakeInternet({PUBLIC: public.port}, resolver)
        fetcher = WebFetcher(FetchPolicy(timeout=2.0, resolver=resolver), network=internet)
        url = f"http://rebind.example.test:{internal.port}/good"
        page = await fetcher.fetch_page(url)
    # Resolved once, checked, and connected to that very address: the second answer
    # (127.0.0.1, where the internal server listens on that port) is never asked for.
    assert calls == ["rebind.example.test"]
    assert internet.connects == [(PUBLIC, internal.port)]
    assert internal.requests == []
    assert public.requests == [(f"rebind.example.test:{internal.port}", "/good")]  # Host kept
    assert page.final_url == url and page.status == 200


async def test_probes_connect_to_checked_addresses_only() -> None:
    calls: list[str] = []
    async with serve() as internal, serve() as public:
        resolve = rebinding(calls)

        async def resolver(host: str, port: int) -> list[str]:
            if host == "biblioteka.example.test":
                return [PUBLIC]
            return list(await resolve(host, port))

        internet = FakeInternet({PUBLIC: public.port}, resolver)
        fetcher = WebFetcher(FetchPolicy(timeout=2.0, resolver=resolver), network=internet)
        sneaky = f"http://127.0.0.1:{internal.port}/ok"
        found = await fetcher.probe_all(
            [
                f"http://rebind.example.test:{internal.port}/ok",
                f"http://rebind.example.test:{internal.port}/renginiai",
                f"http://biblioteka.example.test:{public.port}/go?to={quote(sneaky)}",
            ]
        )
    assert calls == ["rebind.example.test"]  # once for both links to it
    assert {url.split("/")[-1]: probe.status for url, probe in found.items()} == {
        "ok": 200,
        "renginiai": 200,
    }  # the redirect into loopback was not followed: no probe
    assert internal.requests == []
    assert {host for host, _ in internet.connects} == {PUBLIC}


async def test_a_redirect_into_private_space_is_refused_without_connecting() -> None:
    async with serve() as sites:
        resolver = names(
            {"biblioteka.example.test": [PUBLIC], "intranet.example.test": ["10.0.0.7"]}
        )
        internet = FakeInternet({PUBLIC: sites.port})
        fetcher = WebFetcher(FetchPolicy(timeout=2.0, resolver=resolver), network=internet)
        start = f"http://biblioteka.example.test:{sites.port}/go?to="
        targets = [
            f"http://127.0.0.1:{sites.port}/good",
            f"http://intranet.example.test:{sites.port}/good",
            f"http://[::1]:{sites.port}/good",
            "http://169.254.169.254/latest/meta-data/",
        ]
        for target in targets:
            with pytest.raises(AuditRefused) as refused:
                await fetcher.fetch_page(start + quote(target))
            assert refused.value.reason == "private", target
        assert (await fetcher.fetch_page(start + quote("/good"))).final_url.endswith("/good")
    assert [path.split("?")[0] for _, path in sites.requests] == ["/go"] * 5 + ["/good"]
    assert {host for host, _ in internet.connects} == {PUBLIC}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for secure.example.test (made with the openssl tool)."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl tool to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes".split(),
            *"-days 2 -subj /CN=secure.example.test".split(),
            *"-addext subjectAltName=DNS:secure.example.test".split(),
            *"-addext basicConstraints=critical,CA:TRUE".split(),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_to_a_pinned_address_keeps_the_name_for_sni_and_the_certificate(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    server_tls.sni_callback = lambda _sock, name, _context: server_names.append(name)
    async with serve(server_tls) as sites:
        resolver = names({"secure.example.test": [PUBLIC], "other.example.test": [PUBLIC]})
        internet = FakeInternet({PUBLIC: sites.port})
        fetcher = WebFetcher(FetchPolicy(timeout=2.0, resolver=resolver), network=internet)
        fetcher.ssl_context = ssl.create_default_context(cafile=cert)
        page = await fetcher.fetch_page(f"https://secure.example.test:{sites.port}/good")
        with pytest.raises(AuditRefused) as refused:  # the certificate is not for this name
            await fetcher.fetch_page(f"https://other.example.test:{sites.port}/good")
    assert page.status == 200
    assert server_names == ["secure.example.test", "other.example.test"]
    assert refused.value.reason == "unreachable"
    assert sites.requests == [(f"secure.example.test:{sites.port}", "/good")]
    assert internet.connects == [(PUBLIC, sites.port), (PUBLIC, sites.port)]


async def test_a_page_dripping_a_byte_a_second_is_cut_off_by_the_deadline(
    translations: Translations,
) -> None:
    # Each byte comes well within the 2-second read timeout: only the deadline stops it.
    policy = FetchPolicy(allow_private=True, timeout=2.0, deadline=1.5)
    async with serve() as sites:
        started = time.monotonic()
        with pytest.raises(AuditRefused) as refused:
            await check_page(WebFetcher(policy), sites.url("/drip"))
        took = time.monotonic() - started
    assert 1.4 <= took < 2.5, took
    assert refused.value.reason == "timeout"
    assert refusal_text(translations.get("en"), refused.value) == (
        "The website took too long to answer, so I stopped waiting. Try again later."
    )
    assert "atsakinėjo per ilgai" in refusal_text(translations.get("lt"), refused.value)


async def test_slow_probes_do_not_spoil_the_report() -> None:
    # A page whose every image never answers: the report comes, without those probes.
    policy = FetchPolicy(allow_private=True, timeout=5.0, deadline=1.5)
    async with serve() as sites:
        sites.pages["/slow-images"] = GOOD.replace("/img/cover.webp", "/slow").replace(
            "/img/logo.svg", "/slow?2"
        )
        started = time.monotonic()
        report = await check_page(WebFetcher(policy), sites.url("/slow-images"))
        took = time.monotonic() - started
    assert took < 1.5, took
    assert _by_code(report.findings)["broken_links"].ok is True


def test_the_site_key_is_scheme_host_port_and_path() -> None:
    assert site_key("http://Example.LT/a") == "http://example.lt:80/a"
    assert site_key("http://example.lt:80/a?utm=1#top") == "http://example.lt:80/a"
    assert site_key("https://example.lt") == "https://example.lt:443/"
    assert site_key("http://example.lt:8080/b") == "http://example.lt:8080/b"
    assert site_key("http://[::1]:8000/") == "http://[::1]:8000/"
    assert site_key("https://www.example.lt/a") != site_key("https://example.lt/a")
    assert site_key("http://example.lt/a") != site_key("https://example.lt/a")
    long = "https://example.lt/" + "ą" * 300
    key = site_key(long)
    assert len(key) == SITE_KEY_LIMIT and key.startswith("https://example.lt:443/%C4%85")
    assert key != site_key(long + "b") and key == site_key(long)


async def test_a_check_is_compared_with_the_earlier_check_of_the_same_page_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with serve() as sites:
        sites.pages.update({"/a": POOR, "/b": GOOD})
        resolver = names({"biblioteka.example.test": [PUBLIC]})
        internet = FakeInternet({PUBLIC: sites.port})
        fetcher = WebFetcher(FetchPolicy(timeout=2.0, resolver=resolver), network=internet)
        first = await check_page(fetcher, "http://biblioteka.example.test/a")
        other = await check_page(fetcher, "http://biblioteka.example.test:8080/b")
        again = await check_page(fetcher, "http://BIBLIOTEKA.example.test:80/a?from=mail")
    assert first.site == again.site == "http://biblioteka.example.test:80/a"
    assert other.site == "http://biblioteka.example.test:8080/b"
    assert {port for _, port in internet.connects} == {80, 8080}
    now = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    async with sessions() as session, session.begin():
        person = Participant(language="lt", name="Rūta", created_at=now, last_seen_at=now)
        session.add(person)
        await session.flush()
        stored_first, before_first = await store_report(session, person.id, first, now)
        _, before_other = await store_report(session, person.id, other, now + timedelta(minutes=1))
        stored_again, before_again = await store_report(
            session, person.id, again, now + timedelta(minutes=2)
        )
    assert before_first is None
    assert before_other is None  # same host, other port and path: another page
    assert before_again is not None and before_again.id == stored_first.id
    assert stored_again.site == "http://biblioteka.example.test:80/a"
