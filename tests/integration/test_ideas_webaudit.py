"""/audit's page check against local sites on 127.0.0.1, and the address guard."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.ideas.audits import check_page
from bot.ideas.findings import Finding
from bot.ideas.webaudit import AuditRefused, FetchPolicy, WebFetcher, is_public_address
from tests.ideas_sites import serve

LOCAL = FetchPolicy(allow_private=True, timeout=2.0)


def _by_code(findings: Sequence[Finding]) -> dict[str, Finding]:
    return {finding.code: finding for finding in findings}


async def test_a_good_site_passes_every_check_but_https() -> None:
    async with serve() as sites:
        report = await check_page(WebFetcher(LOCAL), sites.url("/good"))
    found = _by_code(report.findings)
    problems = sorted(code for code, f in found.items() if f.ok is False)
    assert problems == ["https"], problems
    assert found["http_redirect"].ok is None and found["hsts"].ok is None
    assert found["social_links"].params["networks"] == "Facebook"
    assert found["broken_links"].ok is True and found["broken_links"].params["checked"] == "3"
    assert found["event_markup"].ok is True
    assert report.site == "127.0.0.1"


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
