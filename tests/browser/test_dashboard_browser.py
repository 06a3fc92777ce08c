"""The dashboard in a real browser: headless Chromium through Selenium signs in with a
one-time link and through the Mini App, opens every page at 360 px and 1280 px (screenshots),
sorts and filters the participants table and sends a nudge.

Skipped when Chromium, its driver or Selenium is missing. Screenshots go to a temporary
folder; DASHBOARD_SCREENSHOTS=docs/screenshots writes them there instead."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Awaitable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
import uvicorn
from sqlalchemy import insert, select

from bench.dashboard import ADMIN_USER, populate
from bot.content.loader import ContentStore
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import ChannelIdentity, Idea, OutboxMessage
from bot.features.dashboard_access.signin import create_link_token
from bot.kernel.clock import SystemClock
from bot.kernel.i18n import Translations
from bot.web.app import create_web_app
from bot.web.dashboard.config import DashboardConfig
from bot.web.dashboard.pages import dashboard_routes
from tests.conftest import CONTENT_DIR, VILNIUS
from tests.unit.test_initdata import init_data

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
DRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
BOT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
TELEGRAM_ID = 4242
WIDTHS = {"phone": 360, "laptop": 1280}
PAGES = (
    "overview",
    "participants",
    "participant",
    "ideas",
    "broadcasts",
    "certificates",
    "downloads",
)
T = TypeVar("T")

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # pragma: no cover - the skip below says so
    webdriver = None  # type: ignore[assignment]

missing = [str(p) for p in (CHROMIUM, DRIVER) if not p.exists()]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        webdriver is None, reason="selenium is not installed (pip install selenium)"
    ),
    pytest.mark.skipif(
        bool(missing),
        reason=f"no {' and '.join(missing)}: apt-get install -y chromium chromium-driver",
    ),
]


class Server:
    """The dashboard served by uvicorn on a free port, in a thread with its own event loop,
    on a fresh SQLite database seeded by bench/dashboard.py's populate()."""

    def __init__(self, database: Path) -> None:
        self.url = f"sqlite+aiosqlite:///{database}"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as error:  # reported by start()
            self.error = error
            self.ready.set()

    async def _serve(self) -> None:
        content = ContentStore(CONTENT_DIR)
        clock = SystemClock()
        engine = create_engine(self.url)
        self.sessions = create_session_factory(engine)
        self.admin = await populate(self.sessions, content, clock.now(), 60, 1500)
        async with self.sessions() as session, session.begin():
            await session.execute(
                insert(ChannelIdentity).values(
                    participant_id=self.admin, channel="telegram",
                    external_id=str(TELEGRAM_ID), created_at=clock.now(),
                )
            )  # fmt: skip
        config = DashboardConfig(
            sessions=self.sessions, content=content, translations=Translations("lt"),
            clock=clock, zone=VILNIUS, bot_token=BOT_TOKEN,
        )  # fmt: skip
        app = create_web_app(
            sessions=self.sessions, content=content, routes=dashboard_routes(config)
        )
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                           access_log=False, lifespan="off")
        )  # fmt: skip
        serving = asyncio.ensure_future(self.server.serve())
        while not self.server.started and not serving.done():  # noqa: ASYNC110 (no event)
            await asyncio.sleep(0.02)
        self.ready.set()
        await serving
        await engine.dispose()

    def start(self) -> None:
        self.thread.start()
        assert self.ready.wait(60), "the dashboard did not start"
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def call(self, work: Awaitable[T]) -> T:
        """Run a coroutine on the server's loop (its database engine lives there)."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(30)  # type: ignore[arg-type]

    def link(self) -> str:
        async def make() -> str:
            async with self.sessions() as session, session.begin():
                return await create_link_token(
                    session, self.admin, "console", ADMIN_USER, datetime.now(UTC)
                )

        return f"{self.base}/dashboard/login/{self.call(make())}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    database = tmp_path_factory.mktemp("browser") / "dashboard.db"
    upgrade(f"sqlite+aiosqlite:///{database}")
    running = Server(database)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,900", "--lang=lt"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wanted = os.environ.get("DASHBOARD_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def at_width(driver: Any, width: int) -> None:
    """Lay the page out as a device `width` CSS pixels wide."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def screenshot(driver: Any, path: Path, width: int) -> None:
    """The whole page, `width` pixels wide."""
    at_width(driver, width)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": min(int(height), 6000), "deviceScaleFactor": 1,
         "mobile": width < 600},
    )  # fmt: skip
    driver.save_screenshot(str(path))


def problems(driver: Any) -> list[str]:
    """Errors the page raised: a Content-Security-Policy violation, a script error, a 404."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def table_ids(driver: Any) -> list[int]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#participants tbody tr[data-id]")
    return [int(row.get_attribute("data-id")) for row in rows]


def column(driver: Any, number: int) -> list[str]:
    cells = driver.find_elements(
        By.CSS_SELECTOR, f"#participants tbody tr[data-id] td:nth-child({number})"
    )
    return [cell.text.strip() for cell in cells]


def test_every_page_sorting_filtering_and_a_nudge(
    server: Server, browser: Any, shots: Path
) -> None:
    began = time.monotonic()
    browser.get(server.link())
    assert browser.current_url == f"{server.base}/dashboard/overview"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Apžvalga"

    async def someone_with_an_idea() -> int:
        async with server.sessions() as session:
            found = await session.scalar(
                select(Idea.participant_id).where(Idea.status == "in_progress").order_by(Idea.id)
            )
            assert found is not None
            return found

    for page in PAGES:
        if page == "participant":
            path = f"/dashboard/participants/{server.call(someone_with_an_idea())}"
        else:
            path = f"/dashboard/{page}"
        browser.get(server.base + path)
        assert browser.find_element(By.TAG_NAME, "h1").text, page
        for device, width in WIDTHS.items():
            at_width(browser, width)
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 1, (page, device, overflow)  # wide tables scroll in their box
            screenshot(browser, shots / f"dashboard-{page}-{device}.png", width)
        assert not problems(browser), (page, problems(browser))
    assert (shots / "dashboard-overview-phone.png").stat().st_size > 5000

    # sort by progress, twice: ascending, then descending
    at_width(browser, 1280)
    browser.get(f"{server.base}/dashboard/participants")
    browser.find_element(By.CSS_SELECTOR, 'a[data-sort="progress"]').click()
    ascending = [int(value.split()[0]) for value in column(browser, 4)]
    assert ascending == sorted(ascending)
    browser.find_element(By.CSS_SELECTOR, 'a[data-sort="progress"]').click()
    descending = [int(value.split()[0]) for value in column(browser, 4)]
    assert descending == sorted(descending, reverse=True) and descending[0] >= ascending[-1]

    # filter by municipality
    Select(browser.find_element(By.NAME, "municipality")).select_by_value("zarasai")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: "municipality=zarasai" in d.current_url)
    places = set(column(browser, 3))
    assert places == {"Zarasai"}, places
    assert "municipality=zarasai" in browser.current_url
    for name in column(browser, 1):
        assert name not in browser.current_url  # no personal data in addresses

    # a nudge, through the outbox
    person = table_ids(browser)[0]
    browser.get(f"{server.base}/dashboard/participants/{person}")
    browser.find_element(By.ID, "note").send_keys("Laukiame jūsų seminare!")
    browser.find_element(By.ID, "send-nudge").click()
    notice = WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".notice.ok")
    )
    assert "Priminimas siunčiamas" in notice.text

    async def nudges() -> list[OutboxMessage]:
        async with server.sessions() as session:
            return list(
                await session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "nudge"))
            )

    (row,) = server.call(nudges())
    assert row.participant_id == person
    assert "Laukiame jūsų seminare!" in row.payload[0]["text"]
    assert not problems(browser)
    assert time.monotonic() - began < 45


def test_the_mini_app_signs_in_with_telegram(server: Server, browser: Any) -> None:
    browser.delete_all_cookies()
    at_width(browser, 360)
    browser.get(f"{server.base}/dashboard/overview")
    assert browser.current_url == f"{server.base}/dashboard/signin"
    # Telegram opens the Mini App with the signed initData in the address's fragment
    signed = init_data(BOT_TOKEN, user_id=TELEGRAM_ID, now=datetime.now(UTC))
    fragment = f"tgWebAppData={quote(signed, safe='')}&tgWebAppVersion=8.0&tgWebAppPlatform=ios"
    browser.get(f"{server.base}/dashboard/app#{fragment}")
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/dashboard/overview"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Apžvalga"
    assert "Administratorė Aušrinė" in browser.find_element(By.CSS_SELECTOR, ".who").text
    assert not problems(browser), problems(browser)


def test_the_mini_app_outside_telegram_says_how_to_sign_in(server: Server, browser: Any) -> None:
    browser.delete_all_cookies()
    browser.get(f"{server.base}/dashboard/app")
    hint = WebDriverWait(browser, 10).until(
        lambda d: (
            d.find_element(By.ID, "outside")
            if d.find_element(By.ID, "outside").is_displayed()
            else None
        )
    )
    assert "/dashboard" in hint.text
    assert browser.current_url == f"{server.base}/dashboard/app"
    assert not problems(browser), problems(browser)
