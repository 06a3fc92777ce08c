"""The course dashboard: signing in, every page against every role, the nudge, CSRF."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, func, select

from bot.content.loader import ContentStore
from bot.db.models import (
    AuditLogEntry,
    Broadcast,
    DashboardLoginToken,
    DashboardSession,
    Idea,
    OutboxMessage,
    Participant,
    RoleGrant,
)
from bot.delivery.payload import load_replies
from bot.features.certificates import records as certificate_records
from bot.features.dashboard_access.signin import digest
from bot.features.privacy.queries import erase, personal_data
from bot.features.stats.figures import compute
from bot.kernel.clock import FakeClock
from bot.kernel.messages import Message
from bot.kernel.snapshot import load_snapshot
from bot.web.dashboard import views
from tests.conftest import VILNIUS
from tests.integration.admin_data import add_person
from tests.integration.dashboard_data import (
    BOT_TOKEN,
    Sessions,
    board,
    csrf_of,
    link_token,
    sign_in,
)
from tests.unit.test_initdata import init_data

__all__ = ["board"]
Board = tuple[httpx.AsyncClient, dict[str, int]]

# page -> who may open it
PAGES = {
    "/dashboard/overview": {"coordinator", "admin"},
    "/dashboard/participants": {"trainer", "coordinator", "admin"},
    "/dashboard/participants/{ruta}": {"trainer", "admin"},
    "/dashboard/ideas": {"trainer", "admin"},
    "/dashboard/broadcasts": {"trainer", "admin"},
    "/dashboard/certificates": {"trainer", "coordinator", "admin"},
    "/dashboard/certificates?show=working": {"trainer", "coordinator", "admin"},
    "/dashboard/downloads": {"coordinator", "admin"},
    "/dashboard/downloads/csv": {"coordinator", "admin"},
}
ROLES = ("trainer", "coordinator", "admin")


# --- signing in -------------------------------------------------------------------------


async def test_a_one_time_link_signs_in_once(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    token = await link_token(sessions, clock, ids["tom"], "console", "tom")
    first = await client.post(f"/dashboard/login/{token}")
    assert first.status_code == 303 and first.headers["location"] == "/dashboard/"
    cookie = first.headers["set-cookie"]
    assert "cc_dashboard=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/dashboard" in cookie and "Secure" not in cookie  # http in tests
    home = await client.get("/dashboard/")
    assert home.headers["location"] == "/dashboard/participants"  # a trainer's first page
    assert (await client.get("/dashboard/participants")).status_code == 200

    client.cookies.clear()
    again = await client.post(f"/dashboard/login/{token}")
    assert again.status_code == 403
    assert "jau panaudota" in again.text
    async with sessions() as session:
        stored = await session.scalar(select(DashboardLoginToken.token_hash))
        signed = await session.scalar(select(func.count()).select_from(DashboardSession))
    assert stored == digest(token) and token not in stored  # only the hash is kept
    assert signed == 1


async def test_a_link_expires_after_ten_minutes(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    token = await link_token(sessions, clock, ids["tom"], "console", "tom")
    clock.advance(timedelta(minutes=10, seconds=1))
    expired = await client.post(f"/dashboard/login/{token}")
    assert expired.status_code == 403 and "nebegalioja" in expired.text
    assert "cc_dashboard=" not in expired.headers.get("set-cookie", "")
    unknown = await client.post("/dashboard/login/not-a-token")
    assert unknown.status_code == 403


async def test_a_newer_link_replaces_the_older(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    old = await link_token(sessions, clock, ids["tom"], "console", "tom")
    await link_token(sessions, clock, ids["tom"], "console", "tom")
    assert (await client.post(f"/dashboard/login/{old}")).status_code == 403


async def test_a_session_expires(board: Board, sessions: Sessions, clock: FakeClock) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "trainer")
    clock.advance(timedelta(hours=8, seconds=1))
    page = await client.get("/dashboard/participants")
    assert page.status_code == 303 and page.headers["location"] == "/dashboard/signin"


async def test_someone_without_a_role_gets_no_session(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    refused = await sign_in(client, sessions, clock, ids, "participant")
    assert refused.status_code == 403
    assert "cc_dashboard=" not in refused.headers.get("set-cookie", "")


async def test_nobody_signed_in_is_sent_to_the_sign_in_page(board: Board) -> None:
    client, ids = board
    for template in PAGES:
        page = await client.get(template.format(**ids))
        assert page.status_code == 303, template
        assert page.headers["location"] == "/dashboard/signin"
    signin = await client.get("/dashboard/signin")
    assert signin.status_code == 200 and "/dashboard" in signin.text


async def test_the_mini_app_signs_in_with_telegrams_init_data(
    board: Board, clock: FakeClock
) -> None:
    client, _ = board
    app = await client.get("/dashboard/app")
    assert app.status_code == 200
    assert (
        "frame-ancestors 'self' https://web.telegram.org" in app.headers["content-security-policy"]
    )
    assert "x-frame-options" not in app.headers
    assert '<script src="/dashboard/static/mini-app.js"' in app.text
    csrf = csrf_of(app)
    data = init_data(BOT_TOKEN)  # user 4242: the configured admin
    signed = await client.post("/dashboard/auth/telegram", data={"csrf": csrf, "initData": data})
    assert signed.status_code == 303, signed.text
    assert (await client.get("/dashboard/overview")).status_code == 200
    script = await client.get("/dashboard/static/mini-app.js")
    assert script.status_code == 200 and "tgWebAppData" in script.text


async def test_the_mini_app_refuses_forged_or_unsigned_data(board: Board) -> None:
    client, _ = board
    csrf = csrf_of(await client.get("/dashboard/app"))
    forged = init_data("654321:another-bot")
    for data in (forged, init_data(BOT_TOKEN).replace("4242", "4243"), ""):
        refused = await client.post(
            "/dashboard/auth/telegram", data={"csrf": csrf, "initData": data}
        )
        assert refused.status_code == 403
    no_csrf = await client.post("/dashboard/auth/telegram", data={"initData": init_data(BOT_TOKEN)})
    assert no_csrf.status_code == 403
    assert (await client.get("/dashboard/overview")).status_code == 303


async def test_the_mini_app_knows_only_known_telegram_users(board: Board, clock: FakeClock) -> None:
    client, _ = board
    csrf = csrf_of(await client.get("/dashboard/app"))
    stranger = init_data(BOT_TOKEN, user_id=999)  # genuine, but never used the bot
    refused = await client.post(
        "/dashboard/auth/telegram", data={"csrf": csrf, "initData": stranger}
    )
    assert refused.status_code == 403


# --- every page against every role --------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
async def test_every_page_against_every_role(
    board: Board, sessions: Sessions, clock: FakeClock, who: str
) -> None:
    client, ids = board
    signed = await sign_in(client, sessions, clock, ids, who)
    assert signed.status_code == 303
    for template, allowed in PAGES.items():
        page = await client.get(template.format(**ids))
        expected = 200 if who in allowed else 403
        assert page.status_code == expected, (who, template, page.text[:300])
        if expected == 403:
            assert "Ruta" not in page.text and "Rūta" not in page.text
    nav = (await client.get("/dashboard/participants")).text
    for path, allowed in PAGES.items():
        if "{" not in path and "?" not in path and path.count("/") == 2:
            assert (f'href="{path}"' in nav) == (who in allowed), (who, path)


async def test_a_revoked_role_is_gone_at_the_next_request(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "trainer")
    assert (await client.get("/dashboard/ideas")).status_code == 200
    async with sessions() as session, session.begin():
        await session.execute(delete(RoleGrant).where(RoleGrant.participant_id == ids["tom"]))
    assert (await client.get("/dashboard/ideas")).status_code == 403
    assert (await client.get("/dashboard/participants")).status_code == 403


async def test_a_participant_whose_session_outlived_their_role_sees_nothing(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "coordinator")
    async with sessions() as session, session.begin():
        await session.execute(delete(RoleGrant).where(RoleGrant.participant_id == ids["ona"]))
    for template in PAGES:
        assert (await client.get(template.format(**ids))).status_code == 403


# --- what the pages show ------------------------------------------------------------------


async def test_pages_show_real_data_in_lithuanian_and_english(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "admin")
    overview = await client.get("/dashboard/overview")
    assert '<html lang="lt">' in overview.text
    assert "Apžvalga" in overview.text and "<svg" in overview.text
    assert "Zarasai" in overview.text and "Aktyvūs per 7 dienas" in overview.text
    people = (await client.get("/dashboard/participants")).text
    assert "Rūta Žemaitytė" in people and "Jonas Šalčius" in people and "Utenos grupė" in people
    assert "Naujokas" not in people  # still getting started
    person = (await client.get(f"/dashboard/participants/{ids['ruta']}")).text
    assert "Instagramo paskyra bibliotekai" in person and "Paskelbti pirmąjį įrašą" in person
    assert "Siųsti priminimą" in person
    ideas = (await client.get("/dashboard/ideas")).text
    assert "Renginių kalendorius" in ideas and "Sukurti paskyrą" in ideas
    broadcasts = (await client.get("/dashboard/broadcasts")).text
    assert "Rytoj – seminaras Utenoje!" in broadcasts and "visi dalyviai" in broadcasts

    english = await client.get("/dashboard/lang/en?next=/dashboard/overview")
    assert english.status_code == 303 and english.headers["location"] == "/dashboard/overview"
    overview_en = await client.get("/dashboard/overview")
    assert '<html lang="en">' in overview_en.text and "Overview" in overview_en.text
    away = await client.get("/dashboard/lang/lt?next=https://evil.example/")
    assert away.headers["location"] == "/dashboard/"


async def test_the_participants_table_sorts_filters_and_pages(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "trainer")

    def order(page: httpx.Response) -> list[int]:
        return [int(part.split('"')[0]) for part in page.text.split('<tr data-id="')[1:]]

    by_name = order(await client.get("/dashboard/participants?sort=name"))
    assert by_name == [ids[n] for n in ("jonas", "ona", "ruta", "tom", "boss")]
    backwards = order(await client.get("/dashboard/participants?sort=name&dir=desc"))
    assert backwards == list(reversed(by_name))
    progress = order(await client.get("/dashboard/participants?sort=progress&dir=desc"))
    assert progress[0] == ids["jonas"]  # 6 lessons
    reminders = order(await client.get("/dashboard/participants?sort=reminders&dir=desc"))
    assert reminders[0] == ids["ruta"]
    zarasai = order(await client.get("/dashboard/participants?municipality=zarasai"))
    assert sorted(zarasai) == sorted([ids["jonas"], ids["ona"]])
    paused = order(await client.get("/dashboard/participants?paused=yes"))
    assert paused == [ids["jonas"]]
    group = order(await client.get(f"/dashboard/participants?cohort={ids['cohort']}"))
    assert sorted(group) == sorted([ids["ruta"], ids["jonas"]])
    ignored = await client.get("/dashboard/participants?sort=drop+table&page=x&municipality=mars")
    assert ignored.status_code == 200 and len(order(ignored)) == 5


async def test_the_table_pages_at_25(board: Board, sessions: Sessions, clock: FakeClock) -> None:
    client, ids = board
    async with sessions() as session, session.begin():
        for n in range(30):
            await add_person(session, f"p{n}", clock.now(), name=f"Dalyvis {n:02d}")
    await sign_in(client, sessions, clock, ids, "coordinator")
    first = await client.get("/dashboard/participants")
    assert first.text.count('<tr data-id="') == 25 and "1 iš 2" in first.text
    second = await client.get("/dashboard/participants?page=1")
    assert second.text.count('<tr data-id="') == 10
    assert "35 dalyviai" in first.text


async def test_downloads_are_the_exports(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "coordinator")
    xlsx = await client.get("/dashboard/downloads/xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert "attachment" in xlsx.headers["content-disposition"]
    csv = await client.get("/dashboard/downloads/csv")
    names = zipfile.ZipFile(io.BytesIO(csv.content)).namelist()
    assert "participants.csv" in names
    xapi = await client.get("/dashboard/downloads/xapi")
    assert isinstance(json.loads(xapi.content), list)
    assert (await client.get("/dashboard/downloads/pdf")).status_code == 404
    async with sessions() as session:
        actions = list(await session.scalars(select(AuditLogEntry.action)))
    assert {"export.xlsx", "export.csv", "export.xapi", "dashboard.signin"} <= set(actions)


# --- the nudge and CSRF -------------------------------------------------------------------


async def test_a_nudge_goes_through_the_outbox(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "trainer")
    page = await client.get(f"/dashboard/participants/{ids['ruta']}")
    csrf = csrf_of(page)
    nonce = page.text.split('name="nonce" value="')[1].split('"')[0]
    form = {"csrf": csrf, "nonce": nonce, "note": "Laukiame jūsų <b>rytoj</b>!"}
    sent = await client.post(f"/dashboard/participants/{ids['ruta']}/nudge", data=form)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/dashboard/participants/{ids['ruta']}?sent=1"
    again = await client.post(f"/dashboard/participants/{ids['ruta']}/nudge", data=form)
    assert again.status_code == 303  # the same form twice: one message
    async with sessions() as session:
        rows = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "nudge"))
        )
        audit = await session.scalar(
            select(func.count()).where(AuditLogEntry.action == "participant.nudge")
        )
    assert len(rows) == 1 and audit == 2
    row = rows[0]
    assert row.participant_id == ids["ruta"] and row.state == "pending"
    (message,) = load_replies(row.payload)
    assert isinstance(message, Message)
    assert "Tomas Treneris" in message.text and "&lt;b&gt;rytoj&lt;/b&gt;" in message.text
    assert message.buttons[0][0].payload == "cmd:next"
    shown = await client.get(sent.headers["location"])
    assert "Priminimas siunčiamas" in shown.text


async def test_a_post_without_the_csrf_token_is_refused(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "trainer")
    target = f"/dashboard/participants/{ids['ruta']}/nudge"
    missing = await client.post(target, data={"nonce": "a"})
    assert missing.status_code == 403
    wrong = await client.post(target, data={"nonce": "b", "csrf": "x" * 43})
    assert wrong.status_code == 403
    logout = await client.post("/dashboard/logout", data={})
    assert logout.status_code == 403
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.purpose == "nudge")
        )
    assert count == 0


async def test_a_coordinator_cannot_nudge(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "coordinator")
    csrf = csrf_of(await client.get("/dashboard/participants"))
    refused = await client.post(f"/dashboard/participants/{ids['ruta']}/nudge", data={"csrf": csrf})
    assert refused.status_code == 403


async def test_signing_out_ends_the_session(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "trainer")
    csrf = csrf_of(await client.get("/dashboard/participants"))
    out = await client.post("/dashboard/logout", data={"csrf": csrf})
    assert out.status_code == 303
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DashboardSession)) == 0


async def test_security_headers_on_every_page(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "admin")
    for path in ("/dashboard/overview", "/dashboard/signin", "/dashboard/static/dashboard.css"):
        page = await client.get(path)
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "no-referrer"
    overview = (await client.get("/dashboard/overview")).text
    assert "<script" not in overview and " style=" not in overview
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_the_light_snapshot_gives_the_same_figures(
    board: Board, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    async with sessions() as session:
        full = await load_snapshot(session, content.index, clock.now(), VILNIUS)
        light = await load_snapshot(session, content.index, clock.now(), VILNIUS, light=True)
    assert compute(light) == compute(full)
    assert [(p.id, p.lessons_done, p.score, p.behind, p.paused) for p in light.people] == [
        (p.id, p.lessons_done, p.score, p.behind, p.paused) for p in full.people
    ]
    assert views.weekly_activity(light) == views.weekly_activity(full)
    assert sum(point.active for point in views.weekly_activity(full)) > 0


async def test_mydata_names_the_sessions_without_their_secrets_and_erasure_ends_them(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "trainer")
    page = await client.get("/dashboard/participants")
    async with sessions() as session:
        data = await personal_data(session, ids["tom"])
    (signed,) = data["dashboard_sessions"]
    assert signed["token_hash"] == signed["csrf_token"] == "(hidden)"
    assert csrf_of(page) not in json.dumps(data)
    (link,) = data["dashboard_login_tokens"]
    assert link["token_hash"] == "(hidden)" and link["used_at"] is not None
    async with sessions() as session, session.begin():
        await erase(session, ids["tom"])
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DashboardSession)) == 0
    assert (await client.get("/dashboard/participants")).status_code == 303


async def test_the_certificates_page_lists_the_register_and_who_is_close(
    board: Board, sessions: Sessions, clock: FakeClock, content: ContentStore
) -> None:
    client, ids = board
    async with sessions() as session, session.begin():
        ruta = await session.get(Participant, ids["ruta"])
        assert ruta is not None
        rules = content.index.course.certificate
        assert rules is not None
        progress = await certificate_records.progress_of(
            session, ruta.id, content.index, rules, clock.now().date(), VILNIUS
        )
        issued = await certificate_records.issue(
            session, ruta, content.index, rules, progress, clock.now(), issued_by=ids["tom"],
            reason="dalyvavo gyvai",
        )  # fmt: skip
        number, code = issued.number, issued.code
    await sign_in(client, sessions, clock, ids, "coordinator")
    page = (await client.get("/dashboard/certificates")).text
    assert number in page and "Rūta Žemaitytė" in page and f'href="/verify/{code}"' in page
    assert "galioja" in page and f"#{ids['tom']}" in page
    working = (await client.get("/dashboard/certificates?show=working")).text
    assert "Jonas Šalčius" in working and "Rūta Žemaitytė" not in working
    assert "modulyje liko" in working  # what is missing, in words
    assert f'href="/dashboard/participants/{ids["jonas"]}"' not in working  # coordinators: no
    await sign_in(client, sessions, clock, ids, "trainer")
    working = (await client.get("/dashboard/certificates?show=working&page=99")).text
    assert f'href="/dashboard/participants/{ids["jonas"]}"' in working  # trainers: linked
    ready = (await client.get("/dashboard/certificates?show=ready")).text
    assert "Nieko nėra." in ready


async def test_long_lists_of_ideas_and_broadcasts_page_and_the_gallery_filter_works(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    now = clock.now()
    async with sessions() as session, session.begin():
        session.add_all(
            Idea(
                participant_id=ids["jonas"], title=f"Idėja nr. {n}", status="planned",
                created_at=now, shared_at=now if n < 3 else None,
            )
            for n in range(30)
        )  # fmt: skip
        session.add_all(
            Broadcast(
                author_id=ids["tom"], text=f"Pranešimas {n}", audience="all", state="done",
                recipients=0, report={}, created_at=now,
            )
            for n in range(30)
        )  # fmt: skip
    await sign_in(client, sessions, clock, ids, "trainer")
    first = (await client.get("/dashboard/ideas")).text
    assert "33 idėjos" in first and "Puslapis 1 iš 2" in first
    assert "Idėja nr. 29" in first and "Idėja nr. 0 <" not in first  # newest first
    second = (await client.get("/dashboard/ideas?page=1")).text
    assert "Idėja nr. 0 <" in second and "Puslapis 2 iš 2" in second
    gallery = (await client.get("/dashboard/ideas?shared=1")).text
    assert "3 idėjos" in gallery and "galerijoje" in gallery and "Idėja nr. 3 <" not in gallery
    news = (await client.get("/dashboard/broadcasts")).text
    assert "Pranešimas 29" in news and "Puslapis 1 iš 2" in news
    older = (await client.get("/dashboard/broadcasts?page=1")).text
    assert "Rytoj – seminaras Utenoje!" in older  # the oldest, on the last page


async def test_the_broadcasts_page_refreshes_itself_while_one_is_being_sent(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "trainer")
    quiet = (await client.get("/dashboard/broadcasts")).text
    assert 'http-equiv="refresh"' not in quiet
    async with sessions() as session, session.begin():
        session.add(
            Broadcast(
                author_id=ids["tom"], text="Siunčiama dabar", audience="all", state="sending",
                recipients=5, report={}, created_at=clock.now(), started_at=clock.now(),
            )
        )  # fmt: skip
    live = (await client.get("/dashboard/broadcasts")).text
    assert '<meta http-equiv="refresh" content="10">' in live and "kas 10 sekundžių" in live


async def test_odd_numbers_in_addresses_get_a_page_not_an_error(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "admin")
    for path in (
        "/dashboard/participants?page=%C2%B2&cohort=%C2%B2",  # "²" passes str.isdigit
        "/dashboard/ideas?page=%C2%B2",
        "/dashboard/certificates?page=99999999999999",
        "/dashboard/broadcasts?page=-1",
    ):
        assert (await client.get(path)).status_code == 200, path
    huge = 10**25
    assert (await client.get(f"/dashboard/participants/{huge}")).status_code == 404
    csrf = csrf_of(await client.get("/dashboard/participants"))
    nudge = await client.post(f"/dashboard/participants/{huge}/nudge", data={"csrf": csrf})
    assert nudge.status_code == 404


async def test_someone_whose_role_was_revoked_can_still_sign_out(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    await sign_in(client, sessions, clock, ids, "trainer")
    csrf = csrf_of(await client.get("/dashboard/participants"))
    async with sessions() as session, session.begin():
        await session.execute(delete(RoleGrant).where(RoleGrant.participant_id == ids["tom"]))
    assert (await client.get("/dashboard/participants")).status_code == 403
    out = await client.post("/dashboard/logout", data={"csrf": csrf})
    assert out.status_code == 303
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DashboardSession)) == 0


async def test_opening_a_link_without_a_script_does_not_use_it_up(
    board: Board, sessions: Sessions, clock: FakeClock
) -> None:
    client, ids = board
    token = await link_token(sessions, clock, ids["tom"], "console", "tom")
    for _ in range(2):  # a link preview, a mail scanner: they GET and run no script
        page = await client.get(f"/dashboard/login/{token}")
        assert page.status_code == 200 and 'id="link-signin"' in page.text
        assert "sign-in.js" in page.text and "Tęsti" in page.text
        assert "set-cookie" not in page.headers
    signed = await client.post(f"/dashboard/login/{token}")  # the person's browser
    assert signed.status_code == 303 and "cc_dashboard" in signed.headers["set-cookie"]
