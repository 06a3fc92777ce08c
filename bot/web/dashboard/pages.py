"""The dashboard's routes: signing in (one-time link, Telegram Mini App), the pages, the
nudge, the downloads. Every request reads the session and the person's roles from the
database again; every POST carries the session's CSRF token.

Who sees what (docs/dashboard.md):
- coordinators: Overview (aggregates), Participants (the table), Downloads;
- trainers: Participants (table and each person's page, with the nudge), Ideas, Broadcasts;
- admins: everything."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.staticfiles import StaticFiles

from bot.db import audit_log
from bot.db.models import DashboardSession, Participant
from bot.delivery.outbox import enqueue
from bot.domain.profile import Municipality
from bot.features.dashboard_access import signin
from bot.features.dashboard_access.initdata import verify
from bot.features.exports import files as export_files
from bot.features.exports import tables as export_tables
from bot.kernel.context import fill
from bot.kernel.i18n import N_, Translator
from bot.kernel.labels import municipality_name, role_name
from bot.kernel.messages import Button, Message
from bot.kernel.registry import ADMIN, COORDINATOR, PARTICIPANT, TRAINER
from bot.kernel.snapshot import Snapshot, load_snapshot
from bot.kernel.widgets import ROLE_LABELS
from bot.web.body import BodyTooLarge, read_limited
from bot.web.dashboard import certificates as certificate_views
from bot.web.dashboard import charts, views
from bot.web.dashboard.config import DashboardConfig
from bot.web.dashboard.render import STATIC, Pages
from bot.web.dashboard.security import (
    LANGUAGE_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SecurityHeaders,
    csrf_ok,
)

log = logging.getLogger("bot.web")
PREFIX = "/dashboard"
NUDGE_PURPOSE = "nudge"
NOTE_MAX = 500
FORM_MAX_BYTES = 20_000
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Page:
    """A page of the navigation: its address, its name and who may open it.

    A page is one entry here and one route in dashboard_routes."""

    key: str
    path: str
    label: str
    roles: frozenset[str]


PAGES = (
    Page("overview", "/dashboard/overview", N_("Overview"), frozenset({COORDINATOR, ADMIN})),
    Page(
        "participants",
        "/dashboard/participants",
        N_("Participants"),
        frozenset({TRAINER, COORDINATOR, ADMIN}),
    ),
    Page("ideas", "/dashboard/ideas", N_("Ideas"), frozenset({TRAINER, ADMIN})),
    Page("broadcasts", "/dashboard/broadcasts", N_("Broadcasts"), frozenset({TRAINER, ADMIN})),
    Page(
        "certificates",
        "/dashboard/certificates",
        N_("Certificates"),
        frozenset({TRAINER, COORDINATOR, ADMIN}),
    ),
    Page("downloads", "/dashboard/downloads", N_("Downloads"), frozenset({COORDINATOR, ADMIN})),
)
BY_KEY = {page.key: page for page in PAGES}
# One participant's page and the nudge: people's own progress and ideas, for trainers.
PERSON_ROLES = frozenset({TRAINER, ADMIN})
DOWNLOADS = {
    "xlsx": (
        N_("Excel workbook (XLSX)"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    "csv": (N_("CSV files (zip)"), "application/zip"),
    "xapi": (N_("xAPI statements (JSON)"), "application/json"),
}


@dataclass
class Viewer:
    """Who is looking, with their roles as the database says now."""

    participant: Participant
    roles: frozenset[str]
    signed_in: DashboardSession
    tr: Translator

    def may(self, roles: frozenset[str]) -> bool:
        """Whether the viewer holds one of `roles`."""
        return bool(self.roles & roles)

    @property
    def pages(self) -> list[Page]:
        """The navigation this viewer sees."""
        return [page for page in PAGES if self.may(page.roles)]


Handler = Callable[[Request, AsyncSession, Viewer], Awaitable[Response]]


class Dashboard:
    """The pages, bound to the app's database, course, catalogues and clock."""

    def __init__(self, config: DashboardConfig) -> None:
        self.config = config
        self.pages = Pages()

    # --- plumbing ---------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The clock's now."""
        return self.config.clock.now()

    def _translator(self, request: Request, participant: Participant | None) -> Translator:
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        languages = self.config.translations.languages
        if chosen not in languages:
            chosen = participant.language if participant is not None else None
        return self.config.translations.get(chosen)

    def _html(
        self,
        name: str,
        tr: Translator,
        status: int = 200,
        *,
        here: str = "/dashboard/",
        **values: Any,
    ) -> Response:
        return HTMLResponse(
            self.pages.render(name, tr, request_path=here, **values), status_code=status
        )

    def _message(
        self, request: Request, status: int, title: str, text: str, viewer: Viewer | None = None
    ) -> Response:
        tr = viewer.tr if viewer else self._translator(request, None)
        return self._html(
            "message.html",
            tr,
            status,
            title=tr.gettext(title),
            text=tr.gettext(text),
            viewer=viewer,
            current="",
            role_labels=self._role_labels(viewer),
        )

    def _role_labels(self, viewer: Viewer | None) -> str:
        """The viewer's dashboard roles, in their words (admin first)."""
        if viewer is None:
            return ""
        held = [role for role in (ADMIN, TRAINER, COORDINATOR) if role in viewer.roles]
        return ", ".join(viewer.tr.gettext(ROLE_LABELS[role]) for role in held)

    async def _viewer(self, request: Request, db: AsyncSession) -> Viewer | None:
        signed_in = await signin.find_session(db, request.cookies.get(SESSION_COOKIE), self.now)
        if signed_in is None:
            return None
        participant, roles = await signin.session_roles(db, self.config, signed_in)
        if participant is None:
            return None
        return Viewer(participant, roles, signed_in, self._translator(request, participant))

    def guarded(
        self, roles: frozenset[str], handler: Handler
    ) -> Callable[[Request], Awaitable[Response]]:
        """A route that needs a live session and one of `roles`, checked on every request."""

        async def endpoint(request: Request) -> Response:
            async with self.config.sessions() as db:
                viewer = await self._viewer(request, db)
                if viewer is None:
                    return RedirectResponse(f"{PREFIX}/signin", status_code=303)
                if not viewer.may(roles):
                    return self._message(
                        request,
                        403,
                        N_("Not for your role"),
                        N_("This page is not open to your role. Ask an admin if you need it."),
                        viewer,
                    )
                if request.method == "POST":
                    form = await read_form(request)
                    request.state.form = form  # the body is read once
                    if not csrf_ok(viewer.signed_in.csrf_token, form.get("csrf")):
                        return self._message(
                            request,
                            403,
                            N_("The form has expired"),
                            N_("Open the page again and repeat what you did."),
                            viewer,
                        )
                return await handler(request, db, viewer)

        return endpoint

    def _page(
        self, request: Request, name: str, viewer: Viewer, current: str, **values: Any
    ) -> Response:
        return self._html(
            name,
            viewer.tr,
            here=request.url.path,
            viewer=viewer,
            current=current,
            role_labels=self._role_labels(viewer),
            municipality=lambda code: municipality_name(viewer.tr, code),
            role=lambda code: role_name(viewer.tr, code),
            time=lambda moment: views.local_time(moment, self.config.zone),
            percent=views.percent,
            **values,
        )

    async def _snapshot(self, db: AsyncSession, *, light: bool = True) -> Snapshot:
        cfg = self.config
        return await load_snapshot(db, cfg.content.index, self.now, cfg.zone, light=light)

    def _cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=PREFIX,
            httponly=True,
            secure=self.config.secure_cookies,
            samesite="lax",
        )

    # --- signing in -------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        """/dashboard/: the first page the viewer may open, or how to sign in."""
        async with self.config.sessions() as db:
            viewer = await self._viewer(request, db)
        if viewer is None:
            return RedirectResponse(f"{PREFIX}/signin", status_code=303)
        pages = viewer.pages
        if not pages:
            return self._message(
                request,
                403,
                N_("Not for your role"),
                N_("The dashboard is for trainers, coordinators and admins."),
                viewer,
            )
        return RedirectResponse(pages[0].path, status_code=303)

    async def signin_page(self, request: Request) -> Response:
        """How to sign in: /dashboard in the bot."""
        return self._message(
            request,
            200,
            N_("Sign in"),
            N_(
                "Send /dashboard to the bot: it answers with a one-time sign-in link "
                "(and, in Telegram, a button that opens the dashboard right there)."
            ),
        )

    async def _start(
        self, request: Request, db: AsyncSession, identity: signin.Identity
    ) -> Response:
        """A session for someone who proved who they are, if their role lets them in."""
        participant = await db.get(Participant, identity.participant_id)
        if participant is None:
            return self._message(request, 403, N_("Sign-in failed"), N_("I do not know you."))
        probe = DashboardSession(
            participant_id=participant.id,
            channel=identity.channel,
            external_id=identity.external_id,
            csrf_token="",
        )
        _, roles = await signin.session_roles(db, self.config, probe)
        if not signin.may_open(roles):
            await db.commit()  # the link is used up all the same
            return self._message(
                request,
                403,
                N_("Not for your role"),
                N_("The dashboard is for trainers, coordinators and admins."),
            )
        lifetime = self.config.session_lifetime
        token = await signin.start_session(db, identity, self.now, lifetime)
        await audit_log.record(
            db, participant.id, "dashboard.signin", self.now, details={"via": identity.channel}
        )
        await db.commit()
        response = RedirectResponse(f"{PREFIX}/", status_code=303)
        self._cookie(response, SESSION_COOKIE, token, int(lifetime.total_seconds()))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=PREFIX)
        return response

    async def login_page(self, request: Request) -> Response:
        """GET /dashboard/login/<token>: a page whose form spends the link (a link preview
        or a mail scanner fetching the address does not use it up)."""
        tr = self._translator(request, None)
        response = self._html(
            "login.html",
            tr,
            here=request.url.path,
            action=request.url.path,
            viewer=None,
            current="",
            role_labels="",
        )
        response.headers["cache-control"] = "no-store"
        return response

    async def login(self, request: Request) -> Response:
        """POST /dashboard/login/<token>: the one-time link, used up here."""
        token = str(request.path_params["token"])
        async with self.config.sessions() as db:
            outcome, identity = await signin.redeem_link_token(db, token, self.now)
            if identity is None:
                await db.rollback()
                text = {
                    signin.LinkOutcome.USED: N_(
                        "This sign-in link was used already. "
                        "Send /dashboard to the bot for a new one."
                    ),
                    signin.LinkOutcome.EXPIRED: N_(
                        "This sign-in link has expired. Send /dashboard to the bot for a new one."
                    ),
                }.get(
                    outcome,
                    N_("This sign-in link is not valid. Send /dashboard to the bot for a new one."),
                )
                return self._message(request, 403, N_("Sign-in failed"), text)
            return await self._start(request, db, identity)

    async def mini_app(self, request: Request) -> Response:
        """/dashboard/app: Telegram opens this; its script posts initData to sign in."""
        nonce = secrets.token_urlsafe(24)
        tr = self._translator(request, None)
        response = self._html("app.html", tr, csrf=nonce, viewer=None, current="", role_labels="")
        self._cookie(response, LOGIN_CSRF_COOKIE, nonce, 600)
        return response

    async def telegram_auth(self, request: Request) -> Response:
        """POST /dashboard/auth/telegram: the Mini App's initData, checked as Telegram says."""
        form = await read_form(request)
        if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE, ""), form.get("csrf")):
            return self._message(
                request,
                403,
                N_("The form has expired"),
                N_("Open the page again and repeat what you did."),
            )
        token = self.config.bot_token
        init_data = form.get("initData")
        user = verify(init_data, token, self.now) if token and isinstance(init_data, str) else None
        if user is None:
            return self._message(
                request,
                403,
                N_("Sign-in failed"),
                N_(
                    "Telegram's sign-in data could not be checked. "
                    "Close the dashboard and open it again from the bot."
                ),
            )
        async with self.config.sessions() as db:
            identity = await signin.telegram_identity(db, user.user_id)
            if identity is None:
                return self._message(request, 403, N_("Sign-in failed"), N_("I do not know you."))
            return await self._start(request, db, identity)

    async def logout(self, request: Request, db: AsyncSession, viewer: Viewer) -> Response:
        """POST /dashboard/logout: the session ends."""
        await signin.end_session(db, request.cookies.get(SESSION_COOKIE))
        await db.commit()
        response = RedirectResponse(f"{PREFIX}/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    async def language(self, request: Request) -> Response:
        """/dashboard/lang/<code>?next=...: the pages' language (a cookie)."""
        code = str(request.path_params["code"])
        target = request.query_params.get("next", f"{PREFIX}/")
        if not target.startswith(f"{PREFIX}/") or "//" in target or "\\" in target:
            target = f"{PREFIX}/"
        response = RedirectResponse(target, status_code=303)
        if code in self.config.translations.languages:
            self._cookie(response, LANGUAGE_COOKIE, code, 365 * 24 * 3600)
        return response

    # --- pages ------------------------------------------------------------------------

    async def overview(self, request: Request, db: AsyncSession, viewer: Viewer) -> Response:
        """Aggregates: by municipality and role, lessons, scores, activity, pauses."""
        snapshot = await self._snapshot(db)
        data = views.overview(snapshot)
        tr = viewer.tr
        groups = [
            charts.BarGroup(municipality_name(tr, g.municipality), g.participants, g.active)
            for g in data.stats.groups
        ]
        bar_chart = charts.bars(
            groups,
            tr.gettext("Participants"),
            tr.gettext("Active in 7 days"),
            tr.gettext("Participants by municipality"),
        )
        weeks = [(point.monday.strftime("%m-%d"), point.active) for point in data.weeks]
        line_chart = charts.line(weeks, tr.gettext("Active participants per week"))
        return self._page(
            request,
            "overview.html",
            viewer,
            "overview",
            data=data,
            bar_chart=bar_chart,
            line_chart=line_chart,
            module_title=lambda m: m.title.get(tr.language) or m.title["lt"],
            roles_order=list(data.stats.by_role),
        )

    async def participants(self, request: Request, db: AsyncSession, viewer: Viewer) -> Response:
        """The participants table: filters, order, pages."""
        filters = views.Filters.parse(dict(request.query_params))
        snapshot = await self._snapshot(db)
        table = await views.participants_table(db, snapshot, viewer.tr, filters)
        return self._page(
            request,
            "participants.html",
            viewer,
            "participants",
            table=table,
            filters=filters,
            sorts=views.SORTS,
            linked=viewer.may(PERSON_ROLES),
            all_municipalities=[m.value for m in Municipality],
        )

    async def participant(self, request: Request, db: AsyncSession, viewer: Viewer) -> Response:
        """One participant: progress per module, ideas with their steps, the nudge."""
        participant_id = int(request.path_params["participant_id"])
        snapshot = await self._snapshot(db)
        detail = await views.participant_detail(db, snapshot, viewer.tr, participant_id)
        if detail is None:
            return self._message(
                request, 404, N_("Not found"), N_("There is no such participant."), viewer
            )
        await audit_log.record(
            db,
            viewer.participant.id,
            "participant.view",
            self.now,
            target=f"participant:{participant_id}",
        )
        await db.commit()
        return self._page(
            request,
            "participant.html",
            viewer,
            "participants",
            detail=detail,
            nonce=secrets.token_urlsafe(16),
            sent=request.query_params.get("sent") == "1",
            status_label=lambda code: views.idea_status(viewer.tr, code),
            note_max=NOTE_MAX,
        )

    async def nudge(self, request: Request, db: AsyncSession, viewer: Viewer) -> Response:
        """POST: a reminder to the participant, through the outbox like every message."""
        participant_id = int(request.path_params["participant_id"])
        form: dict[str, str] = request.state.form
        participant = (
            await db.get(Participant, participant_id) if participant_id <= views.ID_MAX else None
        )
        if participant is None or participant.onboarded_at is None:
            return self._message(
                request, 404, N_("Not found"), N_("There is no such participant."), viewer
            )
        nonce = str(form.get("nonce") or "")[:40] or secrets.token_urlsafe(16)
        note = " ".join(str(form.get("note") or "").split())[:NOTE_MAX]
        await enqueue(
            db,
            participant_id=participant.id,
            dedupe_key=f"nudge:{nonce}",  # the same form sent twice queues one message
            replies=[nudge_message(self.config, participant, viewer.participant, note)],
            now=self.now,
            purpose=NUDGE_PURPOSE,
        )
        await audit_log.record(
            db,
            viewer.participant.id,
            "participant.nudge",
            self.now,
            target=f"participant:{participant.id}",
        )
        await db.commit()
        return RedirectResponse(f"{PREFIX}/participants/{participant.id}?sent=1", status_code=303)

    async def ideas(self, request: Request, db: AsyncSession, viewer: Viewer) -> Response:
        """Ideas across municipalities with their status and steps."""
        place = request.query_params.get("municipality")
        place = place if place in set(Municipality) else None
        status = request.query_params.get("status")
        status = status if status in views.IDEA_STATUS else None
        shared = request.query_params.get("shared") == "1"
        found = await views.all_ideas(
            db, viewer.tr, place, status, shared=shared, page=_page_number(request)
        )
        return self._page(
            request,
            "ideas.html",
            viewer,
            "ideas",
            found=found,
            rows=found.rows,
            shared=shared,
            chosen_place=place,
            chosen_status=status,
            statuses=views.IDEA_STATUS,
            all_municipalities=[m.value for m in Municipality],
            status_label=lambda code: views.idea_status(viewer.tr, code),
            linked=viewer.may(PERSON_ROLES),
        )

    async def broadcasts(self, request: Request, db: AsyncSession, viewer: Viewer) -> Response:
        """Every announcement: audience, state, delivery report."""
        found = await views.broadcasts(db, viewer.tr, page=_page_number(request))
        return self._page(
            request, "broadcasts.html", viewer, "broadcasts", found=found, rows=found.rows
        )

    async def certificates(self, request: Request, db: AsyncSession, viewer: Viewer) -> Response:
        """Certificates issued and revoked, and who is close to one (or could ask for it)."""
        course = self.config.content.index.course
        show = request.query_params.get("show")
        show = show if show in certificate_views.CERTIFICATE_VIEWS else "issued"
        board = await certificate_views.certificates(
            db, viewer.tr, self.config.content.index, self.config.zone, show,
            page=_page_number(request),
        )  # fmt: skip
        return self._page(
            request,
            "certificates.html",
            viewer,
            "certificates",
            board=board,
            show=show,
            issues=course.certificate is not None,
            linked=viewer.may(PERSON_ROLES),
        )

    async def downloads(self, request: Request, db: AsyncSession, viewer: Viewer) -> Response:
        """The exports the bot makes with /export."""
        formats = [(kind, viewer.tr.gettext(label)) for kind, (label, _) in DOWNLOADS.items()]
        return self._page(request, "downloads.html", viewer, "downloads", formats=formats)

    async def download(self, request: Request, db: AsyncSession, viewer: Viewer) -> Response:
        """One export file, built like /export's (in a thread, after the reading)."""
        kind = str(request.path_params["kind"])
        if kind not in DOWNLOADS:
            return self._message(
                request, 404, N_("Not found"), N_("There is no such file."), viewer
            )
        snapshot = await self._snapshot(db, light=False)
        await audit_log.record(
            db, viewer.participant.id, f"export.{kind}", self.now, details={"via": "dashboard"}
        )
        await db.commit()
        await db.close()  # the file is built without holding the database
        day = snapshot.today.isoformat()
        course = snapshot.index.course
        if kind == "xapi":
            events = export_tables.xapi_events(snapshot)
            data = await asyncio.to_thread(export_files.xapi_json, events, course.id, course.title)
            filename = f"culture-coach-xapi-{day}.json"
        else:
            tables = export_tables.tables(snapshot, viewer.tr)
            build = export_files.xlsx if kind == "xlsx" else export_files.csv_zip
            data = await asyncio.to_thread(build, tables)
            filename = (
                f"culture-coach-{day}.xlsx" if kind == "xlsx" else f"culture-coach-csv-{day}.zip"
            )
        return Response(
            data,
            media_type=DOWNLOADS[kind][1],
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )


async def read_form(request: Request) -> dict[str, str]:
    """A POSTed form (application/x-www-form-urlencoded), at most FORM_MAX_BYTES; a key
    given twice keeps its first value. Too large or not a form: empty."""
    if not request.headers.get("content-type", "").startswith(FORM_TYPE):
        return {}
    try:
        body = await read_limited(request, FORM_MAX_BYTES)
    except BodyTooLarge:
        return {}
    form: dict[str, str] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        form.setdefault(key, value)
    return form


def nudge_message(
    config: DashboardConfig, participant: Participant, sender: Participant, note: str
) -> Message:
    """The nudge as the participant reads it, in their language."""
    tr = config.translations.get(participant.language)
    text = fill(
        tr.gettext(
            "👋 A reminder from your trainer {trainer}: the course is waiting for you. "
            "Shall we go on with the next lesson?"
        ),
        trainer=sender.name or "",
    )
    if note:
        text += "\n\n" + fill("<i>{note}</i>", note=note)
    return Message(text, ((Button(tr.gettext("▶️ Next lesson"), "cmd:next"),),))


def _page_number(request: Request) -> int:
    return views.small_number(request.query_params.get("page", "0"), 6) or 0


def dashboard_routes(config: DashboardConfig) -> list[BaseRoute]:
    """The dashboard's routes for create_web_app(routes=...)."""
    board = Dashboard(config)
    g = board.guarded
    routes: list[BaseRoute] = [
        Route("/", board.home),
        Route("/signin", board.signin_page),
        Route("/login/{token}", board.login_page, methods=["GET", "HEAD"]),
        Route("/login/{token}", board.login, methods=["POST"]),
        Route("/app", board.mini_app),
        Route("/auth/telegram", board.telegram_auth, methods=["POST"]),
        Route("/lang/{code}", board.language),
        Route(
            # anyone with a live session may end it, a role revoked meanwhile included
            "/logout",
            g(frozenset({PARTICIPANT, TRAINER, COORDINATOR, ADMIN}), board.logout),
            methods=["POST"],
        ),
        Route("/overview", g(BY_KEY["overview"].roles, board.overview)),
        Route("/participants", g(BY_KEY["participants"].roles, board.participants)),
        Route("/participants/{participant_id:int}", g(PERSON_ROLES, board.participant)),
        Route(
            "/participants/{participant_id:int}/nudge",
            g(PERSON_ROLES, board.nudge),
            methods=["POST"],
        ),
        Route("/ideas", g(BY_KEY["ideas"].roles, board.ideas)),
        Route("/broadcasts", g(BY_KEY["broadcasts"].roles, board.broadcasts)),
        Route("/certificates", g(BY_KEY["certificates"].roles, board.certificates)),
        Route("/downloads", g(BY_KEY["downloads"].roles, board.downloads)),
        Route("/downloads/{kind}", g(BY_KEY["downloads"].roles, board.download)),
        Mount("/static", app=StaticFiles(directory=STATIC), name="dashboard-static"),
    ]
    return [Mount(PREFIX, app=SecurityHeaders(Router(routes=routes)))]
