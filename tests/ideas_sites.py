"""Local web sites on 127.0.0.1 for the page-check tests (aiohttp's test server)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestServer

GOOD = """<!doctype html>
<html lang="lt"><head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Utenos biblioteka – renginiai ir paslaugos</title>
<meta name="description" content="Utenos A. ir M. Miškinių viešoji biblioteka: renginiai,
knygų paieška, darbo laikas ir paslaugos visai šeimai.">
<meta property="og:title" content="Utenos biblioteka">
<meta property="og:description" content="Renginiai ir paslaugos">
<meta property="og:image" content="/img/cover.webp">
<meta name="twitter:card" content="summary_large_image">
<link rel="icon" href="/favicon.png">
<link rel="stylesheet" href="/style.css">
<script src="/app.js" defer></script>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Event",
 "name": "Poezijos vakaras", "startDate": "2026-12-15T18:00"}</script>
</head><body>
<h1>Utenos biblioteka</h1><h2>Renginiai</h2><h3>Šią savaitę</h3><h2>Paslaugos</h2>
<img src="/img/cover.webp" alt="Skaitykla">
<img src="/img/logo.svg" alt="">
<a href="/renginiai">Renginiai</a>
<a href="https://www.facebook.com/utenosbiblioteka">Facebook</a>
<a href="/privatumo-politika">Privatumo politika</a>
<a href="/prieinamumo-pareiskimas">Prieinamumo pareiškimas</a>
</body></html>"""

POOR = """<html><head><title>Pradžia</title>
<script src="/a.js"></script><script src="/b.js"></script>
<link rel="stylesheet" href="/1.css"><link rel="stylesheet" href="/2.css">
<link rel="stylesheet" href="/3.css">
</head><body>
<h3>Sveiki</h3><h1>Renginiai</h1><h1>Naujienos</h1>
<img src="/img/huge.jpg"><img src="/img/photo.png"><img src="/img/small.png" alt="Salė">
<a href="/apie">Apie mus</a>
</body></html>"""

LINKS = """<html lang="lt"><head><title>Nuorodų puslapis bibliotekoje</title></head><body>
<h1>Nuorodos</h1>
<a href="/ok">veikia</a> <a href="/missing">neveikia</a> <a href="/gone">dingo</a>
<a href="mailto:info@example.lt">laiškas</a> <a href="#top">viršus</a>
</body></html>"""

EVENT_PAGE = """<html lang="lt"><head><title>Poezijos vakaras – Utenos biblioteka</title></head>
<body><h1>Poezijos vakaras</h1><p>Gruodžio 15 d. 18 val.</p></body></html>"""


class Sites:
    """The fixture sites; `pages` may be changed between checks to show improvement.
    `requests` lists every request received, as (Host header, path with query)."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {"/good": GOOD, "/poor": POOR, "/links": LINKS}
        self.server: TestServer | None = None
        self.requests: list[tuple[str, str]] = []
        self.port = 0  # set once the server listens (and kept after it stops)

    def url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    @web.middleware
    async def log(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        self.requests.append((request.host, request.path_qs))
        return await handler(request)

    async def page(self, request: web.Request) -> web.Response:
        html = self.pages.get(request.path)
        if html is None:
            raise web.HTTPNotFound()
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.log])
        app.router.add_get("/go", _go)
        app.router.add_get("/drip", _drip)
        app.router.add_get("/loop", _const(_redirect, "/loop2"))
        app.router.add_get("/loop2", _const(_redirect, "/loop"))
        app.router.add_get("/hop", _const(_redirect, "/good"))
        app.router.add_get("/slow", _slow)
        app.router.add_get("/big", _big)
        app.router.add_get("/file.pdf", _pdf)
        app.router.add_get("/renginiai/poezijos-vakaras", _const(_html, EVENT_PAGE))
        app.router.add_get("/img/huge.jpg", _const(_bytes, 900 * 1024, "image/jpeg"))
        app.router.add_get("/img/photo.png", _const(_bytes, 400 * 1024, "image/png"))
        app.router.add_get("/img/small.png", _const(_bytes, 20 * 1024, "image/png"))
        app.router.add_get("/img/cover.webp", _const(_bytes, 80 * 1024, "image/webp"))
        app.router.add_get("/img/logo.svg", _const(_bytes, 2 * 1024, "image/svg+xml"))
        app.router.add_get("/favicon.png", _const(_bytes, 1024, "image/png"))
        for path in (
            "/ok",
            "/renginiai",
            "/privatumo-politika",
            "/prieinamumo-pareiskimas",
            "/apie",
        ):
            app.router.add_get(path, _const(_html, "<p>ok</p>"))
        app.router.add_get("/gone", _const(_status, 410))
        app.router.add_get("/{name}", self.page)
        return app


def _const(
    make: Callable[..., Awaitable[web.StreamResponse]], *args: object
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await make(*args)

    return handler


async def _status(status: int) -> web.Response:
    return web.Response(status=status)


async def _redirect(target: str) -> web.Response:
    raise web.HTTPFound(target)


async def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html")


async def _bytes(size: int, kind: str) -> web.Response:
    return web.Response(body=b"\0" * size, content_type=kind)


async def _go(request: web.Request) -> web.Response:
    """A redirect to wherever ?to= says."""
    raise web.HTTPFound(request.query["to"])


async def _drip(request: web.Request) -> web.StreamResponse:
    """An HTML page sent one byte a second (each read is quick, the whole never ends)."""
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        for byte in GOOD.encode():
            await response.write(bytes([byte]))
            await asyncio.sleep(1)
    except (ConnectionResetError, RuntimeError):
        pass
    return response


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(30)
    return await _html("<p>late</p>")


async def _pdf(request: web.Request) -> web.Response:
    return web.Response(body=b"%PDF-1.7 ...", content_type="application/pdf")


async def _big(request: web.Request) -> web.StreamResponse:
    """A 10 MB page, streamed without a Content-Length."""
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>"
    try:
        for _ in range(160):
            await response.write(chunk)
    except (ConnectionResetError, RuntimeError):
        pass
    return response


@asynccontextmanager
async def serve(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[Sites]:
    """Run the sites on 127.0.0.1 for one test (over TLS with an ssl_context)."""
    sites = Sites()
    sites.server = TestServer(sites.app(), host="127.0.0.1")
    await sites.server.start_server(ssl=ssl_context)
    assert sites.server.port is not None
    sites.port = sites.server.port
    try:
        yield sites
    finally:
        await sites.server.close()
